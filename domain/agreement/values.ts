import { z } from 'zod';
import { ProductNameSchema, SkuSchema } from '../catalog/values.js';
import { RedirectUrlSchema } from '../payment/values.js';
import { DurationSchema, parseDuration } from '../shared/iso8601.js';
import { MoneySchema, VatRateSchema } from '../shared/money.js';

/**
 * Value rules of a charging agreement: a user's standing permission for a provider to charge a
 * saved payment method for a subscription plan, period after period.
 */

export const agreementStreamId = (agreementId: string) => `agreement-${agreementId}`;

export const AgreementIdSchema = z.uuid();
export const InstantSchema = z.iso.datetime();

/** Recurrences longer than this many periods are refused: ten years of months is plenty. */
export const MAX_RECURRENCE_COUNT = 1200;

/** An ISO 8601 repeating interval without a start: `R/P1M` (open-ended) or `R12/P1M` (twelve periods). */
export interface Recurrence {
  /** How many paid periods, or null for as long as the agreement runs. */
  readonly count: number | null;
  /** The length of one period, an ISO 8601 duration. */
  readonly period: string;
}

const RECURRENCE = /^R(\d{0,4})\/(P[0-9YMWDTHS]+)$/;

/** Parses `R/P1M` or `R12/P1M`; null when the text is not such a recurrence. */
export function parseRecurrence(text: string): Recurrence | null {
  const m = RECURRENCE.exec(text);
  if (!m) return null;
  const period = m[2]!;
  if (parseDuration(period) === null) return null;
  if (m[1] === '') return { count: null, period };
  const count = Number(m[1]);
  if (!Number.isInteger(count) || count < 1 || count > MAX_RECURRENCE_COUNT) return null;
  return { count, period };
}

export const RecurrenceSchema = z
  .string()
  .max(80)
  .refine(
    (text) => parseRecurrence(text) !== null,
    `must be an ISO 8601 recurrence such as R/P1M, or R12/P1M for 12 periods (1-${MAX_RECURRENCE_COUNT})`,
  );

/**
 * What the user agrees to pay: a subscription plan of the provider's catalog, copied into the log
 * when the agreement is made so its history reads the same whatever later happens to the catalog.
 */
export const AgreementTermsSchema = z.object({
  productId: z.uuid(),
  sku: SkuSchema,
  name: ProductNameSchema,
  /** VAT-inclusive price of one period. */
  price: MoneySchema,
  vatRate: VatRateSchema,
  recurrence: RecurrenceSchema,
  period: DurationSchema,
  /** Paid periods after which the agreement completes; null while it runs until stopped. */
  count: z.number().int().min(1).max(MAX_RECURRENCE_COUNT).nullable(),
  /** Free period before the first charge; null for none. */
  trial: DurationSchema.nullable(),
  /** True: the first period is charged when the user confirms (no trial). */
  firstPayment: z.boolean(),
});
export type AgreementTerms = z.infer<typeof AgreementTermsSchema>;

export const AgreementRedirectSchema = RedirectUrlSchema;

/**
 * Where an agreement stands:
 * - `pending`: made by the provider, waiting for the user's confirmation on the hosted page;
 * - `active`: confirmed, periods are charged as they come;
 * - `past_due`: a renewal charge failed and is being retried on the dunning schedule;
 * - `stopped`: stopped by the provider or the user; nothing more is charged and the subscription
 *   ends at the end of the last paid period;
 * - `expired`: ended by the agreement itself (the dunning schedule ran out, or the count was reached);
 * - `canceled`: never confirmed: canceled by the user it names, by the provider, or by the renewal
 *   process once its confirmation deadline (`confirmBy`) passed.
 */
export const AgreementStatusSchema = z.enum([
  'pending',
  'active',
  'past_due',
  'stopped',
  'expired',
  'canceled',
]);
export type AgreementStatus = z.infer<typeof AgreementStatusSchema>;

/**
 * Why a never-confirmed agreement was canceled, when it was not simply withdrawn: `expired` — its
 * confirmation deadline (`confirmBy`) passed and the renewal process canceled it.
 */
export const AgreementCancelReasonSchema = z.enum(['expired']);
export type AgreementCancelReason = z.infer<typeof AgreementCancelReasonSchema>;

/** Who cancels an agreement whose confirmation deadline passed. */
export const CONFIRMATION_DEADLINE_ACTOR = { kind: 'system', id: 'confirmation-deadline' } as const;

export const AgreementExpiryReasonSchema = z.enum(['payment_failed', 'completed']);
export type AgreementExpiryReason = z.infer<typeof AgreementExpiryReasonSchema>;

/**
 * Who stopped or canceled an agreement: the provider (a client id), the user (their sub), or the
 * renewal process itself (when the subscription it drives was ended some other way).
 */
export const AgreementActorSchema = z.strictObject({
  kind: z.enum(['provider', 'user', 'system']),
  id: z.string().min(1).max(200),
});
export type AgreementActor = z.infer<typeof AgreementActorSchema>;

export const StopReasonSchema = z.string().trim().min(1).max(500);

/** A saved method as a person recognises it (`visa •••• 4242`), never the method itself. */
export const MethodLabelSchema = z.string().trim().min(1).max(100);

/** The provider's transaction order id of the charge for one period: one transaction per period. */
export const agreementOrderId = (agreementId: string, period: number) => `agreement:${agreementId}:${period}`;

/**
 * The payment attempt of the `attempt`-th try (0 = first) to charge one period: derived from the
 * log, so a crashed or concurrent charger repeats the very attempt (and its provider keys).
 */
export const agreementAttemptId = (period: number, attempt: number) => `agreement.${period}.${attempt}`;
