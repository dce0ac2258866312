import { expect } from 'chai';
import { PORTS } from '../../application/tokens.js';
import type { Views } from '../../application/ports/views.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { MAX_PASSWORD_ATTEMPTS } from '../../infrastructure/oidc/interactions-signin.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  type RegisteredClient,
  registerConfidentialClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Sign-in at acr "2": after the one-time code, a client asking for acr "2" gets the account's
 * password asked for; tokens then carry acr "2" and amr with `pwd`. Accounts without a password
 * are told to set one up, and go on at acr "1" only when acr "2" was a wish.
 */
describe('OIDC: password step for acr_values=2', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  const PASSWORD = 'correct horse battery staple';
  const WITH_PASSWORD = '+4741250001';
  let server: TestServer;
  let clock: ManualClock;
  let client: RegisteredClient;
  let subWithPassword: string;

  /** A fresh browser's authorization request, signed in with the phone's code. */
  async function start(phone: string, params: Record<string, string>) {
    clock.advance(10 * 60_000); // past the wait before another code to the same phone
    const browser = new Browser(server.url);
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope: 'openid phone', ...params });
    const afterCode = await signInWithPhone(server, browser, await browser.get(request.url), phone);
    return { browser, request, afterCode };
  }

  /** Where a finished sign-in leads: straight back (consent on record) or through the consent page. */
  async function callbackOf(browser: Browser, page: Visit): Promise<URL> {
    return page.leftTo !== null ? new URL(page.leftTo) : answerConsent(browser, page, 'allow');
  }

  const postPassword = (browser: Browser, page: Visit, password: string) =>
    browser.post(formAction(page.body, '/password'), { csrf: hiddenField(page.body, 'csrf'), password });

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme Bank' } });
    expect(provider.status).to.equal(201);
    client = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme Bank',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone'],
    });

    // A first sign-in creates the account; then a password is set on it.
    const first = await start(WITH_PASSWORD, {});
    const tokens = await redeem(client.rp, first.request, await callbackOf(first.browser, first.afterCode));
    subWithPassword = tokens.claims()!.sub;
    const written = await server.server.container
      .get(UserCommands)
      .setPassword(subWithPassword, PASSWORD, { actor: { kind: 'system', id: 'test' }, correlationId: 'pw' });
    expect(written.position).to.be.a('number');
    const views = server.server.container.get<Views>(PORTS.Views);
    expect(
      await views.waitFor(written.position!, { projections: [USERS_PROJECTION], timeoutMs: 5000 }),
    ).to.equal(true);
  });
  after(() => server.close());

  it('asks for the password after the code, refuses a wrong one, and issues acr "2" with amr pwd', async () => {
    const { browser, request, afterCode } = await start(WITH_PASSWORD, { acr_values: '2' });
    expect(afterCode.status, afterCode.body).to.equal(200);
    expect(afterCode.leftTo).to.equal(null);
    expect(afterCode.body).to.include('<label for="password">Password</label>');
    expect(afterCode.body).to.include('type="password"');

    const wrong = await postPassword(browser, afterCode, 'not the password');
    expect(wrong.status).to.equal(400);
    expect(wrong.body).to.include('role="alert"');
    expect(wrong.body).to.include(`${MAX_PASSWORD_ATTEMPTS - 1} attempts left`);

    const right = await postPassword(browser, wrong, PASSWORD);
    const tokens = await redeem(client.rp, request, await callbackOf(browser, right));
    const claims = tokens.claims()!;
    expect(claims.sub).to.equal(subWithPassword);
    expect(claims.acr).to.equal('2');
    expect(claims.amr).to.deep.equal(['sms', 'pwd']);
  });

  it('shows the password page in Norwegian for ui_locales=nb', async () => {
    const { afterCode } = await start(WITH_PASSWORD, { acr_values: '2', ui_locales: 'nb' });
    expect(afterCode.status, afterCode.body).to.equal(200);
    expect(afterCode.body).to.include('<label for="password">Passord</label>');
  });

  it('refuses the interaction after too many wrong passwords', async () => {
    const { browser, afterCode } = await start(WITH_PASSWORD, { acr_values: '2' });
    let page = afterCode;
    for (let i = 1; i < MAX_PASSWORD_ATTEMPTS; i++) {
      page = await postPassword(browser, page, `wrong ${i}`);
      expect(page.status).to.equal(400);
    }
    const last = await postPassword(browser, page, `wrong ${MAX_PASSWORD_ATTEMPTS}`);
    expect(last.leftTo, last.body).to.be.a('string');
    const callback = new URL(last.leftTo!);
    expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.has('code')).to.equal(false);
  });

  it('changes nothing without acr_values=2, even for an account with a password', async () => {
    const { browser, request, afterCode } = await start(WITH_PASSWORD, {});
    const claims = (await redeem(client.rp, request, await callbackOf(browser, afterCode))).claims()!;
    expect(claims.acr).to.equal('1');
    expect(claims.amr).to.deep.equal(['sms']);
  });

  it('tells an account without a password to set one up, and goes on at acr "1" when acr 2 was a wish', async () => {
    const { browser, request, afterCode } = await start('+4741250002', { acr_values: '2' });
    expect(afterCode.status, afterCode.body).to.equal(200);
    expect(afterCode.body).to.include('account page');
    expect(afterCode.body).to.not.include('type="password"');
    const next = await browser.post(formAction(afterCode.body, '/skip-password'), {
      csrf: hiddenField(afterCode.body, 'csrf'),
    });
    const claims = (await redeem(client.rp, request, await callbackOf(browser, next))).claims()!;
    expect(claims.acr).to.equal('1');
    expect(claims.amr).to.not.include('pwd');
  });

  it('returns an error to the client when acr "2" is essential and the account has no password', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['2'] } } });
    const { browser, afterCode } = await start('+4741250003', { claims });
    expect(afterCode.status, afterCode.body).to.equal(200);
    expect(afterCode.body).to.include('account page');
    const done = await browser.post(formAction(afterCode.body, '/skip-password'), {
      csrf: hiddenField(afterCode.body, 'csrf'),
    });
    expect(done.leftTo, done.body).to.be.a('string');
    const callback = new URL(done.leftTo!);
    expect(callback.searchParams.get('error')).to.equal('unmet_authentication_requirements');
    expect(callback.searchParams.has('code')).to.equal(false);
  });

  it('refuses a password post without the CSRF token', async () => {
    const { browser, afterCode } = await start(WITH_PASSWORD, { acr_values: '2' });
    const forged = await browser.post(formAction(afterCode.body, '/password'), { password: PASSWORD });
    expect(forged.status).to.equal(403);
    expect(forged.leftTo).to.equal(null);
  });
});
