import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { CONVERSION_REPORT_PROJECTION, type ConversionDayDoc } from '../../projections/reports-conversion.js';
import { REVENUE_REPORT_PROJECTION, type RevenueDayDoc } from '../../projections/reports-revenue.js';
import {
  SUBSCRIPTION_REPORT_PROJECTION,
  type SubscriptionDayDoc,
} from '../../projections/reports-subscriptions.js';
import type { Doc, ReadCollection } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { daysOf, rangeProblems, type ReportRange } from './report-range.js';

/** Money sums of a revenue report, integer minor units of one currency. */
export interface RevenueTotals {
  readonly gross: number;
  readonly refunds: number;
  readonly net: number;
  readonly vat: number;
  readonly refundVat: number;
  readonly netVat: number;
  readonly captures: number;
  readonly refundCount: number;
}

export interface RevenueDay extends RevenueTotals {
  readonly day: string;
}

/** One currency's revenue: a value for every day of the period, per SKU and in total. */
export interface CurrencyRevenue {
  readonly currency: string;
  readonly days: readonly RevenueDay[];
  readonly skus: readonly { readonly sku: string; readonly totals: RevenueTotals }[];
  readonly totals: RevenueTotals;
}

export interface RevenueRow extends RevenueTotals {
  readonly day: string;
  readonly currency: string;
  readonly sku: string;
}

export interface RevenueReport {
  readonly providerId: string;
  readonly from: string;
  readonly to: string;
  /** Currencies with any movement in the period, alphabetically. */
  readonly currencies: readonly CurrencyRevenue[];
  /** The stored rows (day, currency, SKU) with movements, by day, currency, SKU. */
  readonly rows: readonly RevenueRow[];
}

export interface SubscriptionDay {
  readonly day: string;
  readonly active: number;
  readonly new: number;
  readonly churned: number;
  readonly trialStarts: number;
  readonly trialConversions: number;
}

export interface SubscriptionReport {
  readonly providerId: string;
  readonly from: string;
  readonly to: string;
  readonly days: readonly SubscriptionDay[];
  readonly totals: {
    /** Active at the end of the day before the period. */
    readonly activeAtStart: number;
    readonly activeAtEnd: number;
    readonly new: number;
    readonly churned: number;
    readonly trialStarts: number;
    readonly trialConversions: number;
  };
}

export interface ConversionDay {
  readonly day: string;
  readonly signedIn: number;
  readonly converted: number;
  readonly firstPurchases: number;
  /** converted / signedIn, or null without sign-ins. */
  readonly rate: number | null;
}

export interface ConversionReport {
  readonly providerId: string;
  readonly from: string;
  readonly to: string;
  readonly days: readonly ConversionDay[];
  readonly totals: Omit<ConversionDay, 'day'>;
}

const EMPTY_REVENUE: RevenueTotals = {
  gross: 0,
  refunds: 0,
  net: 0,
  vat: 0,
  refundVat: 0,
  netVat: 0,
  captures: 0,
  refundCount: 0,
};

function addRevenue(a: RevenueTotals, b: RevenueTotals): RevenueTotals {
  return {
    gross: a.gross + b.gross,
    refunds: a.refunds + b.refunds,
    net: a.net + b.net,
    vat: a.vat + b.vat,
    refundVat: a.refundVat + b.refundVat,
    netVat: a.netVat + b.netVat,
    captures: a.captures + b.captures,
    refundCount: a.refundCount + b.refundCount,
  };
}

function pickRevenue(doc: RevenueDayDoc): RevenueTotals {
  const { gross, refunds, net, vat, refundVat, netVat, captures, refundCount } = doc;
  return { gross, refunds, net, vat, refundVat, netVat, captures, refundCount };
}

/** Rate with four decimals, so JSON and CSV agree. */
const rate = (converted: number, signedIn: number): number | null =>
  signedIn === 0 ? null : Math.round((converted / signedIn) * 10_000) / 10_000;

/** All documents of a provider's days in the range, by day (at most a few pages). */
async function daysInRange<T extends Doc>(
  collection: ReadCollection<T>,
  providerId: string,
  range: ReportRange,
): Promise<T[]> {
  const docs: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await collection.find({
      where: { providerId, day: { $gte: range.from, $lte: range.to } },
      sort: { field: 'day', direction: 'asc' },
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    docs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return docs;
}

/**
 * A provider's reports over a period of days, from the pre-aggregated report projections: key-range
 * reads of one provider's day documents, never a scan of the log. Every answer is scoped to the
 * provider asked for; callers pass the provider they authenticated.
 */
@injectable()
export class ReportQueries {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  async revenue(
    providerId: string,
    range: ReportRange,
    options: { readonly currency?: string } = {},
  ): Promise<RevenueReport> {
    checkRange(range);
    const collection = this.views.view<RevenueDayDoc>(REVENUE_REPORT_PROJECTION, 'revenue_days');
    const docs = (await daysInRange(collection, providerId, range)).filter(
      (d) => options.currency === undefined || d.currency === options.currency,
    );
    docs.sort((a, b) =>
      a.day !== b.day
        ? cmp(a.day, b.day)
        : a.currency !== b.currency
          ? cmp(a.currency, b.currency)
          : cmp(a.sku, b.sku),
    );
    const rows: RevenueRow[] = docs.map((d) => ({
      day: d.day,
      currency: d.currency,
      sku: d.sku,
      ...pickRevenue(d),
    }));
    const currencies = [...new Set(docs.map((d) => d.currency))].sort();
    const days = daysOf(range);
    return {
      providerId,
      from: range.from,
      to: range.to,
      currencies: currencies.map((currency) => {
        const mine = rows.filter((r) => r.currency === currency);
        const byDay = new Map<string, RevenueTotals>();
        const bySku = new Map<string, RevenueTotals>();
        for (const r of mine) {
          byDay.set(r.day, addRevenue(byDay.get(r.day) ?? EMPTY_REVENUE, r));
          bySku.set(r.sku, addRevenue(bySku.get(r.sku) ?? EMPTY_REVENUE, r));
        }
        return {
          currency,
          days: days.map((day) => ({ day, ...(byDay.get(day) ?? EMPTY_REVENUE) })),
          skus: [...bySku.keys()].sort().map((sku) => ({ sku, totals: bySku.get(sku)! })),
          totals: mine.reduce<RevenueTotals>((t, r) => addRevenue(t, r), EMPTY_REVENUE),
        };
      }),
      rows,
    };
  }

  async subscriptions(providerId: string, range: ReportRange): Promise<SubscriptionReport> {
    checkRange(range);
    const collection = this.views.view<SubscriptionDayDoc>(
      SUBSCRIPTION_REPORT_PROJECTION,
      'subscription_days',
    );
    const before = await collection.find({
      where: { providerId, day: { $lt: range.from } },
      sort: { field: 'day', direction: 'desc' },
      limit: 1,
    });
    const activeAtStart = before.items[0]?.active ?? 0;
    const byDay = new Map((await daysInRange(collection, providerId, range)).map((d) => [d.day, d]));
    let active = activeAtStart;
    const days: SubscriptionDay[] = daysOf(range).map((day) => {
      const doc = byDay.get(day);
      if (doc) active = doc.active;
      return {
        day,
        active,
        new: doc?.new ?? 0,
        churned: doc?.churned ?? 0,
        trialStarts: doc?.trialStarts ?? 0,
        trialConversions: doc?.trialConversions ?? 0,
      };
    });
    const sum = (f: (d: SubscriptionDay) => number) => days.reduce((s, d) => s + f(d), 0);
    return {
      providerId,
      from: range.from,
      to: range.to,
      days,
      totals: {
        activeAtStart,
        activeAtEnd: active,
        new: sum((d) => d.new),
        churned: sum((d) => d.churned),
        trialStarts: sum((d) => d.trialStarts),
        trialConversions: sum((d) => d.trialConversions),
      },
    };
  }

  async conversion(providerId: string, range: ReportRange): Promise<ConversionReport> {
    checkRange(range);
    const collection = this.views.view<ConversionDayDoc>(CONVERSION_REPORT_PROJECTION, 'conversion_days');
    const byDay = new Map((await daysInRange(collection, providerId, range)).map((d) => [d.day, d]));
    const days: ConversionDay[] = daysOf(range).map((day) => {
      const doc = byDay.get(day);
      const signedIn = doc?.signedIn ?? 0;
      const converted = doc?.converted ?? 0;
      return {
        day,
        signedIn,
        converted,
        firstPurchases: doc?.firstPurchases ?? 0,
        rate: rate(converted, signedIn),
      };
    });
    const signedIn = days.reduce((s, d) => s + d.signedIn, 0);
    const converted = days.reduce((s, d) => s + d.converted, 0);
    const firstPurchases = days.reduce((s, d) => s + d.firstPurchases, 0);
    return {
      providerId,
      from: range.from,
      to: range.to,
      days,
      totals: { signedIn, converted, firstPurchases, rate: rate(converted, signedIn) },
    };
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkRange(range: ReportRange): void {
  const [problem] = rangeProblems(range.from, range.to);
  if (problem)
    throw new DomainError(
      'invalid',
      'invalid_period',
      `${problem.field}: ${problem.message}.`,
      problem.field,
    );
}
