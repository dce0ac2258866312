import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import { MAX_ATTEMPTS, type PaymentMethodKind } from '../../domain/payment/values.js';
import { vatIncludedIn } from '../../domain/shared/money.js';

/**
 * What the export needs to know about a transaction beyond the event at hand: who it belongs to,
 * its amount and VAT, what has been captured and refunded so far, and how each attempt paid. It is
 * a small fold of the transaction's own events, kept for recently seen transactions in a bounded
 * LRU cache, and rebuilt from the stream's head when a transaction is not in the cache.
 *
 * Memory bound: one summary holds a few ids, numbers and at most MAX_ATTEMPTS (20) attempt methods
 * (kind, brand, last4): about 0.5 KB typically and under 3 KB at the worst, so the default 10,000
 * entries stay under ~30 MB even in the worst case (about 5 MB in practice).
 */

export interface AttemptMethod {
  readonly kind: PaymentMethodKind;
  readonly brand: string | null;
  readonly last4: string | null;
}

export interface TransactionSummary {
  readonly providerId: string;
  readonly orderId: string;
  readonly sub: string;
  readonly currency: string;
  /** The transaction's (VAT-inclusive) amount in minor units. */
  readonly amount: number;
  readonly vatRate: number;
  /** The VAT contained in `amount`: per product line when there are lines (as the receipt does). */
  readonly vatTotal: number;
  captured: number;
  refunded: number;
  capturedAttemptId: string | null;
  readonly attempts: Map<string, AttemptMethod>;
}

/** `tok_… visa **** 4242 12/2030` → visa, 4242 (see methodReference in payment-methods.ts). */
const CARD_REFERENCE = /^\S+ (.{1,20}) \*{4} (\d{4})(?: \d{2}\/\d{4})?$/;

export function attemptMethod(method: { kind: PaymentMethodKind; reference: string }): AttemptMethod {
  if (method.kind !== 'card') return { kind: method.kind, brand: null, last4: null };
  const match = CARD_REFERENCE.exec(method.reference);
  return { kind: 'card', brand: match?.[1] ?? null, last4: match?.[2] ?? null };
}

/**
 * Applies one event to a summary (creating it from TransactionCreated). Only the events that change
 * what a summary holds matter; the others leave it as it is.
 */
export function applyToSummary(
  summary: TransactionSummary | null,
  event: PaymentEvent,
): TransactionSummary | null {
  if (event.type === 'TransactionCreated') {
    if (summary !== null) return summary;
    const d = event.data;
    const vatTotal =
      d.products.length === 0
        ? vatIncludedIn(d.amount, d.vatRate).amount
        : d.products.reduce((sum, p) => sum + vatIncludedIn(p.price, p.vatRate).amount, 0);
    return {
      providerId: d.providerId,
      orderId: d.orderId,
      sub: d.sub,
      currency: d.amount.currency,
      amount: d.amount.amount,
      vatRate: d.vatRate,
      vatTotal,
      captured: 0,
      refunded: 0,
      capturedAttemptId: null,
      attempts: new Map(),
    };
  }
  if (summary === null) return null;
  switch (event.type) {
    case 'PaymentAttemptStarted':
      if (summary.attempts.size < MAX_ATTEMPTS || summary.attempts.has(event.data.attemptId)) {
        summary.attempts.set(event.data.attemptId, attemptMethod(event.data.method));
      }
      break;
    case 'PaymentCaptured':
      summary.captured += event.data.amount.amount;
      summary.capturedAttemptId = event.data.attemptId;
      break;
    case 'RefundIssued':
      summary.refunded += event.data.amount.amount;
      break;
    default:
      break;
  }
  return summary;
}

/** The stream-reading side the cache needs. */
export type ReadTransactionStream = (
  streamId: string,
  maxCount: number,
) => Promise<readonly RecordedEvent<PaymentEvent>[]>;

/** Recently seen transactions' summaries, least recently used evicted first. */
export class SummaryCache {
  private readonly entries = new Map<string, TransactionSummary>();
  private missCount = 0;

  constructor(
    private readonly capacity: number,
    private readonly readStream: ReadTransactionStream,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('cache capacity must be ≥ 1');
  }

  /** Stream reads made because a transaction was not cached. */
  misses(): number {
    return this.missCount;
  }

  /** The cached summary, refreshed as most recently used; null when not cached. */
  peek(streamId: string): TransactionSummary | null {
    const found = this.entries.get(streamId);
    if (found === undefined) return null;
    this.entries.delete(streamId);
    this.entries.set(streamId, found);
    return found;
  }

  put(streamId: string, summary: TransactionSummary): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, summary);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /**
   * The summary as of just before `event`: from the cache, or folded from the stream's events
   * before it (revisions 0 .. event.revision - 1) when it is not cached.
   */
  async before(event: RecordedEvent<PaymentEvent>): Promise<TransactionSummary | null> {
    const cached = this.peek(event.streamId);
    if (cached !== null) return cached;
    if (event.type === 'TransactionCreated' || event.revision === 0) return null;
    this.missCount += 1;
    let summary: TransactionSummary | null = null;
    for (const e of await this.readStream(event.streamId, event.revision)) {
      summary = applyToSummary(summary, { type: e.type, data: e.data } as PaymentEvent);
    }
    if (summary !== null) this.put(event.streamId, summary);
    return summary;
  }
}
