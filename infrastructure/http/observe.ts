import type { Request, RequestHandler } from 'express';
import { requestContext } from './context.js';
import type { HttpMetrics } from './metrics.js';

/**
 * The route template that served a request (`/admin/v1/products/:productId`), never the raw path,
 * so metric labels stay bounded and logs do not fan out per id. Unrouted requests share one label.
 */
export function routeTemplate(req: Request, mountPath: string | undefined): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route !== 'string') return '(unmatched)';
  return `${mountPath ?? ''}${route}`;
}

const MOUNT = 'tesseraMount';

/**
 * Routers call this so the template survives Express resetting `req.baseUrl` on the way out.
 * Installed as the first middleware of each mounted router.
 */
export function rememberMount(): RequestHandler {
  return (req, res, next) => {
    res.locals[MOUNT] = req.baseUrl;
    next();
  };
}

/**
 * One JSON log line and one histogram observation per request: method, route template, status,
 * duration and (through the bound logger) the correlation id. Headers, query strings and bodies are
 * never logged, so tokens and personal data cannot leak into logs from here.
 */
export function observeRequests(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      const { logger, startedAt } = requestContext(res);
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const route = routeTemplate(req, res.locals[MOUNT] as string | undefined);
      const status = res.statusCode;
      metrics.requestDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      const fields = { method: req.method, route, status, durationMs: Math.round(seconds * 1e6) / 1e3 };
      if (status >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request');
    });
    next();
  };
}
