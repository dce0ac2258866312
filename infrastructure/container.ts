import 'reflect-metadata';
import type { DestinationStream } from 'pino';
import { Container } from 'inversify';
import { EventRegistry } from '../domain/kernel/registry.js';
import { catalogEvents } from '../domain/catalog/events.js';
import { clientEvents } from '../domain/catalog/client-events.js';
import { userEvents } from '../domain/user/events.js';
import { consentEvents } from '../domain/consent/events.js';
import { rightEvents } from '../domain/right/events.js';
import { subscriptionEvents } from '../domain/subscription/events.js';
import { CommandHandler } from '../application/kernel/command-handler.js';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { ReadModelStore } from '../application/ports/read-model-store.js';
import type { EphemeralStore } from '../application/ports/ephemeral-store.js';
import type { Views } from '../application/ports/views.js';
import { CatalogCommands } from '../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../application/catalog/catalog-queries.js';
import { ClientCommands } from '../application/catalog/client-commands.js';
import { ClientQueries } from '../application/catalog/client-queries.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../application/ports/personal-data-vault.js';
import { USER_SETTINGS, type UserSettings } from '../application/user/settings.js';
import { UserCommands } from '../application/user/user-commands.js';
import { UserQueries } from '../application/user/user-queries.js';
import { ConsentCommands } from '../application/consent/consent-commands.js';
import { ConsentQueries } from '../application/consent/consent-queries.js';
import { GRANT_REVOKER, type GrantRevoker } from '../application/consent/grant-revoker.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';
import { catalogProjection } from '../projections/catalog.js';
import { clientsProjection } from '../projections/clients.js';
import { usersProjection } from '../projections/users.js';
import { consentsProjection } from '../projections/consents.js';
import { rightsProjection } from '../projections/rights.js';
import { subscriptionsProjection } from '../projections/subscriptions.js';
import { RightCommands } from '../application/right/right-commands.js';
import { RightQueries } from '../application/right/right-queries.js';
import { AccessExplainer } from '../application/right/access-explainer.js';
import { RIGHT_ISSUER, type RightIssuer } from '../application/right/right-issuer.js';
import { SubscriptionCommands } from '../application/subscription/subscription-commands.js';
import { SubscriptionQueries } from '../application/subscription/subscription-queries.js';
import { SubscriptionScheduler } from '../application/subscription/subscription-scheduler.js';
import { EntitlementTokenSigner } from './oidc/entitlement-tokens.js';
import { openTesseraSigningKeys } from './oidc/tessera-keys.js';
import { cachedProviderOf } from './http/caller.js';
import { CachingTokenVerifier } from './http/token-cache.js';
import { buildTesseraOpenApi } from './http/openapi/index.js';
import { PACKAGE_VERSION } from './version.js';
import { combineSources } from '../application/feed/feed-mapper.js';
import { rightsFeedSource, subscriptionsFeedSource } from '../application/feed/rights-feed.js';
import { EventQueue } from '../application/feed/event-queue.js';
import { WebhookService } from '../application/feed/webhooks.js';
import { ProviderFeed } from '../application/feed/provider-feed.js';
import { WebhookWorker } from '../application/feed/webhook-worker.js';
import type { ProviderFeedStore } from '../application/ports/provider-feed-store.js';
import { AesWebhookSecretSealer } from './feed/webhook-secret-sealer.js';
import { bearerAuth, bearerToken } from './http/bearer-auth.js';
import { HttpProblem } from './http/problem.js';
import { DomainError } from '../domain/kernel/decider.js';
import { SystemClock } from './clock.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { type AdminToken, resolveAdminToken } from './admin-token.js';
import { openEmbeddedStores } from './composition/embedded.js';
import { openDistributedStores } from './composition/distributed.js';
import type { Stores } from './composition/stores.js';
import { createApp, type TesseraApp } from './http/app.js';
import { TOKENS } from './tokens.js';
import { interactionCsrfKey, OidcSlot } from './oidc/tessera-oidc.js';
import { Secrets } from './secrets.js';
import { OneTimeCodes } from '../application/signin/one-time-codes.js';
import type { CountryCode } from '../application/signin/identifier.js';
import { DevOutbox } from './delivery/dev-outbox.js';
import { HttpEmailSender, HttpSmsSender } from './delivery/http-gateway.js';
import { SignInFlow } from './oidc/interactions-signin.js';
import { OidcTokenVerifier } from './oidc/token-verifier.js';
import { OidcGrantRevoker } from './oidc/grant-revoker.js';
import { createInteractionRouter } from './http/interaction-router.js';
import { CsrfTokens } from './http/pages/csrf.js';
import { AccountDeletion } from '../application/user/account-deletion.js';
import { USER_SESSIONS, type UserSessions } from '../application/user/user-sessions.js';
import { OidcUserSessions } from './oidc/user-sessions.js';
import { AccountSessions } from './http/account/account-session.js';
import { createAccountRouter } from './http/account/account-router.js';

/** Every event type Tessera writes or reads. */
export const ALL_EVENTS = [
  ...catalogEvents,
  ...clientEvents,
  ...userEvents,
  ...consentEvents,
  ...rightEvents,
  ...subscriptionEvents,
];

/** Every read model, in the order the runner starts them. */
export const ALL_PROJECTIONS: readonly ProjectionDefinition[] = [
  catalogProjection,
  clientsProjection,
  usersProjection,
  consentsProjection,
  rightsProjection,
  subscriptionsProjection,
];

/** Replacements for tests and tools; production passes none. */
export interface ContainerOverrides {
  readonly clock?: Clock;
  /** Where JSON logs go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** How long read-after-write waits before giving up (default 5000 ms). */
  readonly readAfterWriteTimeoutMs?: number;
}

/**
 * The one composition root. The runtime mode chosen by the configuration decides only which
 * adapters serve the three storage ports; everything above them is wired the same way.
 */
export async function buildContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const container = new Container({ defaultScope: 'Singleton' });
  const clock = overrides.clock ?? new SystemClock();
  const logger = createLogger(config.logLevel, overrides.logDestination);
  const registry = new EventRegistry(ALL_EVENTS);
  const adminToken = resolveAdminToken(config);
  const secrets = Secrets.fromConfig(config);
  const oidcSlot = new OidcSlot();

  const open = config.mode === 'distributed' ? openDistributedStores : openEmbeddedStores;
  const stores: Stores = await open(config, { registry, clock, secrets });

  container.bind<Config>(TOKENS.Config).toConstantValue(config);
  container.bind<Clock>(TOKENS.Clock).toConstantValue(clock);
  container.bind<Logger>(TOKENS.Logger).toConstantValue(logger);
  container.bind<EventRegistry>(TOKENS.EventRegistry).toConstantValue(registry);
  container.bind<AdminToken>(TOKENS.AdminToken).toConstantValue(adminToken);
  container.bind<Secrets>(TOKENS.Secrets).toConstantValue(secrets);
  container.bind<OidcSlot>(TOKENS.OidcSlot).toConstantValue(oidcSlot);
  container.bind<EventStore>(TOKENS.EventStore).toConstantValue(stores.eventStore);
  container.bind<ReadModelStore>(TOKENS.ReadModelStore).toConstantValue(stores.readModels);
  container.bind<EphemeralStore>(TOKENS.EphemeralStore).toConstantValue(stores.ephemeral);
  container.bind<PersonalDataVault>(PERSONAL_DATA_VAULT).toConstantValue(stores.vault);
  container.bind<UserSettings>(USER_SETTINGS).toConstantValue({ defaultCountry: config.defaultPhoneCountry });
  container.bind<readonly ProjectionDefinition[]>(TOKENS.Projections).toConstantValue(ALL_PROJECTIONS);

  container
    .bind<CommandHandler>(TOKENS.CommandHandler)
    .toDynamicValue(
      (ctx) => new CommandHandler(ctx.get<EventStore>(TOKENS.EventStore), ctx.get<Clock>(TOKENS.Clock)),
    );
  container.bind<ProjectionRunner>(TOKENS.ProjectionRunner).toDynamicValue(
    (ctx) =>
      new ProjectionRunner({
        store: ctx.get<EventStore>(TOKENS.EventStore),
        readModels: ctx.get<ReadModelStore>(TOKENS.ReadModelStore),
        projections: ctx.get<readonly ProjectionDefinition[]>(TOKENS.Projections),
        logger: ctx.get<Logger>(TOKENS.Logger),
      }),
  );
  container.bind(TOKENS.Views).toService(TOKENS.ProjectionRunner);

  container.bind(CatalogCommands).toSelf();
  container.bind(CatalogQueries).toSelf();
  container.bind(ClientCommands).toSelf();
  container.bind(ClientQueries).toSelf();
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
  container.bind(RightCommands).toSelf();
  container.bind<RightIssuer>(RIGHT_ISSUER).toService(RightCommands);
  container.bind(RightQueries).toSelf();
  container.bind(AccessExplainer).toSelf();
  container.bind(SubscriptionCommands).toSelf();
  container.bind(SubscriptionQueries).toSelf();
  container.bind(SubscriptionScheduler).toSelf();

  // The providers' change feed: a queue per provider and signed webhooks, each a process manager
  // with its own checkpoint (started only by the server, see server.ts).
  const feedSource = combineSources(
    rightsFeedSource(stores.eventStore),
    subscriptionsFeedSource(stores.eventStore),
  );
  const webhookSealer = AesWebhookSecretSealer.fromSecrets(secrets);
  container.bind<ProviderFeedStore>(TOKENS.ProviderFeedStore).toConstantValue(stores.feed);
  container.bind(EventQueue).toConstantValue(new EventQueue(stores.feed, clock));
  container.bind(WebhookService).toConstantValue(
    new WebhookService({
      feed: stores.feed,
      sealer: webhookSealer,
      clock,
      store: stores.eventStore,
      source: feedSource,
    }),
  );
  container
    .bind(ProviderFeed)
    .toConstantValue(
      new ProviderFeed({ store: stores.eventStore, feed: stores.feed, source: feedSource, clock, logger }),
    );
  container
    .bind(WebhookWorker)
    .toConstantValue(new WebhookWorker({ feed: stores.feed, sealer: webhookSealer, clock, logger }));

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
      }),
  );

  // Entitlement tokens are signed with the OpenID Connect keys, opened on first use.
  let signingKeys: ReturnType<typeof openTesseraSigningKeys> | null = null;
  const lazySigningKeys = {
    jwks: async () =>
      (
        await (signingKeys ??= openTesseraSigningKeys({ readModels: stores.readModels, clock, secrets }))
      ).jwks(),
  };
  const providerOf = cachedProviderOf((clientId) =>
    container.get(ClientQueries).findForAuthorization(clientId),
  );
  container.bind<TesseraApp>(TOKENS.HttpApp).toDynamicValue((ctx) => {
    const runner = ctx.get<ProjectionRunner>(TOKENS.ProjectionRunner);
    const eventStore = ctx.get<EventStore>(TOKENS.EventStore);
    return createApp({
      logger: ctx.get<Logger>(TOKENS.Logger),
      adminToken: ctx.get<AdminToken>(TOKENS.AdminToken).token,
      catalogCommands: ctx.get(CatalogCommands),
      catalogQueries: ctx.get(CatalogQueries),
      clientCommands: ctx.get(ClientCommands),
      clientQueries: ctx.get(ClientQueries),
      oidc: oidcSlot,
      views: runner,
      headPosition: () => eventStore.headPosition(),
      projections: runner,
      readyMaxLag: config.readyMaxLag,
      interactions: createInteractionRouter({
        provider: () => oidcSlot.provider(),
        signIn: ctx.get(SignInFlow),
        consents: ctx.get(ConsentCommands),
        csrf: new CsrfTokens(interactionCsrfKey(secrets)),
        logger: ctx.get<Logger>(TOKENS.Logger),
      }),
      ...(devOutbox ? { devOutbox } : {}),
      account: createAccountRouter({
        provider: () => oidcSlot.provider(),
        accountSessions: new AccountSessions({ store: stores.ephemeral, sessions: userSessions, clock }),
        users: ctx.get(UserCommands),
        queries: ctx.get(UserQueries),
        consents: { queries: ctx.get(ConsentQueries), commands: ctx.get(ConsentCommands) },
        sessions: userSessions,
        deletion: ctx.get(AccountDeletion),
        codes: ctx.get(OneTimeCodes),
        csrf: new CsrfTokens(secrets.derive('account-page-csrf')),
        views: runner,
        defaultCountry: config.defaultPhoneCountry as CountryCode,
        ...(overrides.readAfterWriteTimeoutMs === undefined
          ? {}
          : { writeVisibleTimeoutMs: overrides.readAfterWriteTimeoutMs }),
      }),
      feed: {
        queue: ctx.get(EventQueue),
        webhooks: ctx.get(WebhookService),
        resolveProvider: async (req, res) => {
          await new Promise<void>((resolve, reject) => {
            const auth = bearerAuth(tokenVerifier, { anyOf: ['events.read'] });
            Promise.resolve(auth(req, res, (err?: unknown) => (err ? reject(err) : resolve()))).catch(reject);
          });
          const token = bearerToken(res);
          if (token.sub !== null) {
            throw new HttpProblem(
              403,
              'client_token_required',
              "The change feed is for a provider's backend (client_credentials).",
            );
          }
          const providerId = await providerOf(token.clientId);
          if (providerId === null)
            throw new HttpProblem(401, 'invalid_token', 'The access token belongs to no active client.');
          return providerId;
        },
        providerExists: async (providerId) => {
          try {
            await ctx.get(CatalogQueries).getProvider(providerId);
            return true;
          } catch (err) {
            if (err instanceof DomainError && err.kind === 'not_found') return false;
            throw err;
          }
        },
      },
      onClientChanged: tokensRevoked,
      openApi: buildTesseraOpenApi({
        version: PACKAGE_VERSION,
        ...(config.publicUrl === null ? {} : { issuer: config.publicUrl }),
      }),
      rightsApi: {
        rights: {
          commands: ctx.get(RightCommands),
          queries: ctx.get(RightQueries),
          explainer: ctx.get(AccessExplainer),
          entitlements: new EntitlementTokenSigner(lazySigningKeys, clock),
          issuer: () => oidcSlot.provider().issuer,
        },
        subscriptions: { commands: ctx.get(SubscriptionCommands), queries: ctx.get(SubscriptionQueries) },
        verifier: tokenVerifier,
        providerOf,
        clock,
      },
      userApi: {
        users: ctx.get(UserCommands),
        queries: ctx.get(UserQueries),
        verifier: tokenVerifier,
        codes: ctx.get(OneTimeCodes),
        defaultCountry: config.defaultPhoneCountry,
        consentedScopes: (sub, clientId) => ctx.get(ConsentQueries).consentedScopes(sub, clientId),
        consents: { queries: ctx.get(ConsentQueries), commands: ctx.get(ConsentCommands) },
      },
      ...(overrides.readAfterWriteTimeoutMs === undefined
        ? {}
        : { readAfterWriteTimeoutMs: overrides.readAfterWriteTimeoutMs }),
    });
  });
  return container;
}

/** Stops the projections and closes the stores a container opened. */
export async function disposeContainer(container: Container): Promise<void> {
  await container.get(SubscriptionScheduler).stop();
  await container.get(WebhookWorker).stop();
  await container.get(ProviderFeed).stop();
  const runner = container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
  await runner.stop();
  // The MongoDB read-model store owns the client the vault and ephemeral store share: close it last
  // but for the event store.
  const closables = [
    container.get<ProviderFeedStore>(TOKENS.ProviderFeedStore),
    container.get<PersonalDataVault>(PERSONAL_DATA_VAULT),
    container.get<EphemeralStore>(TOKENS.EphemeralStore),
    container.get<ReadModelStore>(TOKENS.ReadModelStore),
    container.get<EventStore>(TOKENS.EventStore),
  ];
  for (const c of closables) await c.close();
}
