/**
 * Request schemas and response shapes of the transactions API (/v1/transactions). The same zod
 * schemas validate requests and describe them in the OpenAPI document. Amounts are integer minor
 * units: `49.5` for an amount is refused with the field's path, never rounded.
 */
import { z } from 'zod';
import {
  DescriptionSchema,
  OrderIdSchema,
  PositiveMoneySchema,
  ProductLinesSchema,
  RedirectUrlSchema,
  RefundReasonSchema,
} from '../../domain/payment/values.js';
import { VatRateSchema } from '../../domain/shared/money.js';
import type { TransactionDoc } from '../../projections/transactions.js';

const Sub = z.uuid('must be a user id (the OIDC `sub`, a UUID)');
const Instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });
const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'));
const Cursor = z.string().min(1).max(1024);

export const TransactionParams = z.object({ transactionId: z.uuid('must be a transaction id (UUID)') });

export const CreateTransactionBody = z.strictObject({
  orderId: OrderIdSchema.describe('Your order reference; unique per provider.'),
  description: DescriptionSchema,
  amount: PositiveMoneySchema.describe('VAT-inclusive; `amount` in integer minor units (4900 = NOK 49.00).'),
  vatRate: VatRateSchema.describe('Basis points: 2500 = 25 %.'),
  products: ProductLinesSchema.optional().describe(
    'What is bought; prices are VAT-inclusive and must add up to `amount`. A line with `sku` and ' +
      '`timeSpec` grants a right when the payment is captured.',
  ),
  successRedirect: RedirectUrlSchema,
  cancelRedirect: RedirectUrlSchema,
  sub: Sub.optional().describe(
    'The paying user. Required with a client_credentials token; a user token pays for its own user.',
  ),
  expiresAt: Instant.optional().describe('After this instant an unpaid transaction can no longer be paid.'),
});

export const RefundBody = z.strictObject({
  amount: PositiveMoneySchema.describe('In the transaction’s currency; at most captured minus refunded.'),
  reason: RefundReasonSchema,
});

export const TransactionListQuery = z
  .object({
    sub: Sub.optional().describe('The user’s transactions, newest first.'),
    from: Instant.optional().describe('With `to`: transactions created in [from, to), oldest first.'),
    to: Instant.optional(),
    limit: Limit.optional(),
    cursor: Cursor.optional(),
  })
  .refine((q) => q.sub !== undefined || (q.from !== undefined && q.to !== undefined), {
    message: 'give either sub, or both from and to',
    path: ['sub'],
  })
  .refine((q) => q.sub === undefined || (q.from === undefined && q.to === undefined), {
    message: 'give either sub, or from and to, not both',
    path: ['from'],
  });

/** The hosted payment page of a transaction. */
export function paymentLink(issuer: string, transactionId: string): string {
  return `${issuer.replace(/\/+$/, '')}/pay/${transactionId}`;
}

export function toTransactionResource(doc: TransactionDoc, issuer: string) {
  return {
    transactionId: doc.transactionId,
    providerId: doc.providerId,
    orderId: doc.orderId,
    sub: doc.sub,
    status: doc.status,
    description: doc.description,
    amount: doc.amount,
    vatRate: doc.vatRate,
    vat: doc.vat,
    products: doc.products,
    successRedirect: doc.successRedirect,
    cancelRedirect: doc.cancelRedirect,
    expiresAt: doc.expiresAt,
    attempts: doc.attempts.map((a) => ({
      attemptId: a.attemptId,
      method: a.method,
      status: a.status,
      code: a.code,
      message: a.message,
      reconciled: a.reconciled,
      startedAt: a.startedAt,
      updatedAt: a.updatedAt,
    })),
    lastError: doc.lastError,
    captured: doc.captured,
    refunded: doc.refunded,
    refundable: doc.refundable,
    refunds: doc.refunds.map((r) => ({
      refundId: r.refundId,
      amount: r.amount,
      reason: r.reason,
      issuer: r.issuer,
      at: r.at,
    })),
    canceledBy: doc.canceledBy,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    links: { payment: paymentLink(issuer, doc.transactionId) },
  };
}
export type TransactionResource = ReturnType<typeof toTransactionResource>;
