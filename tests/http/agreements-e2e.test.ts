import { expect } from 'chai';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import { signInWithPhone } from '../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PLAN = {
  sku: 'news-monthly',
  name: 'News, monthly',
  kind: 'subscription',
  price: { amount: 9900, currency: 'NOK' },
  vatRate: 2500,
  period: 'P1M',
};
const SUCCESS = 'https://news.example/welcome';

/**
 * A charging agreement end to end on the real server: the provider proposes it, the reader signs in
 * on the hosted confirmation page and agrees with a new card (the first month is charged at once and
 * the subscription's right appears), the account page lists the recurring payment, and "Stop" there
 * ends it with the paid month — the provider sees the agreement stopped.
 */
describe('HTTP: a charging agreement from proposal to stop', function () {
  this.timeout(60_000);
  const PHONE = '+4741960001';
  let server: TestServer;
  let news: ProviderBackend;

  before(async () => {
    server = await startTestServer();
    news = await registerProviderBackend(server, 'Daily News', [PLAN]);
  });
  after(() => server.close());

  const submit = (browser: Browser, page: Visit, action: string, fields: Record<string, string> = {}) =>
    browser.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });

  async function agreementUntil(id: string, status: string) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await news.call('GET', `/v1/agreements/${id}`);
      if (res.body.status === status || Date.now() > deadline) return res.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('is confirmed with a new card, charged, listed on the account page, and stopped there', async () => {
    const proposed = await news.call('POST', '/v1/agreements', {
      sku: 'news-monthly',
      successRedirect: SUCCESS,
      cancelRedirect: 'https://news.example/no',
    });
    expect(proposed.status, JSON.stringify(proposed.body)).to.equal(201);
    expect(proposed.body.status).to.equal('pending');
    const id = proposed.body.agreementId as string;
    const link = proposed.body.links.confirmation as string;
    expect(new URL(link).pathname).to.equal(`/pay/agreements/${id}`);

    const browser = new Browser(server.url);
    const page = await signInWithPhone(server, browser, await browser.get(link), PHONE);
    expect(page.status, page.body).to.equal(200);
    expect(page.body).to.include('News, monthly');

    const form = await submit(browser, page, '/new-card');
    expect(new URL(form.url).pathname).to.equal('/sandbox/card/checkout');
    const done = await browser.post('/sandbox/card/tokens', {
      number: '4242 4242 4242 4242',
      expiry: '12/30',
      cvc: '123',
      return_url: hiddenField(form.body, 'return_url'),
      state: hiddenField(form.body, 'state'),
      locale: 'en',
    });
    const onward = done.leftTo ?? done.body;
    expect(onward).to.include(SUCCESS);

    const active = await agreementUntil(id, 'active');
    expect(active.status).to.equal('active');
    const sub = active.sub as string;
    // The first month was charged, and the subscription's right gives access.
    const access = await news.call('GET', `/v1/users/${sub}/access?sku=news-monthly`);
    expect(access.body.allowed, JSON.stringify(access.body)).to.equal(true);
    // The provider sees the subscription the agreement pays for.
    const subscriptions = await news.call('GET', `/v1/users/${sub}/subscriptions`);
    expect(subscriptions.body.subscriptions).to.have.length(1);
    expect(subscriptions.body.subscriptions[0]).to.deep.include({
      status: 'active',
      sku: 'news-monthly',
      renewal: 'charged',
      agreementId: id,
      pastDue: false,
    });

    const account = await browser.get('/account');
    expect(account.status).to.equal(200);
    const section = /<section id="agreements">([\s\S]*?)<\/section>/.exec(account.body)?.[1] ?? '';
    expect(section).to.include('News, monthly');
    expect(section).to.include('99.00 NOK per month');
    expect(section).to.match(/renews .+ UTC/);

    // Without the session's CSRF token nothing is stopped.
    const forged = await browser.post('/account/agreements/stop', { agreementId: id });
    expect(forged.status).to.equal(403);
    expect((await agreementUntil(id, 'active')).status).to.equal('active');

    const stopped = await submit(browser, account, '/account/agreements/stop', { agreementId: id });
    expect(stopped.status, stopped.body).to.equal(200);
    expect(stopped.body).to.include('The recurring payment is stopped.');
    const after = /<section id="agreements">([\s\S]*?)<\/section>/.exec(stopped.body)?.[1] ?? '';
    expect(after).to.match(/stopped, ends .+ UTC/);
    expect(after).to.not.include('/account/agreements/stop');
    expect((await agreementUntil(id, 'stopped')).status).to.equal('stopped');
    // The paid month still gives access.
    expect((await news.call('GET', `/v1/users/${sub}/access?sku=news-monthly`)).body.allowed).to.equal(true);

    // Another account cannot stop it (nor see it).
    const stranger = new Browser(server.url);
    const theirs = await signInWithPhone(server, stranger, await stranger.get('/account'), '+4741960002');
    expect(theirs.body).to.not.include('id="agreements"');
    const refused = await stranger.post('/account/agreements/stop', {
      csrf: hiddenField(theirs.body, 'csrf'),
      agreementId: id,
    });
    expect(refused.status).to.equal(404);
  });
});
