import { expect } from 'chai';
import { DomainError } from '../../domain/kernel/decider.js';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import type { Doc } from '../../application/ports/read-model-store.js';
import {
  LEDGER_PROJECTION,
  type LedgerBalanceDoc,
  type LedgerDayDoc,
  type LedgerEntryDoc,
} from '../../projections/ledger.js';
import { TRANSACTIONS_PROJECTION, type TransactionDoc } from '../../projections/transactions.js';
import { ctx, order, PaymentWorld, providerA, providerB } from '../application/payment/payment-world.js';

/** A small seeded PRNG (mulberry32), so a failing history can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Totals = {
  captured: number;
  refunded: number;
  failed: number;
  capturedCount: number;
  refundedCount: number;
  failedCount: number;
};
const zero = (): Totals => ({
  captured: 0,
  refunded: 0,
  failed: 0,
  capturedCount: 0,
  refundedCount: 0,
  failedCount: 0,
});

/** The ledger computed straight from the transaction events, independently of the projection. */
function foldLog(events: readonly RecordedEvent[]) {
  const owner = new Map<string, { providerId: string; currency: string }>();
  const days = new Map<string, Totals>();
  const balances = new Map<string, Totals>();
  const perTransaction = new Map<string, number>();
  for (const recorded of events) {
    const e = { type: recorded.type, data: recorded.data } as PaymentEvent;
    if (e.type === 'TransactionCreated') {
      owner.set(e.data.transactionId, { providerId: e.data.providerId, currency: e.data.amount.currency });
      continue;
    }
    if (e.type !== 'PaymentCaptured' && e.type !== 'RefundIssued' && e.type !== 'PaymentFailed') continue;
    const { providerId, currency } = owner.get(e.data.transactionId)!;
    const amount = e.data.amount.amount;
    const day = recorded.occurredAt.slice(0, 10);
    for (const [map, key] of [
      [days, `${providerId}:${currency}:${day}`],
      [balances, `${providerId}:${currency}`],
    ] as const) {
      const t = map.get(key) ?? zero();
      if (e.type === 'PaymentCaptured') {
        t.captured += amount;
        t.capturedCount++;
      } else if (e.type === 'RefundIssued') {
        t.refunded += amount;
        t.refundedCount++;
      } else {
        t.failed += amount;
        t.failedCount++;
      }
      map.set(key, t);
    }
    const net = e.type === 'PaymentCaptured' ? amount : e.type === 'RefundIssued' ? -amount : 0;
    perTransaction.set(e.data.transactionId, (perTransaction.get(e.data.transactionId) ?? 0) + net);
  }
  return { days, balances, perTransaction };
}

async function all<T extends Doc>(world: PaymentWorld, projection: string, collection: string): Promise<T[]> {
  const docs: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await world.runner
      .view<T>(projection, collection)
      .find({ limit: 1000, ...(cursor === null ? {} : { cursor }) });
    docs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return docs;
}

const currencies = [
  { currency: 'NOK', unit: 100 },
  { currency: 'JPY', unit: 1 },
  { currency: 'KWD', unit: 1000 },
];
const methods = [
  { kind: 'card' as const, reference: 'tok_visa' },
  { kind: 'carrier' as const, reference: '+47*****678' },
];

describe('Ledger projection', function () {
  this.timeout(60_000);
  let world: PaymentWorld;

  beforeEach(async () => {
    world = await PaymentWorld.start();
  });

  afterEach(async () => {
    await world.stop();
  });

  it('always reconciles with a fold of the transaction events (random histories)', async () => {
    const random = prng(20260101);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const TRANSACTIONS = 300;
    let refusals = 0;

    /** Plays one random history through the commands; refusals are part of the game. */
    async function history(i: number): Promise<void> {
      const providerId = random() < 0.6 ? providerA : providerB;
      const { currency, unit } = pick(currencies);
      const amount = (1 + Math.floor(random() * 500)) * unit + Math.floor(random() * unit);
      const created = await world.commands.create(
        providerId,
        order(`order-${i}`, { amount: { amount, currency }, products: undefined }),
        ctx,
      );
      const id = created.transactionId;
      let attempt = 0;
      for (let step = 0; step < 8; step++) {
        const attemptId = `a${attempt}`;
        const move = random();
        try {
          if (move < 0.25) {
            attempt++;
            await world.commands.startAttempt(
              providerId,
              id,
              { attemptId: `a${attempt}`, method: pick(methods) },
              ctx,
            );
          } else if (move < 0.35) {
            await world.commands.fail(
              providerId,
              id,
              attemptId,
              { code: 'card_declined', message: 'Declined' },
              ctx,
            );
          } else if (move < 0.5) {
            await world.commands.capture(providerId, id, attemptId, {}, ctx);
          } else if (move < 0.55) {
            await world.commands.authorize(providerId, id, attemptId, {}, ctx);
          } else if (move < 0.6) {
            await world.commands.markUnknown(providerId, id, attemptId, 'timeout', ctx);
          } else if (move < 0.67) {
            const outcome =
              random() < 0.5
                ? ({ status: 'captured' } as const)
                : ({ status: 'failed', code: 'not_processed', message: 'No charge' } as const);
            await world.commands.reconcile(providerId, id, attemptId, outcome, ctx);
          } else if (move < 0.7) {
            await world.commands.cancel(providerId, id, { by: pick(['user', 'provider'] as const) }, ctx);
          } else if (move < 0.9) {
            const part = 1 + Math.floor(random() * amount * 0.7);
            await world.commands.refund(
              providerId,
              id,
              {
                amount: { amount: part, currency },
                reason: 'random refund',
                issuer: { kind: 'provider', id: 'client-a' },
              },
              ctx,
              random() < 0.3 ? { idempotencyKey: `refund-${i}-${step % 2}` } : {},
            );
          } else {
            world.clock.advance(Math.floor(random() * 6 * 3_600_000));
          }
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          refusals++;
        }
      }
    }

    for (let i = 0; i < TRANSACTIONS; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => history(i + j)));
    }
    await world.caughtUp();

    const events = await world.store.readAll({ after: 0, maxCount: 1_000_000 });
    const expected = foldLog(events);
    const moved = events.filter((e) => ['PaymentCaptured', 'RefundIssued', 'PaymentFailed'].includes(e.type));
    // The generator really exercised the ledger: captures, refunds and failures on several days.
    expect(moved.filter((e) => e.type === 'PaymentCaptured').length).to.be.greaterThan(50);
    expect(moved.filter((e) => e.type === 'RefundIssued').length).to.be.greaterThan(20);
    expect(moved.filter((e) => e.type === 'PaymentFailed').length).to.be.greaterThan(20);
    expect(expected.days.size).to.be.greaterThan(6);
    expect(refusals).to.be.greaterThan(0);

    const entries = await all<LedgerEntryDoc>(world, LEDGER_PROJECTION, 'ledger_entries');
    expect(entries).to.have.length(moved.length);

    const days = await all<LedgerDayDoc>(world, LEDGER_PROJECTION, 'ledger_days');
    expect(days).to.have.length(expected.days.size);
    for (const doc of days) {
      const want = expected.days.get(doc.id);
      expect(want, doc.id).to.not.equal(undefined);
      expect(doc, doc.id).to.deep.include({ ...want, net: want!.captured - want!.refunded });
    }

    const balances = await all<LedgerBalanceDoc>(world, LEDGER_PROJECTION, 'ledger_balances');
    expect(balances).to.have.length(expected.balances.size);
    for (const doc of balances) {
      const want = expected.balances.get(doc.id)!;
      expect(doc).to.deep.include({ ...want, net: want.captured - want.refunded });
      expect(await world.queries.ledgerBalance(doc.providerId, doc.currency)).to.deep.equal(doc);
    }

    // Each transaction's captured minus refunded agrees with its ledger entries, and never goes below zero.
    const transactions = await all<TransactionDoc>(world, TRANSACTIONS_PROJECTION, 'transactions');
    expect(transactions).to.have.length(TRANSACTIONS);
    for (const t of transactions) {
      const net = expected.perTransaction.get(t.id) ?? 0;
      expect(t.captured.amount - t.refunded.amount, t.id).to.equal(net);
      expect(t.refundable.amount).to.be.at.least(0);
      expect(t.refunded.amount).to.be.at.most(t.captured.amount);
    }
  });

  it('lists day totals and entries per provider and currency', async () => {
    const { transactionId } = await world.commands.create(providerA, order('o-1'), ctx);
    await world.commands.startAttempt(
      providerA,
      transactionId,
      { attemptId: 'a1', method: methods[0]! },
      ctx,
    );
    await world.commands.capture(providerA, transactionId, 'a1', {}, ctx);
    world.clock.advance(24 * 3_600_000);
    await world.commands.refund(
      providerA,
      transactionId,
      {
        amount: { amount: 900, currency: 'NOK' },
        reason: 'partial',
        issuer: { kind: 'support', id: 'agent-1' },
      },
      ctx,
    );
    await world.caughtUp();
    const days = await world.queries.ledgerDays(providerA, 'NOK', {
      fromDay: '2026-01-01',
      toDay: '2026-01-31',
    });
    expect(days.items.map((d) => [d.day, d.captured, d.refunded, d.net])).to.deep.equal([
      ['2026-01-01', 4900, 0, 4900],
      ['2026-01-02', 0, 900, -900],
    ]);
    const entries = await world.queries.ledgerEntries(providerA, 'NOK', {
      from: '2026-01-01T00:00:00Z',
      to: '2026-02-01T00:00:00Z',
    });
    expect(entries.items.map((e) => [e.kind, e.amount, e.net])).to.deep.equal([
      ['captured', 4900, 4900],
      ['refunded', 900, -900],
    ]);
    expect(
      (await world.queries.ledgerDays(providerB, 'NOK', { fromDay: '2026-01-01', toDay: '2026-01-31' }))
        .items,
    ).to.deep.equal([]);
  });
});
