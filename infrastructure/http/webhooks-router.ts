import { Router } from 'express';
import { InvalidDeliveryCursorError } from '../../application/ports/provider-feed-store.js';
import type { WebhookService } from '../../application/feed/webhooks.js';
import {
  DeliveriesQuery,
  PutWebhookBody,
  ReplayBody,
  WebhookParams,
  toDeliveryResource,
  toWebhookResource,
} from './feed-resources.js';
import { HttpProblem } from './problem.js';
import { parseInput } from './validation.js';

export interface WebhooksRouterDeps {
  readonly webhooks: WebhookService;
  /** Whether the provider is registered (e.g. through CatalogQueries); others are 404. */
  readonly providerExists: (providerId: string) => Promise<boolean>;
}

/**
 * Webhook administration, mounted at `/admin/v1` behind the admin authentication and JSON body
 * parser:
 *
 * - `PUT /providers/{providerId}/webhook` `{ url, rotateSecret? }`: 201 with the new endpoint and
 *   its signing `secret` (shown only now); 200 when changing an existing one (with `secret` only if
 *   rotated).
 * - `GET` and `DELETE` the same path (200 / 204; 404 when none is registered).
 * - `GET …/webhook/deliveries?limit&cursor`: the delivery log, newest first.
 * - `POST …/webhook/replay` `{ fromPosition }` or `{ deliveryIds }`: 202 `{ scheduled, nextPosition }`.
 */
export function createWebhooksRouter(deps: WebhooksRouterDeps): Router {
  const { webhooks } = deps;
  const router = Router();

  const provider = async (params: unknown): Promise<string> => {
    const { providerId } = parseInput(WebhookParams, params, 'params');
    if (!(await deps.providerExists(providerId))) {
      throw new HttpProblem(404, 'provider_not_found', 'There is no service provider with this id.');
    }
    return providerId;
  };

  router.put('/providers/:providerId/webhook', async (req, res) => {
    const providerId = await provider(req.params);
    const body = parseInput(PutWebhookBody, req.body ?? {}, 'body');
    const registered = await webhooks.register(providerId, body.url, {
      ...(body.rotateSecret !== undefined ? { rotateSecret: body.rotateSecret } : {}),
    });
    res.status(registered.created ? 201 : 200).json(toWebhookResource(registered));
  });

  router.get('/providers/:providerId/webhook', async (req, res) => {
    res.json(toWebhookResource(await webhooks.get(await provider(req.params))));
  });

  router.delete('/providers/:providerId/webhook', async (req, res) => {
    await webhooks.remove(await provider(req.params));
    res.status(204).end();
  });

  router.get('/providers/:providerId/webhook/deliveries', async (req, res) => {
    const providerId = await provider(req.params);
    const query = parseInput(DeliveriesQuery, req.query, 'query');
    try {
      const page = await webhooks.deliveries(providerId, {
        limit: query.limit ?? 20,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      res.json({ items: page.items.map(toDeliveryResource), nextCursor: page.nextCursor });
    } catch (err) {
      if (!(err instanceof InvalidDeliveryCursorError)) throw err;
      throw new HttpProblem(
        400,
        'invalid_request',
        'The cursor is not valid; start again from the first page.',
        {
          errors: [{ path: 'query.cursor', message: 'is not a cursor from this listing' }],
        },
      );
    }
  });

  router.post('/providers/:providerId/webhook/replay', async (req, res) => {
    const providerId = await provider(req.params);
    const body = parseInput(ReplayBody, req.body ?? {}, 'body');
    const result = await webhooks.replay(
      providerId,
      body.deliveryIds !== undefined
        ? { deliveryIds: body.deliveryIds }
        : { fromPosition: body.fromPosition! },
    );
    res.status(202).json(result);
  });

  return router;
}
