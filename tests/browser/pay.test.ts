import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { UserQueries } from '../../application/user/user-queries.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { Browser as FormBrowser } from '../support/browser.js';
import { launchChromium } from '../support/chromium.js';
import { signInWithPhone } from '../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
};
/** The shop's own pages; Chromium never reaches them: the test answers for that origin. */
const SHOP = 'https://shop.example';
const SUCCESS = `${SHOP}/ok`;
const CANCEL = `${SHOP}/cancel`;

/**
 * The hosted payment page (/pay/:id) as a payer meets it, in headless Chromium: signing in with a
 * phone and the code from the development outbox, a declined card typed into the sandbox
 * processor's own form, a card that pays and is saved, the way back to the shop, and a second
 * payment in one click with the saved card. Every page must load without a console error, which is
 * where Chromium reports whatever the content security policy blocked (a form post or a redirect
 * outside `form-action` among them).
 */
describe('Browser: the hosted payment page in headless Chromium', function () {
  this.timeout(20_000);
  const PHONE = '+4741810001';
  let chromium: Browser | null = null;
  let server: TestServer | null = null;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let sub: string;

  before(async function () {
    this.timeout(30_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
    // The payer has an account already (made on the account page).
    const first = new FormBrowser(server.url);
    const account = await signInWithPhone(server, first, await first.get('/account'), PHONE);
    expect(account.status, account.body).to.equal(200);
    sub = (await server.server.container.get(UserQueries).findByIdentifier({ kind: 'phone', value: PHONE }))!;
    expect(sub).to.be.a('string');
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
  });

  // Every test signs in from 127.0.0.1: start each in a new window of the per-IP code limits.
  beforeEach(() => clock?.advance(3601 * 1000));

  /**
   * A transaction for the film made out to the payer, going back to `success` once paid; its id and
   * the payment page's address.
   */
  async function createTransaction(success: string): Promise<{ id: string; link: string }> {
    const created = await acme.call('POST', '/v1/transactions', {
      orderId: `order-${randomUUID()}`,
      description: 'Film rental: Vertigo',
      amount: { amount: 4900, currency: 'NOK' },
      vatRate: 2500,
      products: [
        {
          sku: 'film-48h',
          name: 'Vertigo',
          price: { amount: 4900, currency: 'NOK' },
          vatRate: 2500,
          timeSpec: 'P2D',
        },
      ],
      successRedirect: success,
      cancelRedirect: CANCEL,
      sub,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return { id: created.body.transactionId as string, link: created.body.links.payment as string };
  }

  const transactionStatus = async (id: string): Promise<string> =>
    ((await acme.call('GET', `/v1/transactions/${id}`)).body as { status: string }).status;

  /**
   * A window whose requests to the shop's origin the test answers itself, recording what Chromium
   * reports as an error: console messages of type error (among them every "Refused to …" of the
   * content security policy) and uncaught page errors.
   */
  async function watchedPage(
    context: BrowserContext,
  ): Promise<{ page: Page; errors: string[]; shop: string[] }> {
    const shop: string[] = [];
    await context.route(`${SHOP}/**`, (route) => {
      shop.push(route.request().url());
      return route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<!doctype html><title>Acme</title><h1>Thank you for your order</h1>',
      });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    return { page, errors, shop };
  }

  async function outboxCode(to: string): Promise<string> {
    const res = await fetch(`${server!.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /**
   * On Tessera's sign-in page: types the phone and then the code from the outbox by their labels.
   * The clock first moves past the wait between two codes to one phone.
   */
  async function signIn(page: Page, phone: string): Promise<void> {
    clock.advance(61_000);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await page.getByLabel('Phone number or email').fill(phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await outboxCode(phone));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Opens the payment link, signs in, and waits for the payment with its amount. */
  async function openPayment(page: Page, id: string, link: string): Promise<void> {
    await page.goto(link);
    await signIn(page, PHONE);
    await page.getByRole('heading', { name: 'Film rental: Vertigo' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal(`/pay/${id}`);
    expect(await page.locator('#total').innerText()).to.match(
      /Total: 49\.00 NOK\s+Including VAT of 9\.80 NOK/,
    );
  }

  /** From the payment page: "Pay with a new card", then the card typed into the processor's form. */
  async function payWithNewCard(page: Page, number: string, keep = true): Promise<void> {
    const save = page.getByLabel('Save the card for next time');
    await save.setChecked(keep);
    expect(await save.isChecked()).to.equal(keep);
    await page.getByRole('button', { name: 'Pay with a new card' }).click();
    await page.getByRole('heading', { name: 'Add a card' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/sandbox/card/checkout');
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry (MM/YY)').fill('12/30');
    await page.getByLabel('Security code (CVC)').fill('123');
    await page.getByRole('button', { name: 'Save card' }).click();
  }

  /** Waits for the shop's success page and checks the address the payer was sent to. */
  async function expectAtShop(page: Page, shop: string[], id: string): Promise<void> {
    await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
    expect(page.url()).to.equal(`${SUCCESS}?transactionId=${id}`);
    expect(shop).to.deep.equal([`${SUCCESS}?transactionId=${id}`]);
    shop.length = 0;
  }

  /**
   * The success address of a shop on Tessera's own origin: `/healthz` answers the payer's browser
   * with a small JSON document.
   */
  const ownOriginSuccess = () => `${server!.url}/healthz`;

  it('signs in, stays on the page after a declined card, then pays with a new card and saves it', async () => {
    const { id, link } = await createTransaction(ownOriginSuccess());
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      expect(await page.locator('#saved-methods').count()).to.equal(0);
      expect(errors, errors.join('\n')).to.deep.equal([]);

      await payWithNewCard(page, '4000 0000 0000 0002');
      await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
      expect(new URL(page.url()).pathname).to.equal(`/pay/${id}/card`);
      await page.getByRole('heading', { name: 'Film rental: Vertigo' }).waitFor();
      expect(await transactionStatus(id)).to.equal('failed');
      // The decline is answered as 402, which Chromium logs as the one expected console error.
      expect(errors, errors.join('\n')).to.have.length(1);
      expect(errors[0]).to.match(new RegExp(`status of 402 .*/pay/${id}/card`));
      errors.length = 0;

      await payWithNewCard(page, '4242 4242 4242 4242');
      await page.waitForURL(`${ownOriginSuccess()}?transactionId=${id}`);
      expect(await page.locator('body').innerText()).to.include('"status":"ok"');
      expect(shop).to.deep.equal([]);
      expect(await transactionStatus(id)).to.equal('captured');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('pays a second transaction with one click on the saved card, not the declined one, and goes back to the shop', async () => {
    const { id, link } = await createTransaction(SUCCESS);
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      const saved = page.locator('#saved-methods');
      await saved.getByText('Visa ending in 4242 (default)').waitFor();
      expect(await saved.getByText(/ending in 0002/).count()).to.equal(0);
      await saved.getByRole('button', { name: 'Pay with Visa ending in 4242' }).click();
      await expectAtShop(page, shop, id);
      expect(await transactionStatus(id)).to.equal('captured');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  /**
   * A new card with the shop on another origin than Tessera's. Skipped while the sandbox card form's
   * Content-Security-Policy allows forms only to its own origin and the return URL's
   * (`form-action 'self' <Tessera>`): Chromium applies `form-action` to every redirect after the
   * post, so the chain POST /sandbox/card/tokens → 303 /pay/:id/card → 303 https://shop.example/ok
   * is blocked at its last step. The payment is captured and the card saved, but the payer stays on
   * the card form, and the console reports "Sending form data to …/sandbox/card/tokens violates the
   * following Content Security Policy directive".
   */
  it('pays with a new card and goes back to a shop on another origin', async () => {
    const { id, link } = await createTransaction(SUCCESS);
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      await payWithNewCard(page, '4242 4242 4242 4242');
      await expectAtShop(page, shop, id);
      expect(await transactionStatus(id)).to.equal('captured');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
  it('passes the card issuer’s challenge step on the processor’s page and goes back to the shop', async () => {
    const { id, link } = await createTransaction(SUCCESS);
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      await payWithNewCard(page, '4000 0027 6000 3184', false);
      await page.getByRole('heading', { name: 'Confirm your payment' }).waitFor();
      expect(new URL(page.url()).pathname).to.match(/^\/sandbox\/card\/challenge\//);
      expect(await transactionStatus(id)).to.equal('requires_action');
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expectAtShop(page, shop, id);
      expect(await transactionStatus(id)).to.equal('captured');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('pays by the phone bill of the verified phone and goes back to the shop', async () => {
    const { id, link } = await createTransaction(SUCCESS);
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      await page.getByRole('button', { name: 'Pay with your phone bill (+47*****001)' }).click();
      await expectAtShop(page, shop, id);
      expect(await transactionStatus(id)).to.equal('captured');
      const tx = (await acme.call('GET', `/v1/transactions/${id}`)).body as {
        attempts: Array<{ method: { kind: string } }>;
      };
      expect(tx.attempts.map((a) => a.method.kind)).to.deep.equal(['carrier']);
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('cancels the payment, going back to the shop’s cancel address, and nothing is charged', async () => {
    const { id, link } = await createTransaction(SUCCESS);
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors, shop } = await watchedPage(context);
      await openPayment(page, id, link);
      await page.getByRole('button', { name: 'Cancel payment' }).click();
      await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
      expect(page.url()).to.equal(CANCEL);
      expect(shop).to.deep.equal([CANCEL]);
      expect(await transactionStatus(id)).to.equal('canceled');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
