/**
 * Client-free mapping between the EventStore port and EventStoreDB for the adapter in
 * esdb-event-store.ts: global positions, filters and stored metadata. The client's position shapes are
 * mirrored by small structural types, so this module does not depend on the client.
 *
 * ## Global positions
 *
 * EventStoreDB addresses $all by a (commit, prepare) pair of byte offsets in its transaction log. An
 * append over gRPC writes each event as its own prepare record flagged as committed, and $all reports
 * every such event with commit = prepare = the offset of its own record, the second and later events of
 * a multi-event append included. (A commit position shared by several events only comes from explicit
 * transactions of the legacy TCP protocol, which the adapter does not support.) `globalPosition` is
 * that prepare offset: unique per event and strictly increasing in $all order, with gaps.
 *
 * Back from a number to a Position: the numbers the adapter hands out are record boundaries (an
 * event's own offset, or the commit part of a filtered-subscription checkpoint: a considered event, or
 * where the server's next scan starts), so `{ commit: n, prepare: n }` is a valid place to resume.
 * Reading $all forwards from it includes the event at n, which the adapter skips; subscribing from it
 * starts after that event. Any other number (say `position - 1`) points into the middle of a record,
 * which the server refuses as an invalid position; then reading starts at the newest event at or below
 * n (found by reading backwards from the head) and everything up to n is skipped client-side.
 *
 * ## Filters
 *
 * A server-side $all filter takes either event types or stream-name prefixes, not both: event types go
 * to the server (as an anchored regex) and prefixes are checked client-side; with only prefixes, they
 * go to the server. System events ($-prefixed types or streams) and the internal reservation streams
 * are always removed. readAll has no server-side filter in the v6 client, so it filters while paging.
 */
import type { z } from 'zod';
import { EventMetadataSchema, type EventMetadata } from '../../domain/kernel/event.js';
import { InvalidEventDataError } from '../../domain/kernel/registry.js';
import type { EventFilter } from '../../application/ports/event-store.js';
import { isInternalStream } from './esdb-reservations.js';

/** A position in EventStoreDB's transaction log (the client's `Position`). */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** The beginning of $all (the client's `START`). */
export type LogStart = 'start';

function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`${what} ${value} is out of range`);
  return Number(value);
}

/** globalPosition of an event read from EventStoreDB: the offset of its own record. */
export function toGlobalPosition(position: LogPosition): number {
  return toSafeNumber(position.prepare, 'Log position');
}

/** A filtered-subscription checkpoint as a global position (see "Global positions"). */
export function checkpointToGlobalPosition(position: LogPosition): number {
  return toSafeNumber(position.commit, 'Checkpoint position');
}

/** Where to read or subscribe from for "events after `after`", if `after` is a record boundary. */
export function toReadPosition(after: number): LogPosition | LogStart {
  if (after === 0) return 'start';
  const n = BigInt(after);
  return { commit: n, prepare: n };
}

/** Tessera's own events: not EventStoreDB system events, not internal reservation events. */
export function isVisible(streamId: string, type: string): boolean {
  return !streamId.startsWith('$') && !type.startsWith('$') && !isInternalStream(streamId);
}

export type ServerFilter =
  | { readonly on: 'eventType'; readonly regex: string }
  | { readonly on: 'streamName'; readonly prefixes: readonly string[] };

/** How one port filter is applied: the server-side half, and the whole check done client-side. */
export interface FilterPlan {
  readonly server: ServerFilter;
  matches(streamId: string, type: string): boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits a port filter (see "Filters"). As in the embedded store, an empty list matches nothing;
 * it is left to the client-side check, with system events excluded server-side.
 */
export function planFilter(filter?: EventFilter): FilterPlan {
  const types = filter?.types ? new Set(filter.types) : null;
  const prefixes = filter?.streamPrefixes ?? null;
  let server: ServerFilter = { on: 'eventType', regex: '^[^$]' };
  if (types?.size) server = { on: 'eventType', regex: `^(?:${[...types].map(escapeRegex).join('|')})$` };
  else if (!types && prefixes?.length) server = { on: 'streamName', prefixes };
  return {
    server,
    matches: (streamId, type) =>
      isVisible(streamId, type) &&
      (!types || types.has(type)) &&
      (!prefixes || prefixes.some((p) => streamId.startsWith(p))),
  };
}

/** Metadata as stored: the envelope's metadata, occurredAt, and EventStoreDB's own correlation keys. */
export function toStoredMetadata(metadata: EventMetadata, occurredAt: string): Record<string, unknown> {
  return {
    ...metadata,
    occurredAt,
    $correlationId: metadata.correlationId,
    ...(metadata.causationId ? { $causationId: metadata.causationId } : {}),
  };
}

/** Metadata that fails EventMetadataSchema, reported like invalid event data. */
export function metadataError(type: string, error: z.ZodError): InvalidEventDataError {
  return new InvalidEventDataError(
    type,
    error.issues.map((i) => ({ path: ['metadata', ...i.path.map(String)].join('.'), message: i.message })),
  );
}

export function fromStoredMetadata(
  type: string,
  raw: unknown,
): { metadata: EventMetadata; occurredAt: string | null } {
  const parsed = EventMetadataSchema.safeParse(raw);
  if (!parsed.success) throw metadataError(type, parsed.error);
  const occurredAt = (raw as { occurredAt?: unknown }).occurredAt;
  return { metadata: parsed.data, occurredAt: typeof occurredAt === 'string' ? occurredAt : null };
}
