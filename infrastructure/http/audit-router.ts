/**
 * The auditor export over HTTP, for staff holding the `auditor` role:
 *
 *   GET /audit/transactions?from=…&to=…&format=csv|ndjson     (mounted at /v1)
 *
 * The body is the export file itself (application/audit: hash-chained rows and a signed manifest as
 * the last line), streamed as it is read from the log: chunked, each chunk written only once the
 * client has taken the previous one (`res.write` false → wait for 'drain'), and the export stops as
 * soon as the client goes away. A failure after the first byte cannot become a problem document any
 * more; the connection is cut instead, and the file lacks its manifest, so `verify` refuses it.
 */
import { type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { AuditExporter } from '../../application/audit/audit-exporter.js';
import { AUDIT_FORMATS, CONTENT_TYPES } from '../../application/audit/formats.js';
import { requestContext } from './context.js';
import { parseInput } from './validation.js';

/** Checks the caller holds a staff role (the staff-token middleware). */
export type StaffGuard = (role: 'auditor') => RequestHandler;

export interface AuditRouterDeps {
  readonly exporter: Pick<AuditExporter, 'export'>;
  readonly guard: StaffGuard;
  /** Longest period one request may ask for, in days (default 366). */
  readonly maxSpanDays?: number;
}

export const DEFAULT_MAX_SPAN_DAYS = 366;
const DAY_MS = 86_400_000;

const Instant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z',
});

/** The query, before the cross-field checks (documented in openapi/audit-api.ts). */
export const AuditExportQuery = z.strictObject({
  from: Instant.describe('Start of the period (inclusive), ISO 8601 with a time zone.'),
  to: Instant.describe('End of the period (exclusive), ISO 8601 with a time zone.'),
  format: z
    .enum(AUDIT_FORMATS as ['csv', 'ndjson'])
    .default('ndjson')
    .describe('`ndjson` (default) or `csv` (RFC 4180 with a header row).'),
});

function exportQuery(maxSpanDays: number) {
  return AuditExportQuery.superRefine((q, ctx) => {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from`' });
    else if (span > maxSpanDays * DAY_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `must be at most ${maxSpanDays} days after \`from\`; export longer periods in parts`,
      });
    }
  });
}

const fileStamp = (iso: string) => iso.replace(/[:.]/g, '').replace(/-/g, '');

/** Writes one chunk, waiting for the client to take it; false when the client went away. */
async function send(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

export function createAuditRouter(deps: AuditRouterDeps): Router {
  const router = Router();
  const query = exportQuery(deps.maxSpanDays ?? DEFAULT_MAX_SPAN_DAYS);

  router.get('/audit/transactions', deps.guard('auditor'), async (req, res) => {
    const q = parseInput(query, req.query, 'query');
    const from = new Date(q.from);
    const to = new Date(q.to);
    const stopped = new AbortController();
    res.on('close', () => stopped.abort());
    const chunks = deps.exporter.export({ from, to }, q.format, { signal: stopped.signal });
    // The first chunk is produced before anything is sent, so a failure to start (no signing key,
    // store down) is still an ordinary problem response.
    const first = await chunks.next();
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES[q.format]);
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="tessera-transactions-${fileStamp(from.toISOString())}-${fileStamp(to.toISOString())}.${q.format === 'csv' ? 'csv' : 'ndjson'}"`,
    );
    res.setHeader('Cache-Control', 'no-store');
    try {
      if (!first.done && !(await send(res, first.value))) return;
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        // The client went away: the export is simply not read any further.
        if (!(await send(res, next.value))) return;
      }
      res.end();
    } catch (err) {
      if (!stopped.signal.aborted) {
        requestContext(res).logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          'audit export failed while streaming',
        );
      }
      res.destroy();
    }
  });

  return router;
}
