/**
 * A provider's event queue (pull delivery): lease the next messages, then acknowledge each one.
 * A message not acknowledged before its lease ends becomes visible again and is delivered once
 * more with a higher delivery count: delivery is at least once, so consumers deduplicate by
 * `eventId`. Messages come in log order per provider; a redelivered message keeps its place.
 */
import { DomainError } from '../../domain/kernel/decider.js';
import type { Clock } from '../ports/clock.js';
import type { LeasedMessage, ProviderFeedStore } from '../ports/provider-feed-store.js';

export const QUEUE_LIMITS = {
  defaultMax: 10,
  maxMax: 100,
  defaultLeaseSeconds: 30,
  minLeaseSeconds: 1,
  /** 12 hours. */
  maxLeaseSeconds: 43_200,
} as const;

/**
 * How long an unacknowledged message waits in a queue before it is dropped: 14 days. Without a
 * bound, a provider that never consumes would make its queue grow for ever; providers that need
 * older history use webhook replay from a log position.
 */
export const QUEUE_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

export interface NextOptions {
  readonly max?: number;
  readonly leaseSeconds?: number;
}

export class EventQueue {
  constructor(
    private readonly feed: ProviderFeedStore,
    private readonly clock: Clock,
  ) {}

  /** Leases up to `max` messages of the provider for `leaseSeconds`. */
  async next(providerId: string, options: NextOptions = {}): Promise<LeasedMessage[]> {
    const max = options.max ?? QUEUE_LIMITS.defaultMax;
    const leaseSeconds = options.leaseSeconds ?? QUEUE_LIMITS.defaultLeaseSeconds;
    if (!Number.isInteger(max) || max < 1 || max > QUEUE_LIMITS.maxMax) {
      throw new DomainError(
        'invalid',
        'invalid_max',
        `max must be an integer from 1 to ${QUEUE_LIMITS.maxMax}`,
        'max',
      );
    }
    if (
      !Number.isInteger(leaseSeconds) ||
      leaseSeconds < QUEUE_LIMITS.minLeaseSeconds ||
      leaseSeconds > QUEUE_LIMITS.maxLeaseSeconds
    ) {
      throw new DomainError(
        'invalid',
        'invalid_lease',
        `leaseSeconds must be an integer from ${QUEUE_LIMITS.minLeaseSeconds} to ${QUEUE_LIMITS.maxLeaseSeconds}`,
        'leaseSeconds',
      );
    }
    return this.feed.lease(providerId, max, leaseSeconds * 1000, this.clock.now());
  }

  /**
   * Acknowledges a leased message. Another provider's message is "not found", never a leak; a lease
   * superseded by a redelivery is a conflict (the message is being handled again elsewhere).
   */
  async ack(providerId: string, messageId: string, leaseId: string): Promise<void> {
    const outcome = await this.feed.ack(providerId, messageId, leaseId);
    if (outcome === 'not_found') {
      throw new DomainError('not_found', 'message_not_found', 'There is no such message in your queue.');
    }
    if (outcome === 'stale_lease') {
      throw new DomainError(
        'conflict',
        'stale_lease',
        'This lease has ended and the message was delivered again; acknowledge it with the newer lease.',
      );
    }
  }

  /** Drops messages older than the retention period; returns how many. */
  prune(): Promise<number> {
    return this.feed.pruneQueue(new Date(this.clock.now().getTime() - QUEUE_RETENTION_MS));
  }
}
