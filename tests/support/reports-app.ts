import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import { ClientQueries } from '../../application/catalog/client-queries.js';
import { silentLogger } from '../../application/ports/logger.js';
import { cachedProviderOf } from '../../infrastructure/http/caller.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { createReportsRouter } from '../../infrastructure/http/reports-router.js';
import { noStore, securityHeaders } from '../../infrastructure/http/security-headers.js';
import { CachingTokenVerifier } from '../../infrastructure/http/token-cache.js';
import type { ReportsWorld } from './reports-world.js';

/** A small HTTP server in front of routers under test, with the app's shared middleware and error handling. */
export async function serve(
  routers: (app: express.Express) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(correlation(silentLogger));
  app.use(securityHeaders());
  routers(app);
  app.use(notFound());
  app.use(errorHandler());
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The reports router as the app mounts it (/v1, no-store), over the world's server and report projections. */
export function reportsRouter(world: ReportsWorld): Router {
  const container = world.server.server.container;
  const router = express.Router();
  router.use(
    noStore(),
    createReportsRouter({
      queries: world.queries,
      verifier: container.get(CachingTokenVerifier),
      providerOf: cachedProviderOf((clientId) => container.get(ClientQueries).findForAuthorization(clientId)),
    }),
  );
  return router;
}
