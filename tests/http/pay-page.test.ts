import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { UserQueries } from '../../application/user/user-queries.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import { signInWithPhone } from '../support/oidc-flow.js';
import { purchaseRightId, RightsOnPurchase } from '../../application/payment/rights-on-purchase.js';
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
const SUCCESS = 'https://shop.example/ok';
const CANCEL = 'https://shop.example/cancel';

/**
 * The hosted payment page end to end on the real server, as a payer's browser (no JavaScript) goes
 * through it: signing in with a phone code, a new card at the sandbox processor's own form (a
 * decline, then success), one click with the saved card, a challenge step, the phone bill, cancel,
 * another account refused, and a post without the CSRF token refused.
 */
describe('Hosted payment page', function () {
  this.timeout(60_000);
  const PHONE = '+4741800001';
  let server: TestServer;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let sub: string;
  let payer: Browser;
  /** The server's error log, shown with a failing test. */
  const errors: string[] = [];

  /** A transaction for the film, made out to `forSub`; returns its id and payment link. */
  async function createTransaction(forSub = sub) {
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
      successRedirect: SUCCESS,
      cancelRedirect: CANCEL,
      sub: forSub,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return { id: created.body.transactionId as string, link: created.body.links.payment as string };
  }

  const transaction = async (id: string) =>
    (await acme.call('GET', `/v1/transactions/${id}`)).body as { status: string; attempts: unknown[] };

  /** Posts one of the page's forms (by its action's ending) with its CSRF token. */
  const submit = (page: Visit, action: string, fields: Record<string, string> = {}) =>
    payer.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });

  /** From the payment page: the new-card form, then the card typed into the processor's own form. */
  async function payWithNewCard(page: Visit, number: string, save: boolean): Promise<Visit> {
    const form = await submit(page, '/new-card', save ? { save: '1' } : {});
    expect(form.status, form.body).to.equal(200);
    expect(new URL(form.url).pathname).to.equal('/sandbox/card/checkout');
    return payer.post('/sandbox/card/tokens', {
      number,
      expiry: '12/30',
      cvc: '123',
      return_url: hiddenField(form.body, 'return_url'),
      state: hiddenField(form.body, 'state'),
      locale: 'en',
    });
  }

  /** Straight to the shop, or (after the processor's pages) a page that moves on there by itself. */
  function expectSuccess(visit: Visit, id: string) {
    const url = `${SUCCESS}?transactionId=${id}`;
    if (visit.leftTo !== null) return expect(visit.leftTo).to.equal(url);
    expect(visit.status, visit.body).to.equal(200);
    expect(visit.body).to.include(`<meta http-equiv="refresh" content="0;url=${url}">`);
    expect(visit.body).to.include(`<a href="${url}">`);
  }

  /** Right after the success redirect, the shop already reads this purchase's right, active. */
  async function expectRightAtOnce(id: string) {
    const rights = (await acme.call('GET', `/v1/users/${sub}/rights`)).body.rights as Array<{
      rightId: string;
      state: string;
    }>;
    expect(rights.find((r) => r.rightId === purchaseRightId(id, 0))).to.include({ state: 'ACTIVE' });
    expect((await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`)).body.allowed).to.equal(true);
  }

  async function accessUntilAllowed() {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`);
      if (res.body.allowed === true || Date.now() > deadline) return res.body as { allowed: boolean };
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({
      clock,
      env: { LOG_LEVEL: 'error' },
      logDestination: { write: (line: string) => void errors.push(line) },
    });
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
    // The payer has an account already (made on the account page).
    const first = new Browser(server.url);
    const account = await signInWithPhone(server, first, await first.get('/account'), PHONE);
    expect(account.status, account.body).to.equal(200);
    sub = (await server.server.container.get(UserQueries).findByIdentifier({ kind: 'phone', value: PHONE }))!;
    expect(sub).to.be.a('string');
  });
  after(() => server.close());
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && errors.length > 0) console.error(errors.join(''));
    errors.length = 0;
  });

  it('signs the payer in, stays on the page after a decline, then pays with a new card and saves it', async () => {
    const { id, link } = await createTransaction();
    expect(new URL(link).pathname).to.equal(`/pay/${id}`);
    clock.advance(61_000); // past the wait between two codes to one phone
    payer = new Browser(server.url);
    const page = await signInWithPhone(server, payer, await payer.get(link), PHONE);
    expect(page.status, page.body).to.equal(200);
    expect(new URL(page.url).pathname).to.equal(`/pay/${id}`);
    expect(page.body).to.include('<h1>Film rental: Vertigo</h1>');
    expect(page.body).to.include('Total: 49.00 NOK');
    expect(page.body).to.include('Including VAT of 9.80 NOK');
    expect(page.body).to.include('Vertigo');
    expect(page.body).to.not.include('id="saved-methods"');
    expect(page.body).to.include('Pay with your phone bill (+47*****001)');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include(`form-action 'self' ${server.url} https://shop.example`);
    expect(csp).to.include("default-src 'none'");

    const declined = await payWithNewCard(page, '4000 0000 0000 0002', true);
    expect(declined.status, declined.body).to.equal(402);
    expect(new URL(declined.url).pathname).to.equal(`/pay/${id}/card`);
    expect(declined.body).to.include('<p class="error" role="alert" id="pay-error">Your card was declined.');
    expect((await transaction(id)).status).to.equal('failed');

    const paid = await payWithNewCard(declined, '4242 4242 4242 4242', true);
    expectSuccess(paid, id);
    expect((await transaction(id)).status).to.equal('captured');
    expect((await accessUntilAllowed()).allowed).to.equal(true);

    // A reload of the page, or of the card return, pays nothing more and goes on to the shop.
    expectSuccess(await payer.get(link), id);
    expectSuccess(await payer.get(paid.url), id);
    expect((await transaction(id)).attempts).to.have.length(2);
  });

  it('pays a second transaction with one click on the saved card (not the declined one)', async () => {
    const { id, link } = await createTransaction();
    const page = await payer.get(link);
    expect(page.status, page.body).to.equal(200);
    expect(page.body).to.include('Visa ending in 4242 (default)');
    expect(page.body).to.not.include('ending in 0002');
    const methodId = /name="methodId" value="([^"]+)"/.exec(page.body)![1]!;
    expectSuccess(await submit(page, '/method', { methodId }), id);
    await expectRightAtOnce(id);
    expect((await transaction(id)).status).to.equal('captured');
  });

  it('sends the payer through the challenge step and settles on return', async () => {
    const { id, link } = await createTransaction();
    const challenge = await payWithNewCard(await payer.get(link), '4000 0027 6000 3184', false);
    expect(challenge.status, challenge.body).to.equal(200);
    expect(new URL(challenge.url).pathname).to.match(/^\/sandbox\/card\/challenge\//);
    expect((await transaction(id)).status).to.equal('requires_action');
    const action = /<form method="post" action="([^"]+)"/.exec(challenge.body)![1]!;
    const done = await payer.post(new URL(action, challenge.url).pathname, {
      secret: hiddenField(challenge.body, 'secret'),
      locale: 'en',
      decision: 'approve',
    });
    expectSuccess(done, id);
    await expectRightAtOnce(id);
    expect((await transaction(id)).status).to.equal('captured');
  });

  it('pays by the phone bill on the verified primary phone', async () => {
    const { id, link } = await createTransaction();
    expectSuccess(await submit(await payer.get(link), '/carrier'), id);
    expect((await transaction(id)).status).to.equal('captured');
  });

  it('cancels, going back to the shop, and then shows the payment as canceled', async () => {
    const { id, link } = await createTransaction();
    const canceled = await submit(await payer.get(link), '/cancel');
    expect(canceled.leftTo).to.equal(CANCEL);
    expect((await transaction(id)).status).to.equal('canceled');
    const again = await payer.get(link);
    expect(again.status).to.equal(200);
    expect(again.body).to.include('This payment was canceled.');
    expect(again.body).to.not.include('/method');
  });

  it('refuses a post without the CSRF token, and another signed-in account', async () => {
    const { id, link } = await createTransaction();
    const page = await payer.get(link);
    const forged = await payer.post(formAction(page.body, '/carrier'), {});
    expect(forged.status).to.equal(403);
    const wrongToken = await payer.post(formAction(page.body, '/carrier'), { csrf: 'x'.repeat(43) });
    expect(wrongToken.status).to.equal(403);
    expect((await transaction(id)).status).to.equal('created');

    clock.advance(61_000);
    const other = new Browser(server.url, { 'accept-language': 'nb-NO,nb;q=0.9' });
    const refused = await signInWithPhone(server, other, await other.get(link), '+4741800002');
    expect(refused.status, refused.body).to.equal(403);
    expect(refused.body).to.include('Denne betalingen tilhører en annen konto.');
    expect(refused.body).to.not.include('/method');
    expect((await transaction(id)).status).to.equal('created');
  });

  it('answers an unknown payment with a clear page', async () => {
    const res = await payer.get(`/pay/${randomUUID()}`);
    expect(res.status).to.equal(404);
    expect(res.body).to.include('There is no such payment.');
  });

  it('counts the payments above by method and outcome, and the sign-ins, in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = (name: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    // A decline, a new card, one click, the challenge (asked, then captured on return), the phone bill.
    expect(count('tessera_payments_total', 'method="card",outcome="failed",off_session="false"')).to.equal(1);
    expect(count('tessera_payments_total', 'method="card",outcome="captured",off_session="false"')).to.equal(
      3,
    );
    expect(
      count('tessera_payments_total', 'method="card",outcome="requires_action",off_session="false"'),
    ).to.equal(1);
    expect(
      count('tessera_payments_total', 'method="carrier",outcome="captured",off_session="false"'),
    ).to.equal(1);
    expect(count('tessera_sign_ins_total', 'method="sms",result="success"')).to.be.at.least(2);
    // Labels never carry who paid or signed in.
    expect(text).to.not.include(sub);
    expect(text).to.not.include(PHONE);
  });

  it('leads to the shop only once the purchased right can be read', async () => {
    // Rights are granted by a process manager after the capture; hold it back for a moment.
    const grants = server.server.container.get(RightsOnPurchase);
    await grants.stop();
    const { id, link } = await createTransaction();
    const page = await payer.get(link);
    const methodId = /name="methodId" value="([^"]+)"/.exec(page.body)![1]!;
    let answered = false;
    const paying = submit(page, '/method', { methodId }).then((visit) => {
      answered = true;
      return visit;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await transaction(id)).to.include({ status: 'captured' });
    expect(answered, 'answered before the right was granted').to.equal(false);
    await grants.start();
    expectSuccess(await paying, id);
    await expectRightAtOnce(id);
  });
});
