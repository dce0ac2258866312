/**
 * The identity slice of the composition root: accounts, consents, sessions, sign-in with one-time
 * codes, and the access-token verifier every bearer-token API shares.
 */
import { GRANT_REVOKER, type GrantRevoker } from '../../application/consent/grant-revoker.js';
import { ConsentCommands } from '../../application/consent/consent-commands.js';
import { ConsentQueries } from '../../application/consent/consent-queries.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Views } from '../../application/ports/views.js';
import type { CountryCode } from '../../application/signin/identifier.js';
import { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import { AccountDeletion } from '../../application/user/account-deletion.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { USER_SESSIONS, type UserSessions } from '../../application/user/user-sessions.js';
import { DevOutbox } from '../delivery/dev-outbox.js';
import { HttpEmailSender, HttpSmsSender } from '../delivery/http-gateway.js';
import { CachingTokenVerifier } from '../http/token-cache.js';
import { OidcGrantRevoker } from '../oidc/grant-revoker.js';
import { SignInFlow } from '../oidc/interactions-signin.js';
import { OidcTokenVerifier } from '../oidc/token-verifier.js';
import { OidcUserSessions } from '../oidc/user-sessions.js';
import { TOKENS } from '../tokens.js';
import type { Wiring } from './wiring.js';
import { TELEMETRY, type Telemetry } from '../../application/ports/telemetry.js';

export interface IdentityWiring {
  readonly tokenVerifier: CachingTokenVerifier;
  /** Clears remembered token verifications after a revocation. */
  readonly tokensRevoked: () => void;
  readonly userSessions: OidcUserSessions;
  readonly devOutbox: DevOutbox | null;
}

export function bindIdentity(w: Wiring): IdentityWiring {
  const { container, config, stores, clock, secrets, oidcSlot } = w;
  container.bind(UserCommands).toSelf();
  container.bind(UserQueries).toSelf();
  // Verified tokens are remembered for a few seconds; every revocation in this process clears them.
  const tokenVerifier = new CachingTokenVerifier(new OidcTokenVerifier(() => oidcSlot.peek()), () =>
    clock.now().getTime(),
  );
  const tokensRevoked = () => tokenVerifier.clear();
  container.bind(CachingTokenVerifier).toConstantValue(tokenVerifier);
  container
    .bind<GrantRevoker>(GRANT_REVOKER)
    .toConstantValue(new OidcGrantRevoker(stores.ephemeral, tokensRevoked));
  container.bind(ConsentCommands).toSelf();
  container.bind(ConsentQueries).toSelf();
  const userSessions = new OidcUserSessions({
    store: stores.ephemeral,
    provider: () => oidcSlot.peek(),
    clock,
    logger: container.get<Logger>(TOKENS.Logger),
    onRevoke: tokensRevoked,
  });
  container.bind<UserSessions>(USER_SESSIONS).toConstantValue(userSessions);
  container.bind(OidcUserSessions).toConstantValue(userSessions);
  container.bind(AccountDeletion).toSelf();
  // Each channel goes to its HTTP gateway when one is configured, else to the development outbox
  // (shown at /dev/outbox); the configuration guarantees one of the two.
  const devOutbox = config.devOutbox ? new DevOutbox({ store: stores.ephemeral, clock }) : null;
  const sms = config.smsGateway ? new HttpSmsSender(config.smsGateway) : devOutbox!.sms;
  const email = config.emailGateway ? new HttpEmailSender(config.emailGateway) : devOutbox!.email;
  container.bind(OneTimeCodes).toDynamicValue((ctx) => {
    const users = ctx.get(UserCommands);
    const accounts = ctx.get(UserQueries);
    return new OneTimeCodes({
      store: ctx.get<EphemeralStore>(TOKENS.EphemeralStore),
      clock: ctx.get<Clock>(TOKENS.Clock),
      sms,
      email,
      secret: secrets.derive('one-time-codes'),
      logger: ctx.get<Logger>(TOKENS.Logger),
      policy: { maxRequestsPerIp: config.signInCodesPerIpPerHour },
      // A lockout of an identifier that belongs to an account is recorded on that account.
      onLockout: async (identifier, until) => {
        const sub = await accounts.findByIdentifier(identifier);
        if (sub === null) return;
        await users.lockSignIn(
          sub,
          { reason: 'too_many_wrong_codes', until: until.toISOString() },
          { actor: { kind: 'system', id: 'sign-in' }, correlationId: `lockout-${sub}` },
        );
      },
    });
  });
  container.bind(SignInFlow).toDynamicValue(
    (ctx) =>
      new SignInFlow({
        codes: ctx.get(OneTimeCodes),
        users: ctx.get(UserCommands),
        accounts: ctx.get(UserQueries),
        views: ctx.get<Views>(TOKENS.Views),
        store: ctx.get<EphemeralStore>(TOKENS.EphemeralStore),
        defaultCountry: config.defaultPhoneCountry as CountryCode,
        logger: ctx.get<Logger>(TOKENS.Logger),
        clock: ctx.get<Clock>(TOKENS.Clock),
        telemetry: ctx.get<Telemetry>(TELEMETRY),
      }),
  );

  return { tokenVerifier, tokensRevoked, userSessions, devOutbox };
}
