import { expect } from 'chai';
import * as oidc from 'openid-client';
import { ManualClock } from '../../infrastructure/clock.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * What the OpenID Connect provider refuses, each case asserted at the protocol's edge: redirect
 * URIs, PKCE, replayed codes and refresh tokens (both revoke the grant), expiry, client
 * authentication, scopes, prompt=none, logout, and answers that must not tell whether an account
 * exists.
 */
describe('OIDC: negative cases of the authorization-code flow', function () {
  this.timeout(20_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  const LOGGED_OUT_URI = 'http://127.0.0.1/logged-out';
  let server: TestServer;
  let clock: ManualClock;
  let providerId: string;

  interface Client {
    readonly clientId: string;
    readonly clientSecret?: string;
  }
  /** Confidential; may ask for offline_access (refresh tokens). */
  let web: Client;
  /** Confidential; only openid and phone. */
  let narrow: Client;
  /** Public (no secret): PKCE is mandatory. */
  let app: Client;

  async function registerClient(body: Record<string, unknown>): Promise<Client> {
    const res = await server.request('POST', `/admin/v1/providers/${providerId}/clients`, {
      body: { clientType: 'confidential', redirectUris: [REDIRECT_URI], ...body },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Client;
  }

  interface AuthorizationRequest {
    readonly url: string;
    readonly verifier: string;
    readonly state: string;
  }

  /** An authorization request with PKCE S256 and state; `extra` overrides or adds parameters. */
  async function authorization(
    client: Client,
    extra: Record<string, string | null> = {},
  ): Promise<AuthorizationRequest> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const params: Record<string, string | null> = {
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid phone',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    };
    const url = new URL('/oauth/authorize', server.url);
    for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
    return { url: url.href, verifier, state };
  }

  async function latestCode(to: string): Promise<string> {
    const res = await fetch(`${server.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /** Submits the identifier on the sign-in page; answers with the page that follows. */
  function submitIdentifier(browser: Browser, page: Visit, identifier: string): Promise<Visit> {
    expect(page.status, page.body).to.equal(200);
    return browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier,
    });
  }

  /** Signs in with `phone` (E.164) and its code from the outbox, ticking "stay signed in". */
  async function signIn(browser: Browser, page: Visit, phone: string): Promise<Visit> {
    const codePage = await submitIdentifier(browser, page, phone);
    expect(codePage.status, codePage.body).to.equal(200);
    return browser.post(formAction(codePage.body, '/code'), {
      csrf: hiddenField(codePage.body, 'csrf'),
      code: await latestCode(phone),
      remember: '1',
    });
  }

  /** Allows on the consent page; returns where the browser was sent (the client's redirect URI). */
  async function allow(browser: Browser, page: Visit): Promise<URL> {
    expect(page.status, page.body).to.equal(200);
    expect(page.body).to.include('Allow access?');
    const done = await browser.post(formAction(page.body, '/consent'), {
      csrf: hiddenField(page.body, 'csrf'),
      decision: 'allow',
    });
    expect(done.leftTo, done.body).to.be.a('string');
    return new URL(done.leftTo!);
  }

  /** Sign-in and consent in a fresh browser; returns the browser and the authorization code. */
  async function authorize(client: Client, phone: string, extra: Record<string, string> = {}) {
    const browser = new Browser(server.url);
    const request = await authorization(client, extra);
    const callback = await allow(browser, await signIn(browser, await browser.get(request.url), phone));
    expect(callback.searchParams.get('state')).to.equal(request.state);
    const code = callback.searchParams.get('code');
    expect(code, callback.href).to.be.a('string');
    return { browser, request, code: code! };
  }

  /** Where an authorization request that shows no page sends the browser. */
  async function redirected(browser: Browser, request: AuthorizationRequest): Promise<URL> {
    const visit = await browser.get(request.url);
    expect(visit.leftTo, `${visit.status} ${visit.body.slice(0, 300)}`).to.be.a('string');
    const back = new URL(visit.leftTo!);
    expect(`${back.origin}${back.pathname}`).to.equal(REDIRECT_URI);
    expect(back.searchParams.get('state')).to.equal(request.state);
    return back;
  }

  type Json = Record<string, unknown>;

  /** POSTs a form to a protocol endpoint as `client` (HTTP Basic, or client_id for a public one). */
  async function post(path: string, client: Client, form: Record<string, string>, secret?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const password = secret ?? client.clientSecret;
    const body = new URLSearchParams(form);
    if (password === undefined) body.set('client_id', client.clientId);
    else {
      const encode = (s: string) => encodeURIComponent(s);
      const basic = Buffer.from(`${encode(client.clientId)}:${encode(password)}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    }
    const res = await fetch(server.url + path, { method: 'POST', headers, body: body.toString() });
    return { status: res.status, body: (await res.json()) as Json };
  }

  const redeem = (client: Client, code: string, verifier: string, secret?: string) =>
    post(
      '/oauth/token',
      client,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      secret,
    );

  const refresh = (client: Client, refreshToken: string) =>
    post('/oauth/token', client, { grant_type: 'refresh_token', refresh_token: refreshToken });

  const introspect = async (client: Client, token: string) =>
    (await post('/oauth/introspect', client, { token })).body;

  before(async () => {
    // The provider judges token lifetimes by the real time, the stores by this clock; it starts at
    // the real time, and tests move it on to let entries in the stores expire.
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme TV' } });
    expect(provider.status).to.equal(201);
    providerId = provider.body.id;
    web = await registerClient({
      name: 'Acme TV',
      postLogoutRedirectUris: [LOGGED_OUT_URI],
      scopes: ['openid', 'phone', 'profile', 'offline_access'],
    });
    narrow = await registerClient({ name: 'Acme Radio', scopes: ['openid', 'phone'] });
    app = await registerClient({ clientType: 'public', name: 'Acme TV app', scopes: ['openid', 'phone'] });
  });
  after(() => server.close());

  it('shows an error page, and does not redirect, for a redirect URI that is not registered exactly', async () => {
    for (const wrong of [`${REDIRECT_URI}/`, `${REDIRECT_URI}?next=1`, 'http://127.0.0.1:8080/cb']) {
      const visit = await new Browser(server.url).get(
        (await authorization(web, { redirect_uri: wrong })).url,
      );
      expect(visit.status, wrong).to.equal(400);
      expect(visit.leftTo, wrong).to.equal(null);
      expect(visit.headers.get('location')).to.equal(null);
      expect(visit.body).to.include('redirect_uri');
    }
  });

  it('refuses a public client without a PKCE challenge, and a code redeemed without its verifier', async () => {
    const browser = new Browser(server.url);
    const bare = await authorization(app, { code_challenge: null, code_challenge_method: null });
    const refused = await redirected(browser, bare);
    expect(refused.searchParams.get('error')).to.equal('invalid_request');
    expect(refused.searchParams.get('error_description')).to.match(/PKCE/);
    expect(refused.searchParams.get('code')).to.equal(null);

    const { code, request } = await authorize(app, '+4741460001');
    const noVerifier = await post('/oauth/token', app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    expect(noVerifier.status).to.equal(400);
    expect(noVerifier.body.error).to.equal('invalid_grant');
    const wrongVerifier = await redeem(app, code, oidc.randomPKCECodeVerifier());
    expect(wrongVerifier.body.error).to.equal('invalid_grant');
    // A failed verifier does not burn the code: its rightful holder can still redeem it.
    expect((await redeem(app, code, request.verifier)).status).to.equal(200);
  });

  it('refuses a replayed code and revokes the tokens issued for it', async () => {
    const { code, request } = await authorize(web, '+4741460002', {
      scope: 'openid phone offline_access',
      prompt: 'consent',
    });
    const first = await redeem(web, code, request.verifier);
    expect(first.status).to.equal(200);
    const accessToken = String(first.body.access_token);
    const refreshToken = String(first.body.refresh_token);
    expect((await introspect(web, accessToken)).active).to.equal(true);
    expect((await introspect(web, refreshToken)).active).to.equal(true);

    const replay = await redeem(web, code, request.verifier);
    expect(replay.status).to.equal(400);
    expect(replay.body.error).to.equal('invalid_grant');
    expect(await introspect(web, accessToken)).to.deep.equal({ active: false });
    expect(await introspect(web, refreshToken)).to.deep.equal({ active: false });
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(userinfo.status).to.equal(401);
  });

  it('rotates the refresh token on every use, and revokes the grant when a rotated one comes back', async () => {
    const { code, request } = await authorize(web, '+4741460003', {
      scope: 'openid phone offline_access',
      prompt: 'consent',
    });
    const tokens = await redeem(web, code, request.verifier);
    expect(tokens.body.scope).to.equal('openid phone offline_access');
    const r1 = String(tokens.body.refresh_token);
    const second = await refresh(web, r1);
    expect(second.status, JSON.stringify(second.body)).to.equal(200);
    const r2 = String(second.body.refresh_token);
    expect(r2).to.not.equal(r1);
    const third = await refresh(web, r2);
    expect(third.status).to.equal(200);
    const r3 = String(third.body.refresh_token);
    const a3 = String(third.body.access_token);
    expect(new Set([r1, r2, r3]).size).to.equal(3);
    expect((await introspect(web, r3)).active).to.equal(true);

    const reused = await refresh(web, r2);
    expect(reused.status).to.equal(400);
    expect(reused.body.error).to.equal('invalid_grant');
    // The whole grant is gone: the newest refresh token and its access token too.
    expect(await introspect(web, r3)).to.deep.equal({ active: false });
    expect(await introspect(web, a3)).to.deep.equal({ active: false });
    expect((await refresh(web, r3)).body.error).to.equal('invalid_grant');
  });

  it('issues no refresh token for offline_access without prompt=consent', async () => {
    const { code, request } = await authorize(web, '+4741460004', { scope: 'openid phone offline_access' });
    const tokens = await redeem(web, code, request.verifier);
    expect(tokens.status).to.equal(200);
    expect(tokens.body.scope).to.equal('openid phone');
    expect(tokens.body).to.not.have.property('refresh_token');
  });

  it('refuses a wrong client secret, and an unknown client, without burning the code', async () => {
    const { code, request } = await authorize(narrow, '+4741460005');
    const wrong = await redeem(narrow, code, request.verifier, 'not-the-secret');
    expect(wrong.status).to.equal(401);
    expect(wrong.body.error).to.equal('invalid_client');
    const stranger = await redeem({ clientId: 'no-such-client', clientSecret: 'x' }, code, request.verifier);
    expect(stranger.status).to.equal(401);
    expect(stranger.body.error).to.equal('invalid_client');
    // Another client's secret is no better.
    const otherSecret = await redeem(narrow, code, request.verifier, web.clientSecret);
    expect(otherSecret.body.error).to.equal('invalid_client');
    expect((await redeem(narrow, code, request.verifier)).status).to.equal(200);
  });

  it('refuses a code after its lifetime, and an access token after its own', async () => {
    const { browser, code, request } = await authorize(web, '+4741460006');
    const tokens = await redeem(web, code, request.verifier);
    expect(tokens.status).to.equal(200);
    const accessToken = String(tokens.body.access_token);

    // Session and consent exist now, so a second request comes straight back with a code.
    const again = await authorization(web);
    const late = (await redirected(browser, again)).searchParams.get('code')!;
    clock.advance(61_000); // the code lives 60 s
    const expired = await redeem(web, late, again.verifier);
    expect(expired.status).to.equal(400);
    expect(expired.body.error).to.equal('invalid_grant');

    expect((await introspect(web, accessToken)).active).to.equal(true);
    clock.advance(3600_000); // the access token lives an hour
    expect(await introspect(web, accessToken)).to.deep.equal({ active: false });
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(userinfo.status).to.equal(401);
  });

  it('refuses a known scope the client may not ask for, and drops a scope nobody knows', async () => {
    const browser = new Browser(server.url);
    const tooMuch = await authorization(narrow, { scope: 'openid phone email' });
    const refused = await redirected(browser, tooMuch);
    expect(refused.searchParams.get('error')).to.equal('invalid_scope');
    expect(refused.searchParams.get('code')).to.equal(null);

    const unknown = await authorization(narrow, { scope: 'openid phone payments.write' });
    const page = await signIn(browser, await browser.get(unknown.url), '+4741460007');
    expect(page.body).to.not.include('payments.write');
    const callback = await allow(browser, page);
    const tokens = await redeem(narrow, callback.searchParams.get('code')!, unknown.verifier);
    expect(tokens.body.scope).to.equal('openid phone');
    const introspection = await introspect(narrow, String(tokens.body.access_token));
    expect(introspection.scope).to.equal('openid phone');
  });

  it('answers prompt=none with login_required without a session, and consent_required without consent', async () => {
    const browser = new Browser(server.url);
    const anonymous = await authorization(web, { prompt: 'none' });
    expect((await redirected(browser, anonymous)).searchParams.get('error')).to.equal('login_required');

    const { browser: signedIn } = await authorize(web, '+4741460008');
    // Signed in, and consented to `web` only.
    const ok = await redirected(signedIn, await authorization(web, { prompt: 'none' }));
    expect(ok.searchParams.get('code')).to.be.a('string');
    const other = await redirected(signedIn, await authorization(narrow, { prompt: 'none' }));
    expect(other.searchParams.get('error')).to.equal('consent_required');
    expect(other.searchParams.get('code')).to.equal(null);
  });

  it('ends the session at /oauth/logout: the next prompt=none needs a sign-in, and the tokens are revoked', async () => {
    const { browser, code, request } = await authorize(web, '+4741460010');
    const tokens = await redeem(web, code, request.verifier);
    const logout = new URL('/oauth/logout', server.url);
    logout.search = new URLSearchParams({
      id_token_hint: String(tokens.body.id_token),
      post_logout_redirect_uri: LOGGED_OUT_URI,
      state: 'bye',
    }).toString();
    const confirm = await browser.get(logout.href);
    expect(confirm.status).to.equal(200);
    expect(confirm.body).to.include('Sign out of Tessera?');
    const done = await browser.post(formAction(confirm.body, '/oauth/logout/confirm'), {
      xsrf: hiddenField(confirm.body, 'xsrf'),
      logout: 'yes',
    });
    expect(done.leftTo).to.equal(`${LOGGED_OUT_URI}?state=bye`);

    const silent = await authorization(web, { prompt: 'none' });
    expect((await redirected(browser, silent)).searchParams.get('error')).to.equal('login_required');
    expect(await introspect(web, String(tokens.body.access_token))).to.deep.equal({ active: false });
  });

  it("introspects a user's access token with its sub, scope and client, for that client only", async () => {
    const { code, request } = await authorize(web, '+4741460011', { scope: 'openid phone profile' });
    const tokens = await redeem(web, code, request.verifier);
    const accessToken = String(tokens.body.access_token);
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const sub = ((await userinfo.json()) as Json).sub;
    expect(sub).to.be.a('string');
    const seen = await introspect(web, accessToken);
    expect(seen).to.include({ active: true, sub, scope: 'openid phone profile', client_id: web.clientId });
    expect(seen.iss).to.equal(server.url);
    expect(seen.exp).to.be.a('number');
    // Another client of the same provider learns nothing about it.
    expect(await introspect(narrow, accessToken)).to.deep.equal({ active: false });
  });

  it('answers a known and an unknown phone number with the same page', async () => {
    const known = '+4741460012';
    const unknown = '+4741460013';
    await authorize(web, known);
    clock.advance(10 * 60_000); // past the wait before another code to the known number

    /** The page after submitting `phone`, with what differs by design (ids, tokens, the number) masked. */
    const answer = async (phone: string) => {
      const browser = new Browser(server.url);
      const page = await browser.get((await authorization(web)).url);
      const uid = /\/interaction\/([^/?]+)/.exec(page.url)?.[1];
      expect(uid).to.be.a('string');
      const visit = await submitIdentifier(browser, page, phone);
      const body = visit.body
        .replaceAll(uid!, '<uid>')
        .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="<csrf>"')
        .replaceAll(`${phone.slice(0, 3)}${'*'.repeat(phone.length - 6)}${phone.slice(-3)}`, '<masked>');
      return {
        status: visit.status,
        body,
        type: visit.headers.get('content-type'),
        csp: visit.headers.get('content-security-policy'),
      };
    };
    const forKnown = await answer(known);
    const forUnknown = await answer(unknown);
    expect(forKnown.status).to.equal(200);
    expect(forKnown.body).to.include('Enter the code we sent to <masked>.');
    expect(forUnknown).to.deep.equal(forKnown);
  });
});
