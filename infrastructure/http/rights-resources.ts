/**
 * Request schemas and response shapes of the rights API (/v1/users/{sub}/rights, access checks,
 * entitlements). The same zod schemas validate requests and describe them in the OpenAPI document.
 */
import { z } from 'zod';
import type { AccessAnswer, RightView } from '../../application/right/right-queries.js';
import { SkuSchema } from '../../domain/catalog/values.js';
import { InstantInputSchema, PayloadSchema } from '../../domain/right/values.js';
import { DurationSchema } from '../../domain/shared/iso8601.js';

const Sub = z.uuid('must be a user id (the OIDC `sub`, a UUID)');
const RightId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a right id');

export const UserParams = z.object({ sub: Sub });
export const RightParams = z.object({ sub: Sub, rightId: RightId });

export const GrantBody = z.strictObject({
  sku: SkuSchema,
  validFrom: InstantInputSchema.optional(),
  /** null: perpetual; absent: from the product (a one-time SKU's timeSpec). */
  validUntil: InstantInputSchema.nullable().optional(),
  payload: PayloadSchema.nullable().optional(),
});

/** Most rights one batch may grant; each is its own write, reported one by one. */
export const MAX_BATCH = 100;

export const GrantBatchBody = z.strictObject({
  rights: z
    .array(GrantBody.extend({ sub: Sub }))
    .min(1, 'must list at least one right')
    .max(MAX_BATCH, `must list at most ${MAX_BATCH} rights`),
});

export const ExtendBody = z.union(
  [z.strictObject({ validUntil: InstantInputSchema }), z.strictObject({ by: DurationSchema })],
  { error: 'give either validUntil (an ISO 8601 instant) or by (an ISO 8601 duration such as P2D)' },
);

export const ReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/** `now` or an ISO 8601 instant. */
const At = z.union([z.literal('now'), InstantInputSchema], { error: 'must be "now" or an ISO 8601 instant' });

export const RightsQuery = z.strictObject({
  active: At.optional(),
  sku: SkuSchema.optional(),
});

export const AccessQuery = z.strictObject({ sku: SkuSchema, at: At.optional() });

export const AccessBatchBody = z.strictObject({
  at: InstantInputSchema.optional(),
  checks: z
    .array(z.strictObject({ sub: Sub, sku: SkuSchema }))
    .min(1, 'must list at least one check')
    .max(MAX_BATCH, `must list at most ${MAX_BATCH} checks`),
});

/** The instant a query asks about: now, or the given one. */
export function instantOf(value: string | undefined, now: Date): Date {
  return value === undefined || value === 'now' ? now : new Date(value);
}

export function toRightResource(view: RightView) {
  return {
    rightId: view.id,
    sub: view.sub,
    providerId: view.providerId,
    sku: view.sku,
    productId: view.productId,
    state: view.state,
    stateAt: view.stateAt,
    validFrom: view.validFrom,
    validUntil: view.validUntil,
    /** ISO 8601 interval; an open end for a perpetual right. */
    timeInterval: `${view.validFrom}/${view.validUntil ?? '..'}`,
    used: view.used,
    usedAt: view.usedAt,
    grantor: view.grantor,
    payload: view.payload,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    generation: view.revision,
  };
}

export function toAccessResource(sub: string, sku: string, answer: AccessAnswer, at: Date) {
  return { sub, sku, at: at.toISOString(), ...answer };
}
