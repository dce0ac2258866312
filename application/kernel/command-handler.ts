import type { Actor, DomainEvent, RecordedEvent } from '../../domain/kernel/event.js';
import { type Decider, DomainError } from '../../domain/kernel/decider.js';
import type { Clock } from '../ports/clock.js';
import {
  type EventStore,
  type ExpectedRevision,
  type Reservation,
  ReservationConflictError,
  WrongExpectedRevisionError,
} from '../ports/event-store.js';
import { newId } from './ids.js';
import { sha256Hex, stableStringify } from './stable-json.js';

/** Who is acting and in which conversation; copied into every event's metadata. */
export interface CommandContext {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string | null;
  /** Why the actor did this, when they must say (support actions); recorded in the metadata. */
  readonly reason?: string;
}

export interface Idempotency {
  /** The caller's Idempotency-Key. */
  readonly key: string;
  /** Whose keys these are (e.g. a provider id): the same key from two callers never collides. */
  readonly scope: string;
  /** The request as received; a repeat with a different request is refused. */
  readonly request: unknown;
}

export interface HandleOptions<State, Event extends DomainEvent> {
  /** Uniqueness keys to claim or give up together with the decided events. */
  readonly reservations?: (
    events: readonly Event[],
    before: State,
  ) => {
    reserve?: readonly Reservation[];
    release?: readonly string[];
  };
  readonly idempotency?: Idempotency;
  /** Attempts on a revision conflict before giving up (default 5). */
  readonly maxAttempts?: number;
}

export interface HandleResult<State> {
  readonly streamId: string;
  readonly state: State;
  readonly events: readonly RecordedEvent[];
  /** Global position of the last event appended (or of the original append when deduplicated); null if nothing was appended. */
  readonly position: number | null;
  /** Stream revision after the command; null while the stream does not exist. */
  readonly revision: number | null;
  /** True when an earlier command with the same idempotency key was found and nothing new was done. */
  readonly deduplicated: boolean;
}

/** The same idempotency key was used earlier with a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'conflict',
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request.',
    );
  }
}

/** Gave up after repeated revision conflicts (heavy contention on one stream). */
export class ConcurrencyExhaustedError extends Error {
  constructor(readonly streamId: string) {
    super(`Stream ${streamId} kept changing; the command was not applied`);
    this.name = 'ConcurrencyExhaustedError';
  }
}

export function idempotencyReservationKey(idem: Idempotency): string {
  return `idempotency:${idem.scope}:${idem.key}`;
}

/** Streams whose folded state is remembered per decider; the least recently used go first. */
const SNAPSHOT_LIMIT = 10_000;

interface Snapshot {
  readonly revision: number;
  readonly state: unknown;
}

/**
 * The generic command pipeline: load the stream → fold → decide → append with the expected revision,
 * retrying a bounded number of times when another writer moved the stream in between.
 *
 * Folded states are remembered per (decider, stream) with the revision they stand at. A load then
 * reads only the events after that revision, so a stream's history is not read, decoded and folded
 * again for every command. This is safe because streams only grow and evolve is pure: the state at
 * revision N never changes, whoever appends after it (another process included, whose events are
 * simply read as the tail). Nothing is trusted beyond what the store returns: a command still
 * appends with the revision it read, and a conflict reloads the tail as before.
 */
export class CommandHandler {
  private readonly snapshots = new WeakMap<object, Map<string, Snapshot>>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  async load<State, Event extends DomainEvent>(
    decider: Decider<State, unknown, Event>,
    streamId: string,
  ): Promise<{ state: State; revision: number | null }> {
    const known = this.snapshotsOf(decider).get(streamId);
    const events = await this.store.readStream(
      streamId,
      known ? { fromRevision: known.revision + 1 } : undefined,
    );
    let state = known ? (known.state as State) : decider.initialState();
    for (const e of events) state = decider.evolve(state, e as unknown as Event);
    const last = events.at(-1);
    const revision = last ? last.revision : (known?.revision ?? null);
    if (revision !== null) this.remember(decider, streamId, revision, state);
    return { state, revision };
  }

  private snapshotsOf(decider: object): Map<string, Snapshot> {
    let map = this.snapshots.get(decider);
    if (!map) {
      map = new Map();
      this.snapshots.set(decider, map);
    }
    return map;
  }

  /** Keeps the newest state known for a stream (an older one arriving late never replaces it). */
  private remember(decider: object, streamId: string, revision: number, state: unknown): void {
    const map = this.snapshotsOf(decider);
    const known = map.get(streamId);
    if (known && known.revision > revision) return;
    map.delete(streamId);
    map.set(streamId, { revision, state });
    if (map.size > SNAPSHOT_LIMIT) map.delete(map.keys().next().value!);
  }

  async handle<State, Command, Event extends DomainEvent>(
    decider: Decider<State, Command, Event>,
    streamId: string,
    command: Command,
    context: CommandContext,
    options: HandleOptions<State, Event> = {},
  ): Promise<HandleResult<State>> {
    const maxAttempts = options.maxAttempts ?? 5;
    const idem = options.idempotency;
    const requestHash = idem ? sha256Hex(stableStringify(idem.request)) : undefined;

    if (idem) {
      const earlier = await this.replayIfDuplicate(decider, idem, requestHash!);
      if (earlier) return earlier;
    }

    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.load(decider, streamId);
      const events = decider.decide(command, state, { now: this.clock.now() });
      if (events.length === 0) {
        return { streamId, state, events: [], position: null, revision, deduplicated: false };
      }
      const claims = options.reservations?.(events, state) ?? {};
      const reserve: Reservation[] = [
        ...(idem ? [{ key: idempotencyReservationKey(idem), value: { requestHash } }] : []),
        ...(claims.reserve ?? []),
      ];
      const expectedRevision: ExpectedRevision = revision === null ? 'no_stream' : revision;
      const causationId = context.causationId ?? null;
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => ({
            eventId: newId(),
            type: e.type,
            data: e.data,
            metadata: {
              correlationId: context.correlationId,
              causationId,
              actor: context.actor,
              ...(idem ? { idempotencyKey: idem.key } : {}),
              ...(context.reason !== undefined ? { reason: context.reason } : {}),
            },
          })),
          { expectedRevision, reserve, release: claims.release ?? [] },
        );
        let next = state;
        for (const e of events) next = decider.evolve(next, e);
        // What is remembered is folded from the events as stored (after the registry's encoding),
        // exactly what a later read of the stream would fold.
        let stored = state;
        for (const e of result.events) stored = decider.evolve(stored, e as unknown as Event);
        this.remember(decider, streamId, result.nextExpectedRevision, stored);
        return {
          streamId,
          state: next,
          events: result.events,
          position: result.position,
          revision: result.nextExpectedRevision,
          deduplicated: false,
        };
      } catch (err) {
        if (err instanceof WrongExpectedRevisionError && attempt < maxAttempts) continue;
        if (err instanceof WrongExpectedRevisionError) throw new ConcurrencyExhaustedError(streamId);
        // With an idempotency key, any reservation conflict may stem from a concurrent repeat of this
        // very request that committed first (it may have claimed another key before the idempotency
        // key was checked): replay its result if so, otherwise report the conflict.
        if (idem && err instanceof ReservationConflictError) {
          const earlier = await this.replayIfDuplicate(decider, idem, requestHash!);
          if (earlier) return earlier;
        }
        throw err;
      }
    }
  }

  private async replayIfDuplicate<State, Event extends DomainEvent>(
    decider: Decider<State, unknown, Event>,
    idem: Idempotency,
    requestHash: string,
  ): Promise<HandleResult<State> | null> {
    const held = await this.store.getReservation(idempotencyReservationKey(idem));
    if (!held) return null;
    const heldHash = (held.value as { requestHash?: string } | null)?.requestHash;
    if (heldHash !== requestHash) throw new IdempotencyKeyReusedError();
    const { state, revision } = await this.load(decider, held.streamId);
    return {
      streamId: held.streamId,
      state,
      events: [],
      position: held.position,
      revision,
      deduplicated: true,
    };
  }
}
