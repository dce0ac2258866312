import { z } from 'zod';
import { IdempotencyKeyHeader } from '../catalog-resources.js';
import {
  OneClickBody,
  PaymentMethodParams,
  SaveCardBody,
  SaveCarrierBody,
  type toPaymentMethodResource,
  type toPaymentOutcomeResource,
} from '../payment-methods-resources.js';
import { TransactionParams } from '../transactions-resources.js';
import { TransactionStatusSchema } from '../../../domain/payment/values.js';
import { type Documents, defineRoutes, empty, json, problem, scopes, WRITE_HEADERS } from './registry.js';

/**
 * A user's saved payment methods (payment-methods-router.ts) and one-click payment
 * (one-click-router.ts), both mounted at /v1, described for the OpenAPI document.
 */

export const PaymentMethodResource = z
  .object({
    methodId: z.uuid(),
    kind: z.enum(['card', 'carrier']),
    brand: z.string().nullable().describe('Cards: the brand as the card provider names it (`visa`, …).'),
    last4: z.string().nullable().describe('Cards: the last four digits.'),
    expMonth: z.int().nullable(),
    expYear: z.int().nullable(),
    maskedPhone: z.string().nullable().describe('Carrier billing: the phone, masked (`+47 ••••••67`).'),
    isDefault: z.boolean().describe('What one-click charges when no method is named.'),
    expired: z.boolean().describe('A card past its expiry month; it cannot be charged or made default.'),
    available: z
      .boolean()
      .describe('False once the account’s personal data was erased: listed, never chargeable.'),
    createdAt: z.iso.datetime(),
  })
  .describe('A saved payment method as its owner sees it. Never a card number or a full phone number.');

const MethodAccepted = z
  .object({ methodId: z.uuid(), position: z.int().min(0).nullable() })
  .describe('Saved, not yet readable; list with `?minPosition=position`.');

export const PaymentOutcomeResource = z
  .object({
    transactionId: z.uuid(),
    attemptId: z.string(),
    methodId: z
      .uuid()
      .nullable()
      .describe('The saved method charged (null on a repeat whose method was removed since).'),
    status: z
      .enum(['processing', 'requires_action', 'authorized', 'captured', 'failed', 'unknown', 'canceled'])
      .describe(
        'The attempt: `captured` (paid), `requires_action` (send the browser to `actionUrl`), `failed` ' +
          '(see `code`; the transaction stays payable), `unknown` (the provider did not answer; it is ' +
          'settled from the provider’s record — read the transaction later), `processing` (a ' +
          'concurrent repeat of the same Idempotency-Key is still running).',
      ),
    transactionStatus: TransactionStatusSchema,
    actionUrl: z.string().nullable().describe('With `requires_action`: the challenge step.'),
    code: z
      .string()
      .nullable()
      .describe('With `failed`: `card_declined`, `insufficient_funds`, `spend_limit`, …'),
    message: z.string().nullable().describe('With `failed`: for logs and support, not for the payer.'),
    rights: z
      .array(z.object({ rightId: z.uuid(), sku: z.string() }))
      .describe(
        'With `captured`: the rights the purchase grants (one per product with a `sku` and a `timeSpec`). ' +
          'The answer comes once they can be read, so the next access check already allows; should ' +
          'granting take longer than 5 seconds, the answer does not wait for it.',
      ),
    links: z.object({
      transaction: z.string().describe('GET it to verify the outcome.'),
      payment: z.string().describe('The hosted payment page (for another method).'),
    }),
  })
  .describe('The outcome of a one-click payment attempt.');

const methodShapeMatches: Documents<
  z.input<typeof PaymentMethodResource>,
  ReturnType<typeof toPaymentMethodResource>
> = true;
const outcomeShapeMatches: Documents<
  z.input<typeof PaymentOutcomeResource>,
  ReturnType<typeof toPaymentOutcomeResource>
> = true;
void methodShapeMatches;
void outcomeShapeMatches;

const READ = scopes('id.user.read', 'payment.transactions.write');
const WRITE = scopes('payment.transactions.write');
const TAG = 'Payment methods' as const;
const BASE = '/v1/users/me/payment-methods';

const userToken = problem(
  'A client_credentials token has no user; use the user’s own token.',
  'user_token_required',
);
const noMethod = problem('No such saved method on the account.', 'payment_method_not_found');
const SAVED_HEADERS = {
  'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key and nothing new was saved.',
  ...WRITE_HEADERS,
} as const;
const saveConflicts = problem(
  'Already saved, the wallet is full, or the Idempotency-Key came with another request.',
  'payment_method_exists',
  'wallet_full',
  'idempotency_key_reused',
);

export const PAYMENT_METHODS_API = defineRoutes([
  {
    method: 'get',
    path: BASE,
    operationId: 'listMyPaymentMethods',
    summary: 'The signed-in user’s saved payment methods',
    description:
      'Oldest first, with the default marked. Reading takes `id.user.read` or `payment.transactions.write`.',
    tags: [TAG],
    security: READ,
    readAfterWrite: true,
    responses: {
      200: json('The saved methods.', z.object({ items: z.array(PaymentMethodResource) })),
      403: userToken,
    },
  },
  {
    method: 'post',
    path: `${BASE}/cards`,
    operationId: 'saveMyCard',
    summary: 'Save a tokenised card',
    description:
      'Send the token the card provider’s hosted form returned; brand, last four and expiry are asked ' +
      'of the provider server to server. The first saved method becomes the default. Send an ' +
      'Idempotency-Key: a repeat saves once and answers the same method.',
    tags: [TAG],
    security: WRITE,
    headers: IdempotencyKeyHeader,
    body: SaveCardBody,
    responses: {
      201: json('Saved.', PaymentMethodResource, SAVED_HEADERS),
      202: json('Saved, not yet readable.', MethodAccepted, SAVED_HEADERS),
      403: userToken,
      409: saveConflicts,
      422: problem(
        'The card provider does not know the token, the card has expired, or cards are not available.',
        'unknown_card_token',
        'card_expired',
        'payment_method_unavailable',
      ),
      503: problem(
        'The card provider did not answer; repeat with the same Idempotency-Key.',
        'payment_provider_unavailable',
      ),
    },
  },
  {
    method: 'post',
    path: `${BASE}/carrier`,
    operationId: 'saveMyCarrierBilling',
    summary: 'Save carrier billing to a verified phone',
    description:
      'Charges go to the phone bill of one of the account’s verified phones (the primary one when ' +
      '`phone` is left out). Send an Idempotency-Key to make a repeat safe.',
    tags: [TAG],
    security: WRITE,
    headers: IdempotencyKeyHeader,
    body: SaveCarrierBody,
    responses: {
      201: json('Saved.', PaymentMethodResource, SAVED_HEADERS),
      202: json('Saved, not yet readable.', MethodAccepted, SAVED_HEADERS),
      403: userToken,
      409: saveConflicts,
      422: problem('Not a verified phone of the account.', 'phone_not_verified'),
    },
  },
  {
    method: 'post',
    path: `${BASE}/{methodId}/default`,
    operationId: 'makeMyPaymentMethodDefault',
    summary: 'Make a saved method the default',
    description: 'One-click payments charge the default when no method is named.',
    tags: [TAG],
    security: WRITE,
    params: PaymentMethodParams,
    responses: {
      204: empty('Done.', WRITE_HEADERS),
      403: userToken,
      404: noMethod,
      422: problem('The card has expired.', 'card_expired'),
    },
  },
  {
    method: 'delete',
    path: `${BASE}/{methodId}`,
    operationId: 'removeMyPaymentMethod',
    summary: 'Remove a saved method',
    description:
      'Idempotent: removing it again answers 204. Removing the default leaves no default: one-click ' +
      'then needs a `methodId` until the user chooses a new default.',
    tags: [TAG],
    security: WRITE,
    params: PaymentMethodParams,
    responses: { 204: empty('Removed.', WRITE_HEADERS), 403: userToken, 404: noMethod },
  },
  {
    method: 'post',
    path: '/v1/transactions/{transactionId}/payment',
    operationId: 'payTransactionWithSavedMethod',
    summary: 'One-click: pay with a saved method',
    description:
      'For the paying user’s own token: charges the named saved method, or the default, for a ' +
      'transaction made out to that user. Every attempt answers 200 with its outcome — a decline is ' +
      '`status: failed` with its `code`, not an error, and the transaction stays payable. A problem ' +
      'means nothing was charged. Send an Idempotency-Key: a repeat answers the same attempt as it ' +
      'stands (`Idempotent-Replayed: true`) and never charges again; concurrent repeats charge once.',
    tags: ['Transactions'],
    security: WRITE,
    params: TransactionParams,
    headers: IdempotencyKeyHeader,
    body: OneClickBody,
    bodyRequired: false,
    // `?minPosition=` (a transaction's Tessera-Position) waits until the transaction is readable.
    readAfterWrite: true,
    responses: {
      200: json('The attempt’s outcome.', PaymentOutcomeResource, {
        'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
      }),
      403: userToken,
      404: problem(
        'No such transaction for this user at the token’s provider, or no such saved method.',
        'transaction_not_found',
        'payment_method_not_found',
      ),
      409: problem(
        'Nothing was charged: the transaction is paid, in progress, canceled or expired; no default ' +
          'method is saved; or the Idempotency-Key came with another method.',
        'transaction_paid',
        'attempt_in_progress',
        'outcome_unknown',
        'transaction_canceled',
        'transaction_expired',
        'too_many_attempts',
        'no_default_payment_method',
        'payment_method_unavailable',
        'phone_not_verified',
        'idempotency_key_reused',
      ),
      422: problem(
        'The saved card has expired, or its kind cannot be paid with here.',
        'card_expired',
        'payment_method_unavailable',
      ),
    },
  },
]);
