import { expect } from 'chai';
import type { Doc } from '../../application/ports/read-model-store.js';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { ProjectionDefinition, ProjectionTx } from '../../projections/projection.js';
import { conversionReportProjection } from '../../projections/reports-conversion.js';
import { allocate } from '../../projections/reports-money.js';
import { revenueReportProjection } from '../../projections/reports-revenue.js';
import { subscriptionReportProjection } from '../../projections/reports-subscriptions.js';

/** An in-memory ProjectionTx: collections of documents by id. */
function memoryTx(): ProjectionTx & { dump(): Record<string, Record<string, Doc>> } {
  const data: Record<string, Record<string, Doc>> = {};
  return {
    async get<T extends Doc>(collection: string, id: string) {
      return (data[collection]?.[id] as T | undefined) ?? null;
    },
    upsert(collection, doc) {
      (data[collection] ??= {})[doc.id] = structuredClone(doc);
    },
    delete(collection, id) {
      delete data[collection]?.[id];
    },
    dump: () => structuredClone(data),
  };
}

const P = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
const CLIENT = '0190f3c2-7a1b-7c3d-8e4f-0000000000c1';
const USER = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const TX = '0190f3c2-7a1b-7c3d-8e4f-0000000000d1';
const SUB = '0190f3c2-7a1b-7c3d-8e4f-0000000000e1';
const nok = (amount: number) => ({ amount, currency: 'NOK' });

let position = 0;
function recorded(
  streamId: string,
  revision: number,
  type: string,
  data: unknown,
  at: string,
): RecordedEvent {
  return {
    eventId: `e${++position}`,
    type,
    streamId,
    revision,
    globalPosition: position,
    occurredAt: at,
    data,
    metadata: { correlationId: 'c', causationId: null, actor: { kind: 'system', id: 't' }, schemaVersion: 1 },
  };
}

const HISTORY: RecordedEvent[] = [
  recorded(
    'client-x',
    0,
    'OAuthClientRegistered',
    { clientId: CLIENT, providerId: P },
    '2026-03-01T08:00:00.000Z',
  ),
  recorded(
    'user-x',
    5,
    'SignedIn',
    { userId: USER, method: 'sms', withPassword: false, clientId: CLIENT },
    '2026-03-01T09:00:00.000Z',
  ),
  recorded(
    `payment-${TX}`,
    0,
    'TransactionCreated',
    {
      transactionId: TX,
      providerId: P,
      sub: USER,
      amount: nok(1001),
      vatRate: 2500,
      products: [
        { sku: 'a', name: 'A', price: nok(1), vatRate: 2500 },
        { sku: 'b', name: 'B', price: nok(1000), vatRate: 1500 },
      ],
    },
    '2026-03-01T10:00:00.000Z',
  ),
  recorded(
    `payment-${TX}`,
    2,
    'PaymentCaptured',
    { transactionId: TX, attemptId: 'a1', amount: nok(1001) },
    '2026-03-01T10:01:00.000Z',
  ),
  recorded(
    `payment-${TX}`,
    3,
    'RefundIssued',
    { transactionId: TX, refundId: 'r1', amount: nok(333) },
    '2026-03-02T10:00:00.000Z',
  ),
  recorded(
    `payment-${TX}`,
    4,
    'RefundIssued',
    { transactionId: TX, refundId: 'r2', amount: nok(668) },
    '2026-03-03T10:00:00.000Z',
  ),
  recorded(
    `subscription-${SUB}`,
    0,
    'SubscriptionStarted',
    { subscriptionId: SUB, sub: USER, providerId: P },
    '2026-03-01T11:00:00.000Z',
  ),
  recorded(
    `subscription-${SUB}`,
    1,
    'SubscriptionPeriodStarted',
    { subscriptionId: SUB, period: 1, trial: true },
    '2026-03-01T11:00:00.000Z',
  ),
  recorded(
    `subscription-${SUB}`,
    3,
    'SubscriptionPeriodStarted',
    { subscriptionId: SUB, period: 2, trial: false },
    '2026-03-08T11:00:00.000Z',
  ),
  recorded(
    `subscription-${SUB}`,
    5,
    'SubscriptionExpired',
    { subscriptionId: SUB, at: '2026-04-08T11:00:00.000Z' },
    '2026-04-08T11:00:00.000Z',
  ),
];

async function run(projection: ProjectionDefinition, events: readonly RecordedEvent[]) {
  const tx = memoryTx();
  for (const e of events) if (projection.handles.includes(e.type)) await projection.apply(e, tx);
  return tx.dump();
}

describe('Reports: allocation and redelivery', () => {
  describe('allocate (largest remainder)', () => {
    it('splits exactly, in proportion, never above a weight', () => {
      let seed = 7;
      const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
      for (let i = 0; i < 2000; i++) {
        const weights = Array.from({ length: 1 + rnd(5) }, () => rnd(10_000));
        const sum = weights.reduce((a, b) => a + b, 0);
        const total = sum === 0 ? rnd(100) : rnd(sum + 1);
        const parts = allocate(total, weights);
        expect(parts.reduce((a, b) => a + b, 0)).to.equal(total);
        parts.forEach((part, j) => {
          if (sum > 0) {
            expect(part).to.be.at.most(weights[j]!);
            expect(Math.abs(part - (total * weights[j]!) / sum)).to.be.below(1);
          }
        });
      }
    });

    it('gives leftover units to the largest remainders, ties to the earlier part', () => {
      expect(allocate(10, [1, 1, 1])).to.deep.equal([4, 3, 3]);
      expect(allocate(333, [1, 1000])).to.deep.equal([0, 333]);
      expect(allocate(2, [1, 1, 2])).to.deep.equal([1, 0, 1]);
      expect(allocate(5, [0, 0])).to.deep.equal([5, 0]);
    });
  });

  it('refunds split by what each line has left, ending with every line fully given back', async () => {
    const docs = await run(revenueReportProjection, HISTORY);
    const days = docs.revenue_days!;
    const a = (day: string) => days[`${P}:${day}:NOK:a`];
    const b = (day: string) => days[`${P}:${day}:NOK:b`];
    expect(a('2026-03-01')).to.include({ gross: 1, vat: 0, captures: 1 });
    expect(b('2026-03-01')).to.include({ gross: 1000, vat: 130 });
    expect(b('2026-03-02')).to.include({ refunds: 333, refundVat: 43 });
    expect(a('2026-03-03')).to.include({ refunds: 1 });
    expect(b('2026-03-03')).to.include({ refunds: 667, refundVat: 87 });
  });

  for (const projection of [
    revenueReportProjection,
    subscriptionReportProjection,
    conversionReportProjection,
  ]) {
    it(`${projection.name}: every event delivered twice gives the same read model as once`, async () => {
      const once = await run(projection, HISTORY);
      const twice = await run(
        projection,
        HISTORY.flatMap((e) => [e, e]),
      );
      expect(twice).to.deep.equal(once);
      expect(Object.keys(once)).to.have.length.greaterThan(0);
    });
  }

  it('subscriptions: trial start, conversion and churn land on their days', async () => {
    const days = (await run(subscriptionReportProjection, HISTORY)).subscription_days!;
    expect(days[`${P}:2026-03-01`]).to.include({ new: 1, trialStarts: 1, active: 1 });
    expect(days[`${P}:2026-03-08`]).to.include({ trialConversions: 1, active: 1 });
    expect(days[`${P}:2026-04-08`]).to.include({ churned: 1, active: 0 });
  });

  it('conversion: the sign-in day’s cohort is credited with the later purchase', async () => {
    const days = (await run(conversionReportProjection, HISTORY)).conversion_days!;
    expect(days[`${P}:2026-03-01`]).to.include({ signedIn: 1, converted: 1, firstPurchases: 1 });
  });
});
