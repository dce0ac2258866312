/**
 * Request schemas and response shapes of a user's saved payment methods (/v1/users/me/payment-methods)
 * and of one-click payment (/v1/transactions/{id}/payment). The same zod schemas validate requests and
 * describe them in the OpenAPI document.
 */
import { z } from 'zod';
import type { PaymentMethodView } from '../../application/payment-method/payment-method-queries.js';
import type { PayOutcome } from '../../application/payment/payment-flow.js';
import { purchaseRightId, rightLines } from '../../application/payment/rights-on-purchase.js';
import { paymentLink } from './transactions-resources.js';

const MethodId = z.uuid('must be a payment method id (UUID)');

export const PaymentMethodParams = z.object({ methodId: MethodId });

export const SaveCardBody = z.strictObject({
  token: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'The token the card provider’s hosted card form returned. Brand, last four digits and expiry are ' +
        'asked of the provider, never taken from the caller.',
    ),
  makeDefault: z
    .boolean()
    .optional()
    .describe('Make it the default method (the first saved method becomes the default anyway).'),
});

export const SaveCarrierBody = z.strictObject({
  phone: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe('One of the account’s verified phone numbers; the primary phone when left out.'),
  makeDefault: z.boolean().optional(),
});

export const OneClickBody = z.strictObject({
  methodId: MethodId.optional().describe('The saved method to charge; the default method when left out.'),
});

export function toPaymentMethodResource(view: PaymentMethodView) {
  return {
    methodId: view.methodId,
    kind: view.kind,
    brand: view.brand,
    last4: view.last4,
    expMonth: view.expMonth,
    expYear: view.expYear,
    maskedPhone: view.maskedPhone,
    isDefault: view.isDefault,
    expired: view.expired,
    available: view.available,
    createdAt: view.createdAt,
  };
}
export type PaymentMethodResource = ReturnType<typeof toPaymentMethodResource>;

/** What a one-click payment answers: the attempt's outcome, never an error for a decline. */
/** With a captured outcome: the rights the purchase grants, one per product line with a SKU and a timeSpec. */
export function purchasedRights(outcome: PayOutcome): Array<{ rightId: string; sku: string }> {
  if (outcome.status !== 'captured') return [];
  return rightLines(outcome.transaction.products).map((line) => ({
    rightId: purchaseRightId(outcome.transactionId, line.lineIndex),
    sku: line.sku,
  }));
}

export function toPaymentOutcomeResource(outcome: PayOutcome, methodId: string | null, issuer: string) {
  return {
    transactionId: outcome.transactionId,
    attemptId: outcome.attemptId,
    methodId,
    status: outcome.status,
    transactionStatus: outcome.transaction.status,
    actionUrl: outcome.actionUrl ?? null,
    code: outcome.code ?? null,
    message: outcome.message ?? null,
    rights: purchasedRights(outcome),
    links: {
      transaction: `/v1/transactions/${outcome.transactionId}`,
      payment: paymentLink(issuer, outcome.transactionId),
    },
  };
}
export type PaymentOutcomeResource = ReturnType<typeof toPaymentOutcomeResource>;
