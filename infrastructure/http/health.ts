import { Router } from 'express';
import type { HttpMetrics, ProjectionHealth, ProjectionHealthSource } from './metrics.js';

export interface Readiness {
  readonly ready: boolean;
  readonly projections: readonly ProjectionHealth[];
}

/** Ready when every projection is live and at most `maxLag` events behind the log. */
export async function readiness(source: ProjectionHealthSource, maxLag: number): Promise<Readiness> {
  const projections = await source.status();
  const ready = projections.every((p) => p.state === 'live' && p.lag <= maxLag);
  return { ready, projections };
}

/**
 * Operational endpoints, unauthenticated: `/healthz` (the process answers), `/readyz` (503 until
 * the read side is live and current enough to serve), `/metrics` (Prometheus text format).
 * They are meant for the private network; the default HOST keeps them on the loopback interface.
 */
export function platformRouter(deps: {
  projections: ProjectionHealthSource;
  metrics: HttpMetrics;
  readyMaxLag: number;
}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const r = await readiness(deps.projections, deps.readyMaxLag);
    res.setHeader('Cache-Control', 'no-store');
    res.status(r.ready ? 200 : 503).json({
      status: r.ready ? 'ready' : 'not_ready',
      maxLag: deps.readyMaxLag,
      projections: r.projections,
    });
  });
  router.get('/metrics', async (_req, res) => {
    const text = await deps.metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(deps.metrics.registry.contentType).send(text);
  });
  return router;
}
