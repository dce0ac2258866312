import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Logger } from '../../../application/ports/logger.js';
import type { PaymentRequestRejected } from '../../../application/ports/payment-provider.js';
import { type AuthorizeRequest } from '../../../application/ports/payment-provider.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { TEST_CARDS } from '../../../infrastructure/payments/sandbox-card/cards.js';
import { type CardSandbox, RETURN_ORIGIN, startCardSandbox } from '../../support/payment-sandboxes.js';

/** A Logger that keeps every entry, to scan what Tessera-side code wrote. */
function recordingLogger(entries: unknown[]): Logger {
  const log = (fields: Record<string, unknown>, message?: string) => entries.push({ ...fields, message });
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

function hiddenValue(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1] ?? '';
}

describe('Sandbox card processor: hosted pages and card data', function () {
  this.timeout(15_000);
  let clock: ManualClock;
  let sandbox: CardSandbox;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-15T12:00:00Z');
    sandbox = await startCardSandbox(clock);
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const authorizeRequest = (token: string, amount = 4900): AuthorizeRequest => ({
    amount: { amount, currency: 'NOK' },
    method: { kind: 'card', token },
    idempotencyKey: randomUUID(),
    reference: randomUUID(),
    description: 'Premium, one month',
    returnUrl: `${RETURN_ORIGIN}/pay/abc/return`,
  });

  it('serves the card form in English and Norwegian, only for allowed return URLs', async () => {
    const formUrl = sandbox
      .provider()
      .formUrl({ returnUrl: `${RETURN_ORIGIN}/pay/1`, state: 'xyz', locale: 'nb' });
    const page = await fetch(formUrl);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.contain('<label for="number">Kortnummer</label>');
    expect(html).to.contain('action="tokens"');
    expect(hiddenValue(html, 'state')).to.equal('xyz');
    expect(page.headers.get('content-security-policy')).to.contain(`form-action 'self' ${RETURN_ORIGIN}`);
    const english = await (await fetch(formUrl.replace('locale=nb', 'locale=en'))).text();
    expect(english).to.contain('Card number');

    const foreign = await fetch(
      `${sandbox.baseUrl}/checkout?return_url=${encodeURIComponent('https://evil.example/x')}`,
    );
    expect(foreign.status).to.equal(400);
  });

  it('tokenises a test card posted by the form and redirects back with the token only', async () => {
    const response = await sandbox.submitCard({ number: '4242 4242 4242 4242', expiry: '08/29' });
    expect(response.status).to.equal(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).to.equal(`${RETURN_ORIGIN}/pay/return`);
    const token = location.searchParams.get('token') ?? '';
    expect(token).to.match(/^pm_/);
    expect(Object.fromEntries(location.searchParams)).to.deep.equal({
      token,
      brand: 'visa',
      last4: '4242',
      exp_month: '8',
      exp_year: '2029',
      state: 's1',
    });
    expect(await sandbox.provider().describeToken(token)).to.deep.equal({
      token,
      brand: 'visa',
      last4: '4242',
      expMonth: 8,
      expYear: 2029,
    });
    expect(await sandbox.provider().describeToken('pm_nope')).to.equal(null);
  });

  it('shows the form again with a message for a bad number, expiry or CVC, without echoing the number', async () => {
    const cases = [
      { card: { number: '4242 4242 4242 4241' }, message: 'The card number is not valid' },
      { card: { number: '4000 0000 0000 3184' }, message: 'The card number is not valid' },
      { card: { number: '4111 1111 1111 1111' }, message: 'test card numbers only' },
      { card: { number: '4242424242424242', expiry: '02/26' }, message: 'The card has expired' },
      { card: { number: '4242424242424242', expiry: '13/30' }, message: 'Enter the expiry as MM/YY' },
      { card: { number: '4242424242424242', cvc: '12' }, message: 'The security code is 3 digits' },
      { card: { number: '378282246310005', cvc: '123' }, message: 'The security code is 3 digits' },
    ];
    for (const { card, message } of cases) {
      const response = await sandbox.submitCard(card);
      expect(response.status, card.number).to.equal(422);
      const html = await response.text();
      expect(html).to.contain(message);
      expect(html).to.contain('<form method="post" action="tokens">');
      expect(hiddenValue(html, 'return_url')).to.equal(`${RETURN_ORIGIN}/pay/return`);
      expect(html).to.not.contain(card.number.replace(/\s/g, ''));
      expect(html).to.not.contain(card.number);
    }
    expect(sandbox.processor.storedCards()).to.have.length(0);
  });

  it('runs the challenge step: approve authorizes, deny declines, and the page needs the secret', async () => {
    const provider = sandbox.provider();
    const token = await sandbox.tokenize('4000 0027 6000 3184');
    const pending = await provider.authorize(authorizeRequest(token));
    expect(pending.status).to.equal('requires_action');
    if (pending.status !== 'requires_action') return;
    const early = await provider
      .capture(pending.processorRef, { amount: 4900, currency: 'NOK' }, randomUUID())
      .catch((e: unknown) => e);
    expect((early as PaymentRequestRejected).code).to.equal('invalid_state');

    const page = await fetch(pending.actionUrl);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.contain('49.00 NOK');
    expect(html).to.contain('Premium, one month');
    const forged = await fetch(pending.actionUrl.replace(/secret=[^&]+/, 'secret=wrong'));
    expect(forged.status).to.equal(404);

    const post = (ref: string, decision: string, secret: string) =>
      fetch(`${sandbox.baseUrl}/challenge/${ref}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ secret, decision }),
      });
    expect((await post(pending.processorRef, 'approve', 'wrong')).status).to.equal(404);
    const approved = await post(pending.processorRef, 'approve', hiddenValue(html, 'secret'));
    expect(approved.status).to.equal(303);
    expect(approved.headers.get('location')).to.equal(
      `${RETURN_ORIGIN}/pay/abc/return?processor_ref=${pending.processorRef}`,
    );
    expect((await provider.retrieve({ processorRef: pending.processorRef }))?.status).to.equal('authorized');
    const captured = await provider.capture(
      pending.processorRef,
      { amount: 4900, currency: 'NOK' },
      randomUUID(),
    );
    expect(captured.status).to.equal('captured');

    const second = await provider.authorize(authorizeRequest(token));
    if (second.status !== 'requires_action') throw new Error('expected a challenge');
    const secret = new URL(second.actionUrl).searchParams.get('secret') ?? '';
    expect((await post(second.processorRef, 'deny', secret)).status).to.equal(303);
    const denied = await provider.retrieve({ processorRef: second.processorRef });
    expect(denied).to.deep.include({ status: 'declined', declineCode: 'authentication_failed' });
    expect((await fetch(second.actionUrl)).status).to.equal(404);
  });

  it('declines a card that has expired since it was tokenised', async () => {
    const response = await sandbox.submitCard({ number: '4242424242424242', expiry: '04/26' });
    const token = new URL(response.headers.get('location') ?? '').searchParams.get('token') ?? '';
    expect((await sandbox.provider().authorize(authorizeRequest(token))).status).to.equal('authorized');
    clock.set('2026-05-01T00:00:00Z');
    const late = await sandbox.provider().authorize(authorizeRequest(token));
    expect(late).to.deep.include({ status: 'declined', code: 'expired_card' });
  });

  it('keeps card numbers in the sandbox only: nothing Tessera-side holds a PAN or a CVC', async () => {
    const cvc = '735';
    const entries: unknown[] = [];
    const provider = sandbox.provider({ logger: recordingLogger(entries) });
    const tesseraSide: unknown[] = [entries];
    const visaPans = Object.keys(TEST_CARDS).filter((pan) => pan.length === 16);
    for (const pan of visaPans) {
      const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
      const response = await sandbox.submitCard({ number: spaced, cvc });
      const location = response.headers.get('location') ?? '';
      tesseraSide.push(location);
      const token = new URL(location).searchParams.get('token') ?? '';
      tesseraSide.push(await provider.describeToken(token));
      const result = await provider.authorize(authorizeRequest(token));
      tesseraSide.push(result);
      if (result.status === 'authorized') {
        tesseraSide.push(
          await provider.capture(result.processorRef, { amount: 4900, currency: 'NOK' }, randomUUID()),
        );
        tesseraSide.push(
          await provider.refund(result.processorRef, { amount: 900, currency: 'NOK' }, randomUUID()),
        );
      }
      if (result.processorRef)
        tesseraSide.push(await provider.retrieve({ processorRef: result.processorRef }));
    }
    expect(entries.length).to.be.greaterThan(visaPans.length);
    const text = JSON.stringify(tesseraSide);
    for (const pan of visaPans) {
      expect(text).to.not.contain(pan);
      expect(text).to.not.contain(pan.replace(/(\d{4})(?=\d)/g, '$1 '));
    }
    const values: unknown[] = [];
    JSON.parse(text, (key, value: unknown) => {
      values.push(key, value);
      return value;
    });
    expect(values).to.not.include(cvc);
    expect(values.filter((v) => typeof v === 'string' && /^(cvc|cvv|pan|number)$/i.test(v))).to.deep.equal(
      [],
    );

    // The sandbox holds the numbers, as a PSP does, but not the CVC.
    const stored = sandbox.processor.storedCards();
    expect(stored.map((c) => c.pan).sort()).to.deep.equal([...visaPans].sort());
    for (const card of stored) {
      expect(Object.keys(card).sort()).to.deep.equal([
        'behaviour',
        'brand',
        'expMonth',
        'expYear',
        'id',
        'last4',
        'pan',
      ]);
    }
    expect(JSON.stringify(sandbox.processor.book.all())).to.not.match(/"cvc"|"number"|"pan"/i);
  });
});
