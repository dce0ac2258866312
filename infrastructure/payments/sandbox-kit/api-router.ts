import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { WireAmountBody, WireAuthorizeBody } from '../wire.js';
import { type PaymentsBook, SandboxApiError } from './payments-book.js';

/**
 * The server-to-server JSON API of a sandbox processor, in the shape of a PSP's REST API:
 *
 *   POST /v1/<resource>                    authorize (Idempotency-Key header required)
 *   GET  /v1/<resource>/<id>               retrieve
 *   GET  /v1/<resource>?idempotency_key=k  retrieve the payment an authorize call with key k created
 *   POST /v1/<resource>/<id>/capture       { amount }   (Idempotency-Key required)
 *   POST /v1/<resource>/<id>/refunds       { amount }   (Idempotency-Key required)
 *   POST /v1/<resource>/<id>/cancel                     (Idempotency-Key required)
 *
 * Every call authenticates with `Authorization: Bearer <secret key>`. Errors are
 * `{ error: { type, code, message } }` with a 4xx status for a refused request and 503 when the
 * sandbox is switched off.
 */

/** Switches for tests and demos: a slow or absent processor, without touching the network. */
export class SandboxControls {
  /**
   * Milliseconds each API answer waits after the work is done. Longer than a client's timeout, it
   * is a lost response: the processor acted, the client does not know.
   */
  responseDelayMs = 0;
  /** When true, every API call answers 503 without doing anything (an outage). */
  unavailable = false;
}

export interface SandboxApiOptions {
  readonly book: PaymentsBook;
  readonly secretKey: string;
  readonly controls: SandboxControls;
  /** The collection name in the paths: `payments` (card) or `charges` (carrier). */
  readonly resource: string;
}

const IdempotencyKey = z.string().min(1).max(255);

/** Wraps a handler with the sandbox's outage switch, authentication, response delay and error format. */
export function apiHandler(
  options: Pick<SandboxApiOptions, 'secretKey' | 'controls'>,
  work: (req: Request) => unknown,
): (req: Request, res: Response) => Promise<void> {
  const expected = Buffer.from(`Bearer ${options.secretKey}`);
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    let status = 200;
    let body: unknown;
    try {
      if (options.controls.unavailable)
        throw new SandboxApiError(503, 'unavailable', 'The processor is unavailable');
      const given = Buffer.from(req.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new SandboxApiError(401, 'authentication', 'A valid secret key is required');
      }
      body = work(req);
    } catch (error) {
      const problem = toApiError(error);
      status = problem.status;
      body = { error: { type: problem.type, code: problem.code, message: problem.message } };
    }
    const delay = options.controls.responseDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (!res.writableEnded && !res.destroyed) res.status(status).json(body);
  };
}

function toApiError(error: unknown): SandboxApiError {
  if (error instanceof SandboxApiError) return error;
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    return new SandboxApiError(
      400,
      'invalid_request',
      `${issue?.path.join('.') ?? 'body'}: ${issue?.message}`,
    );
  }
  return new SandboxApiError(500, 'internal', 'The processor failed');
}

function idempotencyKey(req: Request): string {
  const parsed = IdempotencyKey.safeParse(req.get('idempotency-key'));
  if (!parsed.success)
    throw new SandboxApiError(400, 'invalid_request', 'The Idempotency-Key header is required');
  return parsed.data;
}

/** JSON errors for a body the parser could not read, instead of Express's HTML page. */
export const apiBodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error?.status === 'number' && error.status < 500 ? error.status : 400;
  res
    .status(status)
    .json({ error: { type: 'invalid_request_error', code: 'invalid_request', message: 'Bad body' } });
};

/** The payments API router; mount it where the processor's base URL points. */
export function createSandboxApiRouter(options: SandboxApiOptions): Router {
  const { book, resource } = options;
  const router = express.Router();
  const handle = (work: (req: Request) => unknown) => apiHandler(options, work);
  router.use('/v1', express.json({ limit: '16kb' }));

  router.post(
    `/v1/${resource}`,
    handle((req) => book.authorize(idempotencyKey(req), WireAuthorizeBody.parse(req.body))),
  );
  router.get(
    `/v1/${resource}`,
    handle((req) => {
      const key = IdempotencyKey.safeParse(req.query['idempotency_key']);
      if (!key.success) throw new SandboxApiError(400, 'invalid_request', 'idempotency_key is required');
      return book.view(book.byIdempotencyKey(key.data));
    }),
  );
  router.get(
    `/v1/${resource}/:id`,
    handle((req) => book.view(book.get(String(req.params['id'])))),
  );
  router.post(
    `/v1/${resource}/:id/capture`,
    handle((req) =>
      book.capture(String(req.params['id']), idempotencyKey(req), WireAmountBody.parse(req.body).amount),
    ),
  );
  router.post(
    `/v1/${resource}/:id/refunds`,
    handle((req) =>
      book.refund(String(req.params['id']), idempotencyKey(req), WireAmountBody.parse(req.body).amount),
    ),
  );
  router.post(
    `/v1/${resource}/:id/cancel`,
    handle((req) => book.cancel(String(req.params['id']), idempotencyKey(req))),
  );
  router.use('/v1', apiBodyErrors);
  return router;
}
