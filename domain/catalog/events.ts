import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { NonNegativeMoneySchema, VatRateSchema } from '../shared/money.js';
import { DurationSchema } from '../shared/iso8601.js';
import {
  ContactSchema,
  ProductNameSchema,
  ProviderNameSchema,
  RetireReasonSchema,
  SkuSchema,
  TimeSpecSchema,
} from './values.js';

/** A service provider joined the platform (stream `provider-<id>`). */
export const ServiceProviderRegistered = defineEvent(
  'ServiceProviderRegistered',
  z.object({
    providerId: z.uuid(),
    name: ProviderNameSchema,
    contact: ContactSchema.optional(),
  }),
);
export type ServiceProviderRegistered = EventOf<typeof ServiceProviderRegistered>;

export const ServiceProviderRenamed = defineEvent(
  'ServiceProviderRenamed',
  z.object({ providerId: z.uuid(), name: ProviderNameSchema, previousName: ProviderNameSchema }),
);
export type ServiceProviderRenamed = EventOf<typeof ServiceProviderRenamed>;

const productBase = {
  productId: z.uuid(),
  providerId: z.uuid(),
  sku: SkuSchema,
  name: ProductNameSchema,
  /** VAT-inclusive price: for a subscription, the price of one period. */
  price: NonNegativeMoneySchema,
  vatRate: VatRateSchema,
};

/**
 * A product (SKU) entered a provider's catalog (stream `product-<id>`). One-time products carry the
 * validity of the right a purchase grants; subscriptions carry their billing period and trial.
 */
export const ProductAdded = defineEvent(
  'ProductAdded',
  z.discriminatedUnion('kind', [
    z.object({ ...productBase, kind: z.literal('one_time'), timeSpec: TimeSpecSchema }),
    z.object({
      ...productBase,
      kind: z.literal('subscription'),
      period: DurationSchema,
      trial: DurationSchema.optional(),
    }),
  ]),
);
export type ProductAdded = EventOf<typeof ProductAdded>;

/** New price and VAT rate; purchases already made keep the price they were made at. */
export const ProductPriceChanged = defineEvent(
  'ProductPriceChanged',
  z.object({
    productId: z.uuid(),
    price: NonNegativeMoneySchema,
    vatRate: VatRateSchema,
    previousPrice: NonNegativeMoneySchema,
    previousVatRate: VatRateSchema,
  }),
);
export type ProductPriceChanged = EventOf<typeof ProductPriceChanged>;

/** The product can no longer be bought; rights already granted are untouched. Its SKU stays taken. */
export const ProductRetired = defineEvent(
  'ProductRetired',
  z.object({ productId: z.uuid(), reason: RetireReasonSchema.optional() }),
);
export type ProductRetired = EventOf<typeof ProductRetired>;

export type ProviderEvent = ServiceProviderRegistered | ServiceProviderRenamed;
export type ProductEvent = ProductAdded | ProductPriceChanged | ProductRetired;
export type CatalogEvent = ProviderEvent | ProductEvent;

/** Every catalog event definition, for the application's EventRegistry. */
export const catalogEvents: readonly EventDefinition[] = [
  ServiceProviderRegistered,
  ServiceProviderRenamed,
  ProductAdded,
  ProductPriceChanged,
  ProductRetired,
];
