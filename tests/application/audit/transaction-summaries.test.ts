import { expect } from 'chai';
import {
  applyToSummary,
  attemptMethodOf,
  SummaryCache,
  type TransactionSummary,
} from '../../../application/audit/transaction-summaries.js';
import type { RecordedEvent } from '../../../domain/kernel/event.js';
import type { PaymentEvent } from '../../../domain/payment/events.js';
import { MAX_ATTEMPTS } from '../../../domain/payment/values.js';

const provider = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';

function created(transactionId: string): PaymentEvent {
  const amount = { amount: 12_500, currency: 'NOK' };
  return {
    type: 'TransactionCreated',
    data: {
      transactionId,
      providerId: provider,
      orderId: `order-${transactionId}`,
      sub: `sub-${transactionId}`,
      description: 'Film rental',
      amount,
      vatRate: 2500,
      products: [{ sku: 'film', name: 'Film', price: amount, vatRate: 2500 }],
      successRedirect: 'https://shop.example/ok',
      cancelRedirect: 'https://shop.example/cancel',
      createdBy: 'client',
      expiresAt: null,
    },
  } as PaymentEvent;
}

function attempt(transactionId: string, attemptId: string, reference: string, kind = 'card'): PaymentEvent {
  return {
    type: 'PaymentAttemptStarted',
    data: { transactionId, attemptId, method: { kind, reference } },
  } as PaymentEvent;
}

function captured(transactionId: string, attemptId: string, amount: number): PaymentEvent {
  return {
    type: 'PaymentCaptured',
    data: { transactionId, attemptId, amount: { amount, currency: 'NOK' } },
  } as PaymentEvent;
}

function fold(events: readonly PaymentEvent[]): TransactionSummary {
  let summary: TransactionSummary | null = null;
  for (const event of events) summary = applyToSummary(summary, event);
  if (summary === null) throw new Error('no TransactionCreated');
  return summary;
}

function recorded(streamId: string, revision: number, event: PaymentEvent): RecordedEvent<PaymentEvent> {
  return {
    eventId: `${streamId}-${revision}`,
    type: event.type,
    streamId,
    revision,
    globalPosition: revision + 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    data: event.data,
    metadata: { correlationId: 'c', causationId: null, actor: { kind: 'system', id: 'test' } },
  } as RecordedEvent<PaymentEvent>;
}

/** The export's per-transaction fold and its bounded cache (see transaction-summaries.ts). */
describe('Transaction summaries of the auditor export', () => {
  it('knows how each attempt paid, with a restarted attempt taking its latest method', () => {
    const summary = fold([
      created('t1'),
      attempt('t1', 'a1', 'tok_1 visa **** 4242 12/2030'),
      attempt('t1', 'a2', 'tok_2 Mastercard **** 4444'),
      attempt('t1', 'a3', '+4799999999', 'carrier'),
      attempt('t1', 'a1', 'tok_3 American Express **** 0005 01/2031'),
      captured('t1', 'a2', 12_500),
    ]);
    expect(summary.attempts.map((a) => a.attemptId)).to.deep.equal(['a1', 'a2', 'a3']);
    expect(attemptMethodOf(summary, 'a1')).to.deep.equal({
      kind: 'card',
      brand: 'American Express',
      last4: '0005',
    });
    expect(attemptMethodOf(summary, 'a2')).to.deep.equal({
      kind: 'card',
      brand: 'Mastercard',
      last4: '4444',
    });
    expect(attemptMethodOf(summary, 'a3')).to.deep.equal({ kind: 'carrier', brand: null, last4: null });
    expect(attemptMethodOf(summary, 'a4')).to.equal(undefined);
    expect(summary).to.include({ captured: 12_500, refunded: 0, capturedAttemptId: 'a2', vatTotal: 2500 });
  });

  it('keeps at most MAX_ATTEMPTS attempts, and each transaction its own methods', () => {
    const many = fold([
      created('t1'),
      ...Array.from({ length: MAX_ATTEMPTS + 3 }, (_, i) =>
        attempt('t1', `a${i}`, `tok_${i} visa **** 4242`),
      ),
    ]);
    expect(many.attempts).to.have.length(MAX_ATTEMPTS);
    expect(attemptMethodOf(many, `a${MAX_ATTEMPTS}`)).to.equal(undefined);
    const other = fold([created('t2'), attempt('t2', 'b1', 'tok_9 visa **** 1881')]);
    expect(attemptMethodOf(other, 'b1')).to.deep.equal({ kind: 'card', brand: 'visa', last4: '1881' });
    expect(attemptMethodOf(many, 'a0')).to.deep.equal({ kind: 'card', brand: 'visa', last4: '4242' });
    // An unreadable card reference keeps the kind and leaves brand and last four unknown.
    const odd = fold([created('t3'), attempt('t3', 'c1', 'something else')]);
    expect(attemptMethodOf(odd, 'c1')).to.deep.equal({ kind: 'card', brand: null, last4: null });
  });

  it("shares one copy of a repeated method between a cache's summaries", () => {
    const cache = new SummaryCache(10, async () => []);
    const folded = (
      id: string,
      apply: (s: TransactionSummary | null, e: PaymentEvent) => TransactionSummary | null,
    ) =>
      [created(id), attempt(id, 'a1', `tok_${id} visa **** 4242`)].reduce<TransactionSummary | null>(
        apply,
        null,
      )!;
    const [one, two] = ['t1', 't2'].map((id) => folded(id, (s, e) => cache.apply(s, e)));
    expect(one!.attempts[0]!.method).to.equal(two!.attempts[0]!.method);
    const [three, four] = ['t3', 't4'].map((id) => folded(id, (s, e) => applyToSummary(s, e)));
    expect(three!.attempts[0]!.method).to.not.equal(four!.attempts[0]!.method);
    expect(three!.attempts[0]!.method).to.deep.equal(one!.attempts[0]!.method);
  });

  it('evicts the least recently used summary and rebuilds a missing one from the stream before the event', async () => {
    const streams = new Map<string, PaymentEvent[]>([
      [
        'payment-t1',
        [created('t1'), attempt('t1', 'a1', 'tok_1 visa **** 4242'), captured('t1', 'a1', 12_500)],
      ],
      ['payment-t2', [created('t2')]],
      ['payment-t3', [created('t3')]],
    ]);
    const reads: [string, number][] = [];
    const cache = new SummaryCache(2, async (streamId, maxCount) => {
      reads.push([streamId, maxCount]);
      return (streams.get(streamId) ?? []).slice(0, maxCount).map((e, i) => recorded(streamId, i, e));
    });
    for (const id of ['t1', 't2', 't3']) cache.put(`payment-${id}`, fold([created(id)]));
    expect(cache.peek('payment-t1')).to.equal(null);
    expect(cache.peek('payment-t2')).to.not.equal(null);

    // The capture at revision 2 of t1: the summary is folded from revisions 0 and 1 only.
    const before = await cache.before(recorded('payment-t1', 2, captured('t1', 'a1', 12_500)));
    expect(reads).to.deep.equal([['payment-t1', 2]]);
    expect(before).to.include({ captured: 0, capturedAttemptId: null });
    expect(attemptMethodOf(before!, 'a1')).to.deep.equal({ kind: 'card', brand: 'visa', last4: '4242' });
    expect(cache.misses()).to.equal(1);
    // Now cached, t2 (used more recently than t3) stays and t3 went.
    expect(await cache.before(recorded('payment-t1', 2, captured('t1', 'a1', 12_500)))).to.equal(before);
    expect(cache.misses()).to.equal(1);
    expect(cache.peek('payment-t3')).to.equal(null);
    expect(cache.peek('payment-t2')).to.not.equal(null);
  });
});
