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
 * The cache is the export's only state that grows with the log up to its bound, so an entry is kept
 * compact: attempts are a short array (not a Map), and the values that repeat across transactions
 * (provider ids, attempt methods) are shared through the cache's bounded SummaryInterner instead
 * of each summary holding its own copy. A summary of a typical transaction (one or two attempts) then takes
 * about 0.4 KB of heap with its cache key, so the default 2,000 entries hold under 1 MB; the worst
 * case (MAX_ATTEMPTS attempts) stays under 2 KB an entry.
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
  /**
   * Attempt ids and how each paid, in the order they started (at most MAX_ATTEMPTS). Replaced by an
   * exact-length copy when an attempt starts: a pushed-to (or spread) array reserves room for 16.
   */
  attempts: readonly AttemptEntry[];
}

export interface AttemptEntry {
  readonly attemptId: string;
  readonly method: AttemptMethod;
}

/** How attempt `attemptId` of the transaction paid; undefined for an attempt it never started. */
export function attemptMethodOf(summary: TransactionSummary, attemptId: string): AttemptMethod | undefined {
  for (const entry of summary.attempts) if (entry.attemptId === attemptId) return entry.method;
  return undefined;
}

/** A bounded map from keys to shared values: past `capacity` keys, values are no longer shared. */
class Interner<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get(key: string, make: () => T): T {
    const found = this.values.get(key);
    if (found !== undefined) return found;
    const value = make();
    if (this.values.size < this.capacity) this.values.set(key, value);
    return value;
  }
}

/**
 * Shares equal values between the summaries of one export: many transactions have the same provider
 * and pay with the same few card brands and numbers, and a summary then points at the shared copy
 * instead of holding its own. Owned by a SummaryCache, so it lives as long as the export does; each
 * kind of value is bounded (1,024 distinct ones), so a log of many distinct values keeps its own
 * copies past the bound rather than growing the interner.
 */
export class SummaryInterner {
  private readonly providers = new Interner<string>(1024);
  private readonly methods = new Interner<AttemptMethod>(1024);

  providerId(providerId: string): string {
    return this.providers.get(providerId, () => providerId);
  }

  method(method: AttemptMethod): AttemptMethod {
    return this.methods.get(`${method.kind} ${method.last4 ?? ''} ${method.brand ?? ''}`, () => method);
  }
}

/** Interns nothing: each summary keeps its own values. */
const NOT_SHARED = {
  providerId: (providerId: string) => providerId,
  method: (method: AttemptMethod) => method,
};

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
  interner: Pick<SummaryInterner, 'providerId' | 'method'> = NOT_SHARED,
): TransactionSummary | null {
  if (event.type === 'TransactionCreated') {
    if (summary !== null) return summary;
    const d = event.data;
    const vatTotal =
      d.products.length === 0
        ? vatIncludedIn(d.amount, d.vatRate).amount
        : d.products.reduce((sum, p) => sum + vatIncludedIn(p.price, p.vatRate).amount, 0);
    return {
      providerId: interner.providerId(d.providerId),
      orderId: d.orderId,
      sub: d.sub,
      currency: d.amount.currency,
      amount: d.amount.amount,
      vatRate: d.vatRate,
      vatTotal,
      captured: 0,
      refunded: 0,
      capturedAttemptId: null,
      attempts: [],
    };
  }
  if (summary === null) return null;
  switch (event.type) {
    case 'PaymentAttemptStarted': {
      const { attemptId } = event.data;
      const method = interner.method(attemptMethod(event.data.method));
      const entry: AttemptEntry = { attemptId, method };
      const index = summary.attempts.findIndex((a) => a.attemptId === attemptId);
      if (index >= 0) summary.attempts = summary.attempts.map((a, i) => (i === index ? entry : a));
      else if (summary.attempts.length < MAX_ATTEMPTS) summary.attempts = summary.attempts.concat([entry]);
      break;
    }
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
  private readonly interner = new SummaryInterner();
  private missCount = 0;

  constructor(
    private readonly capacity: number,
    private readonly readStream: ReadTransactionStream,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('cache capacity must be ≥ 1');
  }

  /** applyToSummary, sharing repeated values between this cache's summaries. */
  apply(summary: TransactionSummary | null, event: PaymentEvent): TransactionSummary | null {
    return applyToSummary(summary, event, this.interner);
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
      summary = this.apply(summary, { type: e.type, data: e.data } as PaymentEvent);
    }
    if (summary !== null) this.put(event.streamId, summary);
    return summary;
  }
}
