/**
 * Request schemas and response shapes of the charging agreements API (/v1/agreements). The same zod
 * schemas validate requests and describe them in the OpenAPI document.
 */
import { z } from 'zod';
import { RecurrenceSchema, StopReasonSchema } from '../../domain/agreement/values.js';
import { SkuSchema } from '../../domain/catalog/values.js';
import { RedirectUrlSchema } from '../../domain/payment/values.js';
import { DurationSchema } from '../../domain/shared/iso8601.js';
import { MoneySchema, vatIncludedIn } from '../../domain/shared/money.js';
import type { AgreementDoc } from '../../projections/agreements.js';

const Sub = z.uuid('must be a user id (the OIDC `sub`, a UUID)');
const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'));

export const AgreementParams = z.object({ agreementId: z.uuid('must be an agreement id (UUID)') });

export const CreateAgreementBody = z.strictObject({
  sku: SkuSchema.describe('A subscription plan of your catalog.'),
  sub: Sub.optional().describe(
    'The user who must confirm it. A user token agrees for its own user; left out with a ' +
      'client_credentials token, whoever signs in on the confirmation page may confirm, and only ' +
      'you can cancel it before then (its Cancel button just sends the user to cancelRedirect).',
  ),
  price: MoneySchema.optional().describe('Must be the plan’s price when given (integer minor units).'),
  recurrence: RecurrenceSchema.optional().describe(
    'ISO 8601 recurrence with the plan’s period: `R/P1M` until stopped, `R12/P1M` for 12 paid periods. ' +
      'Default `R/<plan period>`.',
  ),
  trial: DurationSchema.nullable()
    .optional()
    .describe('Overrides the plan’s free trial (`P14D`), or `null` for none. Default: the plan’s.'),
  firstPayment: z
    .boolean()
    .optional()
    .describe('Charge the first period at confirmation. Default: when there is no trial.'),
  successRedirect: RedirectUrlSchema,
  cancelRedirect: RedirectUrlSchema,
});

export const StopAgreementBody = z.strictObject({ reason: StopReasonSchema.optional() });

export const AgreementListQuery = z.object({
  sub: Sub.optional().describe('Only this user’s agreements.'),
  status: z.enum(['pending', 'active', 'past_due', 'stopped', 'expired', 'canceled']).optional(),
  limit: Limit.optional(),
  cursor: z.string().min(1).max(1024).optional(),
});

/** The hosted confirmation page of an agreement. */
export function confirmationLink(issuer: string, agreementId: string): string {
  return `${issuer.replace(/\/+$/, '')}/pay/agreements/${agreementId}`;
}

/** An agreement as the API answers it. */
export function toAgreementResource(doc: AgreementDoc, issuer: string) {
  const { terms } = doc;
  return {
    agreementId: doc.id,
    providerId: doc.providerId,
    sub: doc.sub,
    status: doc.status,
    sku: terms.sku,
    productId: terms.productId,
    name: terms.name,
    price: terms.price,
    vatRate: terms.vatRate,
    vat: vatIncludedIn(terms.price, terms.vatRate),
    recurrence: terms.recurrence,
    period: terms.period,
    count: terms.count,
    trial: terms.trial,
    firstPayment: terms.firstPayment,
    successRedirect: doc.successRedirect,
    cancelRedirect: doc.cancelRedirect,
    paymentMethod: doc.methodId === null ? null : { methodId: doc.methodId, label: doc.methodLabel ?? '' },
    subscriptionId: doc.subscriptionId,
    paidThrough: doc.paidThrough,
    paidPeriods: doc.paidPeriods,
    currentPeriodEnd: doc.periodEnd,
    lastChargedAt: doc.lastChargedAt,
    lastTransactionId: doc.lastTransactionId,
    dunning: doc.dunning,
    stoppedBy: doc.stoppedBy,
    canceledBy: doc.canceledBy,
    cancelReason: doc.cancelReason,
    expiryReason: doc.expiryReason,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt,
    confirmBy: doc.confirmBy,
    confirmedAt: doc.confirmedAt,
    endedAt: doc.endedAt,
    updatedAt: doc.updatedAt,
    links: { confirmation: confirmationLink(issuer, doc.id) },
  };
}
