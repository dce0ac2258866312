import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  PaymentRequestRejected,
  type AuthorizeRequest,
} from '../../../application/ports/payment-provider.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { type CarrierSandbox, randomMsisdn, startCarrierSandbox } from '../../support/payment-sandboxes.js';

describe('Sandbox carrier operator: monthly spend limit', function () {
  let clock: ManualClock;
  let sandbox: CarrierSandbox;

  beforeEach(async () => {
    // 23:30 UTC on 31 January is already February in Oslo (UTC+1).
    clock = new ManualClock('2026-01-31T23:30:00Z');
    sandbox = await startCarrierSandbox({ clock, monthlyLimit: 10_000 });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const charge = (msisdn: string, amount: number, currency = 'NOK'): AuthorizeRequest => ({
    amount: { amount, currency },
    method: { kind: 'carrier', msisdn },
    idempotencyKey: randomUUID(),
    reference: randomUUID(),
    description: 'Premium',
    returnUrl: 'http://tessera.test/pay/return',
  });
  const nok = (amount: number) => ({ amount, currency: 'NOK' });

  it('declines with spend_limit once the month is used up, and opens again next month (Oslo time)', async () => {
    const provider = sandbox.provider();
    const msisdn = randomMsisdn();
    expect((await provider.authorize(charge(msisdn, 6000))).status).to.equal('authorized');
    expect((await provider.authorize(charge(msisdn, 4000))).status).to.equal('authorized');
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(10_000);
    expect(await provider.authorize(charge(msisdn, 1))).to.deep.include({
      status: 'declined',
      code: 'spend_limit',
    });
    expect((await provider.authorize(charge(randomMsisdn(), 10_000))).status).to.equal('authorized');

    clock.set('2026-02-28T22:59:00Z'); // still February in Oslo
    expect(await provider.authorize(charge(msisdn, 1))).to.deep.include({
      status: 'declined',
      code: 'spend_limit',
    });
    clock.set('2026-02-28T23:00:00Z'); // 1 March in Oslo
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(0);
    expect((await provider.authorize(charge(msisdn, 10_000))).status).to.equal('authorized');
  });

  it('gives room back for a released authorization, a partial capture and a refund', async () => {
    const provider = sandbox.provider();
    const msisdn = randomMsisdn();
    const first = await provider.authorize(charge(msisdn, 8000));
    if (first.status !== 'authorized') throw new Error('expected authorized');
    await provider.cancel(first.processorRef, randomUUID());
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(0);

    const second = await provider.authorize(charge(msisdn, 8000));
    if (second.status !== 'authorized') throw new Error('expected authorized');
    await provider.capture(second.processorRef, nok(5000), randomUUID());
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(5000);
    await provider.refund(second.processorRef, nok(2000), randomUUID());
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(3000);
    expect((await provider.authorize(charge(msisdn, 7000))).status).to.equal('authorized');
    expect((await provider.authorize(charge(msisdn, 1))).status).to.equal('declined');

    // A refund next month still credits the month the charge was made in.
    clock.set('2026-03-10T12:00:00Z');
    await provider.refund(second.processorRef, nok(3000), randomUUID());
    expect(sandbox.operator.spentThisMonth(msisdn)).to.equal(0);
  });

  it('refuses other currencies and numbers that are not E.164', async () => {
    const provider = sandbox.provider();
    for (const req of [charge(randomMsisdn(), 100, 'SEK'), charge('90012345', 100)]) {
      const error = await provider.authorize(req).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(PaymentRequestRejected);
      expect((error as PaymentRequestRejected).code).to.equal('invalid_request');
    }
    expect(sandbox.operator.book.all()).to.have.length(0);
  });
});
