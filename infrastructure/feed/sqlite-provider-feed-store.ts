/**
 * The embedded ProviderFeedStore: one SQLite file (`DATA_DIR/feed.db`), apart from the read
 * models, so a rebuild of those can never touch what was sent. Every multi-step operation runs in
 * an IMMEDIATE transaction (the write lock is taken first), so a lease or a claim is atomic across
 * processes sharing the file, not only within this one.
 *
 * Queue entries, deliveries and the process managers' checkpoints are all derived from the event
 * log, and they share this file: its commits run with synchronous=NORMAL (WAL), which keeps them
 * across a process crash and, on a power loss, can only lose the newest ones in commit order — a
 * lost checkpoint hands the same events over again, and the store deduplicates them by event id.
 * Webhook endpoints are no such derivation (a provider registered them): they commit with FULL.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  type AckOutcome,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryAttempt,
  type DeliveryPage,
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
import { openSqlite } from '../sqlite/open.js';
import { assertPositive, decodeDeliveryCursor, dedupeKey, encodeDeliveryCursor } from './feed-keys.js';
import { LimitedStatements } from './limited-statements.js';

interface QueueRow {
  id: string;
  message: string;
  delivery_count: number;
}

interface DeliveryRow {
  id: string;
  provider_id: string;
  message: string;
  status: WebhookDelivery['status'];
  attempts: string;
  attempt_count: number;
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
  replay_of: string | null;
  claim_id: string | null;
}

interface WebhookRow {
  provider_id: string;
  url: string;
  sealed_secret: string;
  created_at: string;
  updated_at: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    providerId: row.provider_id,
    message: JSON.parse(row.message) as ProviderMessage,
    status: row.status,
    attempts: JSON.parse(row.attempts) as DeliveryAttempt[],
    attemptCount: row.attempt_count,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    createdAt: new Date(row.created_at).toISOString(),
    deliveredAt: iso(row.delivered_at),
    replayOf: row.replay_of,
  };
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS feed_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS feed_queue (
    id             TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    position       INTEGER NOT NULL,
    message        TEXT NOT NULL,
    enqueued_at    INTEGER NOT NULL,
    visible_at     INTEGER NOT NULL,
    lease_id       TEXT,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    acked          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider_id, event_id)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS feed_queue_next ON feed_queue (provider_id, acked, position);
  CREATE INDEX IF NOT EXISTS feed_queue_acked ON feed_queue (acked, position);
  CREATE INDEX IF NOT EXISTS feed_queue_age ON feed_queue (enqueued_at);
  CREATE TABLE IF NOT EXISTS feed_webhooks (
    provider_id   TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS feed_deliveries (
    id              TEXT PRIMARY KEY,
    provider_id     TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    message         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        TEXT NOT NULL DEFAULT '[]',
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    claim_id        TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    replay_of       TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS feed_deliveries_due ON feed_deliveries (status, next_attempt_at);
  CREATE INDEX IF NOT EXISTS feed_deliveries_log ON feed_deliveries (provider_id, created_at, id);
`;

function prepare(db: Database.Database) {
  return {
    getCheckpoint: db
      .prepare<[string], number>('SELECT position FROM feed_checkpoints WHERE name = ?')
      .pluck(),
    saveCheckpoint: db.prepare<[string, number]>(
      `INSERT INTO feed_checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)`,
    ),
    enqueue: db.prepare(
      `INSERT OR IGNORE INTO feed_queue (id, provider_id, event_id, position, message, enqueued_at, visible_at)
       VALUES (@id, @providerId, @eventId, @position, @message, @now, @now)`,
    ),
    nextVisible: new LimitedStatements<[string, number], QueueRow>(
      db,
      `SELECT id, message, delivery_count FROM feed_queue
       WHERE provider_id = ? AND acked = 0 AND visible_at <= ? ORDER BY position, id`,
    ),
    lease: db.prepare<[string, number, string]>(
      'UPDATE feed_queue SET lease_id = ?, visible_at = ?, delivery_count = delivery_count + 1 WHERE id = ?',
    ),
    ack: db.prepare<[string, string, string]>(
      'UPDATE feed_queue SET acked = 1 WHERE id = ? AND provider_id = ? AND acked = 0 AND lease_id = ?',
    ),
    ackState: db.prepare<[string, string], { acked: number; lease_id: string | null }>(
      'SELECT acked, lease_id FROM feed_queue WHERE id = ? AND provider_id = ?',
    ),
    purgeAcked: db.prepare<[number]>('DELETE FROM feed_queue WHERE acked = 1 AND position <= ?'),
    depth: db
      .prepare<[string], number>('SELECT count(*) FROM feed_queue WHERE provider_id = ? AND acked = 0')
      .pluck(),
    pruneQueue: db.prepare<[number]>('DELETE FROM feed_queue WHERE enqueued_at < ?'),
    putWebhook: db.prepare(
      `INSERT INTO feed_webhooks (provider_id, url, sealed_secret, created_at, updated_at)
       VALUES (@providerId, @url, @sealedSecret, @createdAt, @updatedAt)
       ON CONFLICT (provider_id) DO UPDATE SET url = excluded.url, sealed_secret = excluded.sealed_secret,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
    ),
    getWebhook: db.prepare<[string], WebhookRow>('SELECT * FROM feed_webhooks WHERE provider_id = ?'),
    deleteWebhook: db.prepare<[string]>('DELETE FROM feed_webhooks WHERE provider_id = ?'),
    schedule: db.prepare(
      `INSERT OR IGNORE INTO feed_deliveries
         (id, provider_id, dedupe_key, message, status, next_attempt_at, created_at, replay_of)
       VALUES (@id, @providerId, @dedupeKey, @message, 'pending', @nextAttemptAt, @createdAt, @replayOf)`,
    ),
    due: new LimitedStatements<[number], DeliveryRow>(
      db,
      `SELECT * FROM feed_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id`,
    ),
    claim: db.prepare<[number, string, string]>(
      'UPDATE feed_deliveries SET next_attempt_at = ?, claim_id = ? WHERE id = ?',
    ),
    getDelivery: db.prepare<[string], DeliveryRow>('SELECT * FROM feed_deliveries WHERE id = ?'),
    record: db.prepare(
      `UPDATE feed_deliveries SET status = @status, attempts = @attempts, attempt_count = attempt_count + 1,
         next_attempt_at = @nextAttemptAt, delivered_at = @deliveredAt, claim_id = NULL WHERE id = @id`,
    ),
    page: new LimitedStatements<[string, number, number, string], DeliveryRow>(
      db,
      `SELECT * FROM feed_deliveries WHERE provider_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
       ORDER BY created_at DESC, id DESC`,
    ),
    byIdForProvider: db.prepare<[string, string], DeliveryRow>(
      'SELECT * FROM feed_deliveries WHERE id = ? AND provider_id = ?',
    ),
    pruneDeliveries: db.prepare<[number]>(
      `DELETE FROM feed_deliveries WHERE status IN ('delivered', 'failed') AND created_at < ?`,
    ),
  };
}

/** Past every delivery: the start of a newest-first listing. */
const FIRST_PAGE = { createdAt: Number.MAX_SAFE_INTEGER, id: '~' };

export class SqliteProviderFeedStore implements ProviderFeedStore {
  private readonly s: ReturnType<typeof prepare>;

  private constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.s = prepare(db);
  }

  /** Opens (creating if needed) the feed store in `file`, e.g. `<DATA_DIR>/feed.db`. */
  static open(options: { file: string }): SqliteProviderFeedStore {
    return openSqlite(options.file, (db) => new SqliteProviderFeedStore(db), { synchronous: 'NORMAL' });
  }

  async getCheckpoint(name: string): Promise<number> {
    return this.s.getCheckpoint.get(name) ?? 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    this.s.saveCheckpoint.run(name, position);
  }

  async enqueue(entries: readonly NewQueueEntry[], now: Date): Promise<number> {
    const run = this.db.transaction(() => {
      let added = 0;
      for (const { id, message } of entries) {
        added += this.s.enqueue.run({
          id,
          providerId: message.providerId,
          eventId: message.eventId,
          position: message.position,
          message: JSON.stringify(message),
          now: now.getTime(),
        }).changes;
      }
      return added;
    });
    return run.immediate();
  }

  async lease(providerId: string, max: number, leaseMs: number, now: Date): Promise<LeasedMessage[]> {
    assertPositive(leaseMs, 'leaseMs');
    const until = now.getTime() + leaseMs;
    const run = this.db.transaction(() =>
      this.s.nextVisible.all(max, providerId, now.getTime()).map((row): LeasedMessage => {
        const leaseId = randomUUID();
        this.s.lease.run(leaseId, until, row.id);
        return {
          ...(JSON.parse(row.message) as ProviderMessage),
          id: row.id,
          deliveryCount: row.delivery_count + 1,
          leaseId,
          leaseExpiresAt: new Date(until).toISOString(),
        };
      }),
    );
    return run.immediate();
  }

  async ack(providerId: string, messageId: string, leaseId: string): Promise<AckOutcome> {
    if (this.s.ack.run(messageId, providerId, leaseId).changes === 1) return 'acked';
    const state = this.s.ackState.get(messageId, providerId);
    if (!state) return 'not_found';
    return state.lease_id === leaseId ? 'acked' : 'stale_lease';
  }

  async purgeAcknowledged(position: number): Promise<number> {
    return this.s.purgeAcked.run(position).changes;
  }

  async queueDepth(providerId: string): Promise<number> {
    return this.s.depth.get(providerId) ?? 0;
  }

  async pruneQueue(before: Date): Promise<number> {
    return this.s.pruneQueue.run(before.getTime()).changes;
  }

  async putWebhook(endpoint: WebhookEndpoint): Promise<void> {
    this.durably(() => this.s.putWebhook.run({ ...endpoint }));
  }

  async getWebhook(providerId: string): Promise<WebhookEndpoint | null> {
    const row = this.s.getWebhook.get(providerId);
    if (!row) return null;
    return {
      providerId: row.provider_id,
      url: row.url,
      sealedSecret: row.sealed_secret,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async deleteWebhook(providerId: string): Promise<boolean> {
    return this.durably(() => this.s.deleteWebhook.run(providerId).changes === 1);
  }

  /** Runs a write that must survive a power loss too (see the file's comment). */
  private durably<T>(write: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  async scheduleDeliveries(deliveries: readonly NewDelivery[]): Promise<number> {
    const run = this.db.transaction(() => {
      let added = 0;
      for (const d of deliveries) {
        added += this.s.schedule.run({
          id: d.id,
          providerId: d.message.providerId,
          dedupeKey: dedupeKey(d),
          message: JSON.stringify(d.message),
          nextAttemptAt: Date.parse(d.nextAttemptAt),
          createdAt: Date.parse(d.createdAt),
          replayOf: d.replay?.of ?? null,
        }).changes;
      }
      return added;
    });
    return run.immediate();
  }

  async claimDueDeliveries(now: Date, limit: number, claimMs: number): Promise<ClaimedDelivery[]> {
    assertPositive(claimMs, 'claimMs');
    const run = this.db.transaction(() =>
      this.s.due.all(limit, now.getTime()).map((row): ClaimedDelivery => {
        const claimId = randomUUID();
        this.s.claim.run(now.getTime() + claimMs, claimId, row.id);
        return { delivery: toDelivery(row), claimId };
      }),
    );
    return run.immediate();
  }

  async recordAttempt(deliveryId: string, claimId: string, record: AttemptRecord): Promise<boolean> {
    const run = this.db.transaction(() => {
      const row = this.s.getDelivery.get(deliveryId);
      if (!row || row.claim_id !== claimId || row.status !== 'pending') return false;
      const attempts = [...(JSON.parse(row.attempts) as DeliveryAttempt[]), record.attempt].slice(
        -MAX_LOGGED_ATTEMPTS,
      );
      this.s.record.run({
        id: deliveryId,
        status: record.status,
        attempts: JSON.stringify(attempts),
        nextAttemptAt: record.nextAttemptAt === null ? null : Date.parse(record.nextAttemptAt),
        deliveredAt: record.status === 'delivered' ? Date.parse(record.attempt.at) : null,
      });
      return true;
    });
    return run.immediate();
  }

  async listDeliveries(
    providerId: string,
    options: { limit: number; cursor?: string },
  ): Promise<DeliveryPage> {
    const from = options.cursor === undefined ? FIRST_PAGE : decodeDeliveryCursor(options.cursor);
    if (!from) throw new InvalidDeliveryCursorError();
    const rows = this.s.page.all(options.limit + 1, providerId, from.createdAt, from.createdAt, from.id);
    const items = rows.slice(0, options.limit).map(toDelivery);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > options.limit && last ? encodeDeliveryCursor(last.createdAt, last.id) : null,
    };
  }

  async getDeliveries(providerId: string, ids: readonly string[]): Promise<WebhookDelivery[]> {
    return ids.flatMap((id) => {
      const row = this.s.byIdForProvider.get(id, providerId);
      return row ? [toDelivery(row)] : [];
    });
  }

  async pruneDeliveries(before: Date): Promise<number> {
    return this.s.pruneDeliveries.run(before.getTime()).changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
