import { z } from 'zod';
import type { LeasedMessage, WebhookDelivery } from '../../application/ports/provider-feed-store.js';
import type { RegisteredWebhook, WebhookView } from '../../application/feed/webhooks.js';
import { QUEUE_LIMITS } from '../../application/feed/event-queue.js';
import { webhookUrlProblem } from '../../application/feed/webhook-url.js';

/** Request and response shapes of the event queue and the webhook admin API. */

export const NextMessagesBody = z.strictObject({
  max: z.int('must be an integer').min(1, 'must be at least 1').max(QUEUE_LIMITS.maxMax).optional(),
  leaseSeconds: z
    .int('must be an integer')
    .min(QUEUE_LIMITS.minLeaseSeconds, `must be at least ${QUEUE_LIMITS.minLeaseSeconds}`)
    .max(QUEUE_LIMITS.maxLeaseSeconds, `must be at most ${QUEUE_LIMITS.maxLeaseSeconds}`)
    .optional(),
});

export const MessageIdParams = z.object({ id: z.uuid('must be a message id (UUID)') });
export const AckBody = z.strictObject({ leaseId: z.uuid('must be the lease id given with the message') });

export const WebhookParams = z.object({ providerId: z.uuid('must be a provider id (UUID)') });

export const PutWebhookBody = z.strictObject({
  url: z.string('must be a URL').superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  rotateSecret: z.boolean('must be true or false').optional(),
});

export const DeliveriesQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'))
    .optional(),
  cursor: z.string().min(1).max(64).optional(),
});

export const ReplayBody = z
  .strictObject({
    fromPosition: z.int('must be an integer').min(1, 'must be at least 1').optional(),
    deliveryIds: z
      .array(z.uuid('must be a delivery id (UUID)'))
      .min(1, 'must name at least one delivery')
      .max(100, 'must name at most 100 deliveries')
      .optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.fromPosition === undefined) === (body.deliveryIds === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either fromPosition or deliveryIds (exactly one)' });
    }
  });

export function toMessageResource(m: LeasedMessage) {
  return {
    id: m.id,
    leaseId: m.leaseId,
    leaseExpiresAt: m.leaseExpiresAt,
    deliveryCount: m.deliveryCount,
    eventId: m.eventId,
    position: m.position,
    type: m.type,
    subject: m.subject,
    data: m.data,
    occurredAt: m.occurredAt,
  };
}

export function toWebhookResource(w: WebhookView | RegisteredWebhook) {
  return {
    providerId: w.providerId,
    url: w.url,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    ...('secret' in w && w.secret !== undefined ? { secret: w.secret } : {}),
  };
}

export function toDeliveryResource(d: WebhookDelivery) {
  const { providerId: _providerId, ...message } = d.message;
  return {
    id: d.id,
    status: d.status,
    attemptCount: d.attemptCount,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
    replayOf: d.replayOf,
    message,
  };
}
