/**
 * The distributed ProviderFeedStore on MongoDB (collections `feed_checkpoints`, `feed_queue`,
 * `feed_webhooks`, `feed_deliveries`). Atomicity comes from single-document operations: a lease or
 * a claim takes one document at a time with findOneAndUpdate on a filter that only matches it while
 * it is free, so concurrent workers never take the same one; deduplication comes from unique
 * indexes. Instants used in comparisons are stored as epoch milliseconds.
 */
import { randomUUID } from 'node:crypto';
import { type Collection, type Db, MongoBulkWriteError, type MongoClient, MongoServerError } from 'mongodb';
import {
  type AckOutcome,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryAttempt,
  type DeliveryPage,
  type DeliveryStatus,
  InvalidDeliveryCursorError,
  type LeasedMessage,
  MAX_LOGGED_ATTEMPTS,
  type NewDelivery,
  type NewQueueEntry,
  type ProviderFeedStore,
  type ProviderMessage,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../../application/ports/provider-feed-store.js';
import { connectMongo } from '../mongo/connect.js';
import { assertPositive, decodeDeliveryCursor, dedupeKey, encodeDeliveryCursor } from './feed-keys.js';

interface CheckpointDoc {
  _id: string;
  position: number;
}

export interface QueueDoc {
  _id: string;
  providerId: string;
  eventId: string;
  position: number;
  message: ProviderMessage;
  enqueuedAt: number;
  visibleAt: number;
  leaseId: string | null;
  deliveryCount: number;
  acked: boolean;
}

interface WebhookDoc {
  _id: string;
  url: string;
  sealedSecret: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryDoc {
  _id: string;
  providerId: string;
  dedupeKey: string;
  message: ProviderMessage;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  attemptCount: number;
  nextAttemptAt: number | null;
  claimId: string | null;
  createdAt: number;
  deliveredAt: number | null;
  replayOf: string | null;
}

const DUPLICATE_KEY = 11000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toDelivery(doc: DeliveryDoc): WebhookDelivery {
  return {
    id: doc._id,
    providerId: doc.providerId,
    message: doc.message,
    status: doc.status,
    attempts: doc.attempts,
    attemptCount: doc.attemptCount,
    nextAttemptAt: doc.status === 'pending' ? iso(doc.nextAttemptAt) : null,
    createdAt: new Date(doc.createdAt).toISOString(),
    deliveredAt: iso(doc.deliveredAt),
    replayOf: doc.replayOf,
  };
}

export function toQueueDoc(entry: NewQueueEntry, now: Date): QueueDoc {
  const { message } = entry;
  return {
    _id: entry.id,
    providerId: message.providerId,
    eventId: message.eventId,
    position: message.position,
    message,
    enqueuedAt: now.getTime(),
    visibleAt: now.getTime(),
    leaseId: null,
    deliveryCount: 0,
    acked: false,
  };
}

export function toDeliveryDoc(delivery: NewDelivery): DeliveryDoc {
  return {
    _id: delivery.id,
    providerId: delivery.message.providerId,
    dedupeKey: dedupeKey(delivery),
    message: delivery.message,
    status: 'pending',
    attempts: [],
    attemptCount: 0,
    nextAttemptAt: Date.parse(delivery.nextAttemptAt),
    claimId: null,
    createdAt: Date.parse(delivery.createdAt),
    deliveredAt: null,
    replayOf: delivery.replay?.of ?? null,
  };
}

/** The update recording one attempt (the attempt list keeps the last MAX_LOGGED_ATTEMPTS). */
export function attemptUpdate(record: AttemptRecord) {
  return {
    $push: { attempts: { $each: [record.attempt], $slice: -MAX_LOGGED_ATTEMPTS } },
    $inc: { attemptCount: 1 },
    $set: {
      status: record.status,
      nextAttemptAt: record.nextAttemptAt === null ? null : Date.parse(record.nextAttemptAt),
      deliveredAt: record.status === 'delivered' ? Date.parse(record.attempt.at) : null,
      claimId: null,
    },
  };
}

/** The filter of a newest-first delivery-log page starting after `cursor`. */
export function deliveryPageFilter(providerId: string, cursor: string | undefined) {
  if (cursor === undefined) return { providerId };
  const from = decodeDeliveryCursor(cursor);
  if (!from) throw new InvalidDeliveryCursorError();
  return {
    providerId,
    $or: [{ createdAt: { $lt: from.createdAt } }, { createdAt: from.createdAt, _id: { $lt: from.id } }],
  };
}

/** insertMany that treats duplicate-key refusals as "already there"; returns how many were inserted. */
async function insertIgnoringDuplicates<T extends { _id: string }>(
  collection: Collection<T>,
  docs: T[],
): Promise<number> {
  if (docs.length === 0) return 0;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- OptionalUnlessRequiredId<T> for a generic T
    const result = await collection.insertMany(docs as any[], { ordered: false });
    return result.insertedCount;
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
    return err.insertedCount;
  }
}

export class MongoProviderFeedStore implements ProviderFeedStore {
  private readonly checkpoints: Collection<CheckpointDoc>;
  private readonly queue: Collection<QueueDoc>;
  private readonly webhooks: Collection<WebhookDoc>;
  private readonly deliveries: Collection<DeliveryDoc>;

  private constructor(
    db: Db,
    private readonly ownedClient: MongoClient | null,
  ) {
    this.checkpoints = db.collection<CheckpointDoc>('feed_checkpoints');
    this.queue = db.collection<QueueDoc>('feed_queue');
    this.webhooks = db.collection<WebhookDoc>('feed_webhooks');
    this.deliveries = db.collection<DeliveryDoc>('feed_deliveries');
  }

  /** On a database whose client the caller owns; creates the indexes. */
  static async open(db: Db): Promise<MongoProviderFeedStore> {
    const store = new MongoProviderFeedStore(db, null);
    await store.createIndexes();
    return store;
  }

  /** Connects its own client (closed by close()). */
  static async connect(options: { url: string; dbName?: string }): Promise<MongoProviderFeedStore> {
    const { client, db } = await connectMongo(options);
    try {
      const store = new MongoProviderFeedStore(db, client);
      await store.createIndexes();
      return store;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  private async createIndexes(): Promise<void> {
    await this.queue.createIndexes([
      { key: { providerId: 1, eventId: 1 }, unique: true, name: 'provider_event' },
      { key: { providerId: 1, acked: 1, position: 1 }, name: 'next' },
      { key: { acked: 1, position: 1 }, name: 'acked' },
      { key: { enqueuedAt: 1 }, name: 'age' },
    ]);
    await this.deliveries.createIndexes([
      { key: { dedupeKey: 1 }, unique: true, name: 'dedupe' },
      { key: { status: 1, nextAttemptAt: 1 }, name: 'due' },
      { key: { providerId: 1, createdAt: -1, _id: -1 }, name: 'log' },
    ]);
  }

  async getCheckpoint(name: string): Promise<number> {
    return (await this.checkpoints.findOne({ _id: name }))?.position ?? 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    const save = () => this.checkpoints.updateOne({ _id: name }, { $max: { position } }, { upsert: true });
    try {
      await save();
    } catch (err) {
      // Two first saves raced on the upsert; the document exists now, so the retry updates it.
      if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      await save();
    }
  }

  async enqueue(entries: readonly NewQueueEntry[], now: Date): Promise<number> {
    return insertIgnoringDuplicates(
      this.queue,
      entries.map((e) => toQueueDoc(e, now)),
    );
  }

  async lease(providerId: string, max: number, leaseMs: number, now: Date): Promise<LeasedMessage[]> {
    assertPositive(leaseMs, 'leaseMs');
    const until = now.getTime() + leaseMs;
    const leased: LeasedMessage[] = [];
    while (leased.length < max) {
      const leaseId = randomUUID();
      const doc = await this.queue.findOneAndUpdate(
        { providerId, acked: false, visibleAt: { $lte: now.getTime() } },
        { $set: { leaseId, visibleAt: until }, $inc: { deliveryCount: 1 } },
        { sort: { position: 1, _id: 1 }, returnDocument: 'after' },
      );
      if (!doc) break;
      leased.push({
        ...doc.message,
        id: doc._id,
        deliveryCount: doc.deliveryCount,
        leaseId,
        leaseExpiresAt: new Date(until).toISOString(),
      });
    }
    return leased;
  }

  async ack(providerId: string, messageId: string, leaseId: string): Promise<AckOutcome> {
    const result = await this.queue.updateOne(
      { _id: messageId, providerId, acked: false, leaseId },
      { $set: { acked: true } },
    );
    if (result.modifiedCount === 1) return 'acked';
    const doc = await this.queue.findOne({ _id: messageId, providerId }, { projection: { leaseId: 1 } });
    if (!doc) return 'not_found';
    return doc.leaseId === leaseId ? 'acked' : 'stale_lease';
  }

  async purgeAcknowledged(position: number): Promise<number> {
    return (await this.queue.deleteMany({ acked: true, position: { $lte: position } })).deletedCount;
  }

  async queueDepth(providerId: string): Promise<number> {
    return this.queue.countDocuments({ providerId, acked: false });
  }

  async pruneQueue(before: Date): Promise<number> {
    return (await this.queue.deleteMany({ enqueuedAt: { $lt: before.getTime() } })).deletedCount;
  }

  async putWebhook(endpoint: WebhookEndpoint): Promise<void> {
    const { providerId, ...rest } = endpoint;
    await this.webhooks.replaceOne({ _id: providerId }, rest, { upsert: true });
  }

  async getWebhook(providerId: string): Promise<WebhookEndpoint | null> {
    const doc = await this.webhooks.findOne({ _id: providerId });
    if (!doc) return null;
    return {
      providerId: doc._id,
      url: doc.url,
      sealedSecret: doc.sealedSecret,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    };
  }

  async deleteWebhook(providerId: string): Promise<boolean> {
    return (await this.webhooks.deleteOne({ _id: providerId })).deletedCount === 1;
  }

  async scheduleDeliveries(deliveries: readonly NewDelivery[]): Promise<number> {
    return insertIgnoringDuplicates(this.deliveries, deliveries.map(toDeliveryDoc));
  }

  async claimDueDeliveries(now: Date, limit: number, claimMs: number): Promise<ClaimedDelivery[]> {
    assertPositive(claimMs, 'claimMs');
    const claimed: ClaimedDelivery[] = [];
    while (claimed.length < limit) {
      const claimId = randomUUID();
      const doc = await this.deliveries.findOneAndUpdate(
        { status: 'pending', nextAttemptAt: { $lte: now.getTime() } },
        { $set: { nextAttemptAt: now.getTime() + claimMs, claimId } },
        { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'before' },
      );
      if (!doc) break;
      claimed.push({ delivery: toDelivery(doc), claimId });
    }
    return claimed;
  }

  async recordAttempt(deliveryId: string, claimId: string, record: AttemptRecord): Promise<boolean> {
    const result = await this.deliveries.updateOne(
      { _id: deliveryId, claimId, status: 'pending' },
      attemptUpdate(record),
    );
    return result.modifiedCount === 1;
  }

  async listDeliveries(
    providerId: string,
    options: { limit: number; cursor?: string },
  ): Promise<DeliveryPage> {
    const docs = await this.deliveries
      .find(deliveryPageFilter(providerId, options.cursor))
      .sort({ createdAt: -1, _id: -1 })
      .limit(options.limit + 1)
      .toArray();
    const items = docs.slice(0, options.limit).map(toDelivery);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: docs.length > options.limit && last ? encodeDeliveryCursor(last.createdAt, last.id) : null,
    };
  }

  async getDeliveries(providerId: string, ids: readonly string[]): Promise<WebhookDelivery[]> {
    if (ids.length === 0) return [];
    const docs = await this.deliveries.find({ _id: { $in: [...ids] }, providerId }).toArray();
    const byId = new Map(docs.map((d) => [d._id, d]));
    return ids.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [toDelivery(doc)] : [];
    });
  }

  async pruneDeliveries(before: Date): Promise<number> {
    const result = await this.deliveries.deleteMany({
      status: { $in: ['delivered', 'failed'] },
      createdAt: { $lt: before.getTime() },
    });
    return result.deletedCount;
  }

  async close(): Promise<void> {
    await this.ownedClient?.close();
  }
}
