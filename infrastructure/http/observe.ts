import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../application/ports/logger.js';
import { CORRELATION_HEADER, correlationIdOf, withCorrelation } from './correlation.js';
import { requestContext, setRequestContext } from './context.js';
import type { HttpMetrics } from './metrics.js';
import { NO_STORE, SECURITY_HEADERS } from './security-headers.js';

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
/** Set by handlers that answer outside Express routing (the route template they stand for). */
const ROUTE = 'tesseraRoute';

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
 * The 'finish' listener shared by every request of one app (one function, not a closure per
 * request): one histogram observation and one log line.
 */
function finishedListener(metrics: HttpMetrics): (this: Response) => void {
  return function finished(this: Response): void {
    const { logger, startedAt } = requestContext(this);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const locals = this.locals;
    const route =
      (locals[ROUTE] as string | undefined) ?? routeTemplate(this.req, locals[MOUNT] as string | undefined);
    const method = this.req.method;
    const status = this.statusCode;
    metrics.requestDuration.observe({ method, route, status: String(status) }, seconds);
    const fields = { method, route, status, durationMs: Math.round(seconds * 1e6) / 1e3 };
    if (status >= 500) logger.error(fields, 'request failed');
    else logger.info(fields, 'request');
  };
}

/** The listener of each metrics instance, made once. */
const listeners = new WeakMap<HttpMetrics, (this: Response) => void>();

function listenerFor(metrics: HttpMetrics): (this: Response) => void {
  let listener = listeners.get(metrics);
  if (listener === undefined) {
    listener = finishedListener(metrics);
    listeners.set(metrics, listener);
  }
  return listener;
}

/**
 * One JSON log line and one histogram observation per request: method, route template, status,
 * duration and (through the bound logger) the correlation id. Headers, query strings and bodies are
 * never logged, so tokens and personal data cannot leak into logs from here.
 */
export function observeRequests(metrics: HttpMetrics): RequestHandler {
  const finished = listenerFor(metrics);
  return (_req, res, next) => {
    res.on('finish', finished);
    next();
  };
}

/**
 * Answers a request with a 200 JSON body, written whole. For a route served ahead of the shared
 * middleware (correlation, observeRequests, securityHeaders, noStore, Express's res.json): the
 * response carries the very headers that chain would set, in the same order, and the request is
 * logged and measured the same way under `route`; only the work per request is less (one header
 * array copied from a template, no setHeader calls, no closures).
 */
export type AnswerJsonWhole = (
  req: Request,
  res: Response,
  startedAt: bigint,
  route: string,
  body: unknown,
) => void;

export function answerJsonWhole(logger: Logger, metrics: HttpMetrics): AnswerJsonWhole {
  const finished = listenerFor(metrics);
  const template: string[] = [CORRELATION_HEADER, ''];
  for (const [name, value] of SECURITY_HEADERS) template.push(name, value);
  template.push(
    NO_STORE[0],
    NO_STORE[1],
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    '',
  );
  const length = template.length - 1;
  return (req, res, startedAt, route, body) => {
    const correlationId = correlationIdOf(req);
    // Served straight from Node's request listener, ahead of Express: no locals yet.
    res.locals ??= Object.create(null) as Response['locals'];
    setRequestContext(res, { correlationId, logger: withCorrelation(logger, correlationId), startedAt });
    res.locals[ROUTE] = route;
    res.on('finish', finished);
    const text = JSON.stringify(body);
    const headers = template.slice();
    headers[1] = correlationId;
    headers[length] = String(Buffer.byteLength(text));
    res.writeHead(200, headers);
    res.end(text);
  };
}
