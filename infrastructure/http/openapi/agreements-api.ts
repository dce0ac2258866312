import { z } from 'zod';
import {
  AgreementActorSchema,
  AgreementCancelReasonSchema,
  AgreementStatusSchema,
} from '../../../domain/agreement/values.js';
import { MoneySchema } from '../../../domain/shared/money.js';
import {
  AgreementListQuery,
  AgreementParams,
  CreateAgreementBody,
  StopAgreementBody,
  type toAgreementResource,
} from '../agreements-resources.js';
import { IdempotencyKeyHeader } from '../catalog-resources.js';
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
 * The charging agreements API (agreements-router.ts, mounted at /v1), described for the OpenAPI
 * document. Every route answers for the calling client's provider only.
 */

const Instant = z.iso.datetime();

export const AgreementResource = z
  .object({
    agreementId: z.uuid(),
    providerId: z.uuid(),
    sub: z.uuid().nullable().describe('The user who confirmed, or (while pending) the one named.'),
    status: AgreementStatusSchema.describe(
      'pending → active ⇄ past_due (a renewal failed; retried on the dunning schedule) → expired ' +
        '(retries ran out, or every counted period was paid); `stopped` by the provider or user; ' +
        '`canceled` when never confirmed (withdrawn, or not confirmed by `confirmBy`).',
    ),
    sku: z.string(),
    productId: z.uuid(),
    name: z.string(),
    price: MoneySchema.describe('VAT-inclusive price of one period.'),
    vatRate: z.int(),
    vat: MoneySchema,
    recurrence: z.string().describe('ISO 8601 recurrence, e.g. `R/P1M` or `R12/P1M`.'),
    period: z.string(),
    count: z.int().nullable(),
    trial: z.string().nullable(),
    firstPayment: z.boolean(),
    successRedirect: z.string(),
    cancelRedirect: z.string(),
    paymentMethod: z.object({ methodId: z.uuid(), label: z.string() }).nullable(),
    subscriptionId: z.uuid().nullable().describe('The subscription the agreement drives (its rights).'),
    paidThrough: z.int().describe('The highest subscription period paid for (a trial counts).'),
    paidPeriods: z.int(),
    currentPeriodEnd: Instant.nullable(),
    lastChargedAt: Instant.nullable(),
    lastTransactionId: z
      .uuid()
      .nullable()
      .describe('The latest renewal’s transaction (orderId `agreement:<id>:<period>`).'),
    dunning: z
      .object({
        period: z.int(),
        failures: z.int(),
        nextRetryAt: Instant.nullable(),
        lastCode: z.string(),
      })
      .nullable(),
    stoppedBy: AgreementActorSchema.nullable(),
    canceledBy: AgreementActorSchema.nullable().describe(
      'Who canceled it before it was confirmed: the provider, the user it names, or `system` when ' +
        'its confirmation deadline passed.',
    ),
    cancelReason: AgreementCancelReasonSchema.nullable().describe(
      '`expired`: not confirmed by `confirmBy`. Null for a withdrawal, or when not canceled.',
    ),
    expiryReason: z.enum(['payment_failed', 'completed']).nullable(),
    createdBy: z.string(),
    createdAt: Instant,
    confirmBy: Instant.nullable().describe(
      'The confirmation deadline: from this instant on the agreement can no longer be confirmed, ' +
        'and a pending one is canceled (`cancelReason: expired`). Null for agreements made before ' +
        'deadlines existed.',
    ),
    confirmedAt: Instant.nullable(),
    endedAt: Instant.nullable(),
    updatedAt: Instant,
    links: z.object({
      confirmation: z.string().describe('The hosted confirmation page: send the user here.'),
    }),
  })
  .describe('A charging agreement: recurring charges of a saved method for a subscription plan.');

const agreementShapeMatches: Documents<
  z.input<typeof AgreementResource>,
  ReturnType<typeof toAgreementResource>
> = true;
void agreementShapeMatches;

const WRITE = scopes('payment.transactions.write');
const TAG = 'Charging agreements' as const;
const noAgreement = problem('No such agreement for this provider (or user token).', 'agreement_not_found');

export const AGREEMENTS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/v1/agreements',
    operationId: 'createAgreement',
    summary: 'Ask a user to agree to recurring charges',
    description:
      'Creates a pending agreement on one of your subscription plans and answers its confirmation ' +
      'page (`links.confirmation`), where the user chooses or adds a card. The user must confirm ' +
      'before `confirmBy` (24 hours after creation by default); after that the agreement is ' +
      'canceled with `cancelReason: expired`. Renewals charge that card off-session a day before ' +
      'each period ends; failures are retried after 1, 3 and 5 days.',
    tags: [TAG],
    security: WRITE,
    headers: IdempotencyKeyHeader,
    body: CreateAgreementBody,
    responses: {
      201: json('Created.', AgreementResource, { Location: 'The agreement’s URL.', ...WRITE_HEADERS }),
      202: json(
        'Created, not yet readable.',
        z.object({ agreementId: z.uuid(), position: z.int(), links: z.object({ confirmation: z.string() }) }),
      ),
      409: problem(
        'The Idempotency-Key was used with another request, or the plan is retired.',
        'idempotency_key_reused',
        'plan_retired',
      ),
      422: problem(
        'The terms do not fit the plan.',
        'plan_not_found',
        'not_a_subscription_plan',
        'price_mismatch',
        'recurrence_mismatch',
        'trial_with_first_payment',
        'first_payment_required',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/agreements',
    operationId: 'listAgreements',
    summary: 'Your agreements, newest first',
    tags: [TAG],
    security: WRITE,
    query: AgreementListQuery,
    readAfterWrite: true,
    responses: {
      200: json(
        'A page of agreements.',
        z.object({ items: z.array(AgreementResource), nextCursor: z.string().nullable() }),
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/agreements/{agreementId}',
    operationId: 'getAgreement',
    summary: 'One agreement',
    tags: [TAG],
    security: WRITE,
    params: AgreementParams,
    readAfterWrite: true,
    responses: { 200: json('The agreement.', AgreementResource), 404: noAgreement },
  },
  {
    method: 'post',
    path: '/v1/agreements/{agreementId}/stop',
    operationId: 'stopAgreement',
    summary: 'Stop charging',
    description:
      'Nothing more is charged; the subscription ends with the period already paid. A pending ' +
      'agreement is canceled (`canceledBy` is you). Repeating it answers the agreement as it stands.',
    tags: [TAG],
    security: WRITE,
    params: AgreementParams,
    body: StopAgreementBody,
    bodyRequired: false,
    responses: {
      200: json('The agreement.', AgreementResource, WRITE_HEADERS),
      403: problem(
        'A user token cannot cancel a pending agreement that names no user; only its provider can.',
        'agreement_not_named',
      ),
      404: noAgreement,
    },
  },
]);
