import { z } from 'zod';

/**
 * The JSON wire format of the sandbox processors' server-to-server APIs, in the style of a real
 * PSP's REST API (snake_case, amounts in minor units, errors as `{ error: { type, code, message } }`).
 * The sandboxes produce it and the Tessera-side adapters parse every response with it, so a
 * malformed answer fails loudly instead of being half-understood.
 */

export const WireMoney = z.object({ amount: z.int(), currency: z.string().regex(/^[A-Z]{3}$/) });
export type WireMoney = z.infer<typeof WireMoney>;

export const WIRE_PAYMENT_STATUSES = [
  'requires_action',
  'authorized',
  'captured',
  'partially_refunded',
  'refunded',
  'declined',
  'canceled',
] as const;
export type WirePaymentStatus = (typeof WIRE_PAYMENT_STATUSES)[number];

export const WirePayment = z.object({
  object: z.literal('payment'),
  id: z.string().min(1),
  status: z.enum(WIRE_PAYMENT_STATUSES),
  reference: z.string(),
  amount: WireMoney,
  amount_captured: z.int(),
  amount_refunded: z.int(),
  decline_code: z.string().nullable(),
  decline_message: z.string().nullable(),
  next_action: z.object({ redirect_url: z.string() }).nullable(),
});
export type WirePayment = z.infer<typeof WirePayment>;

export const WireRefund = z.object({
  object: z.literal('refund'),
  id: z.string().min(1),
  amount: WireMoney,
  payment: WirePayment,
});
export type WireRefund = z.infer<typeof WireRefund>;

export const WireToken = z.object({
  object: z.literal('token'),
  id: z.string().min(1),
  brand: z.string(),
  last4: z.string().regex(/^\d{4}$/),
  exp_month: z.int().min(1).max(12),
  exp_year: z.int(),
});
export type WireToken = z.infer<typeof WireToken>;

export const WireError = z.object({
  error: z.object({ type: z.string(), code: z.string(), message: z.string() }),
});
export type WireError = z.infer<typeof WireError>;

/** The body of `POST /v1/payments` (card) and `POST /v1/charges` (carrier). */
export const WireAuthorizeBody = z.strictObject({
  amount: WireMoney,
  method: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('card'), token: z.string().min(1).max(100) }),
    z.strictObject({ type: z.literal('carrier'), msisdn: z.string().min(1).max(20) }),
  ]),
  reference: z.string().min(1).max(200),
  description: z.string().max(500),
  return_url: z.url().max(2000),
  /** `automatic`: captured as soon as authorized (default `manual`). */
  capture_method: z.enum(['automatic', 'manual']).optional(),
});
export type WireAuthorizeBody = z.infer<typeof WireAuthorizeBody>;

export const WireAmountBody = z.strictObject({ amount: WireMoney });
