import { expect } from 'chai';
import { CommandHandler } from '../../../application/kernel/command-handler.js';
import { silentLogger } from '../../../application/ports/logger.js';
import { PaymentFlow } from '../../../application/payment/payment-flow.js';
import { methodReference } from '../../../application/payment/payment-methods.js';
import { StuckAttemptSweeper } from '../../../application/payment/stuck-attempts.js';
import { type CardSandbox, RETURN_ORIGIN, startCardSandbox } from '../../support/payment-sandboxes.js';
import { ctx, nok, order, PaymentWorld, providerA, sub } from './payment-world.js';

/**
 * Attempts that stop moving — a process that died inside the provider call, or a payer who never
 * came back from the challenge — are found by the sweep once they have stood still long enough,
 * handed to reconciliation, and settled from the provider's record: the transaction can be paid
 * again, and nothing is guessed or charged.
 */
describe('StuckAttemptSweeper with the sandbox card processor (SQLite)', function () {
  this.timeout(30_000);
  let world: PaymentWorld;
  let card: CardSandbox;
  let flow: PaymentFlow;
  let sweeper: StuckAttemptSweeper;

  async function cardMethod(number: string) {
    return {
      kind: 'card' as const,
      token: await card.tokenize(number),
      brand: 'visa',
      last4: number.slice(-4),
      expMonth: 12,
      expYear: 2030,
    };
  }

  async function newTransaction(orderId: string) {
    return (await world.commands.create(providerA, order(orderId, { amount: nok(4900) }), ctx)).transactionId;
  }

  const status = async (id: string) => {
    await world.caughtUp();
    return (await world.queries.get(providerA, id)).status;
  };

  beforeEach(async () => {
    world = await PaymentWorld.start();
    card = await startCardSandbox();
    flow = new PaymentFlow(
      world.commands,
      new CommandHandler(world.store, world.clock),
      world.store,
      world.clock,
      silentLogger,
      { card: card.provider() },
      {
        returnUrl: (transactionId, attemptId) =>
          `${RETURN_ORIGIN}/pay/${transactionId}/return?attempt=${attemptId}`,
        notReceivedAfterMs: 60_000,
      },
    );
    sweeper = new StuckAttemptSweeper(world.runner, world.commands, world.clock, silentLogger);
  });

  afterEach(async () => {
    await card.close();
    await world.stop();
  });

  it('hands an attempt left processing by a crash to reconciliation, which frees the transaction', async () => {
    const id = await newTransaction('crashed');
    // The process recorded the attempt, then died before the provider answered (or was asked).
    const method = methodReference(await cardMethod('4242 4242 4242 4242'));
    await world.commands.startAttempt(providerA, id, { method }, ctx);
    expect(await status(id)).to.equal('processing');

    world.clock.advance(4 * 60_000);
    expect(await sweeper.sweep()).to.equal(0);
    expect(await status(id)).to.equal('processing');

    world.clock.advance(60_001);
    expect(await sweeper.sweep()).to.equal(1);
    expect(await status(id)).to.equal('unknown');
    // A second sweep finds nothing more to do.
    expect(await sweeper.sweep()).to.equal(0);

    // The provider never heard of it: after the grace period it is failed, and payable again.
    await flow.reconcileUnknown();
    expect(await status(id)).to.equal('unknown');
    world.clock.advance(61_000);
    await flow.reconcileUnknown();
    expect(await status(id)).to.equal('failed');
    const paid = await flow.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx);
    expect(paid.status).to.equal('captured');
  });

  it('releases a challenge nobody finished within the hour, and the payer can pay again', async () => {
    const id = await newTransaction('abandoned');
    const pending = await flow.pay(id, { sub, method: await cardMethod('4000 0027 6000 3184') }, ctx);
    expect(pending.status).to.equal('requires_action');

    world.clock.advance(30 * 60_000);
    expect(await sweeper.sweep()).to.equal(0);
    world.clock.advance(31 * 60_000);
    expect(await sweeper.sweep()).to.equal(1);
    await flow.reconcileUnknown();
    const t = await (async () => {
      await world.caughtUp();
      return world.queries.get(providerA, id);
    })();
    expect(t.status).to.equal('failed');
    expect(t.attempts.at(-1)).to.include({ status: 'failed', code: 'action_abandoned' });
    expect(
      (await flow.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx)).status,
    ).to.equal('captured');
  });

  it('leaves captured, failed and fresh attempts alone', async () => {
    const paid = await newTransaction('paid');
    await flow.pay(paid, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx);
    const declined = await newTransaction('declined');
    await flow.pay(declined, { sub, method: await cardMethod('4000 0000 0000 0002') }, ctx);
    const fresh = await newTransaction('fresh');
    await world.commands.startAttempt(
      providerA,
      fresh,
      { method: methodReference(await cardMethod('4242 4242 4242 4242')) },
      ctx,
    );
    await world.caughtUp();
    world.clock.advance(60_000);
    expect(await sweeper.sweep()).to.equal(0);
    expect([await status(paid), await status(declined), await status(fresh)]).to.deep.equal([
      'captured',
      'failed',
      'processing',
    ]);
  });
});
