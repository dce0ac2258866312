import { z } from 'zod';
import { QUEUE_LIMITS } from '../../../application/feed/event-queue.js';
import type { toDeliveryResource, toMessageResource, toWebhookResource } from '../feed-resources.js';
import {
  AckBody,
  DeliveriesQuery,
  MessageIdParams,
  NextMessagesBody,
  PutWebhookBody,
  ReplayBody,
  WebhookParams,
} from '../feed-resources.js';
import { pageOf } from './catalog-api.js';
import {
  ADMIN,
  defineRoutes,
  empty,
  json,
  problem,
  type RouteDoc,
  scopes,
  type Documents,
} from './registry.js';

/**
 * The providers' change feed, described for the OpenAPI document: the event queue a provider's
 * backend pulls from (event-queue-router.ts, mounted at /v1) and the webhook settings of the admin
 * API (webhooks-router.ts, mounted at /admin/v1).
 */

const Instant = z.iso.datetime();

/** The public part of a change, shared by queue messages and webhook deliveries. */
const MessageShape = {
  eventId: z.string().describe('The log event the message was made from; deduplicate by it.'),
  position: z.int().min(0).describe('Global log position of that event; orders the messages.'),
  type: z.string().describe('Public, dotted type, e.g. `right.granted`, `subscription.renewed`.'),
  subject: z.record(z.string(), z.string()).describe('What the change is about, e.g. `{ sub, rightId }`.'),
  data: z.unknown().describe('The change’s public JSON payload.'),
  occurredAt: Instant,
};

export const MessageResource = z
  .object({
    id: z.uuid().describe('The message id; acknowledge it at …/events/{id}/ack.'),
    leaseId: z.uuid().describe('Proof of this lease: acknowledging needs it.'),
    leaseExpiresAt: Instant.describe('Unacknowledged by then, the message is delivered again.'),
    deliveryCount: z.int().min(1).describe('How many times it was leased (1 the first time).'),
    ...MessageShape,
  })
  .describe('A change leased from the provider’s queue.');

export const WebhookResource = z.object({
  providerId: z.uuid(),
  url: z.string().describe('https, or http on a loopback host (development).'),
  createdAt: Instant,
  updatedAt: Instant,
  secret: z
    .string()
    .optional()
    .describe(
      'The signing secret (`whsec_…`), only in the answer that generated it: store it now. Each ' +
        'delivery carries `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.',
    ),
});

export const DeliveryResource = z.object({
  id: z.uuid(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attemptCount: z.int().min(0),
  attempts: z
    .array(
      z.object({
        at: Instant,
        statusCode: z.int().nullable().describe('The receiver’s HTTP status; null when none arrived.'),
        error: z.string().nullable().describe('Why the attempt failed; null on success.'),
        durationMs: z.number().min(0),
      }),
    )
    .describe('The latest attempts, most recent last (`attemptCount` counts all).'),
  nextAttemptAt: Instant.nullable().describe('When the next attempt is due (pending only).'),
  createdAt: Instant,
  deliveredAt: Instant.nullable(),
  replayOf: z.uuid().nullable().describe('The delivery this one replays, if any.'),
  message: z.object(MessageShape).describe('What was (or will be) sent.'),
});

const ReplayResult = z.object({
  scheduled: z.int().min(0).describe('Deliveries scheduled by this call.'),
  nextPosition: z
    .int()
    .min(1)
    .nullable()
    .describe('For a replay from a position: call again with this `fromPosition` to go on; null when done.'),
});

/** The documented shapes must accept what the routers actually send (checked at compile time). */
const messageShapeMatches: Documents<
  z.input<typeof MessageResource>,
  ReturnType<typeof toMessageResource>
> = true;
const webhookShapeMatches: Documents<
  z.input<typeof WebhookResource>,
  ReturnType<typeof toWebhookResource>
> = true;
const deliveryShapeMatches: Documents<
  z.input<typeof DeliveryResource>,
  ReturnType<typeof toDeliveryResource>
> = true;
void messageShapeMatches;
void webhookShapeMatches;
void deliveryShapeMatches;

const QUEUE = 'Change feed' as const;
const WEBHOOKS = 'Admin: webhooks' as const;
const EVENTS_READ = scopes('events.read');

const backendOnly = problem(
  'The change feed is for a provider’s backend: use a client_credentials token.',
  'client_token_required',
);
const noProvider = problem('No such provider.', 'provider_not_found');
const noWebhook = problem(
  'No such provider, or it has no webhook endpoint.',
  'provider_not_found',
  'webhook_not_registered',
);

export const FEED_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/v1/events/next',
    operationId: 'nextEvents',
    summary: 'Lease the next changes from the provider’s queue',
    description:
      `Up to \`max\` messages (default ${QUEUE_LIMITS.defaultMax}) in log order, each leased for ` +
      `\`leaseSeconds\` (default ${QUEUE_LIMITS.defaultLeaseSeconds}): acknowledge each once handled, ` +
      'or it is delivered again when its lease runs out. An empty list means nothing is waiting.',
    tags: [QUEUE],
    security: EVENTS_READ,
    body: NextMessagesBody,
    bodyRequired: false,
    responses: {
      200: json('The leased messages.', z.object({ messages: z.array(MessageResource) })),
      403: backendOnly,
    },
  },
  {
    method: 'post',
    path: '/v1/events/{id}/ack',
    operationId: 'ackEvent',
    summary: 'Acknowledge a handled message',
    description: 'Removes the message from the queue; it is not delivered again.',
    tags: [QUEUE],
    security: EVENTS_READ,
    params: MessageIdParams,
    body: AckBody,
    responses: {
      204: empty('Acknowledged.'),
      403: backendOnly,
      404: problem('No such message in this provider’s queue.', 'message_not_found'),
      409: problem(
        'The lease ran out and the message was delivered again; acknowledge it with the newer lease.',
        'stale_lease',
      ),
    },
  },
  {
    method: 'put',
    path: '/admin/v1/providers/{providerId}/webhook',
    operationId: 'putWebhook',
    summary: 'Register or change a provider’s webhook endpoint',
    description:
      'A new endpoint gets a signing secret, shown in this answer only; changing the URL keeps the ' +
      'secret unless `rotateSecret` is true.',
    tags: [WEBHOOKS],
    security: ADMIN,
    params: WebhookParams,
    body: PutWebhookBody,
    responses: {
      200: json('Changed (with `secret` only if it was rotated).', WebhookResource),
      201: json('Registered, with its `secret`.', WebhookResource),
      404: noProvider,
      422: problem('The URL cannot be a webhook endpoint.', 'invalid_webhook_url'),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/providers/{providerId}/webhook',
    operationId: 'getWebhook',
    summary: 'A provider’s webhook endpoint',
    tags: [WEBHOOKS],
    security: ADMIN,
    params: WebhookParams,
    responses: { 200: json('The endpoint (never its secret).', WebhookResource), 404: noWebhook },
  },
  {
    method: 'delete',
    path: '/admin/v1/providers/{providerId}/webhook',
    operationId: 'deleteWebhook',
    summary: 'Remove a provider’s webhook endpoint',
    description: 'Deliveries still pending then fail.',
    tags: [WEBHOOKS],
    security: ADMIN,
    params: WebhookParams,
    responses: { 204: empty('Removed.'), 404: noWebhook },
  },
  {
    method: 'get',
    path: '/admin/v1/providers/{providerId}/webhook/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The webhook delivery log, newest first',
    tags: [WEBHOOKS],
    security: ADMIN,
    params: WebhookParams,
    query: DeliveriesQuery,
    responses: { 200: json('A page of deliveries.', pageOf(DeliveryResource)), 404: noProvider },
  },
  {
    method: 'post',
    path: '/admin/v1/providers/{providerId}/webhook/replay',
    operationId: 'replayWebhookDeliveries',
    summary: 'Send changes again',
    description:
      'Either the deliveries named by `deliveryIds`, or every change of the provider from the log ' +
      'position `fromPosition` on, in bounded steps (call again with `nextPosition`). Replays are new ' +
      'deliveries with the same event ids, so receivers can deduplicate.',
    tags: [WEBHOOKS],
    security: ADMIN,
    params: WebhookParams,
    body: ReplayBody,
    responses: {
      202: json('Scheduled.', ReplayResult),
      404: problem(
        'No such provider, no webhook endpoint, or no such deliveries.',
        'provider_not_found',
        'webhook_not_registered',
        'delivery_not_found',
      ),
    },
  },
]);
