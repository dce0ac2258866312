import { z } from 'zod';
import { DurationSchema } from '../shared/iso8601.js';

/**
 * Value schemas of the service catalog, shared by events, commands and the HTTP layer so a rule is
 * written once. Text is trimmed before length checks so " " never counts as a name.
 */

/** A product's stock-keeping unit: what rights and payments refer to. Unique per provider, never reused. */
export const SkuSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"');

export const ProviderNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

/** 145 characters: the longest product name a payment page shows (CONNECT Payment's limit). */
export const ProductNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(145, 'must be at most 145 characters');

/** How to reach the people running a service. At least one way must be given. */
export const ContactSchema = z
  .strictObject({
    email: z.email('must be an email address').max(254).optional(),
    phone: z.e164('must be a phone number in E.164 form, e.g. +4712345678').optional(),
    url: z.httpUrl('must be an http(s) URL').max(2048).optional(),
  })
  .refine(
    (c) => c.email !== undefined || c.phone !== undefined || c.url !== undefined,
    'must give an email, phone or url',
  );
export type Contact = z.infer<typeof ContactSchema>;

export const ProductKindSchema = z.enum(['one_time', 'subscription']);
export type ProductKind = z.infer<typeof ProductKindSchema>;

/** How long a one-time purchase grants access: an ISO 8601 duration, or 'perpetual'. */
export const TimeSpecSchema = z.union([z.literal('perpetual'), DurationSchema]);
export type TimeSpec = z.infer<typeof TimeSpecSchema>;

export const RetireReasonSchema = z.string().trim().min(1).max(500);

export const providerStreamId = (providerId: string) => `provider-${providerId}`;
export const productStreamId = (productId: string) => `product-${productId}`;
/** The uniqueness claim that keeps one SKU per provider. */
export const skuReservationKey = (providerId: string, sku: string) => `sku:${providerId}:${sku}`;
