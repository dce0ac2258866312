import { z } from 'zod';
import { ProductNameSchema, SkuSchema, TimeSpecSchema } from '../catalog/values.js';
import { MoneySchema, NonNegativeMoneySchema, VatRateSchema } from '../shared/money.js';

/**
 * Value schemas of the PaymentTransaction aggregate, shared by events, commands, the read models and
 * the HTTP layer so each rule is written once.
 */

export const TransactionIdSchema = z.uuid();

/**
 * The provider's own order reference: unique per provider (reserved with the append that creates
 * the transaction). Printable ASCII without spaces keeps it safe inside reservation keys and URLs.
 */
export const OrderIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,100}$/, 'must be 1-100 printable ASCII characters without spaces');

/** Shown as the payment page's header and on the payer's statement (CONNECT's limit: 1023). */
export const DescriptionSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(1023, 'must be at most 1023 characters');

/** An attempt's, a refund's or a provider's reference: a short opaque token. */
export const ReferenceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1-100 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');

export const MAX_URL_LENGTH = 2048;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Where the payer's browser goes after paying or cancelling: an https URL, or plain http only on
 * the developer's own machine (localhost, 127.0.0.1, [::1]). Anything else (javascript:, data:,
 * plain http to a public host) would let a redirect leak the outcome or run script.
 */
export function redirectUrlProblem(text: string): string | null {
  if (text.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (url.protocol === 'https:') return url.hostname === '' ? 'must name a host' : null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return 'must be an https URL (http only on localhost, 127.0.0.1 or [::1])';
}

export const RedirectUrlSchema = z.string().superRefine((text, ctx) => {
  const problem = redirectUrlProblem(text);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** An amount to be paid or refunded: a positive integer of minor units. */
export const PositiveMoneySchema = MoneySchema.refine((m) => m.amount > 0, {
  message: 'amount must be greater than zero',
  path: ['amount'],
});

/**
 * One line of what is bought. With `sku` and `timeSpec` the purchase grants a right when the
 * payment is captured. Prices are VAT-inclusive, in the transaction's currency, and add up to the
 * transaction's amount.
 */
export const ProductLineSchema = z.strictObject({
  productId: z.uuid().optional(),
  sku: SkuSchema.optional(),
  name: ProductNameSchema,
  price: NonNegativeMoneySchema,
  vatRate: VatRateSchema,
  timeSpec: TimeSpecSchema.optional(),
});
export type ProductLine = z.infer<typeof ProductLineSchema>;

export const MAX_PRODUCT_LINES = 100;
export const ProductLinesSchema = z
  .array(ProductLineSchema)
  .min(1, 'must list at least one product when given')
  .max(MAX_PRODUCT_LINES, `must list at most ${MAX_PRODUCT_LINES} products`);

/**
 * How an attempt pays: a card (by the tokenising provider's token id) or carrier billing (by a
 * masked phone number). Never a card number: a reference with a long run of digits is refused.
 */
export const PaymentMethodKindSchema = z.enum(['card', 'carrier']);
export type PaymentMethodKind = z.infer<typeof PaymentMethodKindSchema>;

/**
 * Defence in depth against a card number slipping into the log: 13 or more digits in a row, or
 * digits typed in groups of four ("4242 4242 4242 4242", "4242-4242-4242-4242"). Tokens and UUIDs
 * never have such runs (a UUID's longest group is 12 characters).
 */
export function looksLikeCardNumber(text: string): boolean {
  return /\d{13,}/.test(text) || /(?<![\w-])\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?![\w-])/.test(text);
}

export const MethodReferenceSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((text) => !looksLikeCardNumber(text), 'must be a token or masked value, never a card number');

export const PaymentMethodRefSchema = z.strictObject({
  kind: PaymentMethodKindSchema,
  reference: MethodReferenceSchema,
});
export type PaymentMethodRef = z.infer<typeof PaymentMethodRefSchema>;

/** Why a payment step failed: a stable machine code (e.g. `card_declined`) and a message. */
export const DeclineCodeSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be 1-64 of a-z, 0-9, "_"');
export const DeclineMessageSchema = z.string().trim().min(1).max(500);

/** What the payer must do to continue: a challenge (e.g. 3-D Secure) or a redirect. */
export const ActionKindSchema = z.enum(['challenge', 'redirect']);

export const CancelledBySchema = z.enum(['user', 'provider']);
export type CancelledBy = z.infer<typeof CancelledBySchema>;

export const RefundReasonSchema = z.string().trim().min(1, 'must not be empty').max(500);

/** Who refunded: the provider (a client id) or customer support (a staff id). */
export const RefundIssuerSchema = z.strictObject({
  kind: z.enum(['provider', 'support']),
  id: z.string().min(1).max(200),
});
export type RefundIssuer = z.infer<typeof RefundIssuerSchema>;

export const InstantSchema = z.iso.datetime();

/**
 * A transaction's state, after the states of real payment services (Stripe's PaymentIntent):
 * - `created`: waiting for the payer; `failed`: the last attempt was declined, payable again;
 * - `processing`: an attempt is with the provider; `requires_action`: the payer must act (challenge);
 * - `authorized`: funds held; `captured`: money taken; `partially_refunded` / `refunded`;
 * - `canceled`: by the payer or the provider, before capture; `expired`: never paid in time;
 * - `unknown`: a provider call timed out; only the provider's later answer (reconciliation) moves it.
 */
export const TransactionStatusSchema = z.enum([
  'created',
  'processing',
  'requires_action',
  'authorized',
  'captured',
  'partially_refunded',
  'refunded',
  'failed',
  'canceled',
  'expired',
  'unknown',
]);
export type TransactionStatus = z.infer<typeof TransactionStatusSchema>;

/** An attempt's own state; one attempt at a time is in flight (processing, requires_action, unknown). */
export type AttemptStatus =
  'processing' | 'requires_action' | 'authorized' | 'captured' | 'failed' | 'unknown' | 'canceled';

/** At most this many attempts per transaction: a brake on card testing. */
export const MAX_ATTEMPTS = 20;

export const transactionStreamId = (transactionId: string) => `payment-${transactionId}`;
/** The uniqueness claim that keeps one transaction per provider and orderId. */
export const orderReservationKey = (providerId: string, orderId: string) => `order:${providerId}:${orderId}`;
