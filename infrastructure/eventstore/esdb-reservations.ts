/**
 * The uniqueness-reservation protocol of the EventStoreDB adapter (esdb-event-store.ts): stream naming,
 * the records it writes, and how a key's state is read from them. Client-free; the adapter does the I/O.
 *
 * ## Uniqueness reservations
 *
 * EventStoreDB has no multi-stream transactions, so a reservation is an intent written before the owner
 * append and conditional on it. Each key has a stream `tessera_reservation-<sha256(key)>` holding:
 *   - `claimed`  { key, value, streamId, ownerFirstRevision, ownerEventId, ownerEventCount, at }
 *   - `released` { the same without value }
 *   - `voided`   { key, revision }: the intent at `revision` definitely never took effect.
 * An intent takes effect exactly when its owner append happened: the owner stream holds `ownerEventId`
 * (the append's first event) at `ownerFirstRevision`. The owner append uses that concrete expected
 * revision, so once another event occupies the revision the intent can never take effect (superseded).
 *
 * A key's state comes from walking its stream newest-first: voided intents are skipped; the first intent
 * whose owner append is present decides (claimed: held by its stream, at the position of the append's
 * last event; released: free); a superseded intent, or one whose owner append is absent and that is
 * older than RESERVATION_GRACE_MS (by the server's `created` time), is ignored; an absent, younger one
 * is pending: it blocks every other stream but holds nothing yet. An empty walk means free.
 *
 * append() with reserve/release:
 *   1. Encode the events; read the owner stream's revision and check the expected revision ('any' turns
 *      into the current revision and is retried if another writer gets in between).
 *   2. Evaluate every key; ReservationNotHeldError / ReservationConflictError before writing anything.
 *   3. Append one intent per key (in key order) at the revision just evaluated; on a race, re-evaluate.
 *   4. Append the owner events, unless OWNER_APPEND_BUDGET_MS passed since step 3 began.
 *   5. If the owner append definitely did not happen (not attempted, or wrong expected revision), append
 *      `voided` for the intents written, so other streams need not wait out the grace period.
 * A crash at any point leaves intents that settle by themselves: effective if the owner append landed,
 * ignored once stale otherwise. Residual risk: an owner append held up inside the server for longer
 * than the grace period could land after another stream took the key over; the budget in step 4 keeps a
 * margin of RESERVATION_GRACE_MS - OWNER_APPEND_BUDGET_MS for that and for clock skew between hosts.
 */
import { z } from 'zod';
import { sha256Hex } from '../../application/kernel/stable-json.js';
import { WrongExpectedRevisionError, type ExpectedRevision } from '../../application/ports/event-store.js';

export const RESERVATION_STREAM_PREFIX = 'tessera_reservation-';
/** An intent whose owner append is absent counts as pending this long after it was written. */
export const RESERVATION_GRACE_MS = 30_000;
/** The owner append is not attempted later than this after the first intent was written. */
export const OWNER_APPEND_BUDGET_MS = 10_000;

const CLAIMED = 'tessera.reservation.claimed';
const RELEASED = 'tessera.reservation.released';
const VOIDED = 'tessera.reservation.voided';

export function reservationStreamId(key: string): string {
  return `${RESERVATION_STREAM_PREFIX}${sha256Hex(key)}`;
}

export function isInternalStream(streamId: string): boolean {
  return streamId.startsWith(RESERVATION_STREAM_PREFIX);
}

/**
 * Checks the expected revision against the stream's current one (null: no stream) and returns the
 * revision to append after (null: the stream must not exist yet).
 */
export function resolveExpectedRevision(
  streamId: string,
  expected: ExpectedRevision,
  current: number | null,
): number | null {
  if (
    (expected === 'no_stream' && current !== null) ||
    (typeof expected === 'number' && expected !== current)
  ) {
    throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');
  }
  return current;
}

// --- records ---------------------------------------------------------------------------------------

const IntentSchema = z.object({
  key: z.string(),
  streamId: z.string(),
  ownerFirstRevision: z.number().int().nonnegative(),
  ownerEventId: z.string(),
  ownerEventCount: z.number().int().positive(),
  at: z.string(),
});
const ClaimSchema = IntentSchema.extend({ value: z.unknown() });
const VoidSchema = z.object({ key: z.string(), revision: z.number().int().nonnegative() });

export type ReservationIntent = z.infer<typeof IntentSchema>;

/** The owner append an intent depends on: the same for every key of one append. */
export type OwnerRef = Omit<ReservationIntent, 'key'>;

/** A record to append to a reservation stream (as a JSON event of this type). */
export interface ReservationRecordData {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** `claimed` (with the reserved value) or `released` for one key of an owner append. */
export function intentRecord(
  owner: OwnerRef,
  key: string,
  claim: { readonly value: unknown } | null,
): ReservationRecordData {
  return claim
    ? { type: CLAIMED, data: { ...owner, key, value: claim.value } }
    : { type: RELEASED, data: { ...owner, key } };
}

/** `voided`: the intent at `revision` of the key's stream definitely never took effect. */
export function voidRecord(key: string, revision: number): ReservationRecordData {
  return { type: VOIDED, data: { key, revision } };
}

/** One event of a reservation stream. */
export type ReservationEntry = { readonly revision: number; readonly created: Date } & (
  | { readonly kind: 'claim'; readonly intent: ReservationIntent; readonly value: unknown }
  | { readonly kind: 'release'; readonly intent: ReservationIntent }
  | { readonly kind: 'void'; readonly voids: number }
);

/** The parts of a recorded reservation event that its entry is read from. */
export interface StoredReservationEvent {
  readonly type: string;
  readonly data: unknown;
  readonly revision: bigint;
  readonly created: Date;
}

/** Reads one event of the reservation stream `streamId`; anything unexpected fails loudly. */
export function toReservationEntry(event: StoredReservationEvent, streamId: string): ReservationEntry {
  const base = { revision: Number(event.revision), created: event.created };
  if (event.type === VOIDED) return { ...base, kind: 'void', voids: VoidSchema.parse(event.data).revision };
  if (event.type === RELEASED) return { ...base, kind: 'release', intent: IntentSchema.parse(event.data) };
  if (event.type === CLAIMED) {
    const claim = ClaimSchema.parse(event.data);
    return { ...base, kind: 'claim', intent: claim, value: claim.value ?? null };
  }
  throw new Error(`Unexpected event type "${event.type}" in ${streamId}`);
}

// --- state -----------------------------------------------------------------------------------------

/** Whether the owner append an intent depends on happened. */
export type OwnerAppend =
  | { readonly status: 'committed'; readonly position: number }
  | { readonly status: 'absent' }
  | { readonly status: 'superseded' };

export interface ReservationState {
  /** Last revision of the reservation stream (null: none): where the next intent goes. */
  readonly lastRevision: number | null;
  readonly holder: { readonly streamId: string; readonly value: unknown; readonly position: number } | null;
  /** The stream whose intent is pending, if any. */
  readonly pendingBy: string | null;
}

/** Walks a reservation stream newest-first and decides the key's state (see "Uniqueness reservations"). */
export async function evaluateReservation(
  newestFirst: AsyncIterable<ReservationEntry> | Iterable<ReservationEntry>,
  ownerAppend: (intent: ReservationIntent) => Promise<OwnerAppend>,
  now: number,
  graceMs = RESERVATION_GRACE_MS,
): Promise<ReservationState> {
  let lastRevision: number | null = null;
  let pendingBy: string | null = null;
  const voided = new Set<number>();
  for await (const entry of newestFirst) {
    lastRevision ??= entry.revision;
    if (entry.kind === 'void') {
      voided.add(entry.voids);
      continue;
    }
    if (voided.has(entry.revision)) continue;
    const owner = await ownerAppend(entry.intent);
    if (owner.status === 'committed') {
      const { streamId } = entry.intent;
      const holder =
        entry.kind === 'claim' ? { streamId, value: entry.value, position: owner.position } : null;
      return { lastRevision, holder, pendingBy };
    }
    if (owner.status === 'absent' && now - entry.created.getTime() < graceMs)
      pendingBy ??= entry.intent.streamId;
  }
  return { lastRevision, holder: null, pendingBy };
}

/** The stream that keeps `streamId` from reserving the key, or null if it may. */
export function reservationBlocker(state: ReservationState, streamId: string): string | null {
  if (state.pendingBy !== null && state.pendingBy !== streamId) return state.pendingBy;
  if (state.holder && state.holder.streamId !== streamId) return state.holder.streamId;
  return null;
}

/** Whether `streamId` may release the key: it holds it, or the pending intent is its own. */
export function holdsReservation(state: ReservationState, streamId: string): boolean {
  if (state.pendingBy !== null) return state.pendingBy === streamId;
  return state.holder?.streamId === streamId;
}
