import type Database from 'better-sqlite3';
import { EventMetadataSchema, type EventMetadata, type RecordedEvent } from '../../domain/kernel/event.js';
import { InvalidEventDataError, type EventRegistry } from '../../domain/kernel/registry.js';
import {
  type AppendOptions,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  ReservationConflictError,
  ReservationNotHeldError,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store.js';
import { newId } from '../../application/kernel/ids.js';
import type { Statements } from './sqlite-schema.js';

/** Longest stream id or reservation key the store accepts. */
export const MAX_KEY_LENGTH = 512;

const NONE: readonly never[] = Object.freeze([]);

/**
 * The metadata schema minus the version the registry supplies. Validating the caller's object as it
 * is and adding the version afterwards is several times faster than parsing a spread copy.
 */
const MetadataWithoutVersion = EventMetadataSchema.omit({ schemaVersion: true });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event that passed validation and is ready to be written. */
interface EncodedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly dataJson: string;
  readonly metadata: EventMetadata;
  readonly metadataJson: string;
}

/** One append() call waiting in the group-commit queue. */
export interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly EncodedEvent[];
  readonly expectedRevision: ExpectedRevision;
  readonly reserve: ReadonlyArray<{ readonly key: string; readonly valueJson: string }>;
  readonly release: readonly string[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export type AppendOutcome = { readonly result: AppendResult } | { readonly error: unknown };

export function assertStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > MAX_KEY_LENGTH) {
    throw new TypeError(`Stream id must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
}

function assertKey(key: unknown, what: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new TypeError(`${what} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
}

function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new TypeError(
    `Expected revision must be 'any', 'no_stream' or a non-negative integer, got ${String(expected)}`,
  );
}

/**
 * Validates one event for writing: the registry checks the data (and supplies the schema version),
 * EventMetadataSchema checks the metadata. Throws before anything is queued, so a bad event never
 * reaches the write transaction.
 */
function encodeEvent(registry: EventRegistry, event: NewEvent): EncodedEvent {
  const { data, schemaVersion } = registry.encode(event.type, event.data);
  const parsed = MetadataWithoutVersion.safeParse(event.metadata);
  if (!parsed.success) {
    throw new InvalidEventDataError(
      event.type,
      parsed.error.issues.map((i) => ({
        path: ['metadata', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    );
  }
  let eventId: string;
  if (event.eventId === undefined) eventId = newId();
  else if (typeof event.eventId === 'string' && UUID.test(event.eventId))
    eventId = event.eventId.toLowerCase();
  else throw new TypeError(`Event id must be a UUID, got ${JSON.stringify(event.eventId)}`);
  const metadata: EventMetadata = Object.assign(parsed.data, { schemaVersion });
  return {
    eventId,
    type: event.type,
    schemaVersion,
    data,
    dataJson: JSON.stringify(data),
    metadata,
    metadataJson: JSON.stringify(metadata),
  };
}

/** Checks and encodes the arguments of one append() call; throws on the first problem. */
export function prepareAppend(
  registry: EventRegistry,
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions,
  resolve: (result: AppendResult) => void,
  reject: (error: unknown) => void,
): PendingAppend {
  assertStreamId(streamId);
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`Append to ${streamId}: the event list is empty; an append needs at least one event`);
  }
  assertExpectedRevision(options.expectedRevision);
  const encoded = events.map((e) => encodeEvent(registry, e));
  const reserve =
    options.reserve === undefined || options.reserve.length === 0
      ? NONE
      : options.reserve.map((r) => {
          assertKey(r.key, 'Reservation key');
          return { key: r.key, valueJson: JSON.stringify(r.value ?? null) };
        });
  const release = options.release ?? NONE;
  for (const key of release) assertKey(key, 'Released key');
  return {
    streamId,
    events: encoded,
    expectedRevision: options.expectedRevision,
    reserve,
    release,
    resolve,
    reject,
  };
}

/** Read-only checks of one append against the state inside the write transaction. */
function checkAppend(s: Statements, item: PendingAppend, actual: number | 'no_stream'): number | 'no_stream' {
  const expected = item.expectedRevision;
  if (
    (expected === 'no_stream' && actual !== 'no_stream') ||
    (typeof expected === 'number' && expected !== actual)
  ) {
    throw new WrongExpectedRevisionError(item.streamId, expected, actual);
  }
  for (const key of item.release) {
    if (s.reservationHolder.get(key) !== item.streamId) throw new ReservationNotHeldError(key, item.streamId);
  }
  for (const { key } of item.reserve) {
    const holder = s.reservationHolder.get(key);
    if (holder !== undefined && holder !== item.streamId) throw new ReservationConflictError(key, holder);
  }
  return actual;
}

/** Writes one checked append at `head + 1 ...` (inside a savepoint when it writes more than one row). */
function writeAppend(
  s: Statements,
  item: PendingAppend,
  actual: number | 'no_stream',
  head: number,
  occurredAt: string,
): AppendResult {
  const firstRevision = actual === 'no_stream' ? 0 : actual + 1;
  const recorded: RecordedEvent[] = [];
  for (let i = 0; i < item.events.length; i++) {
    const e = item.events[i]!;
    const position = head + 1 + i;
    const revision = firstRevision + i;
    s.insertEvent.run(
      position,
      item.streamId,
      revision,
      e.eventId,
      e.type,
      e.schemaVersion,
      occurredAt,
      e.dataJson,
      e.metadataJson,
    );
    recorded.push({
      eventId: e.eventId,
      type: e.type,
      streamId: item.streamId,
      revision,
      globalPosition: position,
      occurredAt,
      data: e.data,
      metadata: e.metadata,
    });
  }
  const position = head + item.events.length;
  for (const key of item.release) s.deleteReservation.run(key);
  for (const r of item.reserve) s.upsertReservation.run(r.key, item.streamId, r.valueJson, position);
  return { nextExpectedRevision: firstRevision + item.events.length - 1, position, events: recorded };
}

/** Streams whose revision is remembered between batches; beyond this the memory starts afresh. */
const REVISION_CACHE_LIMIT = 50_000;

/**
 * Writes groups of appends, each group in ONE transaction (one COMMIT, one fsync). Each append is
 * checked on its own and written atomically on its own (savepoint), so a failing append is rolled
 * back alone and its neighbours still commit. Appends later in a group see the writes of earlier
 * ones, so two appends to one stream with the same expected revision cannot both succeed.
 *
 * The last revision of recently written streams is remembered, which spares an index lookup per
 * append. The memory is trusted only while this connection is the log's only writer: if the head
 * position found at the start of a transaction is not the one this writer left behind, another
 * connection has appended and the memory is dropped.
 */
export class BatchWriter {
  private readonly revisions = new Map<string, number>();
  /** Head position after this writer's last commit; -1 when unknown. */
  private lastHead = -1;

  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {}

  /**
   * Returns one outcome per append; throws (after rolling back) if the transaction itself fails,
   * in which case nothing of the group was written.
   */
  write(batch: readonly PendingAppend[], occurredAt: string): AppendOutcome[] {
    const { db, s } = this;
    const outcomes: AppendOutcome[] = [];
    s.begin.run();
    try {
      let head = s.head.get() ?? 0;
      if (head !== this.lastHead || this.revisions.size > REVISION_CACHE_LIMIT) this.revisions.clear();
      for (const item of batch) {
        let actual: number | 'no_stream';
        try {
          actual = this.check(item);
        } catch (error) {
          outcomes.push({ error });
          continue;
        }
        // A single INSERT is atomic on its own (a failing statement is undone, the transaction
        // stays); an append that writes more than one row needs a savepoint to be undone as a whole.
        const guarded = item.events.length + item.reserve.length + item.release.length > 1;
        if (guarded) s.savepoint.run();
        try {
          const result = writeAppend(s, item, actual, head, occurredAt);
          if (guarded) s.releaseSavepoint.run();
          head = result.position;
          this.revisions.set(item.streamId, result.nextExpectedRevision);
          outcomes.push({ result });
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite abandon the whole transaction: the group fails.
          if (!db.inTransaction) throw error;
          if (guarded) {
            s.rollbackToSavepoint.run();
            s.releaseSavepoint.run();
          }
          this.revisions.delete(item.streamId);
          outcomes.push({ error });
        }
      }
      s.commit.run();
      this.lastHead = head;
    } catch (error) {
      this.revisions.clear();
      this.lastHead = -1;
      if (db.inTransaction) s.rollback.run();
      throw error;
    }
    return outcomes;
  }

  private check(item: PendingAppend): number | 'no_stream' {
    let current = this.revisions.get(item.streamId);
    if (current === undefined) {
      current = this.s.streamRevision.get(item.streamId);
      if (current !== undefined) this.revisions.set(item.streamId, current);
    }
    return checkAppend(this.s, item, current === undefined ? 'no_stream' : current);
  }
}
