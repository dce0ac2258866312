import express, { type Request, type Response, Router } from 'express';
import type { EventQueue } from '../../application/feed/event-queue.js';
import { AckBody, MessageIdParams, NextMessagesBody, toMessageResource } from './feed-resources.js';
import { noStore } from './security-headers.js';
import { parseInput } from './validation.js';

export interface EventQueueRouterDeps {
  readonly queue: EventQueue;
  /**
   * Authenticates the caller as a service provider and returns its id, or throws an HttpProblem
   * (401/403). Runs before the body is looked at.
   */
  readonly resolveProvider: (req: Request, res: Response) => Promise<string>;
}

/**
 * The provider event queue, mounted at `/v1`:
 *
 * - `POST /events/next` `{ max?, leaseSeconds? }` leases the caller's next messages in log order:
 *   `{ messages: [{ id, leaseId, leaseExpiresAt, deliveryCount, eventId, position, type, subject,
 *   data, occurredAt }] }` (empty when there is nothing to deliver).
 * - `POST /events/{id}/ack` `{ leaseId }` removes a message: 204; another provider's message or an
 *   unknown id is 404; a lease that ran out and was replaced by a redelivery is 409.
 */
export function createEventQueueRouter(deps: EventQueueRouterDeps): Router {
  const router = Router();
  router.use(
    '/events',
    noStore(),
    express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }),
  );

  router.post('/events/next', async (req, res) => {
    const providerId = await deps.resolveProvider(req, res);
    const body = parseInput(NextMessagesBody, req.body ?? {}, 'body');
    const messages = await deps.queue.next(providerId, {
      ...(body.max !== undefined ? { max: body.max } : {}),
      ...(body.leaseSeconds !== undefined ? { leaseSeconds: body.leaseSeconds } : {}),
    });
    res.json({ messages: messages.map(toMessageResource) });
  });

  router.post('/events/:id/ack', async (req, res) => {
    const providerId = await deps.resolveProvider(req, res);
    const { id } = parseInput(MessageIdParams, req.params, 'params');
    const { leaseId } = parseInput(AckBody, req.body ?? {}, 'body');
    await deps.queue.ack(providerId, id, leaseId);
    res.status(204).end();
  });

  return router;
}
