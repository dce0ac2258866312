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

/** Gives every request a correlation id, echoes it in the response and binds it to a logger. */
export function correlation(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const correlationId = acceptCorrelationId(req.get(CORRELATION_HEADER));
    res.setHeader(CORRELATION_HEADER, correlationId);
    setRequestContext(res, {
      correlationId,
      logger: logger.child({ correlationId }),
      startedAt: process.hrtime.bigint(),
    });
    next();
  };
}
