import { z } from 'zod';

/**
 * Value schemas and time rules of the Right aggregate, shared by events, commands, the projection
 * and the query side so the meaning of a right's validity is written once.
 */

/**
 * A right's id. Tessera generates UUIDs; a grantor that issues retry-safely (a subscription period,
 * a purchase) may choose its own, so any short token of letters, digits, ".", "_" and "-" is taken.
 */
export const RightIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 characters of A-Z, a-z, 0-9, ".", "_" or "-"');

/** Opaque text a provider stores with a right (e.g. a seat number); Tessera never reads it. */
export const MAX_PAYLOAD_LENGTH = 4096;
export const PayloadSchema = z
  .string()
  .max(MAX_PAYLOAD_LENGTH, `must be at most ${MAX_PAYLOAD_LENGTH} characters`);

/** An instant as stored in events and read models: UTC, `Z`-suffixed ISO 8601. */
export const InstantSchema = z.iso.datetime();

/** An instant as a caller may write it: ISO 8601 with `Z` or an offset; normalised to UTC on entry. */
export const InstantInputSchema = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });

export const GrantorKindSchema = z.enum(['provider', 'purchase', 'subscription', 'support']);

/** Who granted a right: the provider, a purchase, a subscription, or customer support. */
export const GrantorSchema = z.object({
  kind: GrantorKindSchema,
  id: z.string().min(1).max(200),
});
export type Grantor = z.infer<typeof GrantorSchema>;

/** The state a right is granted in: a suspended subscription issues suspended rights. */
export const InitialRightStateSchema = z.enum(['active', 'suspended']);

/**
 * What a right is at an instant (CONNECT's states). Only `status` is recorded; CREATED and EXPIRED
 * follow from the clock, so a right is shown correctly at any instant without a scheduler.
 */
export const RightStateSchema = z.enum(['CREATED', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'TERMINATED']);
export type RightState = z.infer<typeof RightStateSchema>;

/** The recorded part of a right's state: what the events say, independent of time. */
export type RightStatus = 'active' | 'suspended' | 'terminated';

export const rightStreamId = (rightId: string) => `right-${rightId}`;

/** The fields rightStateAt needs; both the aggregate state and the read model have them. */
export interface RightValidity {
  readonly status: RightStatus;
  /** ISO 8601 instant. */
  readonly validFrom: string;
  /** ISO 8601 instant (exclusive end), or null for a perpetual right. */
  readonly validUntil: string | null;
}

/**
 * The state of a right at `at`. The interval is half-open, [validFrom, validUntil): a right is
 * usable from its first instant and expired from its last, so two back-to-back periods never
 * overlap. Termination wins over everything; expiry over suspension (an expired right stays expired
 * whatever else happens).
 */
export function rightStateAt(right: RightValidity, at: Date): RightState {
  if (right.status === 'terminated') return 'TERMINATED';
  const t = at.getTime();
  if (right.validUntil !== null && t >= Date.parse(right.validUntil)) return 'EXPIRED';
  if (t < Date.parse(right.validFrom)) return 'CREATED';
  return right.status === 'active' ? 'ACTIVE' : 'SUSPENDED';
}

/** Normalises a valid ISO 8601 instant (any offset) to UTC `…Z` text; null when it is no instant. */
export function normaliseInstant(text: string): string | null {
  if (!InstantInputSchema.safeParse(text).success) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
