import { Router, type Response } from 'express';
import type { Views } from '../../application/ports/views.js';
import type { ClientCommands, SecretWriteResult } from '../../application/catalog/client-commands.js';
import type { ClientQueries } from '../../application/catalog/client-queries.js';
import type { WriteResult } from '../../application/catalog/results.js';
import { CATALOG_PROJECTION } from '../../projections/catalog.js';
import { CLIENTS_PROJECTION } from '../../projections/clients.js';
import { ProviderIdParams } from './catalog-resources.js';
import {
  ClientIdParams,
  ClientListQuery,
  DisableClientBody,
  EmptyBody,
  NewClientBody,
  toClientResource,
  UpdateClientBody,
} from './clients-resources.js';
import type { AwaitMinPosition } from './read-after-write.js';
import { parseInput } from './validation.js';
import { adminContext, idempotencyKey, writeResponder } from './admin-writes.js';

export interface ClientsRouterDeps {
  readonly commands: ClientCommands;
  readonly queries: ClientQueries;
  readonly views: Views;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for its projection before answering 202 instead of the resource. */
  readonly writeVisibleTimeoutMs: number;
  /** Told after a client was disabled or its secret replaced (clears caches of verified tokens). */
  readonly onClientChanged?: () => void;
}

const PROJECTIONS = [CLIENTS_PROJECTION];

/** The secret is in this response and nowhere else: no cache may keep a copy. */
function secretBody(res: Response, result: SecretWriteResult): { clientSecret?: string } {
  if (result.clientSecret === null) return {};
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  return { clientSecret: result.clientSecret };
}

/**
 * OAuth/OIDC client endpoints of the admin API (mounted under `/admin/v1` behind admin auth):
 *
 *   POST  /providers/:providerId/clients     register → 201, with `clientSecret` once (confidential)
 *   GET   /providers/:providerId/clients     list a provider's clients, `{ items, nextCursor }`
 *   GET   /clients/:clientId                 one client
 *   PATCH /clients/:clientId                 change registration data
 *   POST  /clients/:clientId/secret          rotate the secret → 200, with the new `clientSecret` once
 *   POST  /clients/:clientId/disable         `{ reason? }`
 *   POST  /clients/:clientId/enable
 *
 * Writes answer with the client as readers will see it (waiting briefly for the projection) and
 * `Tessera-Position`; if the projection is slow they answer 202 with the id, the position and the
 * secret, which is never withheld from the one response that can carry it. A register repeated with
 * the same Idempotency-Key answers with the same client, `Idempotent-Replayed: true` and no secret.
 * The secret digest is never part of any response.
 */
export function createClientsRouter(deps: ClientsRouterDeps): Router {
  const { commands, queries } = deps;
  const router = Router();

  const respond = writeResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
  });
  const respondWritten = (
    res: Response,
    status: 200 | 201,
    result: WriteResult,
    extra: Record<string, unknown> = {},
  ) =>
    respond(res, {
      status,
      result,
      location: `/admin/v1/clients/${result.id}`,
      load: async () => ({ ...toClientResource(await queries.getClient(result.id)), ...extra }),
      accepted: () => ({ clientId: result.id, position: result.position, ...extra }),
    });

  router.post('/providers/:providerId/clients', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    const body = parseInput(NewClientBody, req.body, 'body');
    const key = idempotencyKey(req);
    const result = await commands.registerClient(
      providerId,
      { ...body, redirectUris: body.redirectUris ?? [] },
      adminContext(res),
      key ? { idempotencyKey: key } : {},
    );
    await respondWritten(res, 201, result, secretBody(res, result));
  });

  router.get('/providers/:providerId/clients', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    const query = parseInput(ClientListQuery, req.query, 'query');
    await deps.awaitMinPosition(req, [...PROJECTIONS, CATALOG_PROJECTION]);
    const page = await queries.listClients(providerId, query);
    res.json({ items: page.items.map(toClientResource), nextCursor: page.nextCursor });
  });

  router.get('/clients/:clientId', async (req, res) => {
    const { clientId } = parseInput(ClientIdParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toClientResource(await queries.getClient(clientId)));
  });

  router.patch('/clients/:clientId', async (req, res) => {
    const { clientId } = parseInput(ClientIdParams, req.params, 'params');
    const body = parseInput(UpdateClientBody, req.body, 'body');
    await respondWritten(res, 200, await commands.updateClient(clientId, body, adminContext(res)));
  });

  router.post('/clients/:clientId/secret', async (req, res) => {
    const { clientId } = parseInput(ClientIdParams, req.params, 'params');
    parseInput(EmptyBody, req.body ?? {}, 'body');
    const result = await commands.rotateSecret(clientId, adminContext(res));
    await respondWritten(res, 200, result, secretBody(res, result));
    deps.onClientChanged?.();
  });

  router.post('/clients/:clientId/disable', async (req, res) => {
    const { clientId } = parseInput(ClientIdParams, req.params, 'params');
    const body = parseInput(DisableClientBody, req.body ?? {}, 'body');
    await respondWritten(res, 200, await commands.disableClient(clientId, body.reason, adminContext(res)));
    // The client's tokens stop working now, not when a cached verification runs out.
    deps.onClientChanged?.();
  });

  router.post('/clients/:clientId/enable', async (req, res) => {
    const { clientId } = parseInput(ClientIdParams, req.params, 'params');
    parseInput(EmptyBody, req.body ?? {}, 'body');
    await respondWritten(res, 200, await commands.enableClient(clientId, adminContext(res)));
  });

  return router;
}
