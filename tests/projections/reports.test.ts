import { expect } from 'chai';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import { vatIncludedIn } from '../../domain/shared/money.js';
import type { ReportRange } from '../../application/reports/report-range.js';
import { NO_SKU } from '../../projections/reports-revenue.js';
import { DAY_MS, ReportsWorld } from '../support/reports-world.js';
import type { ProviderBackend } from '../support/provider-backend.js';

type Data = Record<string, unknown> & {
  transactionId?: string;
  subscriptionId?: string;
  providerId?: string;
  amount?: { amount: number; currency: string };
};

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

/**
 * The report projections against sums recomputed here, independently, from the raw log: a mixed
 * history of purchases (with one and two product lines, without lines, without a SKU, in two
 * currencies, uncaptured), partial and full refunds, subscriptions with and without trials (canceled
 * now, at period end, renewed) and sign-ins across two providers, written through the real
 * application services over ten days and then some.
 */
describe('Reports: projections equal sums recomputed from the raw events', function () {
  this.timeout(120_000);
  let world: ReportsWorld;
  let events: RecordedEvent[];
  const range: ReportRange = { from: '2026-02-25', to: '2026-04-30' };

  before(async () => {
    world = await ReportsWorld.start();
    const rnd = lcg(42);
    const captured: { provider: ProviderBackend; id: string; left: number; currency: string }[] = [];
    const subs: { provider: ProviderBackend; id: string }[] = [];
    for (let day = 0; day < 10; day++) {
      for (const [p, other] of [
        [world.acme, world.beta],
        [world.beta, world.acme],
      ] as const) {
        const buyers = [await world.user(), await world.user(), await world.user()];
        await world.signIn(buyers[0]!, p.clientId);
        if (day % 2 === 0) await world.signIn(buyers[1]!, p.clientId);
        await world.signIn(buyers[1]!, other.clientId);
        await world.signIn(buyers[2]!, null);
        await world.signIn(buyers[0]!, p.clientId); // a second sign-in changes nothing
        const nok = (amount: number) => ({ amount, currency: 'NOK' });
        const shapes = [
          async () => {
            const id = await world.purchase(p, buyers[rnd(3)]!, nok(4900), [
              { sku: 'film', name: 'Film', price: nok(4900), vatRate: 2500 },
            ]);
            captured.push({ provider: p, id, left: 4900, currency: 'NOK' });
          },
          async () => {
            const id = await world.purchase(p, buyers[rnd(3)]!, nok(6899), [
              { sku: 'film', name: 'Film', price: nok(4900), vatRate: 2500 },
              { sku: 'ebook', name: 'Book', price: nok(1999), vatRate: 1500 },
            ]);
            captured.push({ provider: p, id, left: 6899, currency: 'NOK' });
          },
          async () => {
            const id = await world.purchase(p, buyers[rnd(3)]!, { amount: 1234, currency: 'EUR' }, []);
            captured.push({ provider: p, id, left: 1234, currency: 'EUR' });
          },
          async () => {
            const id = await world.purchase(p, buyers[rnd(3)]!, nok(1501), [
              { name: 'Tip', price: nok(500), vatRate: 0 },
              { sku: 'ebook', name: 'Book', price: nok(1001), vatRate: 1500 },
            ]);
            captured.push({ provider: p, id, left: 1501, currency: 'NOK' });
          },
          async () => {
            await world.purchase(p, buyers[rnd(3)]!, nok(777), [], false);
          },
        ];
        for (let i = 0; i < 4; i++) await shapes[rnd(shapes.length)]!();
        // Refunds: partial amounts, full rests, and several refunds of one transaction.
        for (let i = 0; i < 2; i++) {
          const open = captured.filter((c) => c.left > 0);
          const pick = open[rnd(open.length)];
          if (!pick) break;
          const amount = rnd(3) === 0 ? pick.left : 1 + rnd(pick.left);
          await world.refund(pick.provider, pick.id, { amount, currency: pick.currency });
          pick.left -= amount;
        }
        subs.push({ provider: p, id: await world.subscribe(p, buyers[0]!, 'premium') });
        subs.push({ provider: p, id: await world.subscribe(p, buyers[1]!, 'basic') });
        const victim = subs[rnd(subs.length)]!;
        if (rnd(2) === 0) {
          await world.cancel(victim.provider, victim.id, rnd(2) === 0).catch(() => undefined);
        }
      }
      await world.advance(DAY_MS + rnd(3600_000));
    }
    for (let i = 0; i < 8; i++) await world.advance(5 * DAY_MS);
    await world.caughtUp();
    events = [];
    for (let after = 0; ;) {
      const batch = await world.eventStore.readAll({ after, maxCount: 5000 });
      if (batch.length === 0) break;
      events.push(...batch);
      after = batch[batch.length - 1]!.globalPosition;
    }
  });

  after(() => world?.close());

  const day = (e: RecordedEvent) => e.occurredAt.slice(0, 10);
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  it('books every capture and refund of each provider by day and currency, to the unit', async () => {
    const owner = new Map<string, { providerId: string; currency: string }>();
    const gross = new Map<string, number>();
    const refunds = new Map<string, number>();
    for (const e of events) {
      const d = e.data as Data;
      if (e.type === 'TransactionCreated')
        owner.set(d.transactionId!, { providerId: d.providerId!, currency: d.amount!.currency });
      const o = d.transactionId ? owner.get(d.transactionId) : undefined;
      if (!o) continue;
      const key = `${o.providerId}|${day(e)}|${o.currency}`;
      if (e.type === 'PaymentCaptured') add(gross, key, d.amount!.amount);
      if (e.type === 'RefundIssued') add(refunds, key, d.amount!.amount);
    }
    expect(gross.size).to.be.greaterThan(10);
    expect(refunds.size).to.be.greaterThan(5);
    for (const provider of [world.acme, world.beta]) {
      const report = await world.queries.revenue(provider.providerId, range);
      const seenGross = new Map<string, number>();
      const seenRefunds = new Map<string, number>();
      for (const c of report.currencies) {
        for (const d of c.days) {
          if (d.gross) seenGross.set(`${provider.providerId}|${d.day}|${c.currency}`, d.gross);
          if (d.refunds) seenRefunds.set(`${provider.providerId}|${d.day}|${c.currency}`, d.refunds);
          expect(d.net).to.equal(d.gross - d.refunds);
          expect(d.netVat).to.equal(d.vat - d.refundVat);
        }
      }
      const mine = (m: Map<string, number>) =>
        new Map([...m].filter(([k]) => k.startsWith(provider.providerId)));
      expect(seenGross).to.deep.equal(mine(gross));
      expect(seenRefunds).to.deep.equal(mine(refunds));
    }
  });

  it('books each SKU’s prices and VAT, gives fully refunded lines back exactly, and never more than a line took', async () => {
    type Line = { sku: string; price: number; vatRate: number };
    const txs = new Map<
      string,
      {
        providerId: string;
        currency: string;
        lines: Line[];
        captured: boolean;
        refunded: number;
        amount: number;
      }
    >();
    for (const e of events) {
      const d = e.data as Data & {
        products?: { sku?: string; price: { amount: number }; vatRate: number }[];
        vatRate?: number;
      };
      if (e.type === 'TransactionCreated') {
        const lines =
          d.products!.length === 0
            ? [{ sku: NO_SKU, price: d.amount!.amount, vatRate: d.vatRate! }]
            : d.products!.map((p) => ({ sku: p.sku ?? NO_SKU, price: p.price.amount, vatRate: p.vatRate }));
        txs.set(d.transactionId!, {
          providerId: d.providerId!,
          currency: d.amount!.currency,
          lines,
          captured: false,
          refunded: 0,
          amount: d.amount!.amount,
        });
      }
      const t = d.transactionId ? txs.get(d.transactionId) : undefined;
      if (t && e.type === 'PaymentCaptured') t.captured = true;
      if (t && e.type === 'RefundIssued') t.refunded += d.amount!.amount;
    }
    for (const provider of [world.acme, world.beta]) {
      const grossBySku = new Map<string, number>();
      const vatBySku = new Map<string, number>();
      const fullyRefundedGross = new Map<string, number>();
      let partlyRefunded = 0;
      for (const t of txs.values()) {
        if (t.providerId !== provider.providerId || !t.captured) continue;
        for (const l of t.lines) {
          const k = `${t.currency}|${l.sku}`;
          add(grossBySku, k, l.price);
          add(vatBySku, k, vatIncludedIn({ amount: l.price, currency: t.currency }, l.vatRate).amount);
          if (t.refunded === t.amount) add(fullyRefundedGross, k, l.price);
        }
        if (t.refunded > 0 && t.refunded < t.amount) partlyRefunded++;
      }
      expect(partlyRefunded).to.be.greaterThan(0);
      const report = await world.queries.revenue(provider.providerId, range);
      const skuTotals = new Map(
        report.currencies.flatMap((c) => c.skus.map((s) => [`${c.currency}|${s.sku}`, s.totals] as const)),
      );
      expect(new Map([...skuTotals].map(([k, v]) => [k, v.gross]))).to.deep.equal(grossBySku);
      expect(new Map([...skuTotals].map(([k, v]) => [k, v.vat]))).to.deep.equal(vatBySku);
      expect([...skuTotals.keys()]).to.include.members([
        'NOK|film',
        'NOK|ebook',
        `NOK|${NO_SKU}`,
        `EUR|${NO_SKU}`,
      ]);
      for (const [k, v] of skuTotals) {
        expect(v.refunds, k).to.be.at.most(v.gross);
        expect(v.refunds, k).to.be.at.least(fullyRefundedGross.get(k) ?? 0);
        expect(v.refundVat, k).to.be.at.most(v.vat);
      }
      // Currency totals are the sums of their SKUs, and of their days.
      for (const c of report.currencies) {
        const sum = (
          f: (t: { gross: number; refunds: number; netVat: number }) => number,
          xs: readonly { gross: number; refunds: number; netVat: number }[],
        ) => xs.reduce((s, x) => s + f(x), 0);
        expect(c.totals.refunds).to.equal(
          sum(
            (t) => t.refunds,
            c.skus.map((s) => s.totals),
          ),
        );
        expect(c.totals.netVat).to.equal(sum((t) => t.netVat, c.days));
      }
    }
  });

  it('counts new, churned and active subscriptions, trial starts and conversions per day', async () => {
    for (const provider of [world.acme, world.beta]) {
      const owner = new Map<string, string>();
      const trial = new Set<string>();
      const converted = new Set<string>();
      const expected = new Map<
        string,
        { new: number; churned: number; trialStarts: number; trialConversions: number }
      >();
      const at = (d: string) => {
        if (!expected.has(d)) expected.set(d, { new: 0, churned: 0, trialStarts: 0, trialConversions: 0 });
        return expected.get(d)!;
      };
      const delta = new Map<string, number>();
      for (const e of events) {
        const d = e.data as Data & { trial?: boolean };
        if (e.type === 'SubscriptionStarted') owner.set(d.subscriptionId!, d.providerId!);
        if (!d.subscriptionId || owner.get(d.subscriptionId) !== provider.providerId) continue;
        if (e.type === 'SubscriptionStarted') {
          at(day(e)).new++;
          add(delta, day(e), 1);
        } else if (e.type === 'SubscriptionExpired') {
          at(day(e)).churned++;
          add(delta, day(e), -1);
        } else if (e.type === 'SubscriptionPeriodStarted') {
          if (d.trial && !trial.has(d.subscriptionId)) {
            trial.add(d.subscriptionId);
            at(day(e)).trialStarts++;
          } else if (!d.trial && trial.has(d.subscriptionId) && !converted.has(d.subscriptionId)) {
            converted.add(d.subscriptionId);
            at(day(e)).trialConversions++;
          }
        }
      }
      const report = await world.queries.subscriptions(provider.providerId, range);
      let active = 0;
      for (const d of report.days) {
        active += delta.get(d.day) ?? 0;
        const want = expected.get(d.day) ?? { new: 0, churned: 0, trialStarts: 0, trialConversions: 0 };
        expect({ ...d }, d.day).to.deep.equal({ day: d.day, active, ...want });
      }
      const totals = report.totals;
      expect(totals.new).to.be.greaterThan(10);
      expect(totals.churned).to.be.greaterThan(0);
      expect(totals.trialConversions).to.be.greaterThan(0);
      expect(totals.activeAtEnd).to.equal(totals.activeAtStart + totals.new - totals.churned);
    }
  });

  it('follows sign-ins at the provider’s clients to first captured purchases', async () => {
    const clients = new Map<string, string>();
    const buyers = new Map<string, { providerId: string; sub: string }>();
    for (const provider of [world.acme, world.beta]) {
      const firstSignIn = new Map<string, string>();
      const firstPurchase = new Map<string, string>();
      const signedIn = new Map<string, number>();
      const convertedByCohort = new Map<string, number>();
      const firstPurchases = new Map<string, number>();
      for (const e of events) {
        const d = e.data as Data & { clientId?: string | null; userId?: string; sub?: string };
        if (e.type === 'OAuthClientRegistered') clients.set(d.clientId as string, d.providerId!);
        if (e.type === 'TransactionCreated')
          buyers.set(d.transactionId!, { providerId: d.providerId!, sub: d.sub! });
        if (e.type === 'SignedIn' && d.clientId && clients.get(d.clientId) === provider.providerId) {
          if (!firstSignIn.has(d.userId!)) {
            firstSignIn.set(d.userId!, day(e));
            add(signedIn, day(e), 1);
          }
        }
        if (e.type === 'PaymentCaptured') {
          const b = buyers.get(d.transactionId!)!;
          if (b.providerId !== provider.providerId || firstPurchase.has(b.sub)) continue;
          firstPurchase.set(b.sub, day(e));
          const cohort = firstSignIn.get(b.sub);
          if (cohort !== undefined) {
            add(convertedByCohort, cohort, 1);
            add(firstPurchases, day(e), 1);
          }
        }
      }
      const report = await world.queries.conversion(provider.providerId, range);
      const nonZero = (m: Map<string, number>) => new Map([...m].filter(([, v]) => v !== 0));
      const series = (f: (d: (typeof report.days)[number]) => number) =>
        nonZero(new Map(report.days.map((d) => [d.day, f(d)])));
      expect(series((d) => d.signedIn)).to.deep.equal(signedIn);
      expect(series((d) => d.converted)).to.deep.equal(convertedByCohort);
      expect(series((d) => d.firstPurchases)).to.deep.equal(firstPurchases);
      expect(report.totals.signedIn).to.be.greaterThan(5);
      expect(report.totals.converted).to.be.greaterThan(0);
    }
  });

  it('rebuilds from the log to the same reports', async () => {
    const before = await Promise.all([
      world.queries.revenue(world.acme.providerId, range),
      world.queries.subscriptions(world.acme.providerId, range),
      world.queries.conversion(world.acme.providerId, range),
    ]);
    for (const name of world.runner.names()) await world.runner.rebuild(name);
    const after = await Promise.all([
      world.queries.revenue(world.acme.providerId, range),
      world.queries.subscriptions(world.acme.providerId, range),
      world.queries.conversion(world.acme.providerId, range),
    ]);
    expect(after).to.deep.equal(before);
  });
});
