import express, { Router } from 'express';
import type { ConsentCommands } from '../../application/consent/consent-commands.js';
import type { ConsentQueries, ConsentView } from '../../application/consent/consent-queries.js';

import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { Views } from '../../application/ports/views.js';
import type { OneTimeCodes } from '../../application/signin/one-time-codes.js';

import type { UserCommands } from '../../application/user/user-commands.js';
import type { UserQueries, UserView } from '../../application/user/user-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { CONSENTS_PROJECTION } from '../../projections/consents.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import { bearerAuth, bearerToken, type ScopeRequirement } from './bearer-auth.js';

import { HttpProblem } from './problem.js';
import { type AwaitMinPosition, setPosition } from './read-after-write.js';
import { noStore } from './security-headers.js';
import { PatchMeBody, SubParams, toUserResource, visibleSections } from './users-resources.js';
import { parseInput } from './validation.js';
import { identifierRoutes } from './users-identifier-routes.js';
import { userContext, userSub } from './user-token.js';

/**
 * The scopes a user has granted a client, or null when the user has not consented to that client
 * at all. The data a provider reads by `sub` is limited to what these scopes reveal.
 */
export type ConsentLookup = (sub: string, clientId: string) => Promise<readonly string[] | null>;

export interface UsersRouterDeps {
  readonly users: UserCommands;
  readonly queries: UserQueries;
  readonly verifier: TokenVerifier;
  readonly views: Views;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for its projection before answering 202 instead of the resource. */
  readonly writeVisibleTimeoutMs: number;
  /** Country for national-format phone numbers (USER_SETTINGS.defaultCountry). */
  readonly defaultCountry?: string;
  /** Sends and checks verification codes; without it, added phones and emails stay unverified. */
  readonly codes?: Pick<OneTimeCodes, 'request' | 'verify'>;
  /** Consent records; without it no provider reads anyone by `sub` (every lookup is a 404). */
  readonly consentedScopes?: ConsentLookup;
  /**
   * The user's own consents at /users/me/consents; without it those routes are not served. When
   * given, reads by `sub` also wait for the consents projection on `?minPosition=`.
   */
  readonly consents?: {
    readonly queries: Pick<ConsentQueries, 'listForUser'>;
    readonly commands: Pick<ConsentCommands, 'revoke'>;
  };
}

const PROJECTIONS = [USERS_PROJECTION];

/** GET /users/me: account data at large, or a user's OpenID Connect claims scopes. */
const READ_ME: readonly ScopeRequirement[] = [
  'id.user.read',
  ['openid', 'profile'],
  ['openid', 'email'],
  ['openid', 'phone'],
];
const WRITE: readonly ScopeRequirement[] = ['id.user.write'];
const READ_BY_SUB: readonly ScopeRequirement[] = ['id.user.read'];
/**
 * Connected services are account management, not OpenID Connect claims: listing them needs
 * `id.user.read` (an `openid` token alone would tell any client which other services the user
 * uses), and revoking one needs `id.user.write`.
 */
const READ_CONSENTS: readonly ScopeRequirement[] = ['id.user.read'];
const REVOKE_CONSENT: readonly ScopeRequirement[] = ['id.user.write'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toConsentResource(consent: ConsentView) {
  return {
    clientId: consent.clientId,
    name: consent.clientName,
    logoUri: consent.logoUri,
    scopes: consent.scopes,
    grantedAt: consent.grantedAt,
    updatedAt: consent.updatedAt,
  };
}

function noSuchConsent(): HttpProblem {
  return new HttpProblem(
    404,
    'consent_not_found',
    'You have not allowed this client anything; nothing to revoke.',
  );
}

/** One answer for "no such user" and "no consent", so a provider cannot probe who has an account. */
function unknownToProvider(): HttpProblem {
  return new HttpProblem(
    404,
    'user_not_found',
    'No such user, or the user has not allowed this client to read their data.',
  );
}

/**
 * The user-data API for access tokens from Tessera's OpenID Connect server (mounted at `/v1`):
 *
 *   GET    /users/me                              the token's user, limited by its scopes
 *   PATCH  /users/me                              `{ name?, locale? }` (id.user.write)
 *   POST   /users/me/{phones|emails}              add, unverified; a code is sent when possible → 201
 *   POST   /users/me/{phones|emails}/verify       `{ challengeId, code }` → the identifier, verified
 *   POST   /users/me/{phones|emails}/:id/verification   send a new code → 202
 *   POST   /users/me/{phones|emails}/:id/primary  make a verified one primary → 204
 *   DELETE /users/me/{phones|emails}/:id          remove (never the last verified one) → 204
 *   GET    /users/me/consents                     connected services (id.user.read)
 *   DELETE /users/me/consents/:clientId           withdraw a consent; the client's grants and tokens
 *                                                 are revoked → 204, 404 if none is active (id.user.write)
 *   GET    /users/:sub                            for a provider's client_credentials token with
 *                                                 id.user.read, if the user consented to that client
 *
 * Writes carry `Tessera-Position`; `GET` accepts `?minPosition=` to read one's own writes.
 */
export function createUsersRouter(deps: UsersRouterDeps): Router {
  const { users, queries, verifier } = deps;
  const consentedScopes: ConsentLookup = deps.consentedScopes ?? (async () => null);
  const router = Router();
  router.use(noStore(), express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }));

  const auth = (anyOf: readonly ScopeRequirement[]) => bearerAuth(verifier, { anyOf });

  async function activeUser(sub: string): Promise<UserView> {
    const view = await queries.getUser(sub);
    if (view.status === 'erased') {
      throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
    }
    return view;
  }

  router.get('/users/me', auth(READ_ME), async (req, res) => {
    const token = bearerToken(res);
    const sub = userSub(token);
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toUserResource(await activeUser(sub), visibleSections(token.scopes)));
  });

  router.patch('/users/me', auth(WRITE), async (req, res) => {
    const token = bearerToken(res);
    const sub = userSub(token);
    const body = parseInput(PatchMeBody, req.body, 'body');
    const result = await users.updateProfile(sub, body, userContext(res, sub));
    setPosition(res, result.position);
    const visible =
      result.position === null ||
      (await deps.views.waitFor(result.position, {
        timeoutMs: deps.writeVisibleTimeoutMs,
        projections: PROJECTIONS,
      }));
    if (!visible) {
      res.status(202).json({ sub, position: result.position });
      return;
    }
    res.json(toUserResource(await activeUser(sub), visibleSections(token.scopes)));
  });

  identifierRoutes(router, {
    users,
    auth,
    activeUser,
    defaultCountry: deps.defaultCountry,
    ...(deps.codes ? { codes: deps.codes } : {}),
  });

  const consents = deps.consents;
  if (consents) {
    router.get('/users/me/consents', auth(READ_CONSENTS), async (req, res) => {
      const sub = userSub(bearerToken(res));
      await deps.awaitMinPosition(req, [CONSENTS_PROJECTION]);
      const items = await consents.queries.listForUser(sub);
      res.json({ items: items.map(toConsentResource) });
    });

    router.delete('/users/me/consents/:clientId', auth(REVOKE_CONSENT), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const clientId = String(req.params.clientId);
      if (!UUID.test(clientId)) throw noSuchConsent();
      const result = await consents.commands.revoke(sub, clientId, {}, userContext(res, sub));
      if (!result.revoked) throw noSuchConsent();
      setPosition(res, result.position);
      // Answer once the lists and the providers' reads by sub no longer show the consent (bounded).
      if (result.position !== null) {
        await deps.views.waitFor(result.position, {
          timeoutMs: deps.writeVisibleTimeoutMs,
          projections: [CONSENTS_PROJECTION],
        });
      }
      res.status(204).end();
    });
  }

  const bySubProjections = consents ? [...PROJECTIONS, CONSENTS_PROJECTION] : PROJECTIONS;
  router.get('/users/:sub', auth(READ_BY_SUB), async (req, res) => {
    const token = bearerToken(res);
    if (token.sub !== null) {
      throw new HttpProblem(
        403,
        'client_token_required',
        "Reading a user by sub is for a provider's backend with a client_credentials token; " +
          'a signed-in user reads their own data at GET /v1/users/me.',
      );
    }
    const { sub } = parseInput(SubParams, req.params, 'params');
    await deps.awaitMinPosition(req, bySubProjections);
    const scopes = await consentedScopes(sub, token.clientId);
    if (scopes === null) throw unknownToProvider();
    let view: UserView;
    try {
      view = await queries.getUser(sub);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') throw unknownToProvider();
      throw err;
    }
    if (view.status === 'erased') throw unknownToProvider();
    res.json(toUserResource(view, visibleSections(scopes)));
  });

  return router;
}
