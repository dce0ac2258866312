/**
 * Storage of the provider change feed (issue "Rights", change feed): the checkpoints of its process
 * managers, the per-provider event queues, the registered webhook endpoints and the webhook
 * delivery log. Kept apart from the read models on purpose: a projection rebuild drops and refills
 * read models from position 0, and nothing here may be re-sent because of that.
 *
 * All instants are passed in by the caller (from the Clock port); adapters never read a clock.
 */

/** One change as a provider sees it: public JSON only, never internal event data. */
export interface ProviderMessage {
  readonly providerId: string;
  /** Public, dotted type, e.g. `right.granted`. */
  readonly type: string;
  /** What the change is about, e.g. `{ sub, rightId }`. */
  readonly subject: Readonly<Record<string, string>>;
  /** Public JSON payload. */
  readonly data: unknown;
  /** ISO 8601 instant of the event. */
  readonly occurredAt: string;
  /** The log event this message was made from; consumers deduplicate by it. */
  readonly eventId: string;
  /** Global log position of that event; orders a provider's messages. */
  readonly position: number;
}

/** A message waiting in a provider's queue. */
export interface QueuedMessage extends ProviderMessage {
  readonly id: string;
  /** How many times the message has been leased (1 on its first delivery). */
  readonly deliveryCount: number;
}

export interface LeasedMessage extends QueuedMessage {
  /** Proof of this lease: acknowledging needs it. */
  readonly leaseId: string;
  /** ISO 8601 instant after which the message becomes visible again (redelivery). */
  readonly leaseExpiresAt: string;
}

/**
 * `stale_lease`: the message exists but the lease id is not its current one (it was leased again
 * after the lease ran out, possibly to another consumer).
 */
export type AckOutcome = 'acked' | 'not_found' | 'stale_lease';

export interface NewQueueEntry {
  readonly id: string;
  readonly message: ProviderMessage;
}

export interface WebhookEndpoint {
  readonly providerId: string;
  /** https, or http on a loopback host (development). */
  readonly url: string;
  /** The signing secret, sealed (see WebhookSecretSealer); never stored in clear. */
  readonly sealedSecret: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  readonly at: string;
  /** HTTP status of the answer; null when none arrived (network error, time-out). */
  readonly statusCode: number | null;
  /** Why the attempt failed; null on success. */
  readonly error: string | null;
  readonly durationMs: number;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly providerId: string;
  readonly message: ProviderMessage;
  readonly status: DeliveryStatus;
  /** Most recent last; at most MAX_LOGGED_ATTEMPTS are kept (attemptCount counts all). */
  readonly attempts: readonly DeliveryAttempt[];
  readonly attemptCount: number;
  /** When the next attempt is due (pending only). */
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  /** The delivery this one replays, or null (first delivery or a replay from a log position). */
  readonly replayOf: string | null;
}

/** Attempts kept per delivery in the log. */
export const MAX_LOGGED_ATTEMPTS = 50;

export interface NewDelivery {
  readonly id: string;
  readonly message: ProviderMessage;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
  /**
   * Original deliveries are unique per (provider, event): scheduling one again is a no-op, so a
   * process manager reprocessing a batch after a crash sends nothing twice. Replays set `replay`
   * and are always added.
   */
  readonly replay?: { readonly of: string | null };
}

export interface ClaimedDelivery {
  readonly delivery: WebhookDelivery;
  /** Proof of the claim: recording the attempt needs it, so a late worker cannot overwrite. */
  readonly claimId: string;
}

export interface AttemptRecord {
  readonly attempt: DeliveryAttempt;
  readonly status: DeliveryStatus;
  /** Required when status is pending. */
  readonly nextAttemptAt: string | null;
}

export interface DeliveryPage {
  readonly items: readonly WebhookDelivery[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  readonly nextCursor: string | null;
}

/** Where a process manager keeps its position in the log. */
export interface CheckpointStore {
  /** 0 when the checkpoint was never saved. */
  getCheckpoint(name: string): Promise<number>;
  /** Stores `position` unless the stored one is already at or past it (never moves backwards). */
  saveCheckpoint(name: string, position: number): Promise<void>;
}

export interface ProviderFeedStore extends CheckpointStore {
  /**
   * Appends messages to their providers' queues, visible at once. Idempotent per (provider, event):
   * an entry whose event is already queued for that provider, or was queued and acknowledged and
   * not yet purged (see purgeAcknowledged), is ignored, so a process manager reprocessing a batch
   * after a crash appends nothing twice. Returns how many were added.
   */
  enqueue(entries: readonly NewQueueEntry[], now: Date): Promise<number>;
  /**
   * Atomically leases up to `max` visible messages of one provider in log order: each becomes
   * invisible until `now + leaseMs`, gets a fresh lease id and one more delivery. Concurrent calls
   * never lease the same message twice while its lease runs.
   */
  lease(providerId: string, max: number, leaseMs: number, now: Date): Promise<LeasedMessage[]>;
  /**
   * Acknowledges (removes from the queue) a message leased under `leaseId`. A lease that ran out still acknowledges as long as
   * the message was not leased again; after that the old lease id is stale.
   */
  ack(providerId: string, messageId: string, leaseId: string): Promise<AckOutcome>;
  /**
   * Forgets acknowledged messages at or before `position`. An acknowledged message is kept as a
   * marker until the queue's process manager has checkpointed past its event, so that reprocessing
   * after a crash cannot queue it again; the process manager calls this after each checkpoint.
   */
  purgeAcknowledged(position: number): Promise<number>;
  /** Unacknowledged messages in a provider's queue, leased or not. */
  queueDepth(providerId: string): Promise<number>;
  /** Deletes unacknowledged messages enqueued before `before` (retention); returns how many. */
  pruneQueue(before: Date): Promise<number>;

  /** Creates or replaces a provider's endpoint. */
  putWebhook(endpoint: WebhookEndpoint): Promise<void>;
  getWebhook(providerId: string): Promise<WebhookEndpoint | null>;
  /** False when there was none. */
  deleteWebhook(providerId: string): Promise<boolean>;

  /** Adds deliveries (see NewDelivery for deduplication); returns how many were added. */
  scheduleDeliveries(deliveries: readonly NewDelivery[]): Promise<number>;
  /**
   * Atomically claims up to `limit` pending deliveries due at `now`, earliest first: their next
   * attempt moves to `now + claimMs`, so a worker that dies mid-send leaves them to be retried then.
   */
  claimDueDeliveries(now: Date, limit: number, claimMs: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt on a claimed delivery; false (nothing written) when the claim is not current. */
  recordAttempt(deliveryId: string, claimId: string, record: AttemptRecord): Promise<boolean>;
  /** A provider's deliveries, newest first. */
  listDeliveries(providerId: string, options: { limit: number; cursor?: string }): Promise<DeliveryPage>;
  /** The provider's deliveries among `ids` (others' are never returned). */
  getDeliveries(providerId: string, ids: readonly string[]): Promise<WebhookDelivery[]>;
  /** Deletes finished (delivered or failed) deliveries created before `before`; returns how many. */
  pruneDeliveries(before: Date): Promise<number>;

  close(): Promise<void>;
}

/** Seals webhook signing secrets so the store holds them only encrypted. */
export interface WebhookSecretSealer {
  /** `providerId` is bound to the sealed value, so sealed secrets cannot be swapped between providers. */
  seal(secret: string, providerId: string): string;
  open(sealed: string, providerId: string): string;
}

/** The cursor given to listDeliveries is not one it produced. */
export class InvalidDeliveryCursorError extends Error {
  constructor() {
    super('The deliveries cursor is not valid');
    this.name = 'InvalidDeliveryCursorError';
  }
}
