import { z } from 'zod';
import type {
  ConversionReport,
  RevenueReport,
  SubscriptionReport,
} from '../../../application/reports/report-queries.js';
import { ReportQuery, RevenueReportQuery } from '../reports-router.js';
import { defineRoutes, type Documents, json, problem, type RouteDoc, scopes } from './registry.js';

/**
 * The reports API (reports-router.ts, mounted at /v1), described for the OpenAPI document. Reports
 * are pre-aggregated per UTC day by projections and answered for the calling client's provider only.
 */

const Day = z.string().describe('UTC day, YYYY-MM-DD.');
const Minor = (what: string) => z.int().describe(`${what}, in minor units of the currency.`);

const revenueTotals = {
  gross: Minor('Captured, VAT included'),
  refunds: Minor('Refunded'),
  net: Minor('gross − refunds'),
  vat: Minor('VAT contained in gross'),
  refundVat: Minor('VAT given back with the refunds'),
  netVat: Minor('vat − refundVat'),
  captures: z.int().describe('Captured transactions (per product line).'),
  refundCount: z.int().describe('Refunds touching this SKU.'),
};
const RevenueTotals = z.object(revenueTotals);

export const RevenueReportResource = z
  .object({
    providerId: z.uuid(),
    from: Day,
    to: Day,
    currencies: z.array(
      z.object({
        currency: z.string(),
        days: z.array(z.object({ day: Day, ...revenueTotals })).describe('Every day of the period.'),
        skus: z.array(z.object({ sku: z.string(), totals: RevenueTotals })),
        totals: RevenueTotals,
      }),
    ),
    rows: z
      .array(z.object({ day: Day, currency: z.string(), sku: z.string(), ...revenueTotals }))
      .describe('Each day, currency and SKU with movements (`(none)`: money without a product line).'),
  })
  .describe(
    'Revenue by UTC day, currency and SKU. A refund is split between the transaction’s product lines in ' +
      'proportion to what each has left unrefunded (largest remainder, exact in minor units).',
  );

const SubscriptionDay = z.object({
  day: Day,
  active: z
    .int()
    .describe('Started and not yet ended at the end of the day (suspended and trialling count).'),
  new: z.int(),
  churned: z.int().describe('Ended that day (expired or canceled with immediate effect).'),
  trialStarts: z.int(),
  trialConversions: z.int().describe('First paid period began after a trial.'),
});

export const SubscriptionReportResource = z.object({
  providerId: z.uuid(),
  from: Day,
  to: Day,
  days: z.array(SubscriptionDay),
  totals: z.object({
    activeAtStart: z.int(),
    activeAtEnd: z.int(),
    new: z.int(),
    churned: z.int(),
    trialStarts: z.int(),
    trialConversions: z.int(),
  }),
});

const conversion = {
  signedIn: z.int().describe('Users whose first sign-in at one of the provider’s clients was that day.'),
  converted: z
    .int()
    .describe('Of that day’s sign-ins, those who have since made their first captured purchase.'),
  firstPurchases: z.int().describe('Signed-in users whose first captured purchase was that day.'),
  rate: z.number().nullable().describe('converted / signedIn (four decimals); null without sign-ins.'),
};

export const ConversionReportResource = z.object({
  providerId: z.uuid(),
  from: Day,
  to: Day,
  days: z.array(z.object({ day: Day, ...conversion })),
  totals: z.object(conversion),
});

const revenueMatches: Documents<z.input<typeof RevenueReportResource>, RevenueReport> = true;
const subscriptionsMatch: Documents<z.input<typeof SubscriptionReportResource>, SubscriptionReport> = true;
const conversionMatches: Documents<z.input<typeof ConversionReportResource>, ConversionReport> = true;
void revenueMatches;
void subscriptionsMatch;
void conversionMatches;

const READ = scopes('reports.read');
const TAG = 'Reports' as const;
const CSV =
  ' With `format=csv` the same data comes as `text/csv` (RFC 4180, a header row, money in minor units).';
const backendOnly = problem('A user’s token cannot read reports.', 'client_token_required');

export const REPORTS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'get',
    path: '/v1/reports/revenue',
    operationId: 'getRevenueReport',
    summary: 'Revenue by day, currency and SKU',
    description: 'Gross, refunds, net and VAT per UTC day, currency and SKU, with totals.' + CSV,
    tags: [TAG],
    security: READ,
    query: RevenueReportQuery,
    responses: { 200: json('The report.', RevenueReportResource), 403: backendOnly },
  },
  {
    method: 'get',
    path: '/v1/reports/subscriptions',
    operationId: 'getSubscriptionReport',
    summary: 'Active, new and churned subscriptions, trials and conversions per day',
    tags: [TAG],
    security: READ,
    query: ReportQuery,
    description: 'A value for every day of the period.' + CSV,
    responses: { 200: json('The report.', SubscriptionReportResource), 403: backendOnly },
  },
  {
    method: 'get',
    path: '/v1/reports/conversion',
    operationId: 'getConversionReport',
    summary: 'Sign-in to first-purchase conversion per day',
    description: 'Users signing in at the provider’s clients, and those of them who went on to buy.' + CSV,
    tags: [TAG],
    security: READ,
    query: ReportQuery,
    responses: { 200: json('The report.', ConversionReportResource), 403: backendOnly },
  },
]);

/** Said of the Reports tag on the docs page. */
export const REPORTS_TAG_DESCRIPTION =
  'Business reports of the calling client’s provider, pre-aggregated per UTC day: revenue, ' +
  'subscriptions and sign-in conversion. A provider only ever sees its own.';
