import { z } from 'zod';
import { NonNegativeMoneySchema, VatRateSchema } from '../../domain/shared/money.js';
import { DurationSchema } from '../../domain/shared/iso8601.js';
import {
  ContactSchema,
  ProductKindSchema,
  ProductNameSchema,
  ProviderNameSchema,
  RetireReasonSchema,
  SkuSchema,
  TimeSpecSchema,
} from '../../domain/catalog/values.js';
import type { ProductDoc, ProviderDoc } from '../../projections/catalog.js';

/** Request and response shapes of the catalog API. Unknown body fields are refused, not ignored. */

export const ProviderIdParams = z.object({ providerId: z.uuid('must be a provider id (UUID)') });
export const ProductIdParams = z.object({ productId: z.uuid('must be a product id (UUID)') });

const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'));
const Cursor = z.string().min(1).max(1024);

export const ProviderListQuery = z.object({ limit: Limit.optional(), cursor: Cursor.optional() });
export const ProductListQuery = z.object({
  limit: Limit.optional(),
  cursor: Cursor.optional(),
  kind: ProductKindSchema.optional(),
});

export const NewProviderBody = z.strictObject({
  name: ProviderNameSchema,
  contact: ContactSchema.optional(),
});
export const RenameProviderBody = z.strictObject({ name: ProviderNameSchema });

const productBase = {
  sku: SkuSchema,
  name: ProductNameSchema,
  price: NonNegativeMoneySchema,
  vatRate: VatRateSchema,
};
export const NewProductBody = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ ...productBase, kind: z.literal('one_time'), timeSpec: TimeSpecSchema }),
    z.strictObject({
      ...productBase,
      kind: z.literal('subscription'),
      period: DurationSchema,
      trial: DurationSchema.optional(),
    }),
  ],
  { error: 'must be "one_time" or "subscription"' },
);

export const ChangePriceBody = z
  .strictObject({ price: NonNegativeMoneySchema.optional(), vatRate: VatRateSchema.optional() })
  .refine(
    (b) => b.price !== undefined || b.vatRate !== undefined,
    'give a new price, a new vatRate, or both',
  );

export const RetireBody = z.strictObject({ reason: RetireReasonSchema.optional() });

/** `Idempotency-Key`: printable ASCII without spaces, 1..255 characters. */
export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1-255 printable ASCII characters without spaces')
    .optional(),
});

export function toProviderResource(doc: ProviderDoc) {
  return {
    id: doc.id,
    name: doc.name,
    contact: doc.contact,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function toProductResource(doc: ProductDoc) {
  return {
    id: doc.id,
    providerId: doc.providerId,
    sku: doc.sku,
    name: doc.name,
    kind: doc.kind,
    price: doc.price,
    vatRate: doc.vatRate,
    timeSpec: doc.timeSpec,
    period: doc.period,
    trial: doc.trial,
    status: doc.status,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    retiredAt: doc.retiredAt,
  };
}
