import { expect } from 'chai';
import { CommandHandler, IdempotencyKeyReusedError } from '../../../application/kernel/command-handler.js';
import { silentLogger } from '../../../application/ports/logger.js';
import { PaymentFlow } from '../../../application/payment/payment-flow.js';
import { type PaymentProviders, tokenFingerprint } from '../../../application/payment/payment-methods.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { transactionStreamId } from '../../../domain/payment/values.js';
import {
  type CardSandbox,
  type CarrierSandbox,
  randomMsisdn,
  RETURN_ORIGIN,
  startCardSandbox,
  startCarrierSandbox,
} from '../../support/payment-sandboxes.js';
import { ctx, nok, order, otherSub, PaymentWorld, providerA, providerB, sub } from './payment-world.js';

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const issuer = { kind: 'provider' as const, id: 'client-a' };

/**
 * PaymentFlow against the real sandbox card processor and carrier operator (over HTTP), on SQLite
 * stores: captures, declines, the challenge step, carrier spend limits, unknown outcomes settled by
 * reconciliation, and refunds that never pay out twice.
 */
describe('PaymentFlow with the sandbox providers (SQLite)', function () {
  this.timeout(30_000);
  let world: PaymentWorld;
  let card: CardSandbox;
  let carrier: CarrierSandbox;
  let flow: PaymentFlow;

  function flowWith(providers: PaymentProviders, notReceivedAfterMs = 60_000): PaymentFlow {
    return new PaymentFlow(
      world.commands,
      new CommandHandler(world.store, world.clock),
      world.store,
      world.clock,
      silentLogger,
      providers,
      {
        returnUrl: (transactionId, attemptId) =>
          `${RETURN_ORIGIN}/pay/${transactionId}/return?attempt=${attemptId}`,
        notReceivedAfterMs,
      },
    );
  }

  async function cardMethod(number: string) {
    const token = await card.tokenize(number);
    return {
      kind: 'card' as const,
      token,
      brand: 'visa',
      last4: number.slice(-4),
      expMonth: 12,
      expYear: 2030,
    };
  }

  async function newTransaction(orderId: string, amount = 4900, providerId = providerA) {
    const created = await world.commands.create(
      providerId,
      order(orderId, {
        amount: nok(amount),
        products: [
          { sku: 'rental-48h', name: 'Rental', price: nok(amount), vatRate: 2500, timeSpec: 'PT48H' },
        ],
      }),
      ctx,
    );
    return created.transactionId;
  }

  async function eventTypes(transactionId: string): Promise<string[]> {
    return (await world.store.readStream(transactionStreamId(transactionId))).map((e) => e.type);
  }

  beforeEach(async () => {
    world = await PaymentWorld.start();
    card = await startCardSandbox();
    carrier = await startCarrierSandbox({ monthlyLimit: 10_000 });
    flow = flowWith({ card: card.provider(), carrier: carrier.provider() });
  });

  afterEach(async () => {
    await card.close();
    await carrier.close();
    await world.stop();
  });

  it('captures a card payment and records only a digest of the token, brand, last4 and expiry', async () => {
    const id = await newTransaction('o-ok');
    const method = await cardMethod('4242 4242 4242 4242');
    const paid = await flow.pay(id, { sub, method }, ctx);
    expect(paid.status).to.equal('captured');
    expect(paid.transaction.status).to.equal('captured');
    expect(paid.transaction.captured).to.deep.equal(nok(4900));
    const [payment] = card.processor.book.all();
    expect(payment).to.include({ status: 'captured', captured: 4900, reference: id });
    expect(await eventTypes(id)).to.deep.equal([
      'TransactionCreated',
      'PaymentAttemptStarted',
      'PaymentAuthorized',
      'PaymentCaptured',
    ]);
    const log = JSON.stringify(await world.store.readStream(transactionStreamId(id)));
    expect(log).to.match(/tok_[a-p]{16} visa \*\*\*\* 4242 12\/2030/);
    expect(log).not.to.include(method.token);
    expect(log).not.to.match(/4242424242424242|4242 4242 4242 4242/);
    await world.caughtUp();
    expect((await world.queries.ledgerBalance(providerA, 'NOK')).captured).to.equal(4900);
  });

  it('keeps a declined transaction payable, then captures another card', async () => {
    const id = await newTransaction('o-decline');
    const declined = await flow.pay(id, { sub, method: await cardMethod('4000 0000 0000 0002') }, ctx);
    expect(declined).to.include({ status: 'failed', code: 'card_declined' });
    expect(declined.transaction.status).to.equal('failed');
    const paid = await flow.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx);
    expect(paid.status).to.equal('captured');
    expect(paid.transaction.attempts.map((a) => a.status)).to.deep.equal(['failed', 'captured']);
    expect(card.processor.book.authorizedCount()).to.equal(1);
  });

  it('refuses another user, a malformed method and a method without a provider', async () => {
    const id = await newTransaction('o-refusals');
    const method = await cardMethod('4242 4242 4242 4242');
    expect(await refusal(flow.pay(id, { sub: otherSub, method }, ctx))).to.include({
      code: 'transaction_not_found',
    });
    const bad = await refusal(flow.pay(id, { sub, method: { ...method, last4: '42' } }, ctx));
    expect(bad).to.be.instanceOf(DomainError).and.include({ code: 'invalid_method', field: 'method.last4' });
    const cardOnly = flowWith({ card: card.provider() });
    const noCarrier = await refusal(
      cardOnly.pay(id, { sub, method: { kind: 'carrier', msisdn: randomMsisdn() } }, ctx),
    );
    expect(noCarrier).to.include({ code: 'payment_method_unavailable' });
    expect(card.processor.book.all()).to.have.length(0);
  });

  it('takes a challenge step: requires_action, the payer approves, resume captures', async () => {
    const id = await newTransaction('o-3ds');
    const pending = await flow.pay(id, { sub, method: await cardMethod('4000 0027 6000 3184') }, ctx);
    expect(pending.status).to.equal('requires_action');
    expect(pending.transaction.status).to.equal('requires_action');
    const actionUrl = new URL(pending.actionUrl!);
    // Before the payer answers, resume leaves it waiting.
    expect((await flow.resume(id, pending.attemptId, ctx)).status).to.equal('requires_action');

    const answered = await fetch(`${actionUrl.origin}${actionUrl.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approve', secret: actionUrl.searchParams.get('secret')! }),
    });
    expect(answered.status).to.equal(303);
    expect(answered.headers.get('location')).to.contain(`${RETURN_ORIGIN}/pay/${id}/return`);

    const resumed = await flow.resume(id, pending.attemptId, ctx);
    expect(resumed.status).to.equal('captured');
    expect((await flow.resume(id, pending.attemptId, ctx)).status, 'a reload').to.equal('captured');
    expect(card.processor.book.all()[0]).to.include({ status: 'captured', captured: 4900 });
    expect((await eventTypes(id)).filter((t) => t === 'PaymentCaptured')).to.have.length(1);
  });

  it('bills the phone, masks the number, and declines past the monthly limit', async () => {
    const msisdn = randomMsisdn();
    const first = await flow.pay(
      await newTransaction('o-c1', 4900),
      { sub, method: { kind: 'carrier', msisdn } },
      ctx,
    );
    const second = await flow.pay(
      await newTransaction('o-c2', 4900),
      { sub, method: { kind: 'carrier', msisdn } },
      ctx,
    );
    expect([first.status, second.status]).to.deep.equal(['captured', 'captured']);
    const third = await flow.pay(
      await newTransaction('o-c3', 4900),
      { sub, method: { kind: 'carrier', msisdn } },
      ctx,
    );
    expect(third).to.include({ status: 'failed', code: 'spend_limit' });
    expect(carrier.operator.spentThisMonth(msisdn)).to.equal(9800);
    const reference = first.transaction.attempts[0]!.method.reference;
    expect(reference).to.equal(`${msisdn.slice(0, 3)}*****${msisdn.slice(-3)}`);
    expect(
      JSON.stringify(await world.store.readStream(transactionStreamId(first.transactionId))),
    ).not.to.contain(msisdn);
  });

  it('records a timeout as unknown and captures exactly once when reconciled, also after a restart', async () => {
    const impatient = flowWith({ card: card.provider({ timeoutMs: 150 }) });
    const id = await newTransaction('o-timeout');
    const method = await cardMethod('4242 4242 4242 4242');
    card.processor.controls.responseDelayMs = 400;
    const unknown = await impatient.pay(id, { sub, method }, ctx);
    expect(unknown.status).to.equal('unknown');
    expect(unknown.transaction.status).to.equal('unknown');
    // A new attempt is refused while the first one's outcome is unknown.
    expect(await refusal(impatient.pay(id, { sub, method }, ctx))).to.include({ code: 'outcome_unknown' });

    card.processor.controls.responseDelayMs = 0;
    // A fresh flow (a restarted process) finds the unknown attempt in the log.
    const restarted = flowWith({ card: card.provider() });
    const report = await restarted.reconcileUnknown();
    expect(report).to.deep.equal({ checked: 1, settled: 1, pending: 0 });
    expect(await restarted.reconcileUnknown()).to.deep.equal({ checked: 0, settled: 0, pending: 0 });
    expect((await impatient.reconcileUnknown()).settled, 'another process').to.equal(1);

    expect(card.processor.book.all()).to.have.length(1);
    expect(card.processor.book.all()[0]).to.include({ status: 'captured', captured: 4900 });
    expect((await eventTypes(id)).filter((t) => t === 'PaymentCaptured')).to.have.length(1);
    await world.caughtUp();
    const doc = await world.queries.get(providerA, id);
    expect(doc.status).to.equal('captured');
    const authorized = (await world.store.readStream(transactionStreamId(id))).find(
      (e) => e.type === 'PaymentAuthorized',
    );
    expect(authorized?.data).to.include({ reconciled: true });
    expect((await world.queries.ledgerBalance(providerA, 'NOK')).capturedCount).to.equal(1);
  });

  it('fails an unknown attempt the provider never received, only after the grace period', async () => {
    const down = flowWith({ card: card.provider() }, 5_000);
    const id = await newTransaction('o-down');
    card.processor.controls.unavailable = true;
    expect(
      (await down.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx)).status,
    ).to.equal('unknown');
    card.processor.controls.unavailable = false;
    expect((await down.reconcileUnknown()).pending).to.equal(1);
    world.clock.advance(5_000);
    expect((await down.reconcileUnknown()).settled).to.equal(1);
    const t = await flow.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx);
    expect(t.transaction.attempts.map((a) => [a.status, a.code])).to.deep.equal([
      ['failed', 'not_received'],
      ['captured', null],
    ]);
  });

  it('refunds at the provider and in the log, idempotently, never beyond what was captured', async () => {
    const id = await newTransaction('o-refund');
    await flow.pay(id, { sub, method: await cardMethod('4242 4242 4242 4242') }, ctx);
    const input = { amount: nok(1000), reason: 'damaged', issuer };

    const first = await flow.refund(providerA, id, input, ctx, 'refund-key-1');
    expect(first.transaction.status).to.equal('partially_refunded');
    const repeat = await flow.refund(providerA, id, input, ctx, 'refund-key-1');
    expect(repeat.refundId).to.equal(first.refundId);
    expect(repeat.transaction.refunded).to.deep.equal(nok(1000));
    expect(card.processor.book.all()[0]).to.include({ refunded: 1000 });

    const reused = await refusal(
      flow.refund(providerA, id, { ...input, amount: nok(500) }, ctx, 'refund-key-1'),
    );
    expect(reused).to.be.instanceOf(IdempotencyKeyReusedError);
    const over = await refusal(
      flow.refund(providerA, id, { ...input, amount: nok(3901) }, ctx, 'refund-key-2'),
    );
    expect(over).to.include({ code: 'refund_exceeds_captured', kind: 'invalid' });
    expect(await refusal(flow.refund(providerB, id, input, ctx, 'refund-key-3'))).to.include({
      code: 'transaction_not_found',
    });

    const rest = await flow.refund(providerA, id, { ...input, amount: nok(3900) }, ctx, 'refund-key-4');
    expect(rest.transaction.status).to.equal('refunded');
    expect(card.processor.book.all()[0]).to.include({ status: 'refunded', refunded: 4900 });
    expect((await eventTypes(id)).filter((t) => t === 'RefundIssued')).to.have.length(2);
    await world.caughtUp();
    expect(await world.queries.ledgerBalance(providerA, 'NOK')).to.include({
      captured: 4900,
      refunded: 4900,
      net: 0,
    });
  });

  it('refuses to refund what was never captured', async () => {
    const id = await newTransaction('o-unpaid');
    const err = await refusal(
      flow.refund(providerA, id, { amount: nok(100), reason: 'x', issuer }, ctx, 'k'),
    );
    expect(err).to.include({ code: 'not_captured' });
  });
});

describe('tokenFingerprint', () => {
  it('never contains a digit, so no token digest reads as a card number', () => {
    for (let i = 0; i < 2000; i++) {
      const fingerprint = tokenFingerprint(`pm_${i}_${'x'.repeat(i % 7)}`);
      expect(fingerprint).to.match(/^tok_[a-p]{16}$/);
    }
    expect(tokenFingerprint('pm_a')).to.equal(tokenFingerprint('pm_a'));
    expect(tokenFingerprint('pm_a')).to.not.equal(tokenFingerprint('pm_b'));
  });
});
