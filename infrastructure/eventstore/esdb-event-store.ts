/**
 * EventStoreDB adapter of the EventStore port (distributed mode). Every @eventstore/db-client call in
 * Tessera lives in this file; the client-free logic it relies on lives beside it: esdb-positions.ts
 * (global positions, filters, stored metadata) and esdb-reservations.ts (the uniqueness-reservation
 * protocol that append() with reserve/release follows, described there). Needs EventStoreDB 22.10 or
 * later (stream reads must carry log positions; from 23.10 subscriptions also announce when they have
 * caught up).
 */
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  jsonEvent,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Direction,
  type EventData,
  type Filter,
  type JSONType,
  type Position,
  type ReadPosition,
  type ReadRevision,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { EventMetadataSchema, type EventMetadata, type RecordedEvent } from '../../domain/kernel/event.js';
import {
  InvalidEventDataError,
  UnknownEventTypeError,
  type EventRegistry,
} from '../../domain/kernel/registry.js';
import { newId } from '../../application/kernel/ids.js';
import type { Clock } from '../../application/ports/clock.js';
import {
  ReservationConflictError,
  ReservationNotHeldError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReservationRecord,
  type SubscribeOptions,
  type Subscription,
} from '../../application/ports/event-store.js';
import { SystemClock } from '../clock.js';
import {
  checkpointToGlobalPosition,
  fromStoredMetadata,
  isVisible,
  metadataError,
  planFilter,
  toGlobalPosition,
  toReadPosition,
  toStoredMetadata,
  type FilterPlan,
} from './esdb-positions.js';
import {
  OWNER_APPEND_BUDGET_MS,
  evaluateReservation,
  holdsReservation,
  intentRecord,
  reservationBlocker,
  reservationStreamId,
  resolveExpectedRevision,
  toReservationEntry,
  voidRecord,
  type OwnerAppend,
  type OwnerRef,
  type ReservationEntry,
  type ReservationIntent,
  type ReservationRecordData,
  type ReservationState,
} from './esdb-reservations.js';

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`. */
  connectionString: string;
  registry: EventRegistry;
  clock?: Clock;
}

/** Longest stream id or reservation key accepted (the embedded store's limit too). */
export const MAX_KEY_LENGTH = 512;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_BATCH_SIZE = 500;
const IDLE_CHECK_MS = 500;
const IDLE_SCAN_LIMIT = 2048;
const MAX_RESUBSCRIBES = 5;

// ---------------------------------------------------------------------------------------------------
// Validation

function assertId(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new TypeError(`${what} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
}

function assertInteger(value: unknown, what: string, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Errors about reaching the server, as opposed to errors about the request. */
function isConnectionError(error: unknown): boolean {
  return [UnavailableError, DeadlineExceededError, CancelledError, TimeoutError, NotLeaderError].some(
    (type) => error instanceof type,
  );
}

// ---------------------------------------------------------------------------------------------------
// The store

interface EncodedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** What a subscription needs from the store. */
interface SubscriptionSource {
  readonly plan: FilterPlan;
  resolveStart(after: number): Promise<ReadPosition>;
  open(
    from: ReadPosition,
    checkpoint: (s: AllStreamSubscription, p: Position) => Promise<void>,
  ): AllStreamSubscription;
  decode(event: AllStreamRecordedEvent, position: number): RecordedEvent;
  /**
   * The newest visible position (at least `after`) if nothing matching the plan lies above `after`;
   * else null.
   */
  progressAfter(after: number): Promise<number | null>;
}

export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly ownerPositions = new Map<string, number>();
  /** Positions known to be record boundaries, so resuming from them needs no check. */
  private readonly boundaries = new Set<number>();

  private constructor(
    private readonly client: EventStoreDBClient,
    private readonly registry: EventRegistry,
    private readonly clock: Clock,
  ) {}

  /** Connects and checks that the server answers, so a bad URL fails at start-up. */
  static async connect(options: EsdbEventStoreOptions): Promise<EsdbEventStore> {
    const client = EventStoreDBClient.connectionString(options.connectionString);
    const store = new EsdbEventStore(client, options.registry, options.clock ?? new SystemClock());
    try {
      await store.readAllPage(END, 1, BACKWARDS);
    } catch (error) {
      await client.dispose().catch(() => undefined);
      throw error;
    }
    return store;
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertStreamId(streamId);
    if (!Array.isArray(events) || events.length === 0) {
      throw new TypeError(
        `Append to ${streamId}: the event list is empty; an append needs at least one event`,
      );
    }
    const expected = options.expectedRevision;
    if (expected !== 'any' && expected !== 'no_stream') assertInteger(expected, 'Expected revision', 0);
    const encoded = events.map((e) => this.encode(e));
    const reserve = new Map<string, unknown>();
    for (const r of options.reserve ?? []) {
      assertId(r.key, 'Reservation key');
      reserve.set(r.key, r.value ?? null);
    }
    const release = new Set<string>();
    for (const key of options.release ?? []) {
      assertId(key, 'Released key');
      release.add(key);
    }
    if (reserve.size === 0 && release.size === 0) {
      const revision = await this.write(streamId, encoded, expected);
      return this.readBack(streamId, revision - encoded.length + 1, encoded.length);
    }
    return this.appendReserving(streamId, encoded, expected, reserve, release);
  }

  async readStream(
    streamId: string,
    options: { fromRevision?: number; maxCount?: number } = {},
  ): Promise<RecordedEvent[]> {
    this.assertStreamId(streamId);
    const from = options.fromRevision ?? 0;
    assertInteger(from, 'fromRevision', 0);
    if (options.maxCount !== undefined) assertInteger(options.maxCount, 'maxCount', 1);
    const raw = await this.readStreamRaw(streamId, BigInt(from), options.maxCount);
    return raw.map((e) => this.decode(e, this.positionOf(e)));
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    assertInteger(options.after, 'after', 0);
    assertInteger(options.maxCount, 'maxCount', 1);
    const plan = planFilter(options.filter);
    const pageSize = Math.min(Math.max(options.maxCount, 256), 4096);
    const out: RecordedEvent[] = [];
    let from = await this.resolveStart(options.after);
    let seen = options.after;
    for (;;) {
      const page = await this.readAllPage(from, pageSize, FORWARDS);
      for (const e of page) {
        const position = toGlobalPosition(e.position);
        if (position <= seen) continue;
        seen = position;
        if (plan.matches(e.streamId, e.type)) out.push(this.decode(e, position));
        if (out.length === options.maxCount) return out;
      }
      const last = page.at(-1);
      if (page.length < pageSize || !last) return out;
      from = last.position;
    }
  }

  async headPosition(): Promise<number> {
    const head = (await this.newestVisible(0, null)) ?? 0;
    if (head > 0) this.boundaries.add(head);
    return head;
  }

  subscribe(options: SubscribeOptions): Subscription {
    assertInteger(options.after, 'Subscription start position', 0);
    assertInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, 'Subscription batch size', 1);
    const plan = planFilter(options.filter);
    const source: SubscriptionSource = {
      plan,
      resolveStart: (after) => this.resolveStart(after),
      open: (fromPosition, checkpointReached) => {
        const { server } = plan;
        const filter: Filter =
          server.on === 'eventType'
            ? eventTypeFilter({ regex: server.regex, checkpointInterval: 1, checkpointReached })
            : streamNameFilter({ prefixes: [...server.prefixes], checkpointInterval: 1, checkpointReached });
        return this.client.subscribeToAll({ fromPosition, filter });
      },
      decode: (event, position) => this.decode(event, position),
      progressAfter: (after) => this.newestVisible(after, plan),
    };
    const subscription = new EsdbSubscription(source, options, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async getReservation(key: string): Promise<ReservationRecord | null> {
    assertId(key, 'Reservation key');
    const { holder } = await this.evaluate(key);
    return holder ? { key, streamId: holder.streamId, value: holder.value, position: holder.position } : null;
  }

  /** Stops every subscription, then disposes of the client. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
  }

  // --- writing -------------------------------------------------------------------------------------

  private assertStreamId(streamId: unknown): asserts streamId is string {
    assertId(streamId, 'Stream id');
    if (!isVisible(streamId, '')) throw new TypeError(`Stream id "${streamId}" is reserved`);
  }

  private encode(event: NewEvent): EncodedEvent {
    const { data, schemaVersion } = this.registry.encode(event.type, event.data);
    const parsed = EventMetadataSchema.safeParse({ ...event.metadata, schemaVersion });
    if (!parsed.success) throw metadataError(event.type, parsed.error);
    if (event.eventId !== undefined && (typeof event.eventId !== 'string' || !UUID.test(event.eventId))) {
      throw new TypeError(`Event id must be a UUID, got ${JSON.stringify(event.eventId)}`);
    }
    return {
      eventId: (event.eventId ?? newId()).toLowerCase(),
      type: event.type,
      data,
      metadata: parsed.data,
    };
  }

  /** Appends the owner events; returns the stream's revision afterwards. */
  private async write(
    streamId: string,
    events: readonly EncodedEvent[],
    expected: ExpectedRevision,
    deadline?: number,
  ): Promise<number> {
    const occurredAt = this.clock.now().toISOString();
    const data: EventData[] = events.map((e) =>
      jsonEvent({
        id: e.eventId,
        type: e.type,
        data: e.data as JSONType,
        metadata: toStoredMetadata(e.metadata, occurredAt),
      }),
    );
    const expectedRevision: AppendExpectedRevision =
      expected === 'any' ? ANY : expected === 'no_stream' ? NO_STREAM : BigInt(expected);
    try {
      const result = await this.client.appendToStream(streamId, data, {
        expectedRevision,
        ...(deadline !== undefined ? { deadline } : {}),
      });
      return Number(result.nextExpectedRevision);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const actual = error.actualVersion;
      throw new WrongExpectedRevisionError(
        streamId,
        expected,
        typeof actual === 'bigint' && actual >= 0n ? Number(actual) : 'no_stream',
      );
    }
  }

  /** The appended events as recorded: EventStoreDB assigns their positions. */
  private async readBack(streamId: string, fromRevision: number, count: number): Promise<AppendResult> {
    const events = await this.readStream(streamId, { fromRevision, maxCount: count });
    const last = events.at(-1);
    if (!last || events.length !== count)
      throw new Error(`Stream ${streamId}: appended events could not be read back`);
    return { nextExpectedRevision: last.revision, position: last.globalPosition, events };
  }

  /** append() with reserve/release: steps 1-5 of "Uniqueness reservations" in esdb-reservations.ts. */
  private async appendReserving(
    streamId: string,
    encoded: readonly EncodedEvent[],
    expected: ExpectedRevision,
    reserve: ReadonlyMap<string, unknown>,
    release: ReadonlySet<string>,
  ): Promise<AppendResult> {
    // A key both released and reserved ends up reserved, after the release check (as in the embedded store).
    const keys = [...new Set([...release, ...reserve.keys()])].sort();
    const check = (key: string, state: ReservationState): ReservationState => {
      if (release.has(key) && !holdsReservation(state, streamId))
        throw new ReservationNotHeldError(key, streamId);
      const blocker = reserve.has(key) ? reservationBlocker(state, streamId) : null;
      if (blocker !== null) throw new ReservationConflictError(key, blocker);
      return state;
    };
    for (let attempt = 1; ; attempt++) {
      const current = resolveExpectedRevision(streamId, expected, await this.currentRevision(streamId));
      const owner: OwnerRef = {
        streamId,
        ownerFirstRevision: (current ?? -1) + 1,
        ownerEventId: encoded[0]!.eventId,
        ownerEventCount: encoded.length,
        at: this.clock.now().toISOString(),
      };
      const states = new Map<string, ReservationState>();
      for (const key of keys) states.set(key, check(key, await this.evaluate(key)));

      const written: Array<{ key: string; revision: number }> = [];
      let ownerAttempted = false;
      const started = Date.now();
      try {
        for (const key of keys) {
          const record = intentRecord(owner, key, reserve.has(key) ? { value: reserve.get(key) } : null);
          const recheck = (state: ReservationState) => check(key, state);
          const revision = await this.writeIntent(key, record, states.get(key)!, recheck);
          written.push({ key, revision });
        }
        const budget = OWNER_APPEND_BUDGET_MS - (Date.now() - started);
        if (budget <= 0)
          throw new Error(`Stream ${streamId}: reserving keys took too long; nothing was appended`);
        ownerAttempted = true;
        const revision = await this.write(streamId, encoded, current ?? 'no_stream', budget);
        return await this.readBack(streamId, revision - encoded.length + 1, encoded.length);
      } catch (error) {
        const lostRace = ownerAttempted && error instanceof WrongExpectedRevisionError;
        if (!ownerAttempted || lostRace) await this.voidIntents(written);
        if (!lostRace) throw error;
        if (expected === 'any' && attempt < 5) continue;
        throw new WrongExpectedRevisionError(streamId, expected, error.actual);
      }
    }
  }

  /** Appends one intent where the evaluation left off; if another intent got there first, re-checks. */
  private async writeIntent(
    key: string,
    record: ReservationRecordData,
    state: ReservationState,
    recheck: (state: ReservationState) => ReservationState,
  ): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const expectedRevision = state.lastRevision === null ? NO_STREAM : BigInt(state.lastRevision);
        const result = await this.client.appendToStream(reservationStreamId(key), jsonEvent(record), {
          expectedRevision,
        });
        return Number(result.nextExpectedRevision);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= 3) throw error;
        state = recheck(await this.evaluate(key));
      }
    }
  }

  /** Marks intents whose owner append definitely did not happen. Best effort: they also go stale. */
  private async voidIntents(written: ReadonlyArray<{ key: string; revision: number }>): Promise<void> {
    await Promise.all(
      written.map(({ key, revision }) =>
        this.client
          .appendToStream(reservationStreamId(key), jsonEvent(voidRecord(key, revision)), {
            expectedRevision: ANY,
          })
          .catch(() => undefined),
      ),
    );
  }

  // --- reading -------------------------------------------------------------------------------------

  private async readStreamRaw(
    streamId: string,
    fromRevision: ReadRevision,
    maxCount?: number,
    direction: Direction = FORWARDS,
  ): Promise<EsdbRecordedEvent[]> {
    const out: EsdbRecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        fromRevision,
        direction,
        ...(maxCount ? { maxCount } : {}),
      });
      for await (const r of read) if (r.event) out.push(r.event);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  /** One page of $all, read to its end (leaving a read half-consumed would keep its gRPC call open). */
  private async readAllPage(
    from: ReadPosition,
    maxCount: number,
    direction: Direction,
  ): Promise<AllStreamRecordedEvent[]> {
    const out: AllStreamRecordedEvent[] = [];
    for await (const r of this.client.readAll({ fromPosition: from, maxCount, direction }))
      if (r.event) out.push(r.event);
    return out;
  }

  private async currentRevision(streamId: string): Promise<number | null> {
    const [last] = await this.readStreamRaw(streamId, END, 1, BACKWARDS);
    return last ? Number(last.revision) : null;
  }

  private positionOf(event: EsdbRecordedEvent): number {
    if (!event.position)
      throw new Error('EventStoreDB 22.10 or later is required: stream reads carry no log position');
    return toGlobalPosition(event.position);
  }

  private decode(event: EsdbRecordedEvent, position: number): RecordedEvent {
    if (!this.registry.has(event.type)) throw new UnknownEventTypeError(event.type);
    if (!event.isJson)
      throw new InvalidEventDataError(event.type, [{ path: '', message: 'stored event is not JSON' }]);
    const { metadata, occurredAt } = fromStoredMetadata(event.type, event.metadata);
    const data = this.registry.decode(event.type, metadata.schemaVersion, event.data);
    if (this.boundaries.size >= 10_000) this.boundaries.clear();
    this.boundaries.add(position);
    return {
      eventId: event.id,
      type: event.type,
      streamId: event.streamId,
      revision: Number(event.revision),
      globalPosition: position,
      occurredAt: occurredAt ?? event.created.toISOString(),
      data,
      metadata,
    };
  }

  /**
   * A valid place to read or subscribe from for "events after `after`" (see "Global positions" in
   * esdb-positions.ts).
   */
  private async resolveStart(after: number): Promise<ReadPosition> {
    if (after === 0 || this.boundaries.has(after)) return toReadPosition(after);
    try {
      await this.readAllPage(toReadPosition(after), 1, FORWARDS);
      this.boundaries.add(after);
      return toReadPosition(after);
    } catch (error) {
      if (isConnectionError(error)) throw error;
    }
    for (let from: ReadPosition = END; ;) {
      const page = await this.readAllPage(from, 128, BACKWARDS);
      const below = page.find((e) => toGlobalPosition(e.position) <= after);
      if (below) return below.position;
      const last = page.at(-1);
      if (page.length < 128 || !last) return START;
      from = last.position;
    }
  }

  /**
   * Scans $all backwards from the head down to `after` for the newest visible event. Without a plan:
   * its position (`after` if there is none above). With a plan: the same, or null if an event matching
   * the plan lies above `after` or IDLE_SCAN_LIMIT events were scanned first.
   */
  private async newestVisible(after: number, plan: FilterPlan | null): Promise<number | null> {
    let newest: number | null = null;
    let from: ReadPosition = END;
    for (let scanned = 0, pageSize = 16; ; pageSize = 128) {
      const page = await this.readAllPage(from, pageSize, BACKWARDS);
      for (const e of page) {
        const position = toGlobalPosition(e.position);
        if (position <= after) return newest ?? after;
        if (plan?.matches(e.streamId, e.type)) return null;
        if (isVisible(e.streamId, e.type)) {
          newest ??= position;
          if (!plan) return newest;
        }
      }
      scanned += page.length;
      const last = page.at(-1);
      if (page.length < pageSize || !last) return newest ?? after;
      if (plan && scanned >= IDLE_SCAN_LIMIT) return null;
      from = last.position;
    }
  }

  // --- reservations --------------------------------------------------------------------------------

  private async *reservationEntries(key: string): AsyncGenerator<ReservationEntry> {
    const streamId = reservationStreamId(key);
    for (let from: ReadRevision = END; ;) {
      const page = await this.readStreamRaw(streamId, from, 32, BACKWARDS);
      for (const e of page) yield toReservationEntry(e, streamId);
      const oldest = page.at(-1);
      if (page.length < 32 || !oldest || oldest.revision === 0n) return;
      from = oldest.revision - 1n;
    }
  }

  private evaluate(key: string): Promise<ReservationState> {
    return evaluateReservation(
      this.reservationEntries(key),
      (intent) => this.ownerAppend(intent),
      Date.now(),
    );
  }

  /** Did the append an intent depends on happen? A committed answer never changes, so it is cached. */
  private async ownerAppend(intent: ReservationIntent): Promise<OwnerAppend> {
    const cacheKey = `${intent.streamId}\n${intent.ownerFirstRevision}\n${intent.ownerEventId}`;
    const cached = this.ownerPositions.get(cacheKey);
    if (cached !== undefined) return { status: 'committed', position: cached };
    const events = await this.readStreamRaw(
      intent.streamId,
      BigInt(intent.ownerFirstRevision),
      intent.ownerEventCount,
    );
    const [first, last] = [events[0], events.at(-1)];
    if (!first || !last) return { status: 'absent' };
    if (first.id.toLowerCase() !== intent.ownerEventId.toLowerCase()) return { status: 'superseded' };
    const position = this.positionOf(last);
    if (this.ownerPositions.size >= 10_000) this.ownerPositions.clear();
    this.ownerPositions.set(cacheKey, position);
    return { status: 'committed', position };
  }
}

// ---------------------------------------------------------------------------------------------------
// Subscriptions

interface Waiter {
  apply(): void;
  cancel(): void;
}

/**
 * A catch-up subscription to $all. Events are queued as they arrive and handed to `handle` in batches,
 * one call at a time; the gRPC stream is paused while the queue is long. Progress (`consumedUpTo`: every
 * matching event at or below it is queued or handled) comes from the events themselves, from server
 * checkpoints, and, when idle, from a backwards scan showing that nothing matching lies between it and
 * the head. If the server drops the subscription (e.g. "consumer too slow" after a long pause), it is
 * reopened from `consumedUpTo`.
 */
class EsdbSubscription implements Subscription {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private stream: AllStreamSubscription | null = null;
  private start: ReadPosition = START;
  private readonly queue: RecordedEvent[] = [];
  private waiters: Waiter[] = [];
  private consumedUpTo: number;
  private reportedUpTo = -1;
  private live = false;
  private idleCheckDue = false;
  private lastActivity = Date.now();
  private failures = 0;
  private finished = false;
  private pump: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly onEnd: (subscription: EsdbSubscription) => void,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.consumedUpTo = options.after;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // The rejection is reported through `done`; callers that never look at it must not crash the process.
    this.done.catch(() => undefined);
    if (options.onCheckpoint) {
      // Progress past trailing events the filter skips is only found by looking (see drain()).
      this.timer = setInterval(() => {
        if (this.live || Date.now() - this.lastActivity >= IDLE_CHECK_MS) {
          this.idleCheckDue = true;
          this.kick();
        }
      }, IDLE_CHECK_MS);
      this.timer.unref();
    }
    source.resolveStart(options.after).then(
      (start) => {
        this.start = start;
        if (!this.finished) this.open();
      },
      (error: unknown) => this.fail(error),
    );
  }

  async stop(): Promise<void> {
    this.finish();
    await this.pump;
    this.resolveDone();
  }

  private open(): void {
    const from = this.consumedUpTo > this.options.after ? toReadPosition(this.consumedUpTo) : this.start;
    const stream = this.source.open(from, (s, position) => this.onCheckpoint(s, position));
    this.stream = stream;
    // Listeners stay attached after a stream is replaced; they ignore everything but the current one.
    stream.on('data', (resolved) => {
      if (stream !== this.stream) return;
      this.activity();
      const event = resolved.event;
      if (event) {
        const position = toGlobalPosition(event.position);
        if (position > this.consumedUpTo) {
          try {
            if (this.source.plan.matches(event.streamId, event.type))
              this.queue.push(this.source.decode(event, position));
          } catch (error) {
            this.fail(error);
            return;
          }
          this.consumedUpTo = position;
        }
      }
      if (stream.readableLength === 0) this.flushWaiters(true);
      if (this.queue.length >= this.batchSize * 2 && !stream.isPaused()) stream.pause();
      this.kick();
    });
    stream.on('caughtUp', () => {
      if (stream !== this.stream) return;
      this.activity();
      this.live = true;
      this.idleCheckDue = true;
      this.kick();
    });
    stream.on('fellBehind', () => {
      if (stream === this.stream) this.live = false;
    });
    stream.on('error', (error) => this.onStreamError(stream, error));
    stream.on('end', () => this.onStreamError(stream, new Error('EventStoreDB ended the subscription')));
  }

  /**
   * A server checkpoint covers every event sent before it. Those still in the stream's buffer are not
   * queued yet, so it takes effect once the buffer has drained; the server waits for that meanwhile.
   */
  private onCheckpoint(stream: AllStreamSubscription, position: Position): Promise<void> {
    if (stream !== this.stream || this.finished) return Promise.resolve();
    this.activity();
    const checkpoint = checkpointToGlobalPosition(position);
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        apply: () => {
          this.consumedUpTo = Math.max(this.consumedUpTo, checkpoint);
          this.kick();
          resolve();
        },
        cancel: resolve,
      };
      if (stream.readableLength === 0) waiter.apply();
      else this.waiters.push(waiter);
    });
  }

  private flushWaiters(apply: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) (apply ? w.apply : w.cancel)();
  }

  private activity(): void {
    this.lastActivity = Date.now();
    this.failures = 0;
  }

  private onStreamError(stream: AllStreamSubscription, error: unknown): void {
    if (stream !== this.stream || this.finished) return;
    this.detach();
    if (++this.failures > MAX_RESUBSCRIBES) {
      this.fail(error);
      return;
    }
    this.live = false;
    setTimeout(
      () => {
        if (!this.finished) this.open();
      },
      100 * 2 ** this.failures,
    ).unref();
  }

  private detach(): void {
    const stream = this.stream;
    this.stream = null;
    this.flushWaiters(false);
    stream?.unsubscribe().catch(() => undefined);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.detach();
    this.onEnd(this);
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.finish();
    void Promise.resolve(this.pump).then(() => this.rejectDone(error));
  }

  private kick(): void {
    if (this.pump || this.finished) return;
    this.pump = this.drain().then(
      () => {
        this.pump = null;
        if (this.queue.length > 0 || this.idleCheckDue) this.kick();
      },
      (error: unknown) => {
        this.pump = null;
        this.fail(error);
      },
    );
  }

  /** The only place handle and onCheckpoint are called, so they never overlap. */
  private async drain(): Promise<void> {
    const { handle, onCheckpoint } = this.options;
    while (!this.finished) {
      if (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchSize);
        if (this.stream?.isPaused() && this.queue.length < this.batchSize) this.stream.resume();
        await handle(batch);
        continue;
      }
      if (this.stream?.isPaused()) this.stream.resume();
      if (this.idleCheckDue) {
        this.idleCheckDue = false;
        if (!onCheckpoint) continue;
        const head = await this.source.progressAfter(this.consumedUpTo);
        if (head !== null) {
          this.consumedUpTo = Math.max(this.consumedUpTo, head);
          this.live = true;
        }
        continue;
      }
      const position = this.consumedUpTo;
      if (onCheckpoint && position > this.reportedUpTo && (this.live || position > this.options.after)) {
        await onCheckpoint(position);
        this.reportedUpTo = position;
        continue;
      }
      return;
    }
  }
}
