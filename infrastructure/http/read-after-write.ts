import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Views } from '../../application/ports/views.js';
import { HttpProblem } from './problem.js';
import { parseInput } from './validation.js';

/** Response header carrying the global log position of a write. */
export const POSITION_HEADER = 'Tessera-Position';

const MinPositionQuery = z.object({
  minPosition: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer (a Tessera-Position value)')
    .transform(Number)
    .optional(),
});

export interface ReadAfterWriteOptions {
  readonly views: Views;
  /** Where the log ends now; a position beyond it is a client mistake, not something to wait for. */
  readonly headPosition: () => Promise<number>;
  readonly timeoutMs: number;
}

/**
 * Read-after-write for queries: `?minPosition=N` waits until the named projections have applied the
 * log up to N. A position past the end of the log is a 400; a projection that does not get there in
 * time is a 503 with Retry-After, never a silently stale answer.
 */
export function createReadAfterWrite(options: ReadAfterWriteOptions) {
  return async function awaitMinPosition(req: Request, projections: readonly string[]): Promise<void> {
    const { minPosition } = parseInput(MinPositionQuery, req.query, 'query');
    if (minPosition === undefined || minPosition === 0) return;
    if (minPosition > (await options.headPosition())) {
      throw new HttpProblem(400, 'invalid_request', 'minPosition is beyond the end of the log.', {
        errors: [{ path: 'query.minPosition', message: 'is beyond the end of the log' }],
      });
    }
    const reached = await options.views.waitFor(minPosition, { timeoutMs: options.timeoutMs, projections });
    if (!reached) {
      throw new HttpProblem(
        503,
        'position_not_reached',
        'The data for minPosition is not readable yet; retry shortly.',
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
  };
}
export type AwaitMinPosition = ReturnType<typeof createReadAfterWrite>;

/** Sets the position header on a write's response (nothing when the write changed nothing). */
export function setPosition(res: Response, position: number | null): void {
  if (position !== null) res.setHeader(POSITION_HEADER, String(position));
}
