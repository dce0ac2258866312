import { expect } from 'chai';
import { safePayReturnTo } from '../../infrastructure/http/pay/pay-router.js';
import { type AgreementWorld, methodId, sub } from '../application/agreement/agreement-world.js';
import { Browser, type Visit } from '../support/browser.js';
import { AgreementApp, CANCEL, OK, SIGN_IN } from './agreement-app.js';

const OTHER_SUB = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';

/**
 * The agreement confirmation page over HTTP as a browser without JavaScript goes through it: the
 * real page router, CSRF tokens, renewal machinery, SQLite stores and sandbox card processor. The
 * pay session is a stand-in keyed by the `tessera_pay` cookie (sign-in itself is the payment page's).
 */
describe('Agreement confirmation page (/pay/agreements/{id})', function () {
  this.timeout(60_000);
  let app: AgreementApp;
  let w: AgreementWorld;
  let base = '';

  before(async () => {
    app = await AgreementApp.open('2026-01-31T10:00:00.000Z');
    w = app.w;
    base = app.base;
  });
  after(() => app.close());

  const browser = (who: string, language = 'en') => app.browser(who, language);
  const submit = (b: Browser, page: Visit, action: string, fields: Record<string, string> = {}) =>
    app.submit(b, page, action, fields);

  it('lets the sign-in come back to an agreement page', () => {
    const id = '0190f3c2-7a1b-7c3d-8e4f-0000000000a9';
    expect(safePayReturnTo(`/pay/agreements/${id}`)).to.equal(`/pay/agreements/${id}`);
    expect(safePayReturnTo(`/pay/agreements/${id}/cancel`)).to.equal('/pay');
  });

  it('sends a visitor without a session to sign in, returning to the page', async () => {
    const id = await w.create({ sub });
    const visit = await new Browser(base).get(`/pay/agreements/${id}`);
    expect(visit.leftTo).to.equal(`${SIGN_IN}?return_to=${encodeURIComponent(`/pay/agreements/${id}`)}`);
  });

  it('shows the plan, price with VAT and recurrence, in English and Norwegian', async () => {
    await w.useCard('4242 4242 4242 4242');
    const id = await w.create({ sub, recurrence: 'R12/P1M' });
    const page = await browser(sub).get(`/pay/agreements/${id}`);
    expect(page.status, page.body).to.equal(200);
    expect(page.body).to.include('<h1>Subscribe to Monthly</h1>');
    expect(page.body).to.include('99.00 NOK per month');
    expect(page.body).to.include('Including VAT of 19.80 NOK');
    expect(page.body).to.include('Renews for 12 periods, then ends.');
    expect(page.body).to.include('The first period is charged now.');
    expect(page.body).to.include('Agree and pay with Visa ending in 4242');
    const nb = await browser(sub, 'nb').get(`/pay/agreements/${id}`);
    expect(nb.body).to.include('99,00 NOK per måned');
    expect(nb.body).to.include('Inkludert mva. på 19,80 NOK');
    expect(nb.body).to.include('Fornyes i 12 perioder');
  });

  it('shows a trial as free today', async () => {
    const id = await w.create({ sub, sku: 'trial-monthly' });
    const page = await browser(sub).get(`/pay/agreements/${id}`);
    expect(page.body).to.include('Free trial: 14 days.');
    expect(page.body).to.include('Nothing is charged today.');
  });

  it('confirms with a saved card: first period charged, then on to the shop', async () => {
    await w.useCard('4242 4242 4242 4242');
    const id = await w.create({ sub });
    const b = browser(sub);
    const done = await submit(b, await b.get(`/pay/agreements/${id}`), '/confirm', { methodId });
    expect(done.leftTo).to.equal(`${OK}?agreementId=${id}`);
    expect(await w.doc(id)).to.deep.include({ status: 'active', paidThrough: 1, methodId });
    expect((await w.subscription(id)).status).to.equal('active');
    // Back on the page later: straight on to the shop.
    expect((await b.get(`/pay/agreements/${id}`)).leftTo).to.equal(`${OK}?agreementId=${id}`);
  });

  it('stays on the page after a declined first payment, still pending', async () => {
    await w.useCard('4000 0000 0000 0002');
    const id = await w.create({ sub });
    const b = browser(sub);
    const declined = await submit(b, await b.get(`/pay/agreements/${id}`), '/confirm', { methodId });
    expect(declined.status, declined.body).to.equal(402);
    expect(declined.body).to.include('Your card was declined.');
    expect((await w.doc(id)).status).to.equal('pending');
  });

  it('adds a new card at the processor’s form and confirms with it', async () => {
    w.card = null;
    const id = await w.create({ sub });
    const b = browser(sub);
    const page = await b.get(`/pay/agreements/${id}`);
    expect(page.body).to.not.include('id="saved-methods"');
    const toForm = await submit(b, page, '/new-card');
    expect(toForm.leftTo).to.match(/\/sandbox\/card\/checkout\?/);
    const state = new URL(toForm.leftTo!).searchParams.get('state')!;
    const token = await w.sandbox.tokenize('4242 4242 4242 4242');
    const back = await b.get(
      `/pay/agreements/${id}/card?token=${encodeURIComponent(token)}&state=${encodeURIComponent(state)}`,
    );
    expect(back.status, back.body).to.equal(200);
    expect(back.body).to.include(`<meta http-equiv="refresh" content="0;url=${OK}?agreementId=${id}">`);
    expect((await w.doc(id)).status).to.equal('active');
    // The state is used up: a reload confirms nothing more.
    const reload = await b.get(
      `/pay/agreements/${id}/card?token=${encodeURIComponent(token)}&state=${encodeURIComponent(state)}`,
    );
    expect(reload.leftTo).to.equal(`${OK}?agreementId=${id}`);
  });

  it('cancels, going back to the shop, and then shows the agreement as canceled', async () => {
    const id = await w.create({ sub });
    const b = browser(sub);
    const canceled = await submit(b, await b.get(`/pay/agreements/${id}`), '/cancel');
    expect(canceled.leftTo).to.equal(CANCEL);
    expect((await w.doc(id)).status).to.equal('canceled');
    expect((await b.get(`/pay/agreements/${id}`)).body).to.include('This agreement was canceled.');
  });

  it('refuses another account, a post without the CSRF token, and an unknown agreement', async () => {
    const id = await w.create({ sub });
    const stranger = await browser(OTHER_SUB).get(`/pay/agreements/${id}`);
    expect(stranger.status).to.equal(403);
    expect(stranger.body).to.include('This agreement belongs to another account.');
    const forged = await browser(sub).post(`/pay/agreements/${id}/confirm`, { methodId });
    expect(forged.status).to.equal(403);
    expect((await w.doc(id)).status).to.equal('pending');
    const missing = await browser(sub).get('/pay/agreements/0190f3c2-7a1b-7c3d-8e4f-0000000000aa');
    expect(missing.status).to.equal(404);
  });
});
