/**
 * The PaymentProvider contract: every adapter (sandbox card processor, sandbox carrier operator, a
 * real PSP's when there is one) must pass this suite unchanged, each against its processor running
 * on 127.0.0.1. The fixture exposes the processor's count of authorized payments, so "charged
 * once" is checked where the money is, not inferred from the adapter's answers.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  type AuthorizeRequest,
  type DeclineCode,
  type PaymentMethodRef,
  type PaymentProvider,
  PaymentProviderUnavailable,
  PaymentRequestRejected,
} from '../../application/ports/payment-provider.js';

export interface ProviderFixture {
  /** The adapter under test, with a timeout generous enough for 200 concurrent calls. */
  readonly provider: PaymentProvider;
  /** The same adapter with the short timeout the suite passed to the factory. */
  readonly impatient: PaymentProvider;
  /** The same adapter pointed at a port nothing listens on. */
  readonly unreachable: PaymentProvider;
  /** The same adapter with a wrong secret key. */
  readonly wrongKey: PaymentProvider;
  readonly currency: string;
  approved(): Promise<PaymentMethodRef>;
  readonly declines: readonly { code: DeclineCode; amount?: number; method(): Promise<PaymentMethodRef> }[];
  /** A method of a kind this provider does not take. */
  readonly otherKind: PaymentMethodRef;
  /** Payments the processor has authorized (money held or moved). */
  chargeCount(): number;
  /** The processor's switches: answer late, or not at all. */
  readonly controls: { responseDelayMs: number; unavailable: boolean };
  close(): Promise<void>;
}

const TIMEOUT_MS = 300;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

export function paymentProviderContract(
  label: string,
  open: (timeoutMs: number) => Promise<ProviderFixture>,
): void {
  describe(`${label} (PaymentProvider contract)`, function () {
    this.timeout(15_000);
    let fx: ProviderFixture;
    let provider: PaymentProvider;

    before(async () => {
      fx = await open(TIMEOUT_MS);
      provider = fx.provider;
    });
    afterEach(() => {
      fx.controls.responseDelayMs = 0;
      fx.controls.unavailable = false;
    });
    after(async () => {
      await fx?.close();
    });

    const request = (method: PaymentMethodRef, amount = 1000, key = randomUUID()): AuthorizeRequest => ({
      amount: { amount, currency: fx.currency },
      method,
      idempotencyKey: key,
      reference: randomUUID(),
      description: 'Monthly plan',
      returnUrl: 'http://tessera.test/pay/return',
    });

    async function authorized(amount = 1000): Promise<string> {
      const result = await provider.authorize(request(await fx.approved(), amount));
      expect(result.status).to.equal('authorized');
      return result.status === 'authorized' ? result.processorRef : '';
    }

    it('authorizes an approved method and retrieves it by reference and by idempotency key', async () => {
      const before = fx.chargeCount();
      const req = request(await fx.approved(), 4900);
      const result = await provider.authorize(req);
      expect(result.status).to.equal('authorized');
      if (result.status !== 'authorized') return;
      expect(fx.chargeCount()).to.equal(before + 1);
      const byRef = await provider.retrieve({ processorRef: result.processorRef });
      expect(byRef).to.deep.include({
        processorRef: result.processorRef,
        status: 'authorized',
        reference: req.reference,
      });
      expect(byRef?.authorized).to.deep.equal({ amount: 4900, currency: fx.currency });
      expect(byRef?.captured.amount).to.equal(0);
      expect(await provider.retrieve({ idempotencyKey: req.idempotencyKey })).to.deep.equal(byRef);
      expect(await provider.retrieve({ processorRef: 'pay_missing' })).to.equal(null);
      expect(await provider.retrieve({ idempotencyKey: randomUUID() })).to.equal(null);
    });

    it('answers declines with their codes and charges nothing', async () => {
      for (const decline of fx.declines) {
        const before = fx.chargeCount();
        const result = await provider.authorize(request(await decline.method(), decline.amount ?? 1000));
        expect(result.status, decline.code).to.equal('declined');
        if (result.status === 'declined') expect(result.code).to.equal(decline.code);
        expect(fx.chargeCount()).to.equal(before);
      }
    });

    it('returns the first result for a repeated key and refuses the key with other parameters', async () => {
      const before = fx.chargeCount();
      const req = request(await fx.approved());
      const first = await provider.authorize(req);
      const again = await provider.authorize(req);
      expect(again).to.deep.equal(first);
      expect(fx.chargeCount()).to.equal(before + 1);
      const conflict = await rejection(
        provider.authorize({ ...req, amount: { amount: 999, currency: fx.currency } }),
      );
      expect(conflict).to.be.instanceOf(PaymentRequestRejected);
      expect((conflict as PaymentRequestRejected).code).to.equal('idempotency_conflict');
    });

    it('charges once per key under 200 concurrent repeats over 20 keys', async () => {
      const before = fx.chargeCount();
      const method = await fx.approved();
      const requests = Array.from({ length: 20 }, () => request(method, 500));
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => provider.authorize(requests[i % 20]!).then((r) => ({ i, r }))),
      );
      expect(fx.chargeCount()).to.equal(before + 20);
      const refs = new Map<number, string>();
      for (const { i, r } of results) {
        expect(r.status).to.equal('authorized');
        if (r.status !== 'authorized') continue;
        const seen = refs.get(i % 20);
        if (seen) expect(r.processorRef).to.equal(seen);
        else refs.set(i % 20, r.processorRef);
      }
      expect(new Set(refs.values()).size).to.equal(20);

      // Concurrent repeats of one refund move the money once too.
      const ref = refs.get(0)!;
      await provider.capture(ref, { amount: 500, currency: fx.currency }, randomUUID());
      const refundKey = randomUUID();
      const refunds = await Promise.all(
        Array.from({ length: 10 }, () =>
          provider.refund(ref, { amount: 200, currency: fx.currency }, refundKey),
        ),
      );
      expect(new Set(refunds.map((r) => r.refundRef)).size).to.equal(1);
      expect((await provider.retrieve({ processorRef: ref }))?.refunded.amount).to.equal(200);
    });

    it('captures at most the authorized amount and refunds at most captured minus refunded', async () => {
      const ref = await authorized(1000);
      const money = (amount: number) => ({ amount, currency: fx.currency });
      const early = await rejection(provider.refund(ref, money(100), randomUUID()));
      expect((early as PaymentRequestRejected).code).to.equal('invalid_state');
      const over = await rejection(provider.capture(ref, money(1001), randomUUID()));
      expect((over as PaymentRequestRejected).code).to.equal('amount_too_large');

      const captured = await provider.capture(ref, money(600), randomUUID());
      expect(captured).to.deep.include({ status: 'captured', processorRef: ref });
      expect(captured.captured).to.deep.equal(money(600));
      const twice = await rejection(provider.capture(ref, money(100), randomUUID()));
      expect((twice as PaymentRequestRejected).code).to.equal('invalid_state');

      const partial = await provider.refund(ref, money(400), randomUUID());
      expect(partial.amount).to.deep.equal(money(400));
      expect(partial.payment).to.deep.include({ status: 'partially_refunded' });
      const overRefund = await rejection(provider.refund(ref, money(201), randomUUID()));
      expect(overRefund).to.be.instanceOf(PaymentRequestRejected);
      expect((overRefund as PaymentRequestRejected).code).to.equal('amount_too_large');
      const rest = await provider.refund(ref, money(200), randomUUID());
      expect(rest.payment.status).to.equal('refunded');
      expect(rest.payment.refunded).to.deep.equal(money(600));
      const more = await rejection(provider.refund(ref, money(1), randomUUID()));
      expect(more).to.be.instanceOf(PaymentRequestRejected);
      const wrongCurrency = await rejection(
        provider.capture(await authorized(), { amount: 10, currency: 'SEK' }, randomUUID()),
      );
      expect((wrongCurrency as PaymentRequestRejected).code).to.equal('invalid_request');
    });

    it('captures in the authorize call with automatic capture, once per key, refundable like any capture', async () => {
      const before = fx.chargeCount();
      const req: AuthorizeRequest = { ...request(await fx.approved(), 1500), captureMethod: 'automatic' };
      const result = await provider.authorize(req);
      expect(result.status).to.equal('captured');
      if (result.status !== 'captured') return;
      expect(await provider.authorize(req)).to.deep.equal(result);
      expect(fx.chargeCount()).to.equal(before + 1);
      const payment = await provider.retrieve({ idempotencyKey: req.idempotencyKey });
      expect(payment).to.deep.include({ processorRef: result.processorRef, status: 'captured' });
      expect(payment?.captured).to.deep.equal({ amount: 1500, currency: fx.currency });
      const again = await rejection(
        provider.capture(result.processorRef, { amount: 1500, currency: fx.currency }, randomUUID()),
      );
      expect((again as PaymentRequestRejected).code).to.equal('invalid_state');
      const refund = await provider.refund(
        result.processorRef,
        { amount: 1500, currency: fx.currency },
        randomUUID(),
      );
      expect(refund.payment.status).to.equal('refunded');
      // The same key asking for manual capture is another request: refused, not a second payment.
      const conflict = await rejection(provider.authorize({ ...req, captureMethod: 'manual' }));
      expect((conflict as PaymentRequestRejected).code).to.equal('idempotency_conflict');
      expect(fx.chargeCount()).to.equal(before + 1);
    });

    it('cancels an authorization, after which it cannot be captured', async () => {
      const ref = await authorized();
      const key = randomUUID();
      expect((await provider.cancel(ref, key)).status).to.equal('canceled');
      expect((await provider.cancel(ref, key)).status).to.equal('canceled');
      const late = await rejection(
        provider.capture(ref, { amount: 1000, currency: fx.currency }, randomUUID()),
      );
      expect((late as PaymentRequestRejected).code).to.equal('invalid_state');
    });

    it('surfaces a lost answer as unavailable, and retrieve and a repeat settle it without a second charge', async () => {
      const req = request(await fx.approved(), 700);
      const before = fx.chargeCount();
      fx.controls.responseDelayMs = TIMEOUT_MS * 3;
      const lost = await rejection(fx.impatient.authorize(req));
      expect(lost).to.be.instanceOf(PaymentProviderUnavailable);
      expect((lost as PaymentProviderUnavailable).reason).to.equal('timeout');
      fx.controls.responseDelayMs = 0;

      const found = await provider.retrieve({ idempotencyKey: req.idempotencyKey });
      expect(found?.status).to.equal('authorized');
      expect(found?.authorized.amount).to.equal(700);
      const repeat = await provider.authorize(req);
      expect(repeat).to.deep.equal({ status: 'authorized', processorRef: found?.processorRef });
      expect(fx.chargeCount()).to.equal(before + 1);

      const captureKey = randomUUID();
      fx.controls.responseDelayMs = TIMEOUT_MS * 3;
      const lostCapture = await rejection(fx.impatient.capture(found!.processorRef, req.amount, captureKey));
      expect(lostCapture).to.be.instanceOf(PaymentProviderUnavailable);
      fx.controls.responseDelayMs = 0;
      const settled = await provider.capture(found!.processorRef, req.amount, captureKey);
      expect(settled.captured.amount).to.equal(700);
    });

    it('surfaces an outage and an unreachable processor as unavailable, never as a decline', async () => {
      const before = fx.chargeCount();
      fx.controls.unavailable = true;
      const req = request(await fx.approved());
      const outage = await rejection(fx.impatient.authorize(req));
      expect(outage).to.be.instanceOf(PaymentProviderUnavailable);
      expect((outage as PaymentProviderUnavailable).reason).to.equal('server_error');
      fx.controls.unavailable = false;
      expect(fx.chargeCount()).to.equal(before);
      expect(await provider.retrieve({ idempotencyKey: req.idempotencyKey })).to.equal(null);

      const down = await rejection(fx.unreachable.authorize(request(await fx.approved())));
      expect(down).to.be.instanceOf(PaymentProviderUnavailable);
      expect((down as PaymentProviderUnavailable).reason).to.equal('connection');
    });

    it('refuses a wrong secret key and a method of another kind', async () => {
      const denied = await rejection(fx.wrongKey.authorize(request(await fx.approved())));
      expect((denied as PaymentRequestRejected).code).to.equal('authentication');
      expect(provider.methodKinds).to.not.include(fx.otherKind.kind);
      const other = await rejection(provider.authorize(request(fx.otherKind)));
      expect(other).to.be.instanceOf(PaymentRequestRejected);
      expect((other as PaymentRequestRejected).code).to.equal('invalid_request');
    });
  });
}
