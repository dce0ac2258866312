import { Router, type Response } from 'express';
import type { Views } from '../../application/ports/views.js';
import type { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import type { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { WriteResult } from '../../application/catalog/results.js';
import { CATALOG_PROJECTION } from '../../projections/catalog.js';
import type { AwaitMinPosition } from './read-after-write.js';
import { parseInput } from './validation.js';
import { adminContext, idempotencyKey, writeResponder } from './admin-writes.js';
import {
  ChangePriceBody,
  NewProductBody,
  NewProviderBody,
  ProductIdParams,
  ProductListQuery,
  ProviderIdParams,
  ProviderListQuery,
  RenameProviderBody,
  RetireBody,
  toProductResource,
  toProviderResource,
} from './catalog-resources.js';

export interface CatalogRouterDeps {
  readonly commands: CatalogCommands;
  readonly queries: CatalogQueries;
  readonly views: Views;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for its projection before answering 202 instead of the resource. */
  readonly writeVisibleTimeoutMs: number;
}

const PROJECTIONS = [CATALOG_PROJECTION];

/**
 * Service catalog endpoints of the admin API. Writes answer with the resource as readers will see
 * it (waiting briefly for the projection) plus its log position in `Tessera-Position`; if the
 * projection is slow they answer 202 with the id and position instead. A create repeated with the
 * same Idempotency-Key answers with the same resource (in its current state) and
 * `Idempotent-Replayed: true`.
 */
export function catalogRouter(deps: CatalogRouterDeps): Router {
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
    location: string,
    load: () => Promise<object>,
  ) => respond(res, { status, result, location, load });

  router.post('/providers', async (req, res) => {
    const body = parseInput(NewProviderBody, req.body, 'body');
    const key = idempotencyKey(req);
    const result = await commands.registerProvider(
      body,
      adminContext(res),
      key ? { idempotencyKey: key } : {},
    );
    await respondWritten(res, 201, result, `/admin/v1/providers/${result.id}`, async () =>
      toProviderResource(await queries.getProvider(result.id)),
    );
  });

  router.get('/providers', async (req, res) => {
    const query = parseInput(ProviderListQuery, req.query, 'query');
    await deps.awaitMinPosition(req, PROJECTIONS);
    const page = await queries.listProviders(query);
    res.json({ items: page.items.map(toProviderResource), nextCursor: page.nextCursor });
  });

  router.get('/providers/:providerId', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toProviderResource(await queries.getProvider(providerId)));
  });

  router.patch('/providers/:providerId', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    const body = parseInput(RenameProviderBody, req.body, 'body');
    const result = await commands.renameProvider(providerId, body.name, adminContext(res));
    await respondWritten(res, 200, result, `/admin/v1/providers/${providerId}`, async () =>
      toProviderResource(await queries.getProvider(providerId)),
    );
  });

  router.post('/providers/:providerId/products', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    const body = parseInput(NewProductBody, req.body, 'body');
    const key = idempotencyKey(req);
    const result = await commands.addProduct(
      providerId,
      body,
      adminContext(res),
      key ? { idempotencyKey: key } : {},
    );
    await respondWritten(res, 201, result, `/admin/v1/products/${result.id}`, async () =>
      toProductResource(await queries.getProduct(result.id)),
    );
  });

  router.get('/providers/:providerId/products', async (req, res) => {
    const { providerId } = parseInput(ProviderIdParams, req.params, 'params');
    const query = parseInput(ProductListQuery, req.query, 'query');
    await deps.awaitMinPosition(req, PROJECTIONS);
    const page = await queries.listProducts(providerId, query);
    res.json({ items: page.items.map(toProductResource), nextCursor: page.nextCursor });
  });

  router.get('/products/:productId', async (req, res) => {
    const { productId } = parseInput(ProductIdParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toProductResource(await queries.getProduct(productId)));
  });

  router.patch('/products/:productId', async (req, res) => {
    const { productId } = parseInput(ProductIdParams, req.params, 'params');
    const body = parseInput(ChangePriceBody, req.body, 'body');
    const result = await commands.changePrice(productId, body, adminContext(res));
    await respondWritten(res, 200, result, `/admin/v1/products/${productId}`, async () =>
      toProductResource(await queries.getProduct(productId)),
    );
  });

  router.post('/products/:productId/retire', async (req, res) => {
    const { productId } = parseInput(ProductIdParams, req.params, 'params');
    const body = parseInput(RetireBody, req.body ?? {}, 'body');
    const result = await commands.retireProduct(productId, body.reason, adminContext(res));
    await respondWritten(res, 200, result, `/admin/v1/products/${productId}`, async () =>
      toProductResource(await queries.getProduct(productId)),
    );
  });

  return router;
}
