import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DomainError, type DomainErrorKind } from '../../domain/kernel/decider.js';
import { ConcurrencyExhaustedError } from '../../application/kernel/command-handler.js';
import { InvalidQueryError } from '../../application/ports/read-model-store.js';
import { requestContext } from './context.js';
import { HttpProblem, sendProblem } from './problem.js';

const STATUS_BY_KIND: Readonly<Record<DomainErrorKind, number>> = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
};

/** Errors body-parser attaches a `type` and `status` to (malformed JSON, too large, bad charset). */
interface BodyParserError {
  readonly type: string;
  readonly status?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string';
}

/** Maps any thrown value to a problem; null means "unexpected" (a 500 that must be logged). */
export function toProblem(err: unknown): HttpProblem | null {
  if (err instanceof HttpProblem) return err;
  if (err instanceof DomainError) {
    const errors =
      err.kind === 'invalid' && err.field ? [{ path: `body.${err.field}`, message: err.message }] : undefined;
    return new HttpProblem(STATUS_BY_KIND[err.kind], err.code, err.message, errors ? { errors } : {});
  }
  if (err instanceof InvalidQueryError) {
    return new HttpProblem(
      400,
      'invalid_request',
      `${err.message}. Start again from the first page if a cursor expired.`,
    );
  }
  if (err instanceof ConcurrencyExhaustedError) {
    return new HttpProblem(
      409,
      'concurrent_modification',
      'The resource kept changing while this request ran; try again.',
    );
  }
  if (isBodyParserError(err)) {
    switch (err.type) {
      case 'entity.parse.failed':
        return new HttpProblem(400, 'malformed_json', 'The request body is not well-formed JSON.');
      case 'entity.too.large':
        return new HttpProblem(413, 'payload_too_large', 'The request body is too large.');
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return new HttpProblem(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
      case 'request.aborted':
        return new HttpProblem(400, 'request_aborted', 'The request was aborted before the body arrived.');
    }
  }
  return null;
}

/**
 * Renders every error as problem+json. Client mistakes keep their own status; anything unexpected
 * becomes a bare 500 whose details go only to the log, tied to the correlation id the client sees.
 */
export function errorHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const { correlationId, logger } = requestContext(res);
    const problem = toProblem(err);
    if (problem) return sendProblem(req, res, problem, correlationId);
    logger.error(
      {
        err:
          err instanceof Error
            ? { name: err.name, message: err.message, stack: err.stack }
            : { value: String(err) },
      },
      'unexpected error',
    );
    sendProblem(
      req,
      res,
      new HttpProblem(
        500,
        'internal_error',
        `Something went wrong on our side. Quote correlation id ${correlationId} when reporting it.`,
      ),
      correlationId,
    );
  };
}

/** The last route: nothing matched the path (or method). */
export function notFound(): RequestHandler {
  return (req) => {
    throw new HttpProblem(404, 'route_not_found', `There is no ${req.method} ${req.path} endpoint.`);
  };
}
