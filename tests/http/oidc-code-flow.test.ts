import { expect } from 'chai';
import * as oidc from 'openid-client';
import { UserQueries } from '../../application/user/user-queries.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The authorization-code flow as a relying party and a person see it: openid-client starts
 * code + PKCE, the person signs in with a phone number and the code from the development outbox,
 * consents, and the relying party validates the ID token and calls userinfo.
 */
describe('OIDC: authorization code flow with one-time-code sign-in and consent', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let clock: ManualClock;
  let providerId: string;
  let clientId: string;
  let clientSecret: string;
  let rp: oidc.Configuration;

  async function registerClient(body: Record<string, unknown>) {
    const res = await server.request('POST', `/admin/v1/providers/${providerId}/clients`, { body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { clientId: string; clientSecret?: string };
  }

  /** An authorization request from the relying party, with PKCE S256 and state. */
  async function authorization(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid phone profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    return { url: url.href, verifier, state };
  }

  async function latestCode(to: string): Promise<string> {
    const res = await fetch(`${server.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const message = (await res.json()) as { text: string };
    const code = /\b(\d{6})\b/.exec(message.text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /** From the sign-in page: submits the phone, then the code read from the outbox. */
  async function signIn(
    browser: Browser,
    page: Visit,
    phone: string,
    outboxTo = phone,
    remember = true,
  ): Promise<Visit> {
    expect(page.status, page.body).to.equal(200);
    const codePage = await browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier: phone,
    });
    expect(codePage.status, codePage.body).to.equal(200);
    return browser.post(formAction(codePage.body, '/code'), {
      csrf: hiddenField(codePage.body, 'csrf'),
      code: await latestCode(outboxTo),
      ...(remember ? { remember: '1' } : {}),
    });
  }

  /** Answers the consent page, ending at the relying party's redirect URI. */
  async function consent(browser: Browser, page: Visit, decision: 'allow' | 'deny'): Promise<URL> {
    expect(page.status, page.body).to.equal(200);
    const done = await browser.post(formAction(page.body, '/consent'), {
      csrf: hiddenField(page.body, 'csrf'),
      decision,
    });
    expect(done.leftTo, done.body).to.be.a('string');
    return new URL(done.leftTo!);
  }

  /** The whole flow for `phone` in a fresh browser, up to tokens; returns the ID token's claims. */
  async function fullFlow(
    phone: string,
    options: { outboxTo?: string; scope?: string; remember?: boolean } = {},
  ) {
    const browser = new Browser(server.url);
    const request = await authorization(options.scope !== undefined ? { scope: options.scope } : {});
    const page = await browser.get(request.url);
    const afterCode = await signIn(browser, page, phone, options.outboxTo ?? phone, options.remember ?? true);
    // A user who consented before is not asked again: the sign-in ends at the redirect URI.
    const callback =
      afterCode.leftTo !== null ? new URL(afterCode.leftTo) : await consent(browser, afterCode, 'allow');
    const tokens = await oidc.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    return { tokens, claims: tokens.claims()!, browser };
  }

  before(async () => {
    // Starts at the real time so the provider's own clock and the stores' agree; tests move it on
    // to open the resend wait between codes to one phone.
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme TV' } });
    expect(provider.status).to.equal(201);
    providerId = provider.body.id;
    const client = await registerClient({
      clientType: 'confidential',
      name: 'Acme TV',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone', 'profile', 'email'],
    });
    clientId = client.clientId;
    clientSecret = client.clientSecret!;
    rp = await oidc.discovery(
      new URL(server.url),
      clientId,
      undefined,
      oidc.ClientSecretBasic(clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
  });
  after(() => server.close());

  it("lets the user's access token read that user's data at /v1/users/me, by its scopes", async () => {
    clock.advance(10 * 60_000);
    const { tokens, claims } = await fullFlow('+47 412 34 999', { scope: 'openid phone' });
    const me = await fetch(`${server.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).to.equal(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body.sub).to.equal(claims.sub);
    expect(JSON.stringify(body)).to.include('+4741234999');
    expect(body).to.not.have.property('name');

    const write = await fetch(`${server.url}/v1/users/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Kari' }),
    });
    expect(write.status).to.equal(403);
    expect(write.headers.get('www-authenticate')).to.include('insufficient_scope');
    const anonymous = await fetch(`${server.url}/v1/users/me`);
    expect(anonymous.status).to.equal(401);
  });

  it('signs a new user up with a phone code, asks consent, and issues tokens openid-client accepts', async () => {
    const { tokens, claims } = await fullFlow('+47 412 34 567');
    expect(claims.iss).to.equal(server.url);
    expect(claims.aud).to.equal(clientId);
    expect(claims).to.include({ acr: '1' });
    expect(claims.amr).to.deep.equal(['sms']);
    expect(claims.sub).to.be.a('string').and.not.equal('');

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo).to.include({
      sub: claims.sub,
      phone_number: '+4741234567',
      phone_number_verified: true,
    });
    expect(userinfo).to.not.have.property('email');
  });

  it('gives the same sub when the same phone signs in again', async () => {
    const first = await fullFlow('+47 413 00 001');
    clock.advance(10 * 60_000); // past the wait before another code to the same phone
    // The national form, read in the default country (NO).
    const second = await fullFlow('413 00 001', { outboxTo: '+4741300001' });
    expect(second.claims.sub).to.equal(first.claims.sub);
  });

  it('signs in with an email code (amr otp) and releases only the claims of the granted scopes', async () => {
    const { tokens, claims } = await fullFlow('Kari@Example.NO', {
      outboxTo: 'kari@example.no',
      scope: 'openid email',
    });
    expect(claims.amr).to.deep.equal(['otp']);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo).to.include({ email: 'Kari@example.no', email_verified: true });
    expect(userinfo).to.not.have.property('phone_number');
  });

  it('keeps the session cookie for the browser session only unless "stay signed in" is ticked', async () => {
    const kept = await fullFlow('+47 413 00 005');
    expect(kept.browser.jar.find('_session')?.expires).to.be.a('number');
    clock.advance(10 * 60_000);
    const transient = await fullFlow('+47 413 00 005', { remember: false });
    expect(transient.browser.jar.find('_session')).to.not.equal(undefined);
    expect(transient.browser.jar.find('_session')?.expires).to.equal(null);
  });

  it('sends the user back with access_denied when consent is denied', async () => {
    const browser = new Browser(server.url);
    const request = await authorization();
    const afterCode = await signIn(browser, await browser.get(request.url), '+47 413 00 002');
    const callback = await consent(browser, afterCode, 'deny');
    expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.get('state')).to.equal(request.state);
  });

  it('shows an error with the attempts left for a wrong code, and still accepts the right one', async () => {
    const phone = '+47 413 00 003';
    const browser = new Browser(server.url);
    const page = await browser.get((await authorization()).url);
    const codePage = await browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier: phone,
    });
    const right = await latestCode(phone);
    const wrong = right === '000000' ? '111111' : '000000';
    const refused = await browser.post(formAction(codePage.body, '/code'), {
      csrf: hiddenField(codePage.body, 'csrf'),
      code: wrong,
    });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('role="alert"').and.include('That code is not right. 4 attempts left.');
    const accepted = await browser.post(formAction(refused.body, '/code'), {
      csrf: hiddenField(refused.body, 'csrf'),
      code: right,
    });
    expect(accepted.status).to.equal(200);
    expect(accepted.body).to.include('Allow access?');
  });

  it('locks sign-in after too many wrong codes, and records the lock on the account', async () => {
    const phone = '+47 413 00 006';
    const { claims } = await fullFlow(phone);
    clock.advance(10 * 60_000);
    const browser = new Browser(server.url);
    let page = await browser.get((await authorization()).url);
    page = await browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier: phone,
    });
    const wrong = async () => {
      const right = await latestCode(phone);
      page = await browser.post(formAction(page.body, '/code'), {
        csrf: hiddenField(page.body, 'csrf'),
        code: right === '000000' ? '111111' : '000000',
      });
    };
    for (let i = 0; i < 5; i++) await wrong();
    clock.advance(2 * 60_000); // past the wait before the next code
    page = await browser.post(formAction(page.body, '/resend'), { csrf: hiddenField(page.body, 'csrf') });
    expect(page.status, page.body).to.equal(200);
    for (let i = 0; i < 5; i++) await wrong();
    expect(page.status).to.equal(429);
    expect(page.headers.get('retry-after')).to.match(/^\d+$/);
    expect(page.body).to.include('Too many wrong codes');

    const accounts = server.server.container.get(UserQueries);
    const deadline = Date.now() + 5000;
    let lock = (await accounts.getUser(claims.sub)).signInLock;
    while (lock === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      lock = (await accounts.getUser(claims.sub)).signInLock;
    }
    expect(lock).to.include({ reason: 'too_many_wrong_codes' });
  });

  it('refuses a public client that sends no PKCE challenge', async () => {
    const pub = await registerClient({
      clientType: 'public',
      name: 'Acme TV app',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid'],
    });
    const url = new URL('/oauth/authorize', server.url);
    url.search = new URLSearchParams({
      client_id: pub.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'abc',
    }).toString();
    const visit = await new Browser(server.url).get(url.href);
    expect(visit.leftTo).to.be.a('string');
    const back = new URL(visit.leftTo!);
    expect(back.searchParams.get('error')).to.equal('invalid_request');
    expect(back.searchParams.get('error_description')).to.match(/PKCE/);
  });

  it('renders the provider’s own errors (an unregistered redirect URI) as a page in the chosen language', async () => {
    const url = new URL((await authorization({ ui_locales: 'nb' })).url);
    url.searchParams.set('redirect_uri', 'http://127.0.0.1/elsewhere');
    const visit = await new Browser(server.url).get(url.href);
    expect(visit.status).to.equal(400);
    expect(visit.leftTo).to.equal(null);
    expect(visit.body)
      .to.include('<html lang="nb">')
      .and.include('Noe gikk galt')
      .and.include('redirect_uri');
    expect(visit.headers.get('content-security-policy')).to.include("default-src 'none'");
  });

  it('speaks Norwegian with ui_locales=nb, and Accept-Language when ui_locales is absent', async () => {
    const nb = await new Browser(server.url).get((await authorization({ ui_locales: 'nb' })).url);
    expect(nb.status).to.equal(200);
    expect(nb.body).to.include('<html lang="nb">').and.include('Telefonnummer eller e-post');
    const byHeader = await new Browser(server.url, { 'accept-language': 'nb-NO,nb;q=0.9,en;q=0.5' }).get(
      (await authorization()).url,
    );
    expect(byHeader.body).to.include('Logg inn');
    const en = await new Browser(server.url).get((await authorization({ ui_locales: 'de en' })).url);
    expect(en.body).to.include('<html lang="en">').and.include('Phone number or email');
  });

  it('labels its input, carries a CSRF token, locks down the page, and refuses a post without the token', async () => {
    const browser = new Browser(server.url);
    const page = await browser.get((await authorization({ login_hint: '+47 413 00 004' })).url);
    expect(page.body).to.include('<label for="identifier">').and.include('id="identifier"');
    expect(page.body).to.include('value="+47 413 00 004"');
    expect(hiddenField(page.body, 'csrf')).to.have.length.greaterThan(20);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("frame-ancestors 'none'").and.include("form-action 'self'");
    expect(csp).to.not.include('script-src');
    expect(page.headers.get('cache-control')).to.equal('no-store');

    const action = formAction(page.body, '/identifier');
    const missing = await browser.post(action, { identifier: '+47 413 00 004' });
    expect(missing.status).to.equal(403);
    const forged = await browser.post(action, { identifier: '+47 413 00 004', csrf: 'x'.repeat(43) });
    expect(forged.status).to.equal(403);
    const outbox = await fetch(`${server.url}/dev/outbox/latest?to=${encodeURIComponent('+4741300004')}`);
    expect(outbox.status, 'no code may be sent for a refused form').to.equal(404);
  });
});
