import { expect } from 'chai';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import { StuckAttemptSweeper, STUCK_AFTER_MS } from '../../../application/payment/stuck-attempts.js';
import { silentLogger } from '../../../application/ports/logger.js';
import { agreementStreamId } from '../../../domain/agreement/values.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { AgreementWorld, ctx, DAY, methodId, sub } from './agreement-world.js';

const T0 = '2026-01-31T10:00:00.000Z';
const DEADLINE = '2026-02-01T10:00:00.000Z'; // T0 + the default pending lifetime (24 hours)
const at = (iso: string, deltaMs = 0) => new Date(Date.parse(iso) + deltaMs).toISOString();
/** The card that always asks for a challenge. */
const CHALLENGE_CARD = '4000 0027 6000 3184';

async function refusal(run: () => Promise<unknown>): Promise<DomainError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

/**
 * A pending agreement's confirmation deadline on the manual clock: the scheduler finds it through
 * the projection's wakeAt and cancels it as expired, once; and a first payment whose challenge is
 * abandoned comes back, through the stuck-attempt sweep and reconciliation, to a pending agreement
 * that can be confirmed again.
 */
describe('Charging agreements: the confirmation deadline (SQLite, sandbox card processor)', function () {
  this.timeout(60_000);
  let w: AgreementWorld;

  beforeEach(async () => {
    w = await AgreementWorld.open(T0);
    await w.useCard('4242 4242 4242 4242');
  });
  afterEach(() => w.close());

  const eventsOf = async (id: string) => (await w.store.readStream(agreementStreamId(id))).map((e) => e.type);

  it('cancels a pending agreement at its deadline, as the system and marked expired, once', async () => {
    const id = await w.create({ sub });
    const pending = await w.doc(id);
    expect(pending).to.deep.include({ status: 'pending', confirmBy: DEADLINE, wakeAt: DEADLINE });

    w.clock.set(at(DEADLINE, -1));
    expect((await w.tick()).examined).to.equal(0);
    expect((await w.doc(id)).status).to.equal('pending');

    w.clock.set(DEADLINE);
    const report = await w.tick();
    expect(report).to.deep.include({ examined: 1, errors: 0, charged: 0 });
    expect(await w.doc(id)).to.deep.include({
      status: 'canceled',
      canceledBy: { kind: 'system', id: 'confirmation-deadline' },
      cancelReason: 'expired',
      endedAt: DEADLINE,
      wakeAt: null,
      chargeAt: null,
    });
    const [, canceled] = await w.store.readStream(agreementStreamId(id));
    expect(canceled?.data).to.deep.include({ expired: true, at: DEADLINE });

    // A second tick finds nothing and records nothing.
    w.clock.advance(DAY);
    expect((await w.tick()).examined).to.equal(0);
    await w.renewals.advance(id, ctx);
    expect(await eventsOf(id)).to.deep.equal(['AgreementCreated', 'AgreementCanceled']);

    // Too late to confirm, and nothing was charged.
    const err = await refusal(() => w.commands.confirm(id, sub, methodId, ctx));
    expect(err).to.include({ code: 'agreement_expired', kind: 'conflict' });
    expect(await w.transaction(w.providerA, id, 1)).to.equal(null);
  });

  it('leaves an agreement confirmed in time alone after the deadline', async () => {
    const id = await w.create();
    expect((await w.commands.confirm(id, sub, methodId, ctx)).charge?.kind).to.equal('captured');
    w.clock.set(at(DEADLINE, 1));
    await w.tick();
    expect(await w.doc(id)).to.deep.include({ status: 'active', paidThrough: 1, cancelReason: null });
    expect(await eventsOf(id)).to.deep.equal(['AgreementCreated', 'AgreementConfirmed', 'AgreementCharged']);
  });

  it('an abandoned first-payment challenge: swept, reconciled, back to pending, and confirmable again', async () => {
    await w.useCard(CHALLENGE_CARD);
    const id = await w.create();
    const first = await w.commands.confirm(id, sub, methodId, ctx);
    expect(first.charge?.kind).to.equal('action');
    expect(first.charge).to.have.property('actionUrl').that.is.a('string');
    expect(await w.doc(id)).to.deep.include({ status: 'active', paidThrough: 0 });

    // The payer never completes the challenge. While it may still be at the card provider, the
    // scheduler's steps leave it open.
    w.clock.advance(STUCK_AFTER_MS.requires_action / 2);
    await w.tick();
    expect(await w.doc(id)).to.deep.include({ status: 'active', paidThrough: 0 });
    const handler = w.handler();
    const sweeper = new StuckAttemptSweeper(
      w.runner,
      new TransactionCommands(handler),
      w.clock,
      silentLogger,
    );
    expect(await sweeper.sweep()).to.equal(0);

    // Past the hour: the sweep hands it to reconciliation (as PaymentReconcileJob does each pass),
    // which releases it at the processor and fails the attempt.
    w.clock.advance(STUCK_AFTER_MS.requires_action / 2 + 60_000);
    await w.caughtUp();
    expect(await sweeper.sweep()).to.equal(1);
    await w.paymentFlow(handler).reconcileUnknown();
    const abandoned = await w.transaction(w.providerA, id, 1);
    expect(abandoned?.status).to.equal('failed');
    expect(abandoned?.attempts.map((a) => [a.attemptId, a.status, a.code])).to.deep.equal([
      ['agreement.1.0', 'failed', 'action_abandoned'],
    ]);

    // The renewal process's next step records the failed first payment: pending again.
    await w.tick();
    expect(await w.doc(id)).to.deep.include({ status: 'pending', paidThrough: 0, wakeAt: DEADLINE });
    expect((await w.renewals.load(id)).firstPaymentFailures).to.equal(1);

    // Confirmed again (before the deadline) with a card that needs no challenge: paid and started.
    await w.useCard('4242 4242 4242 4242');
    const again = await w.commands.confirm(id, sub, methodId, ctx);
    expect(again.charge?.kind).to.equal('captured');
    expect(await w.doc(id)).to.deep.include({ status: 'active', paidThrough: 1, paidPeriods: 1 });
    expect((await w.subscription(id)).status).to.equal('active');
    const paid = await w.transaction(w.providerA, id, 1);
    expect(paid?.status).to.equal('captured');
    expect(paid?.attempts.map((a) => [a.attemptId, a.status])).to.deep.equal([
      ['agreement.1.0', 'failed'],
      ['agreement.1.1', 'captured'],
    ]);
  });

  it('an abandoned challenge that outlives the deadline ends the agreement as expired', async () => {
    await w.useCard(CHALLENGE_CARD);
    const id = await w.create();
    expect((await w.commands.confirm(id, sub, methodId, ctx)).charge?.kind).to.equal('action');
    // Confirmed in time, so the deadline passing while the challenge is open ends nothing.
    w.clock.set(at(DEADLINE, -10 * 60_000));
    await w.tick();
    w.clock.set(at(DEADLINE, 10 * 60_000));
    await w.tick();
    expect((await w.doc(id)).status).to.equal('active');
    const handler = w.handler();
    const sweeper = new StuckAttemptSweeper(
      w.runner,
      new TransactionCommands(handler),
      w.clock,
      silentLogger,
    );
    expect(await sweeper.sweep()).to.equal(1);
    await w.paymentFlow(handler).reconcileUnknown();
    // Back to pending, but past its deadline: the same step cancels it.
    await w.tick();
    expect(await w.doc(id)).to.deep.include({ status: 'canceled', cancelReason: 'expired' });
    expect(await eventsOf(id)).to.deep.equal([
      'AgreementCreated',
      'AgreementConfirmed',
      'AgreementFirstPaymentFailed',
      'AgreementCanceled',
    ]);
  });
});
