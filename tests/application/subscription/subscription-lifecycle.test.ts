import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import { subscriptionStreamId } from '../../../domain/subscription/values.js';
import { subscriptionRightId } from '../../../application/subscription/subscription-commands.js';
import type { TickReport } from '../../../application/subscription/subscription-scheduler.js';
import { ctx, openSubscriptionWorld, sub, type SubscriptionWorld } from './subscription-world.js';

const T0 = '2026-01-31T10:00:00.000Z';
const FEB28 = '2026-02-28T10:00:00.000Z';
const MAR31 = '2026-03-31T10:00:00.000Z';
const APR30 = '2026-04-30T10:00:00.000Z';
const MAY31 = '2026-05-31T10:00:00.000Z';
const justBefore = (iso: string) => new Date(Date.parse(iso) - 1).toISOString();

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('Subscriptions: commands, projection and scheduler (SQLite, manual clock)', function () {
  let w: SubscriptionWorld;
  beforeEach(async () => {
    w = await openSubscriptionWorld(T0);
  });
  afterEach(async () => {
    await w.scheduler.stop();
    await w.close();
  });

  /** Moves the clock to `iso` and runs one scheduler pass over the caught-up projection. */
  async function tickAt(iso: string): Promise<TickReport> {
    w.clock.set(iso);
    await w.caughtUp();
    const report = await w.scheduler.tick();
    await w.caughtUp();
    return report;
  }

  const intervals = (subscriptionId: string) =>
    w.issuer.of(subscriptionId).map((r) => [r.validFrom, r.validUntil, r.sku, r.initialState]);

  it('starts with period 1 and its right, and shows it in the projection', async () => {
    const started = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    expect(started.status).to.equal('active');
    const [right] = w.issuer.of(started.subscriptionId);
    expect(right).to.deep.equal({
      rightId: subscriptionRightId(started.subscriptionId, 1),
      sub,
      providerId: w.providerA,
      sku: 'monthly',
      grantor: { kind: 'subscription', id: started.subscriptionId },
      validFrom: T0,
      validUntil: FEB28,
      initialState: 'active',
    });
    const doc = await w.doc(started.subscriptionId);
    expect(doc).to.deep.include({
      sub,
      providerId: w.providerA,
      status: 'active',
      currentPeriod: 1,
      periodStart: T0,
      periodEnd: FEB28,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      scheduledPlan: null,
      rightsIssuedThrough: 1,
      nextTransitionAt: FEB28,
    });
    expect(doc.plan).to.deep.include({ sku: 'monthly', period: 'P1M' });
  });

  it('ends the trial at its exact end and issues the first paid period', async () => {
    const { subscriptionId, status } = await w.commands.start(w.providerA, sub, 'trial-monthly', ctx);
    expect(status).to.equal('trialing');
    const trialEnd = '2026-02-14T10:00:00.000Z';
    expect((await w.doc(subscriptionId)).trialEnd).to.equal(trialEnd);

    expect((await tickAt(justBefore(trialEnd))).transitions).to.equal(0);
    expect((await w.doc(subscriptionId)).status).to.equal('trialing');

    const report = await tickAt(trialEnd);
    expect(report).to.include({ transitions: 1, rightsIssued: 1, failed: 0 });
    expect(intervals(subscriptionId)).to.deep.equal([
      [T0, trialEnd, 'trial-monthly', 'active'],
      [trialEnd, '2026-03-14T10:00:00.000Z', 'trial-monthly', 'active'],
    ]);
    expect(await w.doc(subscriptionId)).to.deep.include({
      status: 'active',
      currentPeriod: 2,
      inTrial: false,
    });
  });

  it('rolls over several periods, each with exactly one right, calendar-correct', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    await tickAt(FEB28);
    await tickAt(justBefore(MAR31));
    // Down for two months: one tick catches up every period in order.
    const report = await tickAt('2026-05-01T00:00:00.000Z');
    expect(report.transitions).to.equal(2);
    expect(intervals(subscriptionId)).to.deep.equal([
      [T0, FEB28, 'monthly', 'active'],
      [FEB28, MAR31, 'monthly', 'active'],
      [MAR31, APR30, 'monthly', 'active'],
      [APR30, MAY31, 'monthly', 'active'],
    ]);
    expect(w.issuer.calls).to.equal(4);
    expect(await tickAt('2026-05-01T00:00:00.000Z')).to.include({ examined: 0, transitions: 0 });
    expect(await w.doc(subscriptionId)).to.deep.include({
      currentPeriod: 4,
      rightsIssuedThrough: 4,
      nextTransitionAt: MAY31,
    });
  });

  it('issues suspended rights while suspended; reactivation helps only from the next period', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    w.clock.set('2026-02-10T00:00:00.000Z');
    const suspended = await w.commands.suspend(w.providerA, subscriptionId, ctx, 'payment dispute');
    expect(suspended.status).to.equal('suspended');
    await tickAt(FEB28);
    w.clock.set('2026-03-05T00:00:00.000Z');
    expect((await w.commands.reactivate(w.providerA, subscriptionId, ctx)).status).to.equal('active');
    await tickAt(MAR31);
    expect(intervals(subscriptionId)).to.deep.equal([
      [T0, FEB28, 'monthly', 'active'],
      [FEB28, MAR31, 'monthly', 'suspended'],
      [MAR31, APR30, 'monthly', 'active'],
    ]);
    expect(w.issuer.calls).to.equal(3);
  });

  it('expires at the exact end of a period canceled at its end, with no further right', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    w.clock.set('2026-02-10T00:00:00.000Z');
    const pending = await w.commands.cancel(w.providerA, subscriptionId, { atPeriodEnd: true }, ctx);
    expect(pending.status).to.equal('canceled_at_period_end');
    expect((await tickAt(justBefore(FEB28))).transitions).to.equal(0);
    expect((await w.doc(subscriptionId)).status).to.equal('canceled_at_period_end');

    expect((await tickAt(FEB28)).transitions).to.equal(1);
    expect(await w.doc(subscriptionId)).to.deep.include({
      status: 'expired',
      endedAt: FEB28,
      nextTransitionAt: null,
    });
    await tickAt(MAR31);
    expect(w.issuer.of(subscriptionId)).to.have.length(1);
    const late = await refusal(w.commands.reactivate(w.providerA, subscriptionId, ctx));
    expect(late.code).to.equal('subscription_expired');
    expect((await refusal(w.commands.resume(w.providerA, subscriptionId, ctx))).code).to.equal(
      'subscription_expired',
    );
  });

  it('keeps renewing when resumed before the end', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    await w.commands.cancel(w.providerA, subscriptionId, { atPeriodEnd: true }, ctx);
    w.clock.set(justBefore(FEB28));
    expect((await w.commands.resume(w.providerA, subscriptionId, ctx)).status).to.equal('active');
    await tickAt(FEB28);
    expect(intervals(subscriptionId)).to.have.length(2);
    expect((await w.doc(subscriptionId)).status).to.equal('active');
  });

  it('a command after a missed period end acts on the subscription as it is now', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    await w.commands.cancel(w.providerA, subscriptionId, { atPeriodEnd: true }, ctx);
    w.clock.set(FEB28); // the scheduler has not run yet
    expect((await refusal(w.commands.resume(w.providerA, subscriptionId, ctx))).code).to.equal(
      'subscription_expired',
    );
    expect((await w.doc(subscriptionId)).status).to.equal('expired');
  });

  it('changes the plan from the next period, with that plan’s SKU and period', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    await w.commands.changePlan(w.providerA, subscriptionId, 'weekly', ctx);
    expect((await w.doc(subscriptionId)).scheduledPlan).to.deep.include({ sku: 'weekly', period: 'P1W' });
    await tickAt(FEB28);
    await tickAt('2026-03-07T10:00:00.000Z');
    expect(intervals(subscriptionId)).to.deep.equal([
      [T0, FEB28, 'monthly', 'active'],
      [FEB28, '2026-03-07T10:00:00.000Z', 'weekly', 'active'],
      ['2026-03-07T10:00:00.000Z', '2026-03-14T10:00:00.000Z', 'weekly', 'active'],
    ]);
    const doc = await w.doc(subscriptionId);
    expect(doc.plan.sku).to.equal('weekly');
    expect(doc.scheduledPlan).to.equal(null);
    const err = await refusal(w.commands.changePlan(w.providerA, subscriptionId, 'day-pass', ctx));
    expect([err.code, err.kind]).to.deep.equal(['not_a_subscription_plan', 'invalid']);
  });

  it('cancels now without touching the current right, and issues nothing more', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    w.clock.set('2026-02-10T00:00:00.000Z');
    const canceled = await w.commands.cancel(w.providerA, subscriptionId, { atPeriodEnd: false }, ctx);
    expect(canceled.status).to.equal('expired');
    await tickAt(MAR31);
    expect(intervals(subscriptionId)).to.deep.equal([[T0, FEB28, 'monthly', 'active']]);
    expect(await w.doc(subscriptionId)).to.deep.include({
      endedAt: '2026-02-10T00:00:00.000Z',
      nextTransitionAt: null,
    });
  });

  it('keeps providers apart: another provider’s subscription or SKU is not found', async () => {
    const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
    for (const attempt of [
      w.commands.suspend(w.providerB, subscriptionId, ctx),
      w.commands.cancel(w.providerB, subscriptionId, { atPeriodEnd: false }, ctx),
      w.commands.changePlan(w.providerB, subscriptionId, 'film-monthly', ctx),
    ]) {
      const err = await refusal(attempt);
      expect([err.code, err.kind]).to.deep.equal(['subscription_not_found', 'not_found']);
    }
    expect((await refusal(w.commands.start(w.providerB, sub, 'monthly', ctx))).code).to.equal(
      'plan_not_found',
    );
    expect((await refusal(w.commands.start(w.providerA, sub, 'day-pass', ctx))).code).to.equal(
      'not_a_subscription_plan',
    );
    expect((await w.doc(subscriptionId)).status).to.equal('active');
  });

  it('deduplicates a start repeated with the same idempotency key', async () => {
    const first = await w.commands.start(w.providerA, sub, 'monthly', ctx, { idempotencyKey: 'k-1' });
    const again = await w.commands.start(w.providerA, sub, 'monthly', ctx, { idempotencyKey: 'k-1' });
    expect(again).to.include({ subscriptionId: first.subscriptionId, deduplicated: true });
    expect(w.issuer.rights.size).to.equal(1);
  });

  describe('restart safety', () => {
    it('two schedulers ticking at once start each period once and grant each right once', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push((await w.commands.start(w.providerA, sub, 'monthly', ctx)).subscriptionId);
      w.clock.set(MAR31);
      await w.caughtUp();
      const reports = await Promise.all([w.scheduler.tick(), w.otherScheduler.tick(), w.scheduler.tick()]);
      expect(reports.every((r) => r.failed === 0)).to.equal(true);
      await tickAt(MAR31);
      for (const id of ids) {
        const periods = (await w.store.readStream(subscriptionStreamId(id))).filter(
          (e) => e.type === 'SubscriptionPeriodStarted',
        );
        expect(periods.map((e) => (e.data as { period: number }).period)).to.deep.equal([1, 2, 3]);
        expect(intervals(id).map((r) => r[0])).to.deep.equal([T0, FEB28, MAR31]);
      }
      expect(w.issuer.rights.size).to.equal(9);
    });

    it('issues a right missing after a crash between the period start and the grant, once', async () => {
      const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
      w.issuer.failNext = 'before';
      const crashed = await tickAt(FEB28);
      expect(crashed.failed).to.equal(1);
      expect(w.issuer.of(subscriptionId)).to.have.length(1);
      expect(await w.doc(subscriptionId)).to.deep.include({
        currentPeriod: 2,
        rightsIssuedThrough: 1,
        nextTransitionAt: FEB28,
      });

      const repaired = await tickAt('2026-03-01T00:00:00.000Z');
      expect(repaired).to.include({ rightsIssued: 1, transitions: 0, failed: 0 });
      expect(intervals(subscriptionId)[1]).to.deep.equal([FEB28, MAR31, 'monthly', 'active']);
      expect(await w.doc(subscriptionId)).to.deep.include({
        rightsIssuedThrough: 2,
        nextTransitionAt: MAR31,
      });
      expect((await tickAt('2026-03-02T00:00:00.000Z')).examined).to.equal(0);
      expect(w.issuer.of(subscriptionId)).to.have.length(2);
    });

    it('records a right granted just before a crash without granting it twice', async () => {
      const { subscriptionId } = await w.commands.start(w.providerA, sub, 'monthly', ctx);
      w.issuer.failNext = 'after';
      expect((await tickAt(FEB28)).failed).to.equal(1);
      expect((await w.doc(subscriptionId)).rightsIssuedThrough).to.equal(1);
      const callsBefore = w.issuer.calls;
      expect(await tickAt(FEB28)).to.include({ rightsIssued: 0, failed: 0 });
      expect(w.issuer.calls).to.equal(callsBefore + 1);
      expect(w.issuer.of(subscriptionId)).to.have.length(2);
      expect((await w.doc(subscriptionId)).rightsIssuedThrough).to.equal(2);
    });

    it('runs on its own timer until stopped', async () => {
      const { subscriptionId } = await w.commands.start(w.providerA, sub, 'weekly', ctx);
      w.clock.set('2026-02-07T10:00:00.000Z');
      await w.caughtUp();
      w.scheduler.start(5);
      const deadline = Date.now() + 5000;
      while (w.issuer.of(subscriptionId).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await w.scheduler.stop();
      expect(intervals(subscriptionId)[1]).to.deep.equal([
        '2026-02-07T10:00:00.000Z',
        '2026-02-14T10:00:00.000Z',
        'weekly',
        'active',
      ]);
    });
  });
});
