/**
 * The embedded EphemeralStore: short-lived entries (OIDC codes, sessions, one-time codes, attempt
 * counters) in a SQLite file.
 *
 * Expiry is decided by comparing `expires_at` with the injected clock at every read, so an expired
 * entry is invisible the moment its time passes, whether or not it has been purged yet; the purge
 * timer only reclaims space. consume() and increment() are single SQL statements, so they stay
 * atomic even with several processes on one file. The file uses WAL with synchronous=NORMAL: every
 * commit survives a crash of the process (a consumed authorization code stays consumed), and only an
 * OS crash or power loss can drop the last commits — entries that live minutes, whose loss signs a
 * user out or voids a token. FULL would cost one fsync per token issued.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../../application/ports/clock.js';
import type {
  EphemeralEntry,
  EphemeralSetOptions,
  EphemeralStore,
} from '../../application/ports/ephemeral-store.js';
import { SystemClock } from '../clock.js';
import { openSqlite } from '../sqlite/open.js';

const MAX_NAME_LENGTH = 512;
const DEFAULT_PURGE_INTERVAL_MS = 60_000;
/** Purge deletes in batches so a large backlog never holds the write lock for long. */
const PURGE_BATCH = 5_000;

export interface SqliteEphemeralStoreOptions {
  readonly file: string;
  readonly clock?: Clock;
  /** How often expired entries are deleted in the background; 0 disables the timer. Default 60 s. */
  readonly purgeIntervalMs?: number;
}

interface EntryRow {
  key: string;
  value: string;
  expires_at: number;
  consumed_at: number | null;
}

export class SqliteEphemeralStore implements EphemeralStore {
  private readonly timer: NodeJS.Timeout | null;
  private readonly stmts;
  private readonly setTx: (
    ns: string,
    key: string,
    value: string,
    expiresAt: number,
    tags: [string, string][],
  ) => void;
  private readonly deleteTx: (ns: string, key: string, now: number) => boolean;
  private readonly deleteByTagTx: (ns: string, tag: string, value: string, now: number) => number;
  private readonly purgeBatchTx: (now: number) => number;

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    purgeIntervalMs: number,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ephemeral_entries (
        namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        expires_at INTEGER NOT NULL, consumed_at INTEGER,
        PRIMARY KEY (namespace, key)
      );
      CREATE INDEX IF NOT EXISTS ephemeral_entries_expiry ON ephemeral_entries (expires_at);
      CREATE TABLE IF NOT EXISTS ephemeral_tags (
        namespace TEXT NOT NULL, tag TEXT NOT NULL, value TEXT NOT NULL, key TEXT NOT NULL,
        PRIMARY KEY (namespace, tag, value, key)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ephemeral_tags_entry ON ephemeral_tags (namespace, key);
    `);
    const columns = 'e.key, e.value, e.expires_at, e.consumed_at';
    const restart = `(expires_at <= :now OR json_type(value) NOT IN ('integer', 'real'))`;
    this.stmts = {
      upsert: db.prepare<[string, string, string, number]>(
        `INSERT INTO ephemeral_entries (namespace, key, value, expires_at, consumed_at) VALUES (?, ?, ?, ?, NULL)
         ON CONFLICT (namespace, key) DO UPDATE
         SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL`,
      ),
      insertTag: db.prepare<[string, string, string, string]>(
        'INSERT OR IGNORE INTO ephemeral_tags (namespace, tag, value, key) VALUES (?, ?, ?, ?)',
      ),
      deleteTags: db.prepare<[string, string]>('DELETE FROM ephemeral_tags WHERE namespace = ? AND key = ?'),
      get: db.prepare<[string, string, number], EntryRow>(
        `SELECT ${columns} FROM ephemeral_entries e WHERE e.namespace = ? AND e.key = ? AND e.expires_at > ?`,
      ),
      findByTag: db.prepare<[string, string, string, number], EntryRow>(
        `SELECT ${columns} FROM ephemeral_tags t
         JOIN ephemeral_entries e ON e.namespace = t.namespace AND e.key = t.key
         WHERE t.namespace = ? AND t.tag = ? AND t.value = ? AND e.expires_at > ?
         ORDER BY e.key`,
      ),
      keysByTag: db
        .prepare<[string, string, string], string>(
          'SELECT key FROM ephemeral_tags WHERE namespace = ? AND tag = ? AND value = ?',
        )
        .pluck(),
      remove: db.prepare<[string, string]>('DELETE FROM ephemeral_entries WHERE namespace = ? AND key = ?'),
      isLive: db
        .prepare<[string, string, number], number>(
          'SELECT 1 FROM ephemeral_entries WHERE namespace = ? AND key = ? AND expires_at > ?',
        )
        .pluck(),
      consume: db.prepare<[number, string, string, number]>(
        `UPDATE ephemeral_entries SET consumed_at = ?
         WHERE namespace = ? AND key = ? AND consumed_at IS NULL AND expires_at > ?`,
      ),
      // A live counter is incremented and keeps its expiry. An expired entry, or one holding
      // something other than a number, restarts from `by` with a fresh expiry.
      increment: db
        .prepare<{ ns: string; key: string; by: number; now: number; expiresAt: number }, string>(
          `INSERT INTO ephemeral_entries (namespace, key, value, expires_at, consumed_at)
         VALUES (:ns, :key, :by, :expiresAt, NULL)
         ON CONFLICT (namespace, key) DO UPDATE SET
           value = CASE WHEN ${restart} THEN excluded.value ELSE value + :by END,
           consumed_at = CASE WHEN ${restart} THEN NULL ELSE consumed_at END,
           expires_at = CASE WHEN ${restart} THEN excluded.expires_at ELSE expires_at END
         RETURNING value`,
        )
        .pluck(),
      // The batch size is written in: a bound `LIMIT ?` makes SQLite compile the statement again
      // on every run (its planner looks at the bound value).
      expiredBatch: db.prepare<[number], { namespace: string; key: string }>(
        `SELECT namespace, key FROM ephemeral_entries WHERE expires_at <= ? LIMIT ${PURGE_BATCH}`,
      ),
    };

    const { upsert, insertTag, deleteTags, remove, isLive, keysByTag, expiredBatch } = this.stmts;
    this.setTx = db.transaction((ns, key, value, expiresAt, tags) => {
      upsert.run(ns, key, value, expiresAt);
      deleteTags.run(ns, key);
      for (const [tag, tagValue] of tags) insertTag.run(ns, tag, tagValue, key);
    });
    this.deleteTx = db.transaction((ns, key, now) => {
      const live = isLive.get(ns, key, now) !== undefined;
      deleteTags.run(ns, key);
      remove.run(ns, key);
      return live;
    });
    this.deleteByTagTx = db.transaction((ns, tag, value, now) => {
      let live = 0;
      for (const key of keysByTag.all(ns, tag, value)) {
        if (isLive.get(ns, key, now) !== undefined) live += 1;
        deleteTags.run(ns, key);
        remove.run(ns, key);
      }
      return live;
    });
    this.purgeBatchTx = db.transaction((now) => {
      const expired = expiredBatch.all(now);
      for (const { namespace, key } of expired) {
        deleteTags.run(namespace, key);
        remove.run(namespace, key);
      }
      return expired.length;
    });

    this.timer =
      purgeIntervalMs > 0
        ? setInterval(() => {
            this.purgeNow();
          }, purgeIntervalMs).unref()
        : null;
  }

  /** Opens (creating if needed) the database file; its directory is created too. */
  static open(options: SqliteEphemeralStoreOptions): SqliteEphemeralStore {
    const interval = options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError(`purgeIntervalMs must be a non-negative number of milliseconds, got ${interval}`);
    }
    return openSqlite(
      options.file,
      (db) => new SqliteEphemeralStore(db, options.clock ?? new SystemClock(), interval),
      { synchronous: 'NORMAL' },
    );
  }

  async set(namespace: string, key: string, value: unknown, options: EphemeralSetOptions): Promise<void> {
    checkName('namespace', namespace);
    checkName('key', key);
    const expiresAt = this.expiry(options?.ttlSeconds);
    const tags = Object.entries(options.tags ?? {});
    for (const [tag, tagValue] of tags) {
      checkName('tag name', tag);
      if (typeof tagValue !== 'string') throw new TypeError(`Tag ${tag} must have a string value`);
    }
    this.setTx(namespace, key, serialize(value), expiresAt, tags);
  }

  async get<T = unknown>(namespace: string, key: string): Promise<EphemeralEntry<T> | null> {
    checkName('namespace', namespace);
    checkName('key', key);
    const row = this.stmts.get.get(namespace, key, this.now());
    return row === undefined ? null : toEntry<T>(row);
  }

  async findByTag<T = unknown>(namespace: string, tag: string, value: string): Promise<EphemeralEntry<T>[]> {
    checkName('namespace', namespace);
    checkName('tag name', tag);
    if (typeof value !== 'string') throw new TypeError('A tag value must be a string');
    return this.stmts.findByTag.all(namespace, tag, value, this.now()).map((row) => toEntry<T>(row));
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    checkName('namespace', namespace);
    checkName('key', key);
    return this.deleteTx(namespace, key, this.now());
  }

  async deleteByTag(namespace: string, tag: string, value: string): Promise<number> {
    checkName('namespace', namespace);
    checkName('tag name', tag);
    if (typeof value !== 'string') throw new TypeError('A tag value must be a string');
    return this.deleteByTagTx(namespace, tag, value, this.now());
  }

  async consume(namespace: string, key: string): Promise<boolean> {
    checkName('namespace', namespace);
    checkName('key', key);
    const now = this.now();
    return this.stmts.consume.run(now, namespace, key, now).changes === 1;
  }

  async increment(namespace: string, key: string, ttlSeconds: number, by = 1): Promise<number> {
    checkName('namespace', namespace);
    checkName('key', key);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new RangeError(`increment: by must be a finite number, got ${String(by)}`);
    }
    const now = this.now();
    const expiresAt = this.expiry(ttlSeconds, now);
    return Number(this.stmts.increment.get({ ns: namespace, key, by, now, expiresAt }));
  }

  async purgeExpired(): Promise<number> {
    const now = this.now();
    let total = 0;
    for (;;) {
      const deleted = this.purgeBatchTx(now);
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
    }
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.db.open) this.db.close();
  }

  private purgeNow(): void {
    // Background upkeep only: a failure (say, a busy file) is retried on the next tick.
    this.purgeExpired().catch(() => undefined);
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private expiry(ttlSeconds: number, now = this.now()): number {
    if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
      throw new RangeError(`ttlSeconds must be a positive finite number, got ${String(ttlSeconds)}`);
    }
    return now + Math.max(1, Math.round(ttlSeconds * 1000));
  }
}

function checkName(what: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new TypeError(`The ${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
}

function serialize(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('An ephemeral value must be JSON-serialisable');
  return json;
}

function toEntry<T>(row: EntryRow): EphemeralEntry<T> {
  return {
    key: row.key,
    value: JSON.parse(row.value) as T,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}
