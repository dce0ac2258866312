import { z } from 'zod';
import { SkuSchema } from '../../../domain/catalog/values.js';
import { IdempotencyKeyHeader } from '../catalog-resources.js';
import type { toSubscriptionResource } from '../subscriptions-router.js';
import {
  CancelSubscriptionBody,
  ChangePlanBody,
  StartSubscriptionBody,
  SubscriptionParams,
  SuspendSubscriptionBody,
} from '../subscriptions-router.js';
import {
  defineRoutes,
  json,
  problem,
  type ProblemResponseDoc,
  type RouteDoc,
  scopes,
  WRITE_HEADERS,
  type Documents,
} from './registry.js';

/**
 * The subscriptions API (subscriptions-router.ts, mounted at /v1), described for the OpenAPI
 * document. Like the rights API it answers for the calling client's provider only.
 */

const Instant = z.iso.datetime();

/** `{sub}`: a user id, or `me` with a user token (the UUID half is the router's own schema). */
const SubOrMe = z
  .union([z.literal('me'), SubscriptionParams.shape.sub])
  .describe(
    'The user id (the OIDC `sub`, a UUID), or `me` for the user of a user token (with a ' +
      'client_credentials token `me` is refused with user_required).',
  );

const UserPathParams = z.object({ sub: SubOrMe });
const SubscriptionPathParams = z.object({
  sub: SubOrMe,
  subscriptionId: SubscriptionParams.shape.subscriptionId,
});

export const SubscriptionResource = z
  .object({
    subscriptionId: z.uuid(),
    sub: z.uuid(),
    providerId: z.uuid(),
    status: z
      .enum(['trialing', 'active', 'past_due', 'suspended', 'canceled_at_period_end', 'expired'])
      .describe(
        '`past_due`: a charged renewal failed and is being retried (no right for the unpaid period). ' +
          '`suspended` wins over `canceled_at_period_end`; `expired` is final.',
      ),
    sku: SkuSchema.describe('The current plan.'),
    productId: z.uuid(),
    period: z.string().describe('Length of one period, an ISO 8601 duration such as `P1M`.'),
    scheduledSku: SkuSchema.nullable().describe('The plan that takes over at the next period, if any.'),
    currentPeriod: z.int().min(1).describe('The number of the current period, from 1.'),
    periodStart: Instant,
    periodEnd: Instant.describe('Renewal, trial end or (when canceled at period end) expiry.'),
    trialEnd: Instant.nullable().describe('End of the free trial; null for a plan without one.'),
    inTrial: z.boolean(),
    cancelAtPeriodEnd: z.boolean(),
    renewal: z
      .enum(['automatic', 'charged'])
      .describe(
        '`automatic`: renewed at each period end. `charged`: started by a charging agreement ' +
          '(`agreementId`) and renewed only once the period is paid.',
      ),
    agreementId: z.uuid().nullable().describe('The charging agreement that pays for it, if any.'),
    pastDue: z.boolean().describe('A charged renewal failed and is being retried.'),
    startedAt: Instant,
    endedAt: Instant.nullable(),
    updatedAt: Instant,
    generation: z.int().min(0).describe('Grows with every change to the subscription.'),
  })
  .describe('A subscription to one of the provider’s plans; each period issues a right.');

const SubscriptionAccepted = z
  .object({ subscriptionId: z.uuid(), position: z.int().min(0) })
  .describe('Written, not yet readable; read it with `?minPosition=position`.');

/** The documented shape must accept what the router actually sends (checked at compile time). */
const subscriptionShapeMatches: Documents<
  z.input<typeof SubscriptionResource>,
  ReturnType<typeof toSubscriptionResource>
> = true;
void subscriptionShapeMatches;

const READ = scopes('id.user.right.read');
const WRITE = scopes('id.user.right.write');
const TAG = 'Subscriptions' as const;

const CREATED_HEADERS = {
  Location: 'The new subscription’s URL.',
  'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
  ...WRITE_HEADERS,
} as const;

const backendOnly = problem(
  'A user’s token cannot manage subscriptions; use the provider backend’s client_credentials token.',
  'client_token_required',
);
const noSubscription = problem(
  'No such subscription for this provider and user (including another provider’s, or another ' +
    'user’s through a user token).',
  'subscription_not_found',
);
const ended = problem('The subscription has ended; start a new one.', 'subscription_expired');

const userRequired = problem('`me` was used with a client_credentials token.', 'user_required');

/** A change to an existing subscription: the same answers, the action's own conflicts. */
function action(
  path: string,
  operationId: string,
  summary: string,
  description: string,
  body: z.ZodType,
  /** Problems that replace or add to the default 404 and 409. */
  more: Readonly<Record<number, ProblemResponseDoc>> = {},
  bodyRequired = false,
): RouteDoc {
  return {
    method: 'post',
    path: `/v1/users/{sub}/subscriptions/{subscriptionId}/${path}`,
    operationId,
    summary,
    description,
    tags: [TAG],
    security: WRITE,
    params: SubscriptionPathParams,
    body,
    bodyRequired,
    responses: {
      400: userRequired,
      200: json('The subscription as changed.', SubscriptionResource, WRITE_HEADERS),
      202: json('Changed, not yet readable.', SubscriptionAccepted, WRITE_HEADERS),
      403: backendOnly,
      404: noSubscription,
      409: ended,
      ...more,
    },
  };
}

export const SUBSCRIPTIONS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/v1/users/{sub}/subscriptions',
    operationId: 'startSubscription',
    summary: 'Subscribe a user to a plan',
    description:
      'For the provider’s backend. The SKU must be one of the provider’s subscription plans; period 1 ' +
      '(the trial, if the plan has one) and its right start now. Send an Idempotency-Key to make ' +
      'retries safe.',
    tags: [TAG],
    security: WRITE,
    params: UserPathParams,
    headers: IdempotencyKeyHeader,
    body: StartSubscriptionBody,
    responses: {
      400: userRequired,
      201: json('Started.', SubscriptionResource, CREATED_HEADERS),
      202: json('Started, not yet readable.', SubscriptionAccepted, CREATED_HEADERS),
      403: backendOnly,
      404: problem('No such plan in the provider’s catalog.', 'plan_not_found'),
      409: problem(
        'The plan is retired, or the Idempotency-Key was used with a different request.',
        'plan_retired',
        'idempotency_key_reused',
      ),
      422: problem('The product is sold once, not as a subscription.', 'not_a_subscription_plan'),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'A user’s subscriptions at the provider',
    description: 'A user token reads its own user’s subscriptions.',
    tags: [TAG],
    security: READ,
    params: UserPathParams,
    readAfterWrite: true,
    responses: {
      400: userRequired,
      200: json('The subscriptions.', z.object({ subscriptions: z.array(SubscriptionResource) })),
      404: problem(
        'A user token named another user: that user’s subscriptions are not found.',
        'subscription_not_found',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/subscriptions/{subscriptionId}',
    operationId: 'getSubscription',
    summary: 'A subscription',
    tags: [TAG],
    security: READ,
    params: SubscriptionPathParams,
    readAfterWrite: true,
    responses: {
      400: userRequired,
      200: json('The subscription.', SubscriptionResource),
      404: noSubscription,
    },
  },
  action(
    'cancel',
    'cancelSubscription',
    'Cancel a subscription',
    'At the end of the current period by default (`atPeriodEnd: true`, undone by …/resume), or at ' +
      'once. Canceling at once does not terminate the current period’s right: terminate it as well ' +
      'to end access now.',
    CancelSubscriptionBody,
  ),
  action(
    'resume',
    'resumeSubscription',
    'Withdraw a cancellation at period end',
    'The subscription renews again. Doing it when no cancellation is scheduled changes nothing.',
    SuspendSubscriptionBody.pick({}),
  ),
  action(
    'suspend',
    'suspendSubscription',
    'Suspend a subscription',
    'Periods starting from now issue suspended rights; the current period’s right is left as it is ' +
      '(suspend it through the rights API to deny access now).',
    SuspendSubscriptionBody,
  ),
  action(
    'reactivate',
    'reactivateSubscription',
    'Reactivate a suspended subscription',
    'Rights are active again from the next period; those issued while suspended stay suspended.',
    SuspendSubscriptionBody.pick({}),
  ),
  action(
    'plan',
    'changeSubscriptionPlan',
    'Change the plan from the next period',
    'Schedules the switch to another of the provider’s plans at the end of the current period; ' +
      'naming the current plan withdraws a scheduled change.',
    ChangePlanBody,
    {
      404: problem('No such subscription, or no such plan.', 'subscription_not_found', 'plan_not_found'),
      409: problem(
        'The subscription has ended or ends with this period (resume it first), or the plan is retired.',
        'subscription_expired',
        'cancellation_scheduled',
        'plan_retired',
      ),
      422: problem('The product is sold once, not as a subscription.', 'not_a_subscription_plan'),
    },
    true,
  ),
]);
