/**
 * The dashboard's HTML. The page is server-rendered: the provider and period pickers are a plain
 * GET form, the totals are text, and the chart data travels in a JSON data island
 * (`<script type="application/json">`, which browsers never execute, so the strict policy of
 * script-src 'self' holds). The charts are drawn by the page's own static script with Chart.js.
 */
import type {
  ConversionReport,
  RevenueReport,
  SubscriptionReport,
} from '../../../application/reports/report-queries.js';
import { currencyExponent, formatMoney as formatDomainMoney } from '../../../domain/shared/money.js';
import type { Locale } from '../pages/i18n.js';
import { escapeHtml } from '../pages/render.js';
import type { DashboardStrings } from './dashboard-i18n.js';

export interface DashboardAssets {
  readonly chartJs: string;
  readonly script: string;
  readonly style: string;
}

export interface ProviderChoice {
  readonly id: string;
  readonly name: string;
}

export interface DashboardModel {
  readonly locale: Locale;
  readonly t: DashboardStrings;
  readonly assets: DashboardAssets;
  readonly providers: readonly ProviderChoice[];
  readonly providerId: string;
  readonly from: string;
  readonly to: string;
  readonly revenue: RevenueReport;
  readonly subscriptions: SubscriptionReport;
  readonly conversion: ConversionReport;
  /** Shown above the form (a period that was refused). */
  readonly error?: string;
}

/** The dashboard's Content-Security-Policy: its own scripts and stylesheet only, nothing inline. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Minor units as a decimal amount of the currency, e.g. 12345 NOK → "NOK 123.45". */
export function formatMoney(amount: number, currency: string): string {
  return formatDomainMoney({ amount, currency }, 'report');
}

/** JSON safe inside a <script> element: no `<` can close it early. */
function dataIsland(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function frame(locale: Locale, title: string, assets: DashboardAssets, body: string): string {
  return (
    `<!doctype html>\n<html lang="${locale}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)} – Tessera</title>` +
    `<link rel="stylesheet" href="${assets.style}"></head><body>\n${body}\n</body></html>\n`
  );
}

function chartData(m: DashboardModel) {
  const { t } = m;
  return {
    days: m.subscriptions.days.map((d) => d.day),
    labels: {
      net: t.net,
      active: t.active,
      new: t.new,
      churned: t.churned,
      signedIn: t.signedIn,
      converted: t.converted,
    },
    revenue: m.revenue.currencies.map((c) => ({
      currency: c.currency,
      exponent: currencyExponent(c.currency),
      net: c.days.map((d) => d.net),
    })),
    subscriptions: {
      active: m.subscriptions.days.map((d) => d.active),
      new: m.subscriptions.days.map((d) => d.new),
      churned: m.subscriptions.days.map((d) => d.churned),
    },
    conversion: {
      signedIn: m.conversion.days.map((d) => d.signedIn),
      converted: m.conversion.days.map((d) => d.converted),
    },
  };
}

function dl(items: readonly (readonly [string, string])[]): string {
  return `<dl class="totals">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

function csvLink(m: DashboardModel, kind: string, label: string): string {
  const q = new URLSearchParams({ provider: m.providerId, from: m.from, to: m.to });
  return `<a class="csv" href="/dashboard/reports/${kind}.csv?${escapeHtml(q.toString())}" download>${escapeHtml(m.t.csv(label))}</a>`;
}

export function dashboardPage(m: DashboardModel): string {
  const { t } = m;
  const picker =
    m.providers.length > 1
      ? `<label for="provider">${escapeHtml(t.provider)}</label><select id="provider" name="provider">${m.providers
          .map(
            (p) =>
              `<option value="${escapeHtml(p.id)}"${p.id === m.providerId ? ' selected' : ''}>${escapeHtml(p.name)}</option>`,
          )
          .join('')}</select>`
      : `<input type="hidden" name="provider" value="${escapeHtml(m.providerId)}">`;
  const current = m.providers.find((p) => p.id === m.providerId);
  const revenueTotals =
    m.revenue.currencies.length === 0
      ? `<p class="hint">${escapeHtml(t.noRevenue)}</p>`
      : m.revenue.currencies
          .map((c) =>
            dl([
              [`${t.gross} (${c.currency})`, formatMoney(c.totals.gross, c.currency)],
              [`${t.refunds} (${c.currency})`, formatMoney(c.totals.refunds, c.currency)],
              [`${t.net} (${c.currency})`, formatMoney(c.totals.net, c.currency)],
              [`${t.vat} (${c.currency})`, formatMoney(c.totals.netVat, c.currency)],
            ]),
          )
          .join('');
  const s = m.subscriptions.totals;
  const c = m.conversion.totals;
  const body = `<header><h1>${escapeHtml(t.title)}${current ? ` – ${escapeHtml(current.name)}` : ''}</h1></header>
<main>
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
<form method="get" action="/dashboard" class="period">${picker}
<label for="from">${escapeHtml(t.from)}</label><input type="date" id="from" name="from" value="${escapeHtml(m.from)}" required>
<label for="to">${escapeHtml(t.to)}</label><input type="date" id="to" name="to" value="${escapeHtml(m.to)}" required>
<button type="submit">${escapeHtml(t.show)}</button></form>
<section aria-labelledby="h-revenue"><h2 id="h-revenue">${escapeHtml(t.revenue)}</h2>${revenueTotals}
<div class="chart"><canvas id="revenue-chart" role="img" aria-label="${escapeHtml(t.revenueChart)}"></canvas></div>
<p>${csvLink(m, 'revenue', t.revenue)}</p></section>
<section aria-labelledby="h-subscriptions"><h2 id="h-subscriptions">${escapeHtml(t.subscriptions)}</h2>
${dl([
  [t.activeAtEnd, String(s.activeAtEnd)],
  [t.new, String(s.new)],
  [t.churned, String(s.churned)],
  [t.trialStarts, String(s.trialStarts)],
  [t.trialConversions, String(s.trialConversions)],
])}
<div class="chart"><canvas id="subscriptions-chart" role="img" aria-label="${escapeHtml(t.subscriptionsChart)}"></canvas></div>
<p>${csvLink(m, 'subscriptions', t.subscriptions)}</p></section>
<section aria-labelledby="h-conversion"><h2 id="h-conversion">${escapeHtml(t.conversion)}</h2>
${dl([
  [t.signedIn, String(c.signedIn)],
  [t.converted, String(c.converted)],
  [t.firstPurchases, String(c.firstPurchases)],
  [t.rate, c.rate === null ? '–' : `${(c.rate * 100).toFixed(1)} %`],
])}
<div class="chart"><canvas id="conversion-chart" role="img" aria-label="${escapeHtml(t.conversionChart)}"></canvas></div>
<p>${csvLink(m, 'conversion', t.conversion)}</p></section>
</main>
<script type="application/json" id="dashboard-data">${dataIsland(chartData(m))}</script>
<script src="${m.assets.chartJs}"></script>
<script src="${m.assets.script}"></script>`;
  return frame(m.locale, t.title, m.assets, body);
}

/** A page with a heading and one message (no access, a failed sign-in). */
export function dashboardMessagePage(
  locale: Locale,
  assets: DashboardAssets,
  title: string,
  message: string,
): string {
  return frame(
    locale,
    title,
    assets,
    `<main class="narrow"><h1>${escapeHtml(title)}</h1><p class="error">${escapeHtml(message)}</p></main>`,
  );
}
