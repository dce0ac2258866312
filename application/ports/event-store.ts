import type { DomainEvent, EventMetadata, RecordedEvent } from '../../domain/kernel/event.js';

/**
 * The expected revision of a stream when appending: the revision of its last event (0-based),
 * 'no_stream' when the stream must not exist yet, or 'any' to skip the check.
 */
export type ExpectedRevision = number | 'no_stream' | 'any';

export interface NewEvent<E extends DomainEvent = DomainEvent> {
  /** Optional; a UUID v7 is generated when absent. */
  readonly eventId?: string;
  readonly type: E['type'];
  readonly data: E['data'];
  /** schemaVersion is filled in by the store from the event registry. */
  readonly metadata: Omit<EventMetadata, 'schemaVersion'>;
}

/**
 * A uniqueness claim made atomically with an append: after the append commits, `key` belongs to the
 * appended stream. If another stream holds the key, the whole append fails with ReservationConflictError.
 * Re-reserving a key the same stream already holds is allowed (and replaces its value).
 */
export interface Reservation {
  /** Namespaced key, e.g. `phone:<keyed hash>` or `idempotency:<provider>:<key>`. Max 512 chars. */
  readonly key: string;
  /** Small JSON value kept with the reservation (e.g. a request hash). */
  readonly value?: unknown;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  readonly reserve?: readonly Reservation[];
  /** Keys this stream gives up in the same append. Releasing a key held by another stream fails. */
  readonly release?: readonly string[];
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
  /** Global position of the last appended event: pass it as `minPosition` to read your write. */
  readonly position: number;
  readonly events: readonly RecordedEvent[];
}

export interface ReservationRecord {
  readonly key: string;
  readonly streamId: string;
  readonly value: unknown;
  /** Global position of the append that made the reservation. */
  readonly position: number;
}

export interface EventFilter {
  /** Only these event types. */
  readonly types?: readonly string[];
  /** Only streams whose id starts with one of these prefixes (e.g. 'catalog-'). */
  readonly streamPrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /** Return events with globalPosition strictly greater than this (0 = from the beginning). */
  readonly after: number;
  readonly maxCount: number;
  readonly filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Deliver events with globalPosition strictly greater than this (0 = from the beginning). */
  readonly after: number;
  readonly filter?: EventFilter;
  /** Largest batch handed to `handle`. */
  readonly batchSize?: number;
  /**
   * Receives events in global order, in batches, one call at a time: the next batch is not delivered
   * before the returned promise settles. A rejection stops the subscription (see Subscription.done).
   */
  readonly handle: (events: readonly RecordedEvent[]) => Promise<void>;
  /**
   * Progress report for filtered subscriptions: every event matching the filter up to and including
   * `position` has been handed to `handle`, even if none matched (e.g. after catching up with the log
   * head, or an EventStoreDB checkpoint). Called between `handle` calls, never concurrently with one.
   */
  readonly onCheckpoint?: (position: number) => Promise<void> | void;
}

export interface Subscription {
  /** Stops delivery; resolves when no handler call is running any more. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves after stop(), rejects if the handler or the store failed. */
  readonly done: Promise<void>;
}

/**
 * The append-only log. Every event written is validated, and every event read is upcast and
 * validated, by the application's EventRegistry.
 */
export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** Events of one stream in revision order, from `fromRevision` (default 0). Empty if no such stream. */
  readStream(
    streamId: string,
    options?: { fromRevision?: number; maxCount?: number },
  ): Promise<RecordedEvent[]>;
  /** Events of all streams in global order. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Global position of the last event in the log (0 when empty). */
  headPosition(): Promise<number>;
  /** Catch-up subscription: replays from `after`, then delivers live events as they are appended. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Who holds a uniqueness key, if anyone. */
  getReservation(key: string): Promise<ReservationRecord | null>;
  close(): Promise<void>;
}

/** The stream is not at the expected revision (another writer got there first). */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** A uniqueness key is held by another stream; nothing was appended. */
export class ReservationConflictError extends Error {
  constructor(
    readonly key: string,
    readonly heldBy: string,
  ) {
    super(`Key "${key}" is already reserved by another stream`);
    this.name = 'ReservationConflictError';
  }
}

/** An append asked to release a key the stream does not hold; nothing was appended. */
export class ReservationNotHeldError extends Error {
  constructor(
    readonly key: string,
    readonly streamId: string,
  ) {
    super(`Stream ${streamId} does not hold key "${key}"`);
    this.name = 'ReservationNotHeldError';
  }
}
