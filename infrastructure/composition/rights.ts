/**
 * The rights slice of the composition root: rights, subscriptions and their scheduler, and the
 * providers' change feed (event queues and webhooks).
 */
import { combineSources } from '../../application/feed/feed-mapper.js';
import { EventQueue } from '../../application/feed/event-queue.js';
import { ProviderFeed } from '../../application/feed/provider-feed.js';
import { rightsFeedSource, subscriptionsFeedSource } from '../../application/feed/rights-feed.js';
import { WebhookWorker } from '../../application/feed/webhook-worker.js';
import { WebhookService } from '../../application/feed/webhooks.js';
import type { ProviderFeedStore } from '../../application/ports/provider-feed-store.js';
import { AccessExplainer } from '../../application/right/access-explainer.js';
import { RightCommands } from '../../application/right/right-commands.js';
import { RIGHT_ISSUER, type RightIssuer } from '../../application/right/right-issuer.js';
import { RightQueries } from '../../application/right/right-queries.js';
import { SubscriptionCommands } from '../../application/subscription/subscription-commands.js';
import { SubscriptionQueries } from '../../application/subscription/subscription-queries.js';
import { SubscriptionScheduler } from '../../application/subscription/subscription-scheduler.js';
import { AesWebhookSecretSealer } from '../feed/webhook-secret-sealer.js';
import { TOKENS } from '../tokens.js';
import { TELEMETRY, type Telemetry } from '../../application/ports/telemetry.js';
import type { Wiring } from './wiring.js';

export function bindRights(w: Wiring): void {
  const { container, stores, clock, logger, secrets } = w;
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
  container.bind(WebhookWorker).toConstantValue(
    new WebhookWorker({
      feed: stores.feed,
      sealer: webhookSealer,
      clock,
      logger,
      telemetry: container.get<Telemetry>(TELEMETRY),
    }),
  );
}
