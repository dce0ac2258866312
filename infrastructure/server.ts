import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container } from 'inversify';
import type { Logger } from '../application/ports/logger.js';
import type { EventStore } from '../application/ports/event-store.js';
import { CatalogCommands } from '../application/catalog/catalog-commands.js';
import type { ProjectionRunner } from '../projections/runner.js';
import type { AdminToken } from './admin-token.js';
import type { Config } from './config.js';
import { buildContainer, type ContainerOverrides, disposeContainer } from './container.js';
import { type DemoSeedResult, seedDemo, seedDemoShop } from './demo-seed.js';
import { DemoShopSlot } from './http/demo/demo-config.js';
import { ClientCommands } from '../application/catalog/client-commands.js';
import type { CommandHandler } from '../application/kernel/command-handler.js';
import type { TesseraApp } from './http/app.js';
import { TOKENS } from './tokens.js';
import { ClientQueries } from '../application/catalog/client-queries.js';
import { UserQueries } from '../application/user/user-queries.js';
import { ConsentQueries } from '../application/consent/consent-queries.js';
import type { Clock } from '../application/ports/clock.js';
import type { EphemeralStore } from '../application/ports/ephemeral-store.js';
import type { ReadModelStore } from '../application/ports/read-model-store.js';
import type { OidcSlot } from './oidc/tessera-oidc.js';
import { startTesseraOidc } from './oidc/oidc-lifecycle.js';
import type { SigningKeyRotation } from './oidc/key-rotation.js';
import { OidcUserSessions } from './oidc/user-sessions.js';
import { CachingTokenVerifier } from './http/token-cache.js';
import { SubscriptionScheduler } from '../application/subscription/subscription-scheduler.js';
import { AgreementScheduler } from '../application/agreement/agreement-scheduler.js';
import { ProviderFeed } from '../application/feed/provider-feed.js';
import { WebhookWorker } from '../application/feed/webhook-worker.js';
import type { Secrets } from './secrets.js';
import { PaymentReconcileJob } from '../application/payment/payment-reconcile-job.js';
import { RightsOnPurchase } from '../application/payment/rights-on-purchase.js';
import { PAYMENT_ENDPOINTS, type PaymentEndpoints } from './composition/payments.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3000 (the real port when PORT=0). */
  readonly url: string;
  readonly port: number;
  readonly adminToken: AdminToken;
  /** The demo data, when DEMO_SEED is on. */
  readonly demo: DemoSeedResult | null;
  readonly container: Container;
  /** The signing keys' upkeep (rotation, pruning, provider rebuilds); check() runs one now. */
  readonly signingKeys: SigningKeyRotation;
  /** Stops accepting connections, lets running requests finish (bounded), stops projections, closes stores. */
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting connections. */
const DRAIN_MS = 5000;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Builds the container for the configured mode, starts the projections, seeds the demo data when
 * asked, and serves HTTP. The projections catch up in the background; /readyz says when they have.
 */
/** How often due subscription transitions (renewals, trial ends, expiries) are looked for. */
export const SUBSCRIPTION_TICK_MS = 5000;

export interface ServerOverrides extends ContainerOverrides {
  /** How often the subscription scheduler ticks (default SUBSCRIPTION_TICK_MS). */
  readonly subscriptionTickMs?: number;
  /** How often the signing keys are checked (default SIGNING_KEY_CHECK_INTERVAL_MS). */
  readonly signingKeyCheckIntervalMs?: number;
  /** How often unknown payment outcomes are reconciled (default PAYMENT_RECONCILE_INTERVAL_MS). */
  readonly paymentReconcileIntervalMs?: number;
}

export async function startServer(config: Config, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const container = await buildContainer(config, overrides);
  const logger = container.get<Logger>(TOKENS.Logger);
  const runner = container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
  const reconcileJob = container.get(PaymentReconcileJob);
  let server: Server | undefined;
  try {
    // Seeding needs only the write side; the projections pick the events up once started.
    let demo: DemoSeedResult | null = config.demoSeed ? await seedDemo(container.get(CatalogCommands)) : null;
    await runner.start();
    container.get(SubscriptionScheduler).start(overrides.subscriptionTickMs ?? SUBSCRIPTION_TICK_MS);
    container.get(AgreementScheduler).start(overrides.subscriptionTickMs ?? SUBSCRIPTION_TICK_MS);
    await container.get(ProviderFeed).start();
    await container.get(RightsOnPurchase).start();
    container.get(WebhookWorker).start();
    const { listener } = container.get<TesseraApp>(TOKENS.HttpApp);
    server = createServer(listener);
    const port = await listen(server, config.port, config.host);
    const url = `http://${urlHost(config.host)}:${port}`;
    const issuer = config.publicUrl ?? url;
    // The sandbox payment processors are served by this server: their URLs are known only now.
    container.get<PaymentEndpoints>(PAYMENT_ENDPOINTS).set(url, issuer);
    // The demo shop's client needs its redirect URI under the issuer, known only now.
    if (demo && config.mode === 'embedded') {
      const shop = await seedDemoShop(
        {
          clients: container.get(ClientCommands),
          handler: container.get<CommandHandler>(TOKENS.CommandHandler),
          dataDir: config.dataDir,
        },
        demo,
        { issuer, internalUrl: url },
      );
      container.get(DemoShopSlot).set(shop.config);
      demo = { ...demo, shop };
      // The shop's client must be known to the provider (through the clients read model) before
      // anyone is sent to sign in at it.
      const head = await container.get<EventStore>(TOKENS.EventStore).headPosition();
      await runner.waitFor(head, { timeoutMs: 10_000 });
    }
    reconcileJob.start(overrides.paymentReconcileIntervalMs);
    const oidc = await startTesseraOidc(
      {
        issuer,
        ephemeral: container.get<EphemeralStore>(TOKENS.EphemeralStore),
        readModels: container.get<ReadModelStore>(TOKENS.ReadModelStore),
        clock: container.get<Clock>(TOKENS.Clock),
        secrets: container.get<Secrets>(TOKENS.Secrets),
        clients: container.get(ClientQueries),
        accounts: container.get(UserQueries),
        // From the log, not the read model: a consent revoked a moment ago must not rebuild a grant.
        consents: {
          consentedScopes: (sub, clientId) => container.get(ConsentQueries).currentScopes(sub, clientId),
        },
        sessions: container.get(OidcUserSessions),
        onTokensRevoked: () => container.get(CachingTokenVerifier).clear(),
        logger,
      },
      container.get<OidcSlot>(TOKENS.OidcSlot),
      {
        rotateAfterDays: config.signingKeyRotationDays,
        logger,
        ...(overrides.signingKeyCheckIntervalMs === undefined
          ? {}
          : { checkIntervalMs: overrides.signingKeyCheckIntervalMs }),
      },
    );
    logger.info(
      { mode: config.mode, url, issuer, dataDir: config.mode === 'embedded' ? config.dataDir : undefined },
      'listening',
    );
    const running = server;
    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      adminToken: container.get<AdminToken>(TOKENS.AdminToken),
      demo,
      container,
      signingKeys: oidc.signingKeys,
      close() {
        closing ??= (async () => {
          oidc.stop();
          await reconcileJob.stop();
          await closeServer(running);
          await disposeContainer(container);
          logger.info({}, 'stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await reconcileJob.stop();
    if (server?.listening) await closeServer(server);
    await disposeContainer(container).catch(() => undefined);
    throw err;
  }
}
