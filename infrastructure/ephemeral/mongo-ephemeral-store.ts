/**
 * EphemeralStore on MongoDB (distributed mode): one `ephemeral` collection for all namespaces.
 *
 * Expiry is decided by the store's clock at query time (`expiresAt > now` in every read), because
 * MongoDB's TTL monitor deletes expired documents only about once a minute. The TTL index on
 * `expiresAt` is housekeeping; purgeExpired() does the same on demand.
 *
 * Values are kept as JSON text (so they read back exactly as the SQLite adapter returns them, with
 * no BSON conversion of dates or field names), except finite numbers, which are stored as BSON
 * numbers so increment() can add to them on the server. Tags are stored as an array of
 * `JSON.stringify([tag, value])` strings under one multikey index, so any tag name is indexed.
 */
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import type { Clock } from '../../application/ports/clock.js';
import type {
  EphemeralEntry,
  EphemeralSetOptions,
  EphemeralStore,
} from '../../application/ports/ephemeral-store.js';
import { SystemClock } from '../clock.js';
import { connectMongo } from '../mongo/connect.js';

export const EPHEMERAL_COLLECTION = 'ephemeral';
const MAX_NAME_LENGTH = 512;

/** A stored entry. `value` is JSON text, or a number for counters and numeric values. */
export interface StoredEntry {
  _id: string;
  namespace: string;
  key: string;
  value: string | number;
  expiresAt: Date;
  consumedAt: Date | null;
  tags: string[];
}

export interface MongoEphemeralStoreOptions {
  readonly clock?: Clock;
  /**
   * Create the TTL index (default true). The server's TTL monitor expires documents by its own
   * wall clock, so it is turned off when the store runs on a clock that is not wall time (tests).
   */
  readonly ttlIndex?: boolean;
}

/** Document id of an entry; JSON so no namespace/key pair can collide with another. */
export function entryId(namespace: string, key: string): string {
  return JSON.stringify([namespace, key]);
}

/** The indexed form of one tag. */
export function tagKey(tag: string, value: string): string {
  return JSON.stringify([tag, value]);
}

export function assertName(what: 'namespace' | 'key' | 'tag', value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new TypeError(
      `Ephemeral ${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
}

export function assertTtl(ttlSeconds: unknown): asserts ttlSeconds is number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive finite number, got ${String(ttlSeconds)}`);
  }
}

/** The stored form of a value, see the module comment. */
export function encodeValue(value: unknown): string | number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('An ephemeral value must be JSON-serialisable');
  return json;
}

/** Expiry instant: whole milliseconds, at least one after now (as the SQLite adapter rounds). */
export function expiryAfter(now: Date, ttlSeconds: number): Date {
  return new Date(now.getTime() + Math.max(1, Math.round(ttlSeconds * 1000)));
}

function assertTagValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError('A tag value must be a string');
}

export function decodeValue(stored: unknown): unknown {
  if (typeof stored === 'number') return stored;
  return typeof stored === 'string' ? (JSON.parse(stored) as unknown) : null;
}

export function toEntry<T>(doc: StoredEntry): EphemeralEntry<T> {
  return {
    key: doc.key,
    value: decodeValue(doc.value) as T,
    expiresAt: doc.expiresAt.getTime(),
    consumedAt: doc.consumedAt === null ? null : doc.consumedAt.getTime(),
  };
}

/**
 * The update pipeline of increment(): a live numeric entry gets `by` added and keeps its expiry
 * (and tags, and consumedAt); anything else (missing, expired, or holding a non-number value)
 * restarts as a fresh counter at `by` that expires at `expiresAt`. Values go through `$literal`
 * so strings starting with `$` are not read as field paths.
 */
export function incrementPipeline(
  namespace: string,
  key: string,
  by: number,
  now: Date,
  expiresAt: Date,
): Document[] {
  const counting = { $and: [{ $gt: ['$expiresAt', now] }, { $isNumber: '$value' }] };
  const fresh = {
    _id: entryId(namespace, key),
    namespace,
    key,
    value: by,
    expiresAt,
    consumedAt: null,
    tags: [],
  };
  const added = { $mergeObjects: ['$$ROOT', { value: { $add: ['$value', { $literal: by }] } }] };
  return [{ $replaceWith: { $cond: [counting, added, { $literal: fresh }] } }];
}

function isDuplicateKey(error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as { code?: unknown }).code === 11000;
}

export class MongoEphemeralStore implements EphemeralStore {
  private readonly entries: Collection<StoredEntry>;
  private readonly clock: Clock;

  private constructor(
    db: Db,
    options: MongoEphemeralStoreOptions,
    private readonly ownedClient: MongoClient | null,
  ) {
    this.entries = db.collection<StoredEntry>(EPHEMERAL_COLLECTION);
    this.clock = options.clock ?? new SystemClock();
  }

  /** Connects to `url`; the database is `dbName`, else the URL's path, else `tessera`. */
  static async connect(
    options: { url: string; dbName?: string; clock?: Clock } & MongoEphemeralStoreOptions,
  ): Promise<MongoEphemeralStore> {
    const { client, db } = await connectMongo(options);
    try {
      return await MongoEphemeralStore.open(db, options, client);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /**
   * A store on an already connected database; `ownedClient`, when given, is closed by close().
   * Creates the indexes if missing.
   */
  static async open(
    db: Db,
    options: MongoEphemeralStoreOptions = {},
    ownedClient: MongoClient | null = null,
  ): Promise<MongoEphemeralStore> {
    const store = new MongoEphemeralStore(db, options, ownedClient);
    await store.entries.createIndex({ namespace: 1, tags: 1 }, { name: 'namespace_tags' });
    if (options.ttlIndex !== false) {
      await store.entries.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });
    }
    return store;
  }

  async set(namespace: string, key: string, value: unknown, options: EphemeralSetOptions): Promise<void> {
    assertName('namespace', namespace);
    assertName('key', key);
    assertTtl(options.ttlSeconds);
    const tags = Object.entries(options.tags ?? {}).map(([tag, tagValue]) => {
      assertName('tag', tag);
      assertTagValue(tagValue);
      return tagKey(tag, tagValue);
    });
    const stored = encodeValue(value);
    const now = this.clock.now();
    await this.entries.replaceOne(
      { _id: entryId(namespace, key) },
      {
        namespace,
        key,
        value: stored,
        expiresAt: expiryAfter(now, options.ttlSeconds),
        consumedAt: null,
        tags,
      },
      { upsert: true },
    );
  }

  async get<T = unknown>(namespace: string, key: string): Promise<EphemeralEntry<T> | null> {
    assertName('namespace', namespace);
    assertName('key', key);
    const doc = await this.entries.findOne({
      _id: entryId(namespace, key),
      expiresAt: { $gt: this.clock.now() },
    });
    return doc === null ? null : toEntry<T>(doc);
  }

  async findByTag<T = unknown>(namespace: string, tag: string, value: string): Promise<EphemeralEntry<T>[]> {
    assertName('namespace', namespace);
    assertName('tag', tag);
    assertTagValue(value);
    const docs = await this.entries
      .find({ namespace, tags: tagKey(tag, value), expiresAt: { $gt: this.clock.now() } })
      .sort({ key: 1 })
      .toArray();
    return docs.map((doc) => toEntry<T>(doc));
  }

  /** Removes the entry, expired or not; true only when a live entry was removed. */
  async delete(namespace: string, key: string): Promise<boolean> {
    assertName('namespace', namespace);
    assertName('key', key);
    const removed = await this.entries.findOneAndDelete({ _id: entryId(namespace, key) });
    return removed !== null && removed.expiresAt.getTime() > this.clock.now().getTime();
  }

  /** Removes every entry with the tag, expired or not; counts the live ones. */
  async deleteByTag(namespace: string, tag: string, value: string): Promise<number> {
    assertName('namespace', namespace);
    assertName('tag', tag);
    assertTagValue(value);
    const tagged = { namespace, tags: tagKey(tag, value) };
    const live = await this.entries.deleteMany({ ...tagged, expiresAt: { $gt: this.clock.now() } });
    await this.entries.deleteMany(tagged);
    return live.deletedCount;
  }

  async consume(namespace: string, key: string): Promise<boolean> {
    assertName('namespace', namespace);
    assertName('key', key);
    const now = this.clock.now();
    // One document update is atomic: of concurrent callers only one still finds consumedAt null.
    const result = await this.entries.updateOne(
      { _id: entryId(namespace, key), consumedAt: null, expiresAt: { $gt: now } },
      { $set: { consumedAt: now } },
    );
    return result.modifiedCount === 1;
  }

  async increment(namespace: string, key: string, ttlSeconds: number, by = 1): Promise<number> {
    assertName('namespace', namespace);
    assertName('key', key);
    assertTtl(ttlSeconds);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new RangeError(`increment by must be a finite number, got ${String(by)}`);
    }
    const now = this.clock.now();
    const pipeline = incrementPipeline(namespace, key, by, now, expiryAfter(now, ttlSeconds));
    const run = () =>
      this.entries.findOneAndUpdate({ _id: entryId(namespace, key) }, pipeline, {
        upsert: true,
        returnDocument: 'after',
      });
    let doc: StoredEntry | null;
    try {
      doc = await run();
    } catch (error) {
      // Two first increments racing to insert: the loser retries and finds the winner's counter.
      if (!isDuplicateKey(error)) throw error;
      doc = await run();
    }
    if (doc === null || typeof doc.value !== 'number') {
      throw new Error(`increment of ${namespace}/${key} did not return a counter`);
    }
    return doc.value;
  }

  async purgeExpired(): Promise<number> {
    const result = await this.entries.deleteMany({ expiresAt: { $lte: this.clock.now() } });
    return result.deletedCount;
  }

  async close(): Promise<void> {
    await this.ownedClient?.close();
  }
}
