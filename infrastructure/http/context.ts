import type { Response } from 'express';
import type { Logger } from '../../application/ports/logger.js';

/** Per-request facts set by the first middleware and read by everything after it. */
export interface RequestContext {
  readonly correlationId: string;
  /** Logger bound to this request's correlation id. */
  readonly logger: Logger;
  /** process.hrtime.bigint() when the request arrived. */
  readonly startedAt: bigint;
}

const KEY = 'tesseraContext';

export function setRequestContext(res: Response, context: RequestContext): void {
  res.locals[KEY] = context;
}

export function requestContext(res: Response): RequestContext {
  const context = res.locals[KEY] as RequestContext | undefined;
  if (!context) throw new Error('Request context missing: the correlation middleware must run first');
  return context;
}
