import { expect } from 'chai';
import * as oidc from 'openid-client';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { grantsOf } from '../../infrastructure/oidc/adapter.js';
import { type OidcSlot, parseLogoutForm } from '../../infrastructure/oidc/tessera-oidc.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  type RegisteredClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * RP-initiated logout through Tessera's own pages (language, look, strict CSP, the provider's xsrf
 * token kept), and consents that outlive the provider's Grant: a Grant gone is rebuilt from the
 * user's consent, so prompt=none keeps working until the consent is withdrawn.
 */
describe('OIDC: sign-out pages, and grants backed by consents', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  const LOGGED_OUT_URI = 'http://127.0.0.1/logged-out';
  let server: TestServer;
  let acme: RegisteredClient;
  /** The user's account management client: its token withdraws consents. */
  let account: RegisteredClient;

  before(async () => {
    server = await startTestServer();
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme' } });
    expect(provider.status).to.equal(201);
    acme = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme TV',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [LOGGED_OUT_URI],
      scopes: ['openid', 'phone', 'profile'],
    });
    account = await registerConfidentialClient(server, provider.body.id, {
      name: 'My account',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'id.user.read', 'id.user.write'],
    });
  });
  after(() => server.close());

  /** Signs in (or reuses the browser's session), allows, and redeems the code. */
  async function tokensFor(browser: Browser, client: RegisteredClient, scope: string, phone: string) {
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope });
    let page = await browser.get(request.url);
    if (page.body.includes('/identifier')) page = await signInWithPhone(server, browser, page, phone);
    const tokens = await redeem(client.rp, request, await answerConsent(browser, page, 'allow'));
    return { tokens, sub: tokens.claims()!.sub };
  }

  /** A prompt=none request for acme, answered at the redirect URI (code or error). */
  async function silently(browser: Browser, scope = 'openid phone') {
    const request = await authorizationRequest(acme.rp, REDIRECT_URI, { scope, prompt: 'none' });
    const visit = await browser.get(request.url);
    expect(visit.leftTo, visit.body).to.be.a('string');
    return { request, callback: new URL(visit.leftTo!) };
  }

  function logoutUrl(params: Record<string, string>): string {
    const url = new URL('/oauth/logout', server.url);
    url.search = new URLSearchParams(params).toString();
    return url.href;
  }

  function confirmLogout(browser: Browser, page: Visit, yes: boolean): Promise<Visit> {
    return browser.post(formAction(page.body, '/oauth/logout/confirm'), {
      xsrf: hiddenField(page.body, 'xsrf'),
      ...(yes ? { logout: 'yes' } : {}),
    });
  }

  it('asks "Sign out of Tessera?" on its own page under the strict CSP; Yes ends the session', async () => {
    const browser = new Browser(server.url, { 'accept-language': 'en' });
    const { tokens } = await tokensFor(browser, acme, 'openid phone', '+4741700001');
    const page = await browser.get(
      logoutUrl({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT_URI, state: 'bye' }),
    );
    expect(page.status).to.equal(200);
    expect(page.body).to.include('<html lang="en">');
    expect(page.body).to.include('Sign out of Tessera?');
    expect(page.body).to.include('You are signing out of Acme TV.');
    expect(page.body).to.include('Yes, sign out').and.include('No, stay signed in');
    expect(page.body).to.not.include('<script').and.not.include('fonts.googleapis');
    expect(hiddenField(page.body, 'xsrf')).to.have.length.above(10);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.not.include('script-src');
    // The confirmation redirects to the post-logout URI, which the form-action must allow.
    expect(csp).to.match(/form-action 'self' http:\/\/127\.0\.0\.1(;|$)/);

    const done = await confirmLogout(browser, page, true);
    expect(done.leftTo).to.equal(`${LOGGED_OUT_URI}?state=bye`);
    expect((await silently(browser)).callback.searchParams.get('error')).to.equal('login_required');
    expect((await oidc.tokenIntrospection(acme.rp, tokens.access_token)).active).to.equal(false);
  });

  it('refuses a confirmation without the xsrf token of the page', async () => {
    const browser = new Browser(server.url);
    const { tokens } = await tokensFor(browser, acme, 'openid phone', '+4741700002');
    const page = await browser.get(logoutUrl({ id_token_hint: tokens.id_token! }));
    const forged = await browser.post(formAction(page.body, '/oauth/logout/confirm'), {
      xsrf: 'forged',
      logout: 'yes',
    });
    expect(forged.status).to.equal(400);
    expect(forged.body).to.include('invalid_request');
    const silent = await silently(browser);
    expect(silent.callback.searchParams.get('code')).to.be.a('string');
  });

  it('speaks ui_locales first, then Accept-Language, and says so on the signed-out page', async () => {
    const browser = new Browser(server.url, { 'accept-language': 'nb-NO,nb;q=0.9,en;q=0.5' });
    const { tokens } = await tokensFor(browser, acme, 'openid phone', '+4741700003');
    const english = await browser.get(logoutUrl({ id_token_hint: tokens.id_token!, ui_locales: 'en' }));
    expect(english.body).to.include('Sign out of Tessera?');

    const norwegian = await browser.get(logoutUrl({ id_token_hint: tokens.id_token! }));
    expect(norwegian.body).to.include('<html lang="nb">');
    expect(norwegian.body).to.include('Logge ut av Tessera?');
    expect(norwegian.body).to.include('Ja, logg ut').and.include('Nei, forbli innlogget');
    // Without a post-logout URI the provider ends at its own success page, which is ours too.
    const done = await confirmLogout(browser, norwegian, true);
    expect(done.leftTo).to.equal(null);
    expect(new URL(done.url).pathname).to.equal('/oauth/logout/success');
    expect(done.body).to.include('Du er logget ut av Tessera.');
    expect(done.headers.get('content-security-policy')).to.include("default-src 'none'");
  });

  it('No signs out of the client only: Tessera keeps the session and, by the consent, the client', async () => {
    const browser = new Browser(server.url, { 'accept-language': 'en' });
    const { tokens } = await tokensFor(browser, acme, 'openid phone', '+4741700004');
    const page = await browser.get(logoutUrl({ id_token_hint: tokens.id_token! }));
    const done = await confirmLogout(browser, page, false);
    expect(done.body).to.include('You are signed out of Acme TV. You are still signed in to Tessera.');
    expect((await oidc.tokenIntrospection(acme.rp, tokens.access_token)).active).to.equal(false);
    expect((await silently(browser)).callback.searchParams.get('code')).to.be.a('string');
  });

  it('rebuilds a Grant that is gone from the consent, with exactly its scopes, until the consent is withdrawn', async () => {
    const browser = new Browser(server.url);
    const phone = '+4741700005';
    const { sub } = await tokensFor(browser, acme, 'openid phone', phone);
    const store = server.server.container.get<EphemeralStore>(TOKENS.EphemeralStore);
    const provider = server.server.container.get<OidcSlot>(TOKENS.OidcSlot).provider();

    // The provider's Grant ends (as after its 14-day TTL); the consent stays.
    const before = await grantsOf(store, sub, acme.clientId);
    expect(before).to.have.length(1);
    await (await provider.Grant.find(before[0]!))!.destroy();
    expect(await provider.Grant.find(before[0]!)).to.equal(undefined);

    const { request, callback } = await silently(browser);
    expect(callback.searchParams.get('error'), callback.href).to.equal(null);
    const tokens = await redeem(acme.rp, request, callback);
    expect(tokens.claims()!.sub).to.equal(sub);
    expect(tokens.scope).to.equal('openid phone');
    expect((await oidc.tokenIntrospection(acme.rp, tokens.access_token)).scope).to.equal('openid phone');
    const rebuilt = await grantsOf(store, sub, acme.clientId);
    expect(rebuilt).to.have.length(1).and.not.include(before[0]);

    // The rebuilt Grant holds the consented scopes and nothing more.
    const wider = await silently(browser, 'openid phone profile');
    expect(wider.callback.searchParams.get('error')).to.equal('consent_required');

    // Withdrawn, the consent rebuilds nothing: prompt=none needs a consent again.
    const manage = await tokensFor(browser, account, 'openid id.user.write', phone);
    const revoked = await fetch(`${server.url}/v1/users/me/consents/${acme.clientId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${manage.tokens.access_token}` },
    });
    expect(revoked.status).to.equal(204);
    const after = await silently(browser);
    expect(after.callback.searchParams.get('error')).to.equal('consent_required');
    expect(after.callback.searchParams.get('code')).to.equal(null);
    expect(await grantsOf(store, sub, acme.clientId)).to.deep.equal([]);
  });

  it('reads every hidden field of the provider logout form, and refuses one without xsrf', () => {
    const form = parseLogoutForm(
      '<form id="op.logoutForm" method="post" action="/oauth/logout/confirm?a=1&amp;b=2">' +
        '<input type="hidden" name="xsrf" value="s3cr&quot;t"/><input type="hidden" name="extra" value="x"/></form>',
    );
    expect(form).to.deep.equal({
      action: '/oauth/logout/confirm?a=1&b=2',
      fields: { xsrf: 's3cr"t', extra: 'x' },
    });
    expect(() => parseLogoutForm('<form method="post" action="/x"></form>')).to.throw(/xsrf/);
  });
});
