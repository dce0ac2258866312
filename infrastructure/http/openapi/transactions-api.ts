import { z } from 'zod';
import {
  CancelledBySchema,
  PaymentMethodRefSchema,
  ProductLineSchema,
  RefundIssuerSchema,
  TransactionStatusSchema,
} from '../../../domain/payment/values.js';
import { MoneySchema } from '../../../domain/shared/money.js';
import { IdempotencyKeyHeader } from '../catalog-resources.js';
import type { toTransactionResource } from '../transactions-resources.js';
import {
  CreateTransactionBody,
  RefundBody,
  TransactionListQuery,
  TransactionParams,
} from '../transactions-resources.js';
import {
  type Documents,
  defineRoutes,
  json,
  problem,
  type RouteDoc,
  scopes,
  WRITE_HEADERS,
} from './registry.js';

/**
 * The transactions API (transactions-router.ts, mounted at /v1), described for the OpenAPI
 * document. Every route answers for the calling client's provider only: another provider's
 * transaction is the same 404 as one that does not exist.
 */

const Instant = z.iso.datetime();

const AttemptResource = z.object({
  attemptId: z.string(),
  method: PaymentMethodRefSchema.describe(
    'How the attempt paid: a card by its provider token with brand, last4 and expiry, or carrier ' +
      'billing by a masked phone number. Never a card number.',
  ),
  status: z.enum([
    'processing',
    'requires_action',
    'authorized',
    'captured',
    'failed',
    'unknown',
    'canceled',
  ]),
  code: z.string().nullable().describe('Why a failed attempt failed, e.g. `card_declined`, `spend_limit`.'),
  message: z.string().nullable(),
  reconciled: z.boolean().describe('The outcome came from asking the provider after a timeout.'),
  startedAt: Instant,
  updatedAt: Instant,
});

export const TransactionResource = z
  .object({
    transactionId: z.uuid(),
    providerId: z.uuid(),
    orderId: z.string(),
    sub: z.uuid().describe('The paying user.'),
    status: TransactionStatusSchema.describe(
      'created → (processing, requires_action) → captured → partially_refunded / refunded; `failed` ' +
        'stays payable; `canceled`, `expired`; `unknown` while a provider answer is awaited (settled ' +
        'by asking the provider, never guessed).',
    ),
    description: z.string(),
    amount: MoneySchema,
    vatRate: z.int(),
    vat: MoneySchema.describe('The VAT contained in the amount (per product line when given).'),
    products: z.array(ProductLineSchema),
    successRedirect: z.string(),
    cancelRedirect: z.string(),
    expiresAt: Instant.nullable(),
    attempts: z.array(AttemptResource),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    captured: MoneySchema,
    refunded: MoneySchema,
    refundable: MoneySchema.describe('Captured minus refunded.'),
    refunds: z.array(
      z.object({
        refundId: z.string(),
        amount: MoneySchema,
        reason: z.string(),
        issuer: RefundIssuerSchema,
        at: Instant,
      }),
    ),
    canceledBy: CancelledBySchema.nullable(),
    createdBy: z.string().describe('The client that created it.'),
    createdAt: Instant,
    updatedAt: Instant,
    links: z.object({
      payment: z.string().describe('The hosted payment page: send the user’s browser here.'),
    }),
  })
  .describe('A payment transaction: what a provider asked a user to pay, and what became of it.');

const TransactionAccepted = z
  .object({
    transactionId: z.uuid(),
    position: z.int().min(0),
    links: z.object({ payment: z.string() }),
  })
  .describe('Created, not yet readable; read it with `?minPosition=position`.');

const RefundResource = z.object({
  refundId: z.string(),
  amount: MoneySchema,
  reason: z.string(),
  transaction: TransactionResource,
});

const RefundAccepted = z.object({ transactionId: z.uuid(), refundId: z.string(), position: z.int().min(0) });

const transactionShapeMatches: Documents<
  z.input<typeof TransactionResource>,
  ReturnType<typeof toTransactionResource>
> = true;
void transactionShapeMatches;

const WRITE = scopes('payment.transactions.write');
const TAG = 'Transactions' as const;
const CREATED_HEADERS = {
  Location: 'The transaction’s URL.',
  'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
  ...WRITE_HEADERS,
} as const;
const noTransaction = problem(
  'No such transaction for this provider (including another provider’s, or another user’s through a user token).',
  'transaction_not_found',
);

export const TRANSACTIONS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/v1/transactions',
    operationId: 'createTransaction',
    summary: 'Ask a user to pay',
    description:
      'Creates a transaction and answers the hosted payment page’s link (`links.payment`). Amounts are ' +
      'integer minor units with an ISO 4217 currency; product prices must add up to the amount. With a ' +
      'client_credentials token name the payer in `sub`; a user token pays for its own user. Send an ' +
      'Idempotency-Key: a repeat with the same key and body answers the first transaction.',
    tags: [TAG],
    security: WRITE,
    headers: IdempotencyKeyHeader,
    body: CreateTransactionBody,
    responses: {
      201: json('Created.', TransactionResource, CREATED_HEADERS),
      202: json('Created, not yet readable.', TransactionAccepted, CREATED_HEADERS),
      409: problem(
        'This provider already has a transaction for the orderId, or the Idempotency-Key was reused.',
        'order_exists',
        'idempotency_key_reused',
      ),
      422: problem(
        'The products do not add up to the amount, or a currency does not match.',
        'products_sum_mismatch',
        'currency_mismatch',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/transactions',
    operationId: 'listTransactions',
    summary: 'A user’s transactions, or those created in a period',
    description:
      '`?sub=` lists the user’s transactions newest first; `?from=&to=` those created in [from, to), ' +
      'oldest first. Paged with `limit` and `cursor`. A user token lists only its own (`sub` = its user).',
    tags: [TAG],
    security: WRITE,
    query: TransactionListQuery,
    readAfterWrite: true,
    responses: {
      200: json(
        'A page of transactions.',
        z.object({ items: z.array(TransactionResource), nextCursor: z.string().nullable() }),
      ),
      403: problem('A user token asked for another user or a period.', 'client_token_required'),
      422: problem('`to` is not after `from`.', 'invalid_period'),
    },
  },
  {
    method: 'get',
    path: '/v1/transactions/{transactionId}',
    operationId: 'getTransaction',
    summary: 'A transaction, to verify its outcome',
    tags: [TAG],
    security: WRITE,
    params: TransactionParams,
    readAfterWrite: true,
    responses: { 200: json('The transaction.', TransactionResource), 404: noTransaction },
  },
  {
    method: 'post',
    path: '/v1/transactions/{transactionId}/refunds',
    operationId: 'refundTransaction',
    summary: 'Refund part or all of a captured payment',
    description:
      'For the provider’s backend. The money goes back through the payment provider first, then the ' +
      'refund is recorded with its reason and the calling client as issuer. Never more than captured ' +
      'minus refunded. Send an Idempotency-Key: a repeat (also after a 503) refunds once.',
    tags: [TAG],
    security: WRITE,
    params: TransactionParams,
    headers: IdempotencyKeyHeader,
    body: RefundBody,
    responses: {
      201: json('Refunded.', RefundResource, WRITE_HEADERS),
      202: json('Refunded, not yet readable.', RefundAccepted, WRITE_HEADERS),
      403: problem('A user’s token cannot refund.', 'client_token_required'),
      404: noTransaction,
      409: problem(
        'Nothing captured to refund, already refunded in full, or the Idempotency-Key was reused.',
        'not_captured',
        'fully_refunded',
        'idempotency_key_reused',
        'refund_refused',
      ),
      422: problem(
        'More than can still be refunded, or another currency.',
        'refund_exceeds_captured',
        'currency_mismatch',
      ),
      503: problem(
        'The payment provider did not answer; repeat with the same Idempotency-Key.',
        'payment_provider_unavailable',
      ),
    },
  },
]);
