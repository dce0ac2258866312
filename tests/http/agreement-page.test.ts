import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express, { type Request } from 'express';
import type { PaymentMethodView } from '../../application/payment-method/payment-method-queries.js';
import { silentLogger } from '../../application/ports/logger.js';
import type { TokenizedCard } from '../../application/ports/payment-provider.js';
import type { UserView } from '../../application/user/user-queries.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { type AccountSession, readCookie } from '../../infrastructure/http/account/account-session.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { CsrfTokens } from '../../infrastructure/http/pages/csrf.js';
import { createAgreementPageRouter } from '../../infrastructure/http/pay/agreement-page-router.js';
import { safePayReturnTo } from '../../infrastructure/http/pay/pay-router.js';
import { AgreementWorld, methodId, sub } from '../application/agreement/agreement-world.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';

const OTHER_SUB = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
const SIGN_IN = 'https://id.example/oauth/authorize';
const OK = 'https://shop.example/ok';
const CANCEL = 'https://shop.example/cancel';

/**
 * The agreement confirmation page over HTTP as a browser without JavaScript goes through it: the
 * real page router, CSRF tokens, renewal machinery, SQLite stores and sandbox card processor. The
 * pay session is a stand-in keyed by the `tessera_pay` cookie (sign-in itself is the payment page's).
 */
describe('Agreement confirmation page (/pay/agreements/{id})', function () {
  this.timeout(60_000);
  let w: AgreementWorld;
  let server: Server;
  let ephemeralDir: string;
  let ephemeral: SqliteEphemeralStore;
  let base = '';
  const sessions = new Map<string, string>();

  before(async () => {
    w = await AgreementWorld.open('2026-01-31T10:00:00.000Z');
    ephemeralDir = mkdtempSync(join(tmpdir(), 'tessera-agreement-page-'));
    ephemeral = SqliteEphemeralStore.open({ file: join(ephemeralDir, 'ephemeral.db'), clock: w.clock });
    const card = w.sandbox.provider();
    const app = express();
    app.use(correlation(silentLogger));
    app.use(
      createAgreementPageRouter({
        issuer: () => base,
        sessions: {
          current: async (req: Request): Promise<AccountSession | null> => {
            const key = readCookie(req, 'tessera_pay');
            const owner = key === null ? undefined : sessions.get(key);
            return owner === undefined
              ? null
              : { key: key!, sub: owner, sessionUid: 's', freshUntil: null, acr: null };
          },
          begin: async (_res, _issuer, options) =>
            `${SIGN_IN}?return_to=${encodeURIComponent(options.returnTo ?? '')}`,
        },
        agreements: w.commands,
        methods: {
          list: async (owner: string): Promise<PaymentMethodView[]> =>
            owner === sub && w.card?.kind === 'card'
              ? [
                  {
                    methodId,
                    kind: 'card',
                    brand: 'visa',
                    last4: w.card.last4,
                    expMonth: 12,
                    expYear: 2030,
                    maskedPhone: null,
                    isDefault: true,
                    expired: false,
                    available: true,
                    createdAt: '2026-01-01T00:00:00.000Z',
                  },
                ]
              : [],
        },
        wallet: {
          saveCard: async (_owner: string, c: TokenizedCard) => {
            w.card = { kind: 'card', ...c };
            return { methodId, position: null, isDefault: true };
          },
        },
        users: { getUser: async (id: string) => ({ sub: id, locale: null }) as unknown as UserView },
        tokenizer: card,
        store: ephemeral,
        csrf: new CsrfTokens(Buffer.alloc(32, 7)),
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ephemeral.close();
    rmSync(ephemeralDir, { recursive: true, force: true });
    await w.close();
  });

  /** A browser signed in (on the pay session) as `who`. */
  function browser(who: string, language = 'en'): Browser {
    const key = `session-${who}-${Math.random().toString(36).slice(2, 12)}`.replace(/[^A-Za-z0-9_-]/g, '');
    sessions.set(key, who);
    const b = new Browser(base, { 'accept-language': language });
    b.jar.store(`${base}/pay/x`, new Headers({ 'set-cookie': `tessera_pay=${key}; Path=/pay` }));
    return b;
  }

  const submit = (b: Browser, page: Visit, action: string, fields: Record<string, string> = {}) =>
    b.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });

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
