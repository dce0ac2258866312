import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../../application/ports/logger.js';
import { newId } from '../../application/kernel/ids.js';
import { setRequestContext } from './context.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/**
 * A caller's correlation id is kept only if it is a sane token (so it can be logged and echoed
 * without escaping or log injection); anything else is replaced by a fresh UUID v7.
 */
const SANE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function acceptCorrelationId(header: string | undefined): string {
  return header !== undefined && SANE.test(header) ? header : newId();
}

/** The request's correlation id: the caller's (X-Correlation-Id) when sane, otherwise a fresh one. */
export function correlationIdOf(req: IncomingMessage): string {
  // Node joins repeated unknown headers into one string, so this is never an array.
  return acceptCorrelationId(req.headers['x-correlation-id'] as string | undefined);
}

/**
 * A logger that adds `correlationId` to every line. It merges the id into each line's fields rather
 * than making a child logger per request: a child (with its redaction set-up) costs more than most
 * requests' whole logging, which at the usual level is nothing at all.
 */
export function withCorrelation(logger: Logger, correlationId: string): Logger {
  return new CorrelatedLogger(logger, correlationId);
}

class CorrelatedLogger implements Logger {
  constructor(
    private readonly logger: Logger,
    private readonly correlationId: string,
  ) {}
  debug(fields: Record<string, unknown>, message?: string): void {
    this.logger.debug({ correlationId: this.correlationId, ...fields }, message);
  }
  info(fields: Record<string, unknown>, message?: string): void {
    this.logger.info({ correlationId: this.correlationId, ...fields }, message);
  }
  warn(fields: Record<string, unknown>, message?: string): void {
    this.logger.warn({ correlationId: this.correlationId, ...fields }, message);
  }
  error(fields: Record<string, unknown>, message?: string): void {
    this.logger.error({ correlationId: this.correlationId, ...fields }, message);
  }
  child(bindings: Record<string, unknown>): Logger {
    return this.logger.child({ correlationId: this.correlationId, ...bindings });
  }
}

/** Gives every request a correlation id, echoes it in the response and binds it to a logger. */
export function correlation(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const correlationId = correlationIdOf(req);
    res.setHeader(CORRELATION_HEADER, correlationId);
    setRequestContext(res, {
      correlationId,
      logger: withCorrelation(logger, correlationId),
      startedAt: process.hrtime.bigint(),
    });
    next();
  };
}
