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
import { paymentEvents } from '../domain/payment/events.js';
import { paymentMethodEvents } from '../domain/payment-method/events.js';
import { staffEvents } from '../domain/staff/events.js';
import { agreementEvents } from '../domain/agreement/events.js';
import { CommandHandler } from '../application/kernel/command-handler.js';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { ReadModelStore } from '../application/ports/read-model-store.js';
import type { EphemeralStore } from '../application/ports/ephemeral-store.js';
import { CatalogCommands } from '../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../application/catalog/catalog-queries.js';
import { ClientCommands } from '../application/catalog/client-commands.js';
import { ClientQueries } from '../application/catalog/client-queries.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../application/ports/personal-data-vault.js';
import { USER_SETTINGS, type UserSettings } from '../application/user/settings.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';
import { catalogProjection } from '../projections/catalog.js';
import { clientsProjection } from '../projections/clients.js';
import { usersProjection } from '../projections/users.js';
import { consentsProjection } from '../projections/consents.js';
import { rightsProjection } from '../projections/rights.js';
import { subscriptionsProjection } from '../projections/subscriptions.js';
import { transactionsProjection } from '../projections/transactions.js';
import { ledgerProjection } from '../projections/ledger.js';
import { paymentMethodsProjection } from '../projections/payment-methods.js';
import { staffProjection } from '../projections/staff.js';
import { agreementsProjection } from '../projections/agreements.js';
import { supportStreamsProjection } from '../projections/support-streams.js';
import { revenueReportProjection } from '../projections/reports-revenue.js';
import { subscriptionReportProjection } from '../projections/reports-subscriptions.js';
import { conversionReportProjection } from '../projections/reports-conversion.js';
import { SubscriptionScheduler } from '../application/subscription/subscription-scheduler.js';
import { ProviderFeed } from '../application/feed/provider-feed.js';
import { RightsOnPurchase } from '../application/payment/rights-on-purchase.js';
import { WebhookWorker } from '../application/feed/webhook-worker.js';
import type { ProviderFeedStore } from '../application/ports/provider-feed-store.js';
import { SystemClock } from './clock.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { type AdminToken, resolveAdminToken } from './admin-token.js';
import { openEmbeddedStores } from './composition/embedded.js';
import { openDistributedStores } from './composition/distributed.js';
import type { Stores } from './composition/stores.js';
import type { Wiring } from './composition/wiring.js';
import { bindIdentity } from './composition/identity.js';
import { bindRights } from './composition/rights.js';
import { bindHttpApp } from './composition/http.js';
import { bindPayments } from './composition/payments.js';
import { bindStaff } from './composition/staff.js';
import { bindAgreements } from './composition/agreements.js';
import { bindSupport } from './composition/support.js';
import { AgreementScheduler } from '../application/agreement/agreement-scheduler.js';
import { TELEMETRY, type Telemetry } from '../application/ports/telemetry.js';
import { PrometheusTelemetry } from './telemetry.js';
import { TOKENS } from './tokens.js';
import { OidcSlot } from './oidc/tessera-oidc.js';
import { Secrets } from './secrets.js';

/** Every event type Tessera writes or reads. */
export const ALL_EVENTS = [
  ...catalogEvents,
  ...clientEvents,
  ...userEvents,
  ...consentEvents,
  ...rightEvents,
  ...subscriptionEvents,
  ...paymentEvents,
  ...paymentMethodEvents,
  ...staffEvents,
  ...agreementEvents,
];

/** Every read model, in the order the runner starts them. */
export const ALL_PROJECTIONS: readonly ProjectionDefinition[] = [
  catalogProjection,
  clientsProjection,
  usersProjection,
  consentsProjection,
  rightsProjection,
  subscriptionsProjection,
  transactionsProjection,
  ledgerProjection,
  revenueReportProjection,
  subscriptionReportProjection,
  conversionReportProjection,
  paymentMethodsProjection,
  staffProjection,
  agreementsProjection,
  supportStreamsProjection,
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
  const wiring: Wiring = { container, config, stores, clock, logger, secrets, oidcSlot };

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
  const telemetry = new PrometheusTelemetry();
  container.bind(PrometheusTelemetry).toConstantValue(telemetry);
  container.bind<Telemetry>(TELEMETRY).toConstantValue(telemetry);

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

  // The slices, each in its own module of composition/, bound here and nowhere else.
  const identity = bindIdentity(wiring);
  bindRights(wiring);
  bindPayments(wiring);
  bindAgreements(wiring);
  bindStaff(wiring);
  bindSupport(wiring);
  bindHttpApp(wiring, identity, overrides);
  return container;
}

/** Stops the projections and closes the stores a container opened. */
export async function disposeContainer(container: Container): Promise<void> {
  await container.get(SubscriptionScheduler).stop();
  await container.get(AgreementScheduler).stop();
  await container.get(WebhookWorker).stop();
  await container.get(ProviderFeed).stop();
  await container.get(RightsOnPurchase).stop();
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
