import type { RecordedEvent } from '../domain/kernel/event.js';
import type { PaymentEvent } from '../domain/payment/events.js';
import { vatIncludedIn } from '../domain/shared/money.js';
import { defineProjection, type ProjectionTx } from './projection.js';
import { allocate, utcDay } from './reports-money.js';

/**
 * Provider revenue by UTC day, currency and SKU, pre-aggregated from the payment transaction log:
 *
 * - a capture books each product line's price as `gross` under the line's SKU on the day of the
 *   capture, with the VAT contained in it (per line, at the line's rate, rounded half-up once). A
 *   transaction without product lines, or a line without a SKU, books under `(none)`;
 * - a refund is split between the transaction's lines in proportion to what each line still has
 *   unrefunded (largest-remainder allocation in minor units), and booked on the refund's day. So a
 *   line never gives back more than it took, and a full refund, in one piece or in many, returns
 *   every line's gross exactly;
 * - the VAT given back by a refund is the fall in the VAT contained in the line's unrefunded rest,
 *   so a line's VAT after a full refund is exactly zero and `netVat` is always the VAT of `net`.
 *
 * All amounts are integer minor units; currencies never mix. Sums over SKUs therefore equal the
 * transactions' captured and refunded amounts to the unit.
 */

export const REVENUE_REPORT_PROJECTION = 'reports_revenue';
/** The SKU that money without a product line is booked under. */
export const NO_SKU = '(none)';

/** Collection `revenue_days`; id = `<providerId>:<day>:<currency>:<sku>`. */
export type RevenueDayDoc = {
  readonly id: string;
  readonly providerId: string;
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly currency: string;
  readonly sku: string;
  /** Captured (VAT included). */
  readonly gross: number;
  readonly refunds: number;
  /** gross - refunds */
  readonly net: number;
  /** VAT contained in `gross`. */
  readonly vat: number;
  /** VAT given back with `refunds`. */
  readonly refundVat: number;
  /** vat - refundVat */
  readonly netVat: number;
  /** Captured transactions with this SKU (a transaction with two lines of one SKU counts once per line). */
  readonly captures: number;
  readonly refundCount: number;
};

interface Line {
  readonly sku: string;
  readonly price: number;
  readonly vatRate: number;
}

/** Collection `revenue_transactions`: a transaction's lines and what each has captured and refunded. */
type RevenueTransactionDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly currency: string;
  readonly lines: readonly Line[];
  /** Per line; empty until captured. */
  readonly captured: readonly number[];
  readonly refunded: readonly number[];
  /** Stream revision of the last event applied: a redelivered event changes nothing. */
  readonly revision: number;
};

type Delta = Pick<RevenueDayDoc, 'gross' | 'refunds' | 'vat' | 'refundVat' | 'captures' | 'refundCount'>;

const vatOf = (amount: number, vatRate: number, currency: string): number =>
  vatIncludedIn({ amount, currency }, vatRate).amount;

async function book(
  tx: ProjectionTx,
  owner: RevenueTransactionDoc,
  day: string,
  sku: string,
  delta: Delta,
): Promise<void> {
  const id = `${owner.providerId}:${day}:${owner.currency}:${sku}`;
  const doc = await tx.get<RevenueDayDoc>('revenue_days', id);
  const gross = (doc?.gross ?? 0) + delta.gross;
  const refunds = (doc?.refunds ?? 0) + delta.refunds;
  const vat = (doc?.vat ?? 0) + delta.vat;
  const refundVat = (doc?.refundVat ?? 0) + delta.refundVat;
  const next: RevenueDayDoc = {
    id,
    providerId: owner.providerId,
    day,
    currency: owner.currency,
    sku,
    gross,
    refunds,
    net: gross - refunds,
    vat,
    refundVat,
    netVat: vat - refundVat,
    captures: (doc?.captures ?? 0) + delta.captures,
    refundCount: (doc?.refundCount ?? 0) + delta.refundCount,
  };
  tx.upsert('revenue_days', next);
}

async function applyRevenueEvent(event: RecordedEvent<PaymentEvent>, tx: ProjectionTx): Promise<void> {
  const e = { type: event.type, data: event.data } as PaymentEvent;
  if (e.type === 'TransactionCreated') {
    if (await tx.get('revenue_transactions', e.data.transactionId)) return;
    const lines: Line[] =
      e.data.products.length === 0
        ? [{ sku: NO_SKU, price: e.data.amount.amount, vatRate: e.data.vatRate }]
        : e.data.products.map((p) => ({ sku: p.sku ?? NO_SKU, price: p.price.amount, vatRate: p.vatRate }));
    const doc: RevenueTransactionDoc = {
      id: e.data.transactionId,
      providerId: e.data.providerId,
      currency: e.data.amount.currency,
      lines,
      captured: [],
      refunded: lines.map(() => 0),
      revision: event.revision,
    };
    tx.upsert('revenue_transactions', doc);
    return;
  }
  if (e.type !== 'PaymentCaptured' && e.type !== 'RefundIssued') return;
  const owner = await tx.get<RevenueTransactionDoc>('revenue_transactions', e.data.transactionId);
  if (!owner || event.revision <= owner.revision) return;
  const day = utcDay(event.occurredAt);
  const { currency } = owner;

  if (e.type === 'PaymentCaptured') {
    // The capture is the transaction's amount, which its lines add up to; splitting it by the
    // lines' prices keeps the books exact even if it ever were not.
    const captured = allocate(
      e.data.amount.amount,
      owner.lines.map((l) => l.price),
    );
    for (const [i, line] of owner.lines.entries()) {
      const gross = captured[i]!;
      const vat = vatOf(gross, line.vatRate, currency);
      await book(tx, owner, day, line.sku, {
        gross,
        refunds: 0,
        vat,
        refundVat: 0,
        captures: 1,
        refundCount: 0,
      });
    }
    tx.upsert('revenue_transactions', { ...owner, captured, revision: event.revision });
    return;
  }

  // A refund before any capture cannot happen (the decider refuses it); ignore one defensively.
  if (owner.captured.length === 0) {
    tx.upsert('revenue_transactions', { ...owner, revision: event.revision });
    return;
  }
  const unrefunded = owner.lines.map((_, i) => owner.captured[i]! - owner.refunded[i]!);
  const parts = allocate(e.data.amount.amount, unrefunded);
  const refunded = owner.refunded.map((r, i) => r + parts[i]!);
  for (const [i, line] of owner.lines.entries()) {
    const part = parts[i]!;
    if (part === 0) continue;
    const refundVat =
      vatOf(unrefunded[i]!, line.vatRate, currency) - vatOf(unrefunded[i]! - part, line.vatRate, currency);
    await book(tx, owner, day, line.sku, {
      gross: 0,
      refunds: part,
      vat: 0,
      refundVat,
      captures: 0,
      refundCount: 1,
    });
  }
  tx.upsert('revenue_transactions', { ...owner, refunded, revision: event.revision });
}

export const revenueReportProjection = defineProjection<PaymentEvent>({
  name: REVENUE_REPORT_PROJECTION,
  version: 1,
  handles: ['TransactionCreated', 'PaymentCaptured', 'RefundIssued'],
  collections: {
    revenue_transactions: {},
    revenue_days: { indexes: [{ fields: ['providerId', 'day'] }] },
  },
  apply: applyRevenueEvent,
});
