import type { ConversionReport, RevenueReport, SubscriptionReport } from './report-queries.js';

/**
 * CSV renderings of the reports (RFC 4180: comma-separated, CRLF line ends, a header row). Money
 * columns are integer minor units, as everywhere in Tessera, with the currency in its own column:
 * a spreadsheet divides by 10^exponent, never guesses it.
 */

const CRLF = '\r\n';

/** A field quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join(CRLF) + CRLF;
}

/** One row per day, currency and SKU with movements. */
export function revenueCsv(report: RevenueReport): string {
  return csv(
    [
      'day',
      'currency',
      'sku',
      'gross',
      'refunds',
      'net',
      'vat',
      'refund_vat',
      'net_vat',
      'captures',
      'refund_count',
    ],
    report.rows.map((r) => [
      r.day,
      r.currency,
      r.sku,
      r.gross,
      r.refunds,
      r.net,
      r.vat,
      r.refundVat,
      r.netVat,
      r.captures,
      r.refundCount,
    ]),
  );
}

/** One row per day of the period. */
export function subscriptionsCsv(report: SubscriptionReport): string {
  return csv(
    ['day', 'active', 'new', 'churned', 'trial_starts', 'trial_conversions'],
    report.days.map((d) => [d.day, d.active, d.new, d.churned, d.trialStarts, d.trialConversions]),
  );
}

/** One row per day of the period; `rate` is empty on days without sign-ins. */
export function conversionCsv(report: ConversionReport): string {
  return csv(
    ['day', 'signed_in', 'converted', 'first_purchases', 'rate'],
    report.days.map((d) => [d.day, d.signedIn, d.converted, d.firstPurchases, d.rate]),
  );
}
