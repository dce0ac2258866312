/**
 * The change feed's two process managers (issue "Rights", change feed): one appends every mapped
 * change to its provider's event queue, the other schedules a webhook delivery for providers with
 * a registered endpoint. Each has its own checkpoint, so one falling behind (or failing) never holds
 * up the other, and neither is touched by a projection rebuild.
 */
import type { RecordedEvent } from '../../domain/kernel/event.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/event-store.js';
import type { Logger } from '../ports/logger.js';
import type { NewDelivery, ProviderFeedStore, ProviderMessage } from '../ports/provider-feed-store.js';
import type { FeedSource } from './feed-mapper.js';
import { ProcessManager } from './process-manager.js';

export const QUEUE_CHECKPOINT = 'provider-feed:queue';
export const WEBHOOK_CHECKPOINT = 'provider-feed:webhooks';

export interface ProviderFeedOptions {
  readonly store: EventStore;
  readonly feed: ProviderFeedStore;
  readonly source: FeedSource;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly batchSize?: number;
  readonly retryDelayMs?: number;
  /** Least time between checkpoint writes while nobody waits (see ProcessManagerOptions). */
  readonly checkpointIntervalMs?: number;
}

/** Maps a batch, in log order, dropping events providers are not told about. */
export async function mapBatch(
  source: FeedSource,
  events: readonly RecordedEvent[],
): Promise<ProviderMessage[]> {
  const messages: ProviderMessage[] = [];
  for (const event of events) {
    const message = await source.mapper(event);
    if (message) messages.push(message);
  }
  return messages;
}

export class ProviderFeed {
  readonly queue: ProcessManager;
  readonly webhooks: ProcessManager;

  constructor(options: ProviderFeedOptions) {
    const { feed, source, clock } = options;
    const common = {
      store: options.store,
      checkpoints: feed,
      ...(source.filter ? { filter: source.filter } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.checkpointIntervalMs !== undefined
        ? { checkpointIntervalMs: options.checkpointIntervalMs }
        : {}),
    };
    this.queue = new ProcessManager({
      ...common,
      name: QUEUE_CHECKPOINT,
      handle: async (events) => {
        const messages = await mapBatch(source, events);
        if (messages.length > 0) {
          await feed.enqueue(
            messages.map((message) => ({ id: newId(), message })),
            clock.now(),
          );
        }
      },
      afterCheckpoint: async (position) => {
        await feed.purgeAcknowledged(position);
      },
    });
    this.webhooks = new ProcessManager({
      ...common,
      name: WEBHOOK_CHECKPOINT,
      handle: async (events) => {
        const messages = await mapBatch(source, events);
        if (messages.length === 0) return;
        const registered = new Map<string, boolean>();
        const deliveries: NewDelivery[] = [];
        const now = clock.now().toISOString();
        for (const message of messages) {
          let has = registered.get(message.providerId);
          if (has === undefined) {
            has = (await feed.getWebhook(message.providerId)) !== null;
            registered.set(message.providerId, has);
          }
          if (has) deliveries.push({ id: newId(), message, createdAt: now, nextAttemptAt: now });
        }
        if (deliveries.length > 0) await feed.scheduleDeliveries(deliveries);
      },
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.queue.start(), this.webhooks.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.queue.stop(), this.webhooks.stop()]);
  }

  /** Resolves true once both process managers have handled everything up to `position`. */
  async waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    const [a, b] = await Promise.all([
      this.queue.waitFor(position, timeoutMs),
      this.webhooks.waitFor(position, timeoutMs),
    ]);
    return a && b;
  }
}
