import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { SkuSchema } from '../catalog/values.js';
import {
  GrantorSchema,
  InitialRightStateSchema,
  InstantSchema,
  PayloadSchema,
  RightIdSchema,
} from './values.js';

/*
 * Events of the Right aggregate (stream `right-<rightId>`). A right is a ticket: one user's access to
 * one SKU of one provider during [validFrom, validUntil). Expiry is never recorded: it follows from
 * the clock (see rightStateAt).
 */

const rightId = RightIdSchema;
const reason = z.string().min(1).max(500).optional();

/** A right was issued. `validUntil: null` is a perpetual right; `payload` is the provider's. */
export const RightGranted = defineEvent(
  'RightGranted',
  z.object({
    rightId,
    providerId: z.uuid(),
    productId: z.uuid(),
    sku: SkuSchema,
    sub: z.uuid(),
    grantor: GrantorSchema,
    validFrom: InstantSchema,
    validUntil: InstantSchema.nullable(),
    payload: PayloadSchema.nullable(),
    initialState: InitialRightStateSchema,
  }),
);
export type RightGranted = EventOf<typeof RightGranted>;

/** The right now ends later. */
export const RightExtended = defineEvent(
  'RightExtended',
  z.object({ rightId, validUntil: InstantSchema, previousValidUntil: InstantSchema }),
);
export type RightExtended = EventOf<typeof RightExtended>;

/** The right may not be used until it is reactivated; its validity keeps running. */
export const RightSuspended = defineEvent('RightSuspended', z.object({ rightId, reason }));
export type RightSuspended = EventOf<typeof RightSuspended>;

export const RightReactivated = defineEvent('RightReactivated', z.object({ rightId }));
export type RightReactivated = EventOf<typeof RightReactivated>;

/** The right ended for good, before (or after) its validity ran out. Final. */
export const RightTerminated = defineEvent('RightTerminated', z.object({ rightId, reason }));
export type RightTerminated = EventOf<typeof RightTerminated>;

/** The provider recorded that the right was used. Recorded once; a right never becomes unused. */
export const RightUsed = defineEvent('RightUsed', z.object({ rightId, usedAt: InstantSchema }));
export type RightUsed = EventOf<typeof RightUsed>;

export type RightEvent =
  RightGranted | RightExtended | RightSuspended | RightReactivated | RightTerminated | RightUsed;

/** Every right event definition, for the application's EventRegistry. */
export const rightEvents: readonly EventDefinition[] = [
  RightGranted,
  RightExtended,
  RightSuspended,
  RightReactivated,
  RightTerminated,
  RightUsed,
];
