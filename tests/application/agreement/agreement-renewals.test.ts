import { expect } from 'chai';
import { subscriptionRightId } from '../../../application/subscription/subscription-commands.js';
import { AgreementWorld, ctx, DAY, methodId, sub } from './agreement-world.js';

const T0 = '2026-01-31T10:00:00.000Z';
const FEB28 = '2026-02-28T10:00:00.000Z';
const MAR31 = '2026-03-31T10:00:00.000Z';
const at = (iso: string, deltaMs = 0) => new Date(Date.parse(iso) + deltaMs).toISOString();

/**
 * The renewal process with time travel: trial end → first charge, a renewal a day before the period
 * ends, declines walking the dunning schedule into past due and expiry, a recovery during dunning,
 * stop, completion of a counted agreement, idempotent and concurrent ticks, and a crash between a
 * charge and its record.
 */
describe('Charging agreements: the renewal process (SQLite, sandbox card processor)', function () {
  this.timeout(60_000);
  let w: AgreementWorld;

  beforeEach(async () => {
    w = await AgreementWorld.open(T0);
    await w.useCard('4242 4242 4242 4242');
  });
  afterEach(() => w.close());

  async function confirmedWithFirstPayment(extra = {}) {
    const id = await w.create(extra);
    const outcome = await w.commands.confirm(id, sub, methodId, ctx);
    expect(outcome.charge?.kind).to.equal('captured');
    return id;
  }

  it('charges the first period at confirmation and starts the subscription with its right', async () => {
    const id = await confirmedWithFirstPayment();
    const doc = await w.doc(id);
    expect(doc).to.deep.include({
      status: 'active',
      sub,
      paidThrough: 1,
      paidPeriods: 1,
      currentPeriod: 1,
      periodEnd: FEB28,
    });
    expect(doc.chargeAt).to.equal(FEB28);
    const s = await w.subscription(id);
    expect(s).to.deep.include({ renewal: 'charged', agreementId: id, status: 'active', currentPeriod: 1 });
    expect(s.nextTransitionAt).to.equal(null);
    expect(w.issuer.of(id).map((r) => [r.validFrom, r.validUntil])).to.deep.equal([[T0, FEB28]]);
    const tx = await w.transaction(w.providerA, id, 1);
    expect(tx).to.deep.include({ status: 'captured', orderId: `agreement:${id}:1`, sub });
  });

  it('without a first payment: the trial runs free, the first charge comes a day before it ends', async () => {
    const id = await w.create({ sku: 'trial-monthly' });
    const confirmed = await w.commands.confirm(id, sub, methodId, ctx);
    expect(confirmed.charge).to.equal(null);
    const trialEnd = at(T0, 14 * DAY);
    expect(await w.subscription(id)).to.deep.include({ status: 'trialing', periodEnd: trialEnd });
    expect(await w.transaction(w.providerA, id, 2)).to.equal(null);

    w.clock.set(at(trialEnd, -DAY - 1));
    expect((await w.tick()).charged).to.equal(0);
    w.clock.set(at(trialEnd, -DAY));
    expect((await w.tick()).charged).to.equal(1);
    expect((await w.transaction(w.providerA, id, 2))?.status).to.equal('captured');
    // Paid, but the trial is not over: period 2 starts at its boundary, not before.
    expect((await w.subscription(id)).currentPeriod).to.equal(1);
    w.clock.set(at(trialEnd));
    await w.tick();
    const s = await w.subscription(id);
    expect(s).to.deep.include({ status: 'active', currentPeriod: 2, periodStart: trialEnd });
    expect(w.issuer.of(id)).to.have.length(2);
    expect(w.issuer.rights.get(subscriptionRightId(id, 2))?.validFrom).to.equal(trialEnd);
  });

  it('renews a day before each period ends, and starts the paid period at its boundary', async () => {
    const id = await confirmedWithFirstPayment();
    w.clock.set(at(FEB28, -DAY));
    expect((await w.tick()).charged).to.equal(1);
    expect((await w.doc(id)).paidThrough).to.equal(2);
    w.clock.set(at(FEB28));
    expect((await w.tick()).charged).to.equal(0);
    expect(await w.subscription(id)).to.deep.include({ currentPeriod: 2, periodEnd: MAR31 });
    w.clock.set(at(MAR31, -DAY));
    expect((await w.tick()).charged).to.equal(1);
    w.clock.set(at(MAR31));
    await w.tick();
    expect((await w.subscription(id)).currentPeriod).to.equal(3);
    expect(w.issuer.of(id).map((r) => r.validFrom)).to.deep.equal([T0, FEB28, MAR31]);
  });

  it('retries a decline after 1, 3 and 5 days: past due after the period end, then expired', async () => {
    const id = await confirmedWithFirstPayment();
    await w.useCard('4000 0000 0000 0002');
    const first = at(FEB28, -DAY);
    w.clock.set(first);
    expect((await w.tick()).failedCharges).to.equal(1);
    let doc = await w.doc(id);
    expect(doc.status).to.equal('past_due');
    expect(doc.dunning).to.deep.equal({
      period: 2,
      failures: 1,
      nextRetryAt: FEB28,
      lastCode: 'card_declined',
    });
    expect((await w.subscription(id)).status).to.equal('active'); // the paid period is not over

    w.clock.set(at(FEB28));
    expect((await w.tick()).failedCharges).to.equal(1);
    expect(await w.subscription(id)).to.deep.include({ status: 'past_due', currentPeriod: 1 });
    // No right for the unpaid period: neither active nor suspended.
    expect(w.issuer.of(id)).to.have.length(1);

    w.clock.set(at(first, 2 * DAY));
    expect((await w.tick()).examined).to.equal(0);
    w.clock.set(at(first, 3 * DAY));
    expect((await w.tick()).failedCharges).to.equal(1);
    w.clock.set(at(first, 5 * DAY));
    expect((await w.tick()).failedCharges).to.equal(1);
    doc = await w.doc(id);
    expect(doc).to.deep.include({ status: 'expired', expiryReason: 'payment_failed' });
    expect(await w.subscription(id)).to.deep.include({ status: 'expired', endedAt: at(first, 5 * DAY) });

    const tx = await w.transaction(w.providerA, id, 2);
    expect(tx?.attempts.map((a) => [a.attemptId, a.status])).to.deep.equal([
      ['agreement.2.0', 'failed'],
      ['agreement.2.1', 'failed'],
      ['agreement.2.2', 'failed'],
      ['agreement.2.3', 'failed'],
    ]);
    w.clock.set(at(first, 30 * DAY));
    expect((await w.tick()).examined).to.equal(0);
    expect((await w.transaction(w.providerA, id, 2))?.attempts).to.have.length(4);
  });

  it('recovers during dunning: active again, the period renewed from its boundary', async () => {
    const id = await confirmedWithFirstPayment();
    await w.useCard('4000 0000 0000 9995');
    const first = at(FEB28, -DAY);
    w.clock.set(first);
    await w.tick();
    w.clock.set(at(FEB28));
    await w.tick();
    expect((await w.subscription(id)).status).to.equal('past_due');
    expect((await w.doc(id)).dunning?.lastCode).to.equal('insufficient_funds');

    await w.useCard('4242 4242 4242 4242');
    w.clock.set(at(first, 3 * DAY));
    expect((await w.tick()).charged).to.equal(1);
    expect(await w.doc(id)).to.deep.include({ status: 'active', dunning: null, paidThrough: 2 });
    expect(await w.subscription(id)).to.deep.include({
      status: 'active',
      currentPeriod: 2,
      periodStart: FEB28,
      periodEnd: MAR31,
    });
    expect(w.issuer.of(id).map((r) => [r.validFrom, r.validUntil])).to.deep.equal([
      [T0, FEB28],
      [FEB28, MAR31],
    ]);
    // The next renewal is back on the normal schedule.
    w.clock.set(at(MAR31, -DAY));
    expect((await w.tick()).charged).to.equal(1);
  });

  it('stop cancels the subscription at the period end and charges no more', async () => {
    const id = await confirmedWithFirstPayment();
    await w.commands.stop(w.providerA, id, 'client-a', ctx, 'customer left');
    expect(await w.doc(id)).to.deep.include({ status: 'stopped', subscriptionEnding: true });
    expect((await w.subscription(id)).status).to.equal('canceled_at_period_end');
    w.clock.set(at(FEB28, -DAY));
    expect((await w.tick()).charged).to.equal(0);
    w.clock.set(at(FEB28));
    await w.tick();
    await w.subscriptionScheduler.tick();
    expect((await w.subscription(id)).status).to.equal('expired');
    expect(await w.transaction(w.providerA, id, 2)).to.equal(null);
    expect(w.issuer.of(id)).to.have.length(1);
  });

  it('a stop after the next period was paid lets that period run, then ends', async () => {
    const id = await confirmedWithFirstPayment();
    w.clock.set(at(FEB28, -DAY));
    await w.tick();
    await w.commands.stopByUser(sub, id, { actor: { kind: 'user', id: sub }, correlationId: 'c' });
    w.clock.set(at(FEB28));
    await w.tick();
    const s = await w.subscription(id);
    expect(s).to.deep.include({ currentPeriod: 2, status: 'canceled_at_period_end' });
    w.clock.set(at(MAR31));
    await w.tick();
    expect((await w.subscription(id)).status).to.equal('expired');
    expect(await w.transaction(w.providerA, id, 3)).to.equal(null);
  });

  it('a counted agreement (R2/P1M) completes after its periods', async () => {
    const id = await confirmedWithFirstPayment({ recurrence: 'R2/P1M' });
    w.clock.set(at(FEB28, -DAY));
    await w.tick();
    w.clock.set(at(FEB28));
    await w.tick();
    w.clock.set(at(MAR31, -DAY));
    expect((await w.tick()).charged).to.equal(0);
    expect(await w.doc(id)).to.deep.include({ status: 'expired', expiryReason: 'completed', paidPeriods: 2 });
    expect((await w.subscription(id)).status).to.equal('canceled_at_period_end');
    w.clock.set(at(MAR31));
    await w.tick();
    expect((await w.subscription(id)).status).to.equal('expired');
  });

  it('ticks are idempotent, and two schedulers at once charge once', async () => {
    const id = await confirmedWithFirstPayment();
    w.clock.set(at(FEB28, -DAY));
    await w.caughtUp();
    const other = w.schedulerOf(w.renewalsProcess());
    const reports = await Promise.all([
      w.scheduler.tick(),
      other.tick(),
      w.renewalsProcess().advance(id, ctx),
    ]);
    expect(reports[0].errors + reports[1].errors).to.equal(0);
    await w.tick();
    await w.tick();
    const tx = await w.transaction(w.providerA, id, 2);
    expect(tx?.status).to.equal('captured');
    expect(tx?.attempts).to.have.length(1);
    expect(tx?.captured.amount).to.equal(9900);
    expect((await w.doc(id)).paidPeriods).to.equal(2);
  });

  it('a crash between the capture and its record ends with the charge recorded once, not repeated', async () => {
    const id = await confirmedWithFirstPayment();
    w.clock.set(at(FEB28, -DAY));
    // The charge goes through, then the process dies before recording it on the agreement.
    const agreement = await w.renewals.load(id);
    expect((await w.charger.charge(agreement, 2, 0, ctx, false)).kind).to.equal('captured');
    expect((await w.doc(id)).paidThrough).to.equal(1);
    const openedBefore = w.opened;
    await w.tick();
    expect(w.opened).to.equal(openedBefore); // the earlier capture was found, nothing was charged
    expect((await w.doc(id)).paidThrough).to.equal(2);
    expect((await w.transaction(w.providerA, id, 2))?.attempts).to.have.length(1);
  });

  it('a declined first payment leaves the agreement pending for another try', async () => {
    await w.useCard('4000 0000 0000 0002');
    const id = await w.create();
    const outcome = await w.commands.confirm(id, sub, methodId, ctx);
    expect(outcome.charge).to.deep.include({ kind: 'failed', code: 'card_declined' });
    expect(outcome.agreement.status).to.equal('pending');
    // Readers see it open again, to anyone (the provider named nobody), not held by who tried.
    await w.caughtUp();
    expect(await w.doc(id)).to.include({ status: 'pending', sub: null, methodId: null });
    await w.useCard('4242 4242 4242 4242');
    const again = await w.commands.confirm(id, sub, methodId, ctx);
    expect(again.charge?.kind).to.equal('captured');
    expect(again.agreement.status).to.equal('active');
    const tx = await w.transaction(w.providerA, id, 1);
    expect(tx?.attempts.map((a) => a.status)).to.deep.equal(['failed', 'captured']);
  });

  it('keeps providers apart', async () => {
    const id = await w.create();
    await w.caughtUp();
    expect((await w.queries.get(w.providerA, id)).id).to.equal(id);
    let refused: unknown;
    try {
      await w.queries.get(w.providerB, id);
    } catch (err) {
      refused = err;
    }
    expect(refused).to.have.property('code', 'agreement_not_found');
    expect((await w.queries.listForProvider(w.providerB)).items).to.have.length(0);
    expect((await w.queries.listForProvider(w.providerA)).items.map((d) => d.id)).to.deep.equal([id]);
  });
});
