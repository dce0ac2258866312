/**
 * Who a `sub` is, for the OpenID Connect provider: the account's claims, from the users read model
 * through UserQueries (which opens the sealed personal data per request). oidc-provider then keeps
 * only the claims the granted scopes (and the `claims` mapping below) allow, for the ID token and
 * for userinfo alike.
 */
import {
  type Account,
  type AccountClaims,
  type ClaimsParameter,
  type Configuration,
  errors,
  type FindAccount,
} from 'oidc-provider';
import type { IdentifierView, UserQueries, UserView } from '../../application/user/user-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';

/**
 * Which claims each scope releases. `auth_time`, `iss` and `sid` are the provider's own (null: not
 * tied to a scope, released when the protocol asks for them). `acr` and `amr` come with `openid`,
 * so every ID token says how the user signed in (a one-time code, "1", or a password too, "2"),
 * not only those whose request asked with acr_values.
 */
export const OIDC_CLAIMS: NonNullable<Configuration['claims']> = {
  auth_time: null,
  iss: null,
  sid: null,
  openid: ['sub', 'acr', 'amr'],
  profile: ['name', 'locale'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The scope each scope-bound claim belongs to (`sub`, `acr` and `amr` to openid). */
const CLAIM_SCOPES: ReadonlyMap<string, string> = new Map(
  Object.entries(OIDC_CLAIMS).flatMap(([scope, claims]) =>
    Array.isArray(claims) ? claims.map((claim: string) => [claim, scope] as const) : [],
  ),
);

/**
 * The claims of `claims` that `scope` (space-separated, the token's granted scopes) releases. A
 * claim asked for with the `claims` parameter is released only within the granted scopes: the
 * parameter can pick claims (say, phone_number into the ID token) but never widen what the person
 * consented to.
 */
export function claimsWithinScope(claims: AccountClaims, scope: string): AccountClaims {
  const granted = new Set(scope.split(' ').filter((s) => s.length > 0));
  return Object.fromEntries(
    Object.entries(claims).filter(([claim]) => {
      const owner = CLAIM_SCOPES.get(claim);
      return claim === 'sub' || (owner !== undefined && granted.has(owner));
    }),
  ) as AccountClaims;
}

/**
 * The provider's check of the `claims` request parameter: the library's own shape check (each
 * member null or an object), and a refusal of claims whose scope the client is not registered for,
 * so a misconfigured relying party learns why instead of silently getting nothing.
 */
export async function assertClaimsParameter(
  _ctx: unknown,
  claims: ClaimsParameter,
  client: { readonly scope?: string | undefined },
): Promise<void> {
  const allowed = new Set((client.scope ?? '').split(' '));
  for (const container of ['userinfo', 'id_token'] as const) {
    const members: unknown = claims[container];
    if (members === undefined || members === null || typeof members !== 'object') continue;
    for (const [claim, value] of Object.entries(members)) {
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new errors.InvalidRequest(`claims.${container} members must be null or objects`);
      }
      const scope = CLAIM_SCOPES.get(claim);
      if (scope !== undefined && scope !== 'openid' && !allowed.has(scope)) {
        throw new errors.InvalidRequest(
          `claims.${container}.${claim} needs the ${scope} scope, which this client is not registered for`,
        );
      }
    }
  }
}

/** The primary entry, else the first verified one, else the first; null when there is none. */
function preferred(entries: readonly IdentifierView[]): IdentifierView | null {
  return entries.find((e) => e.primary) ?? entries.find((e) => e.verified) ?? entries[0] ?? null;
}

/** Every claim Tessera can state about an account; absent data gives no claim rather than null. */
export function userClaims(user: UserView): AccountClaims {
  const phone = preferred(user.phones);
  const email = preferred(user.emails);
  return {
    sub: user.sub,
    ...(phone?.value != null ? { phone_number: phone.value, phone_number_verified: phone.verified } : {}),
    ...(email?.value != null ? { email: email.value, email_verified: email.verified } : {}),
    ...(user.name !== null ? { name: user.name } : {}),
    ...(user.locale !== null ? { locale: user.locale } : {}),
  };
}

/**
 * findAccount for oidc-provider. An unknown or erased account is undefined, which the provider
 * treats as "signed out": its sessions and tokens stop yielding claims.
 */
export function createFindAccount(accounts: Pick<UserQueries, 'getUser'>): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    let user: UserView;
    try {
      user = await accounts.getUser(sub);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') return undefined;
      throw err;
    }
    if (user.status !== 'active') return undefined;
    return { accountId: sub, claims: (_use, scope) => claimsWithinScope(userClaims(user), scope) };
  };
}
