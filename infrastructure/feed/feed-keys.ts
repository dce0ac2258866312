import type { NewDelivery } from '../../application/ports/provider-feed-store.js';

/**
 * The uniqueness key of a delivery: an original delivery is unique per (provider, event), so a
 * process manager scheduling it again after a crash adds nothing; a replay is unique by its own id.
 */
export function dedupeKey(delivery: NewDelivery): string {
  return delivery.replay
    ? `replay:${delivery.id}`
    : `event:${delivery.message.providerId}:${delivery.message.eventId}`;
}

/** Where a newest-first page of the delivery log ended: the last item's creation time and id. */
export interface DeliveryCursor {
  readonly createdAt: number;
  readonly id: string;
}

export function encodeDeliveryCursor(createdAt: string, id: string): string {
  return `${Date.parse(createdAt)}.${id}`;
}

/** Null when `cursor` is not one encodeDeliveryCursor made. */
export function decodeDeliveryCursor(cursor: string): DeliveryCursor | null {
  const match = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(cursor);
  return match ? { createdAt: Number(match[1]), id: match[2]! } : null;
}

/** Leases and claims must end in the future, or a message would be taken again at once. */
export function assertPositive(value: number, what: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be positive, got ${value}`);
}
