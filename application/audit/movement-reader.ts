import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import type { TransactionStatus } from '../../domain/payment/values.js';
import type { EventStore } from '../ports/event-store.js';
import { actorColumns, type MovementKind, type UnchainedRow } from './audit-row.js';
import { attemptMethodOf, SummaryCache, type TransactionSummary } from './transaction-summaries.js';

/**
 * Reads the money movements of a period from the log, page by page, with constant memory: one page
 * of events and a bounded cache of transaction summaries (transaction-summaries.ts) at a time.
 *
 * The period is [from, to) on the events' `occurredAt`. Times in the log follow its order (each
 * append is stamped at commit), so the scan starts at the first event at or after `from - skew`,
 * found by bisecting the global positions, and stops at the first event at or after `to + skew`;
 * `skew` (default five minutes) absorbs a clock that stepped back between appends. Rows are still
 * chosen strictly by [from, to).
 */

/** The events whose rows are exported. */
export const MOVEMENT_EVENT_TYPES: readonly PaymentEvent['type'][] = [
  'PaymentCaptured',
  'RefundIssued',
  'PaymentFailed',
];

/** Events read as well, to keep cached summaries whole without reading streams again. */
const SUMMARY_EVENT_TYPES: readonly PaymentEvent['type'][] = ['TransactionCreated', 'PaymentAttemptStarted'];

export const SCANNED_EVENT_TYPES: readonly string[] = [...SUMMARY_EVENT_TYPES, ...MOVEMENT_EVENT_TYPES];

export interface MovementReaderOptions {
  /** Events per readAll call (default 1000). */
  readonly pageSize?: number;
  /** Transaction summaries kept (default 2,000; see DEFAULT_CACHE_SIZE). */
  readonly cacheSize?: number;
  /** Tolerance for out-of-order timestamps at the period's edges, in ms (default 5 minutes). */
  readonly skewMs?: number;
}

export interface Period {
  readonly from: Date;
  readonly to: Date;
}

/** Where a scan is, for progress bars: positions from `start` to `end` (the head when it began). */
export interface ScanProgress {
  readonly start: number;
  readonly position: number;
  readonly end: number;
}

export type MovementStore = Pick<EventStore, 'readAll' | 'readStream' | 'headPosition'>;

const DEFAULT_SKEW_MS = 5 * 60_000;

/**
 * Summaries cached by default. A transaction's capture or failure usually follows its creation
 * within minutes, and 2,000 transactions cover over ten minutes of checkouts at three a second; a
 * later event (a refund days after) misses whatever the size, and costs one indexed read of its
 * stream, so a miss is slower but never wrong. The cache is the export's largest long-lived state:
 * about 0.4 KB an entry, and as entries come and go they leave old-space pages partly used, so each
 * thousand entries costs a few MB of RSS beyond its live size. Hence no larger than that window.
 */
const DEFAULT_CACHE_SIZE = 2_000;

export class MovementReader {
  private readonly pageSize: number;
  private readonly skewMs: number;
  readonly cache: SummaryCache;

  constructor(
    private readonly store: MovementStore,
    options: MovementReaderOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.skewMs = options.skewMs ?? DEFAULT_SKEW_MS;
    this.cache = new SummaryCache(options.cacheSize ?? DEFAULT_CACHE_SIZE, async (streamId, maxCount) =>
      maxCount <= 0
        ? []
        : ((await store.readStream(streamId, { maxCount })) as RecordedEvent<PaymentEvent>[]),
    );
  }

  /**
   * Yields the period's rows, one array per page read (possibly empty), in log order. `onProgress`
   * is called after every page.
   */
  async *rows(
    period: Period,
    onProgress?: (p: ScanProgress) => void,
  ): AsyncGenerator<readonly UnchainedRow[], void, undefined> {
    const from = period.from.getTime();
    const to = period.to.getTime();
    const end = await this.store.headPosition();
    const start = await this.firstPositionAtOrAfter(from - this.skewMs, end);
    let after = start;
    for (;;) {
      const page = (await this.store.readAll({
        after,
        maxCount: this.pageSize,
        filter: { types: SCANNED_EVENT_TYPES },
      })) as RecordedEvent<PaymentEvent>[];
      const out: UnchainedRow[] = [];
      let finished = page.length < this.pageSize;
      for (const event of page) {
        const at = Date.parse(event.occurredAt);
        if (at >= to + this.skewMs) {
          finished = true;
          break;
        }
        after = event.globalPosition;
        const row = await this.apply(event);
        if (row !== null && at >= from && at < to) out.push(row);
      }
      onProgress?.({ start, position: finished ? Math.max(after, end) : after, end });
      yield out;
      if (finished) return;
    }
  }

  /** Updates the cache with one event; returns its row when it is a movement. */
  private async apply(event: RecordedEvent<PaymentEvent>): Promise<UnchainedRow | null> {
    const domainEvent = { type: event.type, data: event.data } as PaymentEvent;
    const movement = movementOf(domainEvent);
    if (movement === null) {
      // Summaries are only started from a creation (or read whole on a later miss): an attempt of
      // a transaction that is not cached is picked up by that read.
      const cached = this.cache.peek(event.streamId);
      const next = this.cache.apply(cached, domainEvent);
      if (cached === null && next !== null) this.cache.put(event.streamId, next);
      return null;
    }
    const summary = await this.cache.before(event);
    if (summary === null) {
      throw new Error(
        `${event.streamId}: ${event.type} at ${event.globalPosition} has no TransactionCreated`,
      );
    }
    const before = { captured: summary.captured, refunded: summary.refunded };
    this.cache.apply(summary, domainEvent);
    return rowOf(event, movement, summary, before);
  }

  /**
   * The position just before the first event at or after `instant` (0 when that is the log's first
   * event), found by bisecting positions: about log2(head) single-event reads.
   */
  private async firstPositionAtOrAfter(instant: number, head: number): Promise<number> {
    let lo = 0;
    let hi = head;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const [next] = await this.store.readAll({ after: mid, maxCount: 1 });
      if (next === undefined || Date.parse(next.occurredAt) >= instant) hi = mid;
      else lo = Math.max(mid + 1, next.globalPosition);
    }
    return lo;
  }
}

function movementOf(event: PaymentEvent): { kind: MovementKind; reference: string } | null {
  switch (event.type) {
    case 'PaymentCaptured':
      return { kind: 'captured', reference: event.data.attemptId };
    case 'RefundIssued':
      return { kind: 'refunded', reference: event.data.refundId };
    case 'PaymentFailed':
      return { kind: 'failed', reference: event.data.attemptId };
    default:
      return null;
  }
}

/** `value × numerator / denominator`, rounded half-up, in integers. */
function share(value: number, numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  const n = BigInt(value) * BigInt(numerator);
  const d = BigInt(denominator);
  return Number((n * 2n + d) / (d * 2n));
}

/**
 * The VAT of `captured` minor units of the transaction: its VAT total pro rata, rounded half-up on
 * the running total, so partial refunds' VAT always adds up to exactly the captured VAT once the
 * transaction is refunded in full.
 */
function vatOfCumulative(summary: TransactionSummary, cumulative: number): number {
  return share(summary.vatTotal, cumulative, summary.amount);
}

function rowOf(
  event: RecordedEvent<PaymentEvent>,
  movement: { kind: MovementKind; reference: string },
  summary: TransactionSummary,
  before: { captured: number; refunded: number },
): UnchainedRow {
  const amount = (event.data as { amount: { amount: number } }).amount.amount;
  let net = 0;
  let vat = 0;
  let stateAfter: TransactionStatus = 'failed';
  let attemptId: string | null = movement.reference;
  if (movement.kind === 'captured') {
    net = amount;
    vat = vatOfCumulative(summary, before.captured + amount) - vatOfCumulative(summary, before.captured);
    stateAfter = 'captured';
  } else if (movement.kind === 'refunded') {
    net = -amount;
    vat = -(vatOfCumulative(summary, before.refunded + amount) - vatOfCumulative(summary, before.refunded));
    // As the transaction's own fold has it (domain/payment/state.ts).
    stateAfter = summary.refunded >= summary.captured ? 'refunded' : 'partially_refunded';
    attemptId = summary.capturedAttemptId;
  }
  const method = attemptId === null ? undefined : attemptMethodOf(summary, attemptId);
  return {
    eventId: event.eventId,
    position: event.globalPosition,
    occurredAt: event.occurredAt,
    movement: movement.kind,
    transactionId: (event.data as { transactionId: string }).transactionId,
    providerId: summary.providerId,
    orderId: summary.orderId,
    sub: summary.sub,
    reference: movement.reference,
    amount,
    net,
    currency: summary.currency,
    vatRate: summary.vatRate,
    vat: vat === 0 ? 0 : vat,
    method: method?.kind ?? null,
    cardBrand: method?.brand ?? null,
    cardLast4: method?.last4 ?? null,
    stateAfter,
    ...actorColumns(event.metadata.actor),
  };
}
