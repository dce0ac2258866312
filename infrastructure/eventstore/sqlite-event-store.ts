import type Database from 'better-sqlite3';
import type { EventMetadata, RecordedEvent } from '../../domain/kernel/event.js';
import type { EventRegistry } from '../../domain/kernel/registry.js';
import type { Clock } from '../../application/ports/clock.js';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReservationRecord,
  SubscribeOptions,
  Subscription,
} from '../../application/ports/event-store.js';
import { SystemClock } from '../clock.js';
import { assertStreamId, BatchWriter, type PendingAppend, prepareAppend } from './sqlite-append.js';
import {
  type EventRow,
  filteredReadSql,
  openDatabase,
  prepareStatements,
  type Statements,
} from './sqlite-schema.js';
import { RecentEvents } from './sqlite-recent.js';
import { CatchUpSubscription, type LogSource } from './sqlite-subscription.js';

export interface SqliteEventStoreOptions {
  /** Database file path, or ':memory:' for a private in-memory log. */
  file: string;
  registry: EventRegistry;
  clock?: Clock;
  /** How often live subscriptions look for appends made by other processes (default 1000 ms). */
  pollIntervalMs?: number;
}

/** Counters for observing group commit. */
export interface SqliteEventStoreStats {
  /** append() calls that reached a write transaction (whether they succeeded or were refused there). */
  readonly appends: number;
  /** Write transactions committed, i.e. fsyncs. */
  readonly commits: number;
}

/** Upper bound on appends per transaction, so one commit never holds the event loop for long. */
const MAX_APPENDS_PER_COMMIT = 1000;
const DEFAULT_POLL_MS = 1000;

type RowStatement = Database.Statement<unknown[], EventRow>;

function assertPosition(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

function assertCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${what} must be a positive integer, got ${String(value)}`);
  }
}

/** Filtered-read statements kept (see rows()). */
const FILTERED_KEPT = 128;

/**
 * The embedded event store: one SQLite file (WAL, synchronous=FULL) holding the global log and the
 * uniqueness reservations.
 *
 * Appends are group-committed. append() validates and encodes its events at once, then queues
 * them; everything queued by the time the event loop comes round is written in a single
 * transaction, so many concurrent commands share one fsync. Each promise settles only after that
 * COMMIT returned, i.e. an acknowledged append is durable.
 */
export class SqliteEventStore implements EventStore {
  private readonly statements: Statements;
  private readonly writer: BatchWriter;
  private readonly filtered = new Map<string, RowStatement>();
  private readonly registry: EventRegistry;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly drained: Array<() => void> = [];
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly commitWaiters = new Set<() => void>();
  private committedAppends = 0;
  private commits = 0;
  private readonly source: LogSource;
  /** What live subscriptions read right after a commit (see RecentEvents). */
  private readonly recent = new RecentEvents();

  private constructor(
    private readonly db: Database.Database,
    options: SqliteEventStoreOptions,
  ) {
    this.statements = prepareStatements(db);
    this.writer = new BatchWriter(db, this.statements);
    this.registry = options.registry;
    this.clock = options.clock ?? new SystemClock();
    this.pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.source = {
      readBatch: (after, limit, filter) => this.readBatch(after, limit, filter),
      commitCount: () => this.commits,
      waitForCommit: (seen, timeoutMs) => this.waitForCommit(seen, timeoutMs),
    };
  }

  /** Opens the store on `file`, creating the file and schema if missing. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    return new SqliteEventStore(openDatabase(options.file), options);
  }

  stats(): SqliteEventStoreStats {
    return { appends: this.committedAppends, commits: this.commits };
  }

  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push(prepareAppend(this.registry, streamId, events, options, resolve, reject));
      this.scheduleFlush();
    });
  }

  async readStream(
    streamId: string,
    options: { fromRevision?: number; maxCount?: number } = {},
  ): Promise<RecordedEvent[]> {
    assertStreamId(streamId);
    const from = options.fromRevision ?? 0;
    assertPosition(from, 'fromRevision');
    if (options.maxCount !== undefined) assertCount(options.maxCount, 'maxCount');
    const rows = this.statements.readStream.get(options.maxCount ?? null).all(streamId, from);
    return rows.map(this.decode);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    assertPosition(options.after, 'after');
    assertCount(options.maxCount, 'maxCount');
    return this.rows(options.after, options.maxCount, options.filter).map(this.decode);
  }

  async headPosition(): Promise<number> {
    return this.statements.head.get() ?? 0;
  }

  subscribe(options: SubscribeOptions): Subscription {
    if (this.closed) throw new Error('The event store is closed');
    const subscription = new CatchUpSubscription(this.source, options, this.pollMs, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async getReservation(key: string): Promise<ReservationRecord | null> {
    const row = this.statements.reservation.get(key);
    if (!row) return null;
    return { key, streamId: row.stream_id, value: JSON.parse(row.value) as unknown, position: row.position };
  }

  /** Waits for queued appends to commit, stops every subscription, then closes the database. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.queue.length > 0 || this.flushScheduled) {
        await new Promise<void>((resolve) => this.drained.push(resolve));
      }
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      this.db.close();
    })();
    return this.closing;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate runs after the current burst of promise continuations, so every append issued
    // in response to the previous commit joins the same transaction.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, MAX_APPENDS_PER_COMMIT);
    if (this.queue.length > 0) this.scheduleFlush();
    if (batch.length > 0) this.commitBatch(batch);
    if (this.queue.length === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  private commitBatch(batch: PendingAppend[]): void {
    let outcomes;
    try {
      outcomes = this.writer.write(batch, this.clock.now().toISOString());
    } catch (error) {
      this.recent.clear();
      for (const item of batch) item.reject(error);
      return;
    }
    this.commits++;
    this.committedAppends += batch.length;
    for (const outcome of outcomes) if ('result' in outcome) this.recent.add(outcome.result.events);
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if ('result' in outcome) batch[i]!.resolve(outcome.result);
      else batch[i]!.reject(outcome.error);
    }
    for (const wake of [...this.commitWaiters]) wake();
  }

  private waitForCommit(seen: number, timeoutMs: number): { promise: Promise<void>; cancel(): void } {
    if (this.commits !== seen || this.closed) return { promise: Promise.resolve(), cancel: () => undefined };
    let finish!: () => void;
    const promise = new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      finish = () => {
        clearTimeout(timer);
        this.commitWaiters.delete(finish);
        resolve();
      };
    });
    this.commitWaiters.add(finish);
    return { promise, cancel: finish };
  }

  private readBatch(
    after: number,
    limit: number,
    filter: EventFilter | undefined,
  ): { events: RecordedEvent[]; scannedTo: number; caughtUp: boolean } {
    // The head is read before the events: anything at or below it is visible to the later read.
    const head = this.statements.head.get() ?? 0;
    const recent = this.recent.read(after, limit, filter, head);
    if (recent) return recent;
    const rows = this.rows(after, limit, filter);
    const last = rows.length > 0 ? rows[rows.length - 1]![0] : after;
    const caughtUp = rows.length < limit;
    return { events: rows.map(this.decode), scannedTo: caughtUp ? Math.max(head, last) : last, caughtUp };
  }

  private rows(after: number, limit: number, filter: EventFilter | undefined): EventRow[] {
    if (!filter || (filter.types === undefined && filter.streamPrefixes === undefined)) {
      return this.statements.readAll.get(limit).all(after);
    }
    const { types, streamPrefixes: prefixes } = filter;
    const { key, sql } = filteredReadSql(types?.length ?? null, prefixes?.length ?? null, limit);
    let statement = this.filtered.get(key);
    if (!statement) {
      statement = this.db.prepare<unknown[], EventRow>(sql).raw();
      // Keyed by shape and limit: a few of each in practice; the oldest goes past the bound.
      if (this.filtered.size >= FILTERED_KEPT) this.filtered.delete(this.filtered.keys().next().value!);
      this.filtered.set(key, statement);
    }
    const params: unknown[] = [after];
    if (types) params.push(...types);
    if (prefixes) for (const p of prefixes) params.push([...p].length, p); // substr() counts characters, not UTF-16 units
    return statement.all(...params);
  }

  /** Row → RecordedEvent; the registry upcasts and validates the data of every event read. */
  private readonly decode = (r: EventRow): RecordedEvent => ({
    eventId: r[3],
    type: r[4],
    streamId: r[1],
    revision: r[2],
    globalPosition: r[0],
    occurredAt: r[6],
    data: this.registry.decode(r[4], r[5], JSON.parse(r[7])),
    metadata: JSON.parse(r[8]) as EventMetadata,
  });
}
