/**
 * Provider reports for a provider's backend (client_credentials token with `reports.read`):
 *
 *   GET /reports/revenue?from&to[&currency][&format=json|csv]   revenue by day, currency and SKU
 *   GET /reports/subscriptions?from&to[&format]                  active, new, churned, trials per day
 *   GET /reports/conversion?from&to[&format]                     sign-in to first purchase per day
 *
 * `from` and `to` are UTC days, both included, at most 366 days apart. Everything is answered for
 * the provider of the calling client and for no other: there is no parameter naming a provider.
 * Money is in integer minor units.
 */
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { conversionCsv, revenueCsv, subscriptionsCsv } from '../../application/reports/report-csv.js';
import type { ReportQueries } from '../../application/reports/report-queries.js';
import { rangeProblems, type ReportRange } from '../../application/reports/report-range.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import { CurrencyCodeSchema } from '../../domain/shared/money.js';
import { caller, callerAuth, type ProviderOfClient, requireBackend } from './caller.js';
import { parseInput } from './validation.js';

export interface ReportsRouterDeps {
  readonly queries: Pick<ReportQueries, 'revenue' | 'subscriptions' | 'conversion'>;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
}

export const REPORTS_SCOPE = 'reports.read';

const Day = z.string().describe('A UTC day, YYYY-MM-DD.');

const rangeShape = {
  from: Day.describe('First day of the period (UTC, YYYY-MM-DD), included.'),
  to: Day.describe('Last day of the period (UTC, YYYY-MM-DD), included; at most 366 days after `from`.'),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('`json` (default) or `csv` (RFC 4180, money in minor units).'),
};

function checkRange(q: { from: string; to: string }, ctx: z.RefinementCtx): void {
  for (const p of rangeProblems(q.from, q.to))
    ctx.addIssue({ code: 'custom', message: p.message, path: [p.field] });
}

export const ReportQuery = z.object(rangeShape).superRefine(checkRange);
export const RevenueReportQuery = z
  .object({
    ...rangeShape,
    currency: CurrencyCodeSchema.optional().describe('Only this currency (ISO 4217).'),
  })
  .superRefine(checkRange);

function sendCsv(res: Response, name: string, range: ReportRange, body: string): void {
  res.setHeader('Content-Disposition', `attachment; filename="${name}-${range.from}-${range.to}.csv"`);
  res.type('text/csv; charset=utf-8').send(body);
}

export function createReportsRouter(deps: ReportsRouterDeps): Router {
  const router = Router();
  const auth = callerAuth(deps.verifier, deps.providerOf, [REPORTS_SCOPE]);

  /** The caller's provider: reports are for a provider's backend, never a user's token. */
  const providerOf = (res: Response): string => {
    const who = caller(res);
    requireBackend(who, 'Reading reports');
    return who.providerId;
  };

  router.get('/reports/revenue', ...auth, async (req: Request, res: Response) => {
    const providerId = providerOf(res);
    const q = parseInput(RevenueReportQuery, req.query, 'query');
    const report = await deps.queries.revenue(providerId, q, q.currency ? { currency: q.currency } : {});
    if (q.format === 'csv') return sendCsv(res, 'revenue', q, revenueCsv(report));
    res.json(report);
  });

  router.get('/reports/subscriptions', ...auth, async (req: Request, res: Response) => {
    const providerId = providerOf(res);
    const q = parseInput(ReportQuery, req.query, 'query');
    const report = await deps.queries.subscriptions(providerId, q);
    if (q.format === 'csv') return sendCsv(res, 'subscriptions', q, subscriptionsCsv(report));
    res.json(report);
  });

  router.get('/reports/conversion', ...auth, async (req: Request, res: Response) => {
    const providerId = providerOf(res);
    const q = parseInput(ReportQuery, req.query, 'query');
    const report = await deps.queries.conversion(providerId, q);
    if (q.format === 'csv') return sendCsv(res, 'conversion', q, conversionCsv(report));
    res.json(report);
  });

  return router;
}
