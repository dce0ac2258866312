import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { PORTS } from '../../application/tokens.js';
import type { Views } from '../../application/ports/views.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import {
  type BackchannelReceiver,
  routeProviderFetch,
  startBackchannelReceiver,
} from '../support/backchannel-receiver.js';
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
 * Protocol features a relying party may lean on beyond the plain code flow: `max_age` forcing a
 * fresh sign-in, the `claims` request parameter (individual claims, and acr "2" as an essential
 * claim), and back-channel logout tokens posted to the client when the user signs out.
 */
describe('OIDC: max_age, the claims parameter and back-channel logout', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let clock: ManualClock;
  let providerId: string;
  let receiver: BackchannelReceiver;
  let restoreFetch: (() => void) | undefined;

  before(async () => {
    // Real time to start with, so the provider's clock and the stores' agree; tests move it on to
    // open the wait before another code to the same phone.
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme' } });
    expect(provider.status).to.equal(201);
    providerId = provider.body.id;
    receiver = await startBackchannelReceiver();
    restoreFetch = await routeProviderFetch(receiver);
  });
  // Each part is undone only if it was set up: a failing `before` must not hide its own error.
  after(async () => {
    restoreFetch?.();
    await receiver?.close();
    await server?.close();
  });

  const register = (body: Record<string, unknown>) =>
    registerConfidentialClient(server, providerId, { redirectUris: [REDIRECT_URI], ...body });

  /** Where a finished sign-in leads: straight back (consent on record) or through the consent page. */
  const callbackOf = async (browser: Browser, page: Visit): Promise<URL> =>
    page.leftTo !== null ? new URL(page.leftTo) : answerConsent(browser, page, 'allow');

  /** Tokens for `client` in `browser`: signs in unless the session already holds, consents if asked. */
  async function tokensFor(
    client: RegisteredClient,
    browser: Browser,
    phone: string,
    params: Readonly<Record<string, string>> = {},
  ) {
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope: 'openid phone', ...params });
    let page = await browser.get(request.url);
    if (page.leftTo === null && page.body.includes('/identifier')) {
      clock.advance(10 * 60_000);
      page = await signInWithPhone(server, browser, page, phone);
    }
    return redeem(client.rp, request, await callbackOf(browser, page));
  }

  /** A prompt=none request for `client`, answered at the redirect URI with a code or an error. */
  async function silently(client: RegisteredClient, browser: Browser): Promise<URL> {
    const request = await authorizationRequest(client.rp, REDIRECT_URI, {
      scope: 'openid phone',
      prompt: 'none',
    });
    const visit = await browser.get(request.url);
    expect(visit.leftTo, visit.body).to.be.a('string');
    return new URL(visit.leftTo!);
  }

  describe('max_age', () => {
    const PHONE = '+4741260001';
    let client: RegisteredClient;
    let browser: Browser;
    let first: oidc.IDToken;

    before(async () => {
      client = await register({ name: 'Acme TV', scopes: ['openid', 'phone'] });
      browser = new Browser(server.url);
      first = (await tokensFor(client, browser, PHONE, { max_age: '3600' })).claims()!;
    });

    it('states auth_time in the ID token whenever max_age is asked for', () => {
      expect(first.auth_time).to.be.a('number');
      expect(first.auth_time).to.be.at.most(Math.floor(Date.now() / 1000));
    });

    it('reuses the session silently without max_age, and with a max_age the session is young enough for', async () => {
      const variants: readonly Record<string, string>[] = [{}, { max_age: '3600' }];
      for (const params of variants) {
        const request = await authorizationRequest(client.rp, REDIRECT_URI, {
          scope: 'openid phone',
          ...params,
        });
        const visit = await browser.get(request.url);
        expect(visit.leftTo, `no page may be shown for ${JSON.stringify(params)}`).to.be.a('string');
        const claims = (await redeem(client.rp, request, new URL(visit.leftTo!))).claims()!;
        expect(claims.sub).to.equal(first.sub);
        // Reusing the session is no new sign-in: the time stated is the first one's.
        if ('max_age' in params) expect(claims.auth_time).to.equal(first.auth_time);
      }
    });

    it('shows the sign-in page again once the session is older than max_age, and states the new auth_time', async () => {
      // auth_time counts whole seconds: once the second has turned, the session is older than 0.
      while (Math.floor(Date.now() / 1000) <= first.auth_time!) await new Promise((r) => setTimeout(r, 50));
      const request = await authorizationRequest(client.rp, REDIRECT_URI, {
        scope: 'openid phone',
        max_age: '0',
      });
      const page = await browser.get(request.url);
      expect(page.leftTo, 'max_age=0 must not reuse the session').to.equal(null);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('<label for="identifier">');

      clock.advance(10 * 60_000);
      const afterCode = await signInWithPhone(server, browser, page, PHONE);
      // The consent is on record: the fresh sign-in goes straight back to the client.
      expect(afterCode.leftTo, afterCode.body).to.be.a('string');
      const claims = (await redeem(client.rp, request, new URL(afterCode.leftTo!))).claims()!;
      expect(claims.sub).to.equal(first.sub);
      expect(claims.auth_time).to.be.a('number').and.above(first.auth_time!);
    });
  });

  describe('the claims parameter', () => {
    const PHONE_CLAIMS = JSON.stringify({
      id_token: { phone_number: null },
      userinfo: { phone_number: { essential: true } },
    });
    let phoneClient: RegisteredClient;
    let openidOnly: RegisteredClient;

    before(async () => {
      phoneClient = await register({ name: 'Acme Phone', scopes: ['openid', 'phone'] });
      openidOnly = await register({ name: 'Acme Login', scopes: ['openid'] });
    });

    it('is advertised, with the acr values', async () => {
      const discovery = (await server.request('GET', '/.well-known/openid-configuration', { token: null }))
        .body as Record<string, unknown>;
      expect(discovery.claims_parameter_supported).to.equal(true);
      expect(discovery.acr_values_supported).to.deep.equal(['1', '2']);
    });

    it('moves a claim of a granted scope into the ID token when asked for there', async () => {
      const browser = new Browser(server.url);
      const plain = await tokensFor(phoneClient, browser, '+4741260002');
      // In the code flow, a scope's claims are userinfo's unless the ID token is asked for them.
      expect(plain.claims()!).to.not.have.property('phone_number');
      const asked = await tokensFor(phoneClient, browser, '+4741260002', {
        claims: JSON.stringify({ id_token: { phone_number: null } }),
      });
      const claims = asked.claims()!;
      expect(claims).to.include({ phone_number: '+4741260002' });
      expect(claims).to.not.have.property('phone_number_verified');
      const userinfo = await oidc.fetchUserInfo(phoneClient.rp, asked.access_token, claims.sub);
      expect(userinfo).to.include({ phone_number: '+4741260002', phone_number_verified: true });
    });

    it('refuses a claims parameter asking for a claim of a scope the client is not registered for', async () => {
      const browser = new Browser(server.url);
      const request = await authorizationRequest(openidOnly.rp, REDIRECT_URI, {
        scope: 'openid',
        claims: PHONE_CLAIMS,
      });
      const refused = await browser.get(request.url);
      expect(refused.leftTo, refused.body).to.be.a('string');
      const callback = new URL(refused.leftTo!);
      expect(callback.searchParams.get('error')).to.equal('invalid_request');
      expect(callback.searchParams.get('error_description'))
        .to.include('phone_number')
        .and.include('phone scope');
    });

    // A claim outside the requested scopes is not released: the consent page named only the scopes.
    it('releases a claim asked for outside the requested scopes only after the consent page named it', async () => {
      const browser = new Browser(server.url);
      const request = await authorizationRequest(phoneClient.rp, REDIRECT_URI, {
        scope: 'openid',
        claims: PHONE_CLAIMS,
      });
      clock.advance(10 * 60_000);
      const page = await signInWithPhone(server, browser, await browser.get(request.url), '+4741260004');
      expect(page.leftTo, 'a first sign-in to this client must ask for consent').to.equal(null);
      const named = page.body.includes('See your phone number');
      const tokens = await redeem(phoneClient.rp, request, await answerConsent(browser, page, 'allow'));
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(phoneClient.rp, tokens.access_token, claims.sub);
      const released = 'phone_number' in claims || 'phone_number' in userinfo;
      expect(released && !named, 'phone_number released without the consent page naming it').to.equal(false);
    });

    it('asks for the password when acr "2" is an essential claim, even with a session at acr "1"', async () => {
      const phone = '+4741260005';
      const password = 'correct horse battery staple';
      const browser = new Browser(server.url);
      const first = (await tokensFor(phoneClient, browser, phone)).claims()!;
      expect(first.acr).to.equal('1');
      const written = await server.server.container
        .get(UserCommands)
        .setPassword(first.sub, password, { actor: { kind: 'system', id: 'test' }, correlationId: 'pw' });
      const views = server.server.container.get<Views>(PORTS.Views);
      expect(
        await views.waitFor(written.position!, { projections: [USERS_PROJECTION], timeoutMs: 5000 }),
      ).to.equal(true);

      const request = await authorizationRequest(phoneClient.rp, REDIRECT_URI, {
        scope: 'openid phone',
        claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['2'] } } }),
      });
      const page = await browser.get(request.url);
      expect(page.leftTo, 'a session at acr "1" must not satisfy an essential acr "2"').to.equal(null);
      clock.advance(10 * 60_000);
      const afterCode = await signInWithPhone(server, browser, page, phone);
      expect(afterCode.status, afterCode.body).to.equal(200);
      expect(afterCode.body).to.include('<label for="password">');
      const done = await browser.post(formAction(afterCode.body, '/password'), {
        csrf: hiddenField(afterCode.body, 'csrf'),
        password,
      });
      const claims = (await redeem(phoneClient.rp, request, await callbackOf(browser, done))).claims()!;
      expect(claims.sub).to.equal(first.sub);
      expect(claims.acr).to.equal('2');
      expect(claims.amr).to.deep.equal(['sms', 'pwd']);
    });
  });

  describe('back-channel logout', () => {
    const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
    let tv: RegisteredClient;
    let music: RegisteredClient;
    let jwks: ReturnType<typeof createRemoteJWKSet>;

    before(async () => {
      tv = await register({
        name: 'Acme TV',
        scopes: ['openid', 'phone'],
        backchannelLogoutUri: receiver.uri('/bcl/tv'),
      });
      music = await register({
        name: 'Acme Music',
        scopes: ['openid', 'phone'],
        backchannelLogoutUri: receiver.uri('/bcl/music'),
      });
      jwks = createRemoteJWKSet(new URL('/oauth/jwks', server.url));
    });
    beforeEach(() => receiver.clear());

    /** Signs one browser in to both clients; returns TV's ID token and the account's sub. */
    async function signedInToBoth(phone: string) {
      const browser = new Browser(server.url);
      const tokens = await tokensFor(tv, browser, phone);
      const musicTokens = await tokensFor(music, browser, phone);
      expect(musicTokens.claims()!.sub).to.equal(tokens.claims()!.sub);
      return { browser, idToken: tokens.id_token!, sub: tokens.claims()!.sub };
    }

    async function signOut(browser: Browser, idToken: string, everywhere: boolean): Promise<Visit> {
      const url = new URL('/oauth/logout', server.url);
      url.search = new URLSearchParams({ id_token_hint: idToken }).toString();
      const page = await browser.get(url.href);
      expect(page.status, page.body).to.equal(200);
      return browser.post(formAction(page.body, '/oauth/logout/confirm'), {
        xsrf: hiddenField(page.body, 'xsrf'),
        ...(everywhere ? { logout: 'yes' } : {}),
      });
    }

    /** Verifies a logout token as a relying party must (OpenID Connect Back-Channel Logout §2.6). */
    async function verifyLogoutToken(token: string, client: RegisteredClient) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: server.url,
        audience: client.clientId,
        typ: 'logout+jwt',
        maxTokenAge: '2 minutes',
      });
      expect(protectedHeader.alg).to.equal('RS256');
      expect(payload.events).to.deep.equal({ [LOGOUT_EVENT]: {} });
      expect(payload.jti).to.be.a('string').with.length.above(15);
      expect(payload).to.not.have.property('nonce');
      return payload;
    }

    it('is advertised in discovery', async () => {
      const discovery = (await server.request('GET', '/.well-known/openid-configuration', { token: null }))
        .body as Record<string, unknown>;
      expect(discovery.backchannel_logout_supported).to.equal(true);
    });

    it('posts a signed logout token to every client of the session when the user signs out of Tessera', async () => {
      const { browser, idToken, sub } = await signedInToBoth('+4741260006');
      const tvSid = decodeJwt(idToken).sid;
      expect(tvSid, 'a client with back-channel logout gets a sid in its ID tokens').to.be.a('string');
      const done = await signOut(browser, idToken, true);
      expect(new URL(done.url).pathname).to.equal('/oauth/logout/success');

      const deliveries = await receiver.waitForDeliveries(2);
      expect(deliveries).to.have.length(2);
      expect(deliveries.map((d) => d.path).sort()).to.deep.equal(['/bcl/music', '/bcl/tv']);
      const jtis = new Set<unknown>();
      for (const delivery of deliveries) {
        expect(delivery.method).to.equal('POST');
        expect(delivery.contentType).to.equal('application/x-www-form-urlencoded');
        expect(delivery.logoutToken).to.be.a('string');
        const client = delivery.path === '/bcl/tv' ? tv : music;
        const payload = await verifyLogoutToken(delivery.logoutToken!, client);
        expect(payload.sub).to.equal(sub);
        // Clients with back-channel logout require the sid: the token names the session that ended.
        expect(payload.sid).to.be.a('string');
        if (client === tv) expect(payload.sid).to.equal(tvSid);
        jtis.add(payload.jti);
      }
      expect(jtis.size, 'each logout token has its own jti').to.equal(2);

      // The relying parties were told the truth: the session is over for both.
      expect((await silently(tv, browser)).searchParams.get('error')).to.equal('login_required');
      expect((await silently(music, browser)).searchParams.get('error')).to.equal('login_required');
    });

    it('tells only the client signed out of when the user stays signed in to Tessera', async () => {
      const { browser, idToken, sub } = await signedInToBoth('+4741260007');
      await signOut(browser, idToken, false);

      const deliveries = await receiver.waitForDeliveries(1);
      expect(deliveries[0]!.path).to.equal('/bcl/tv');
      expect((await verifyLogoutToken(deliveries[0]!.logoutToken!, tv)).sub).to.equal(sub);
      // Nothing for the client the user is still signed in to.
      await new Promise((r) => setTimeout(r, 200));
      expect(receiver.deliveries).to.have.length(1);
      expect((await silently(music, browser)).searchParams.get('code')).to.be.a('string');
    });

    it('refuses a logout token signed for one client when another verifies it', async () => {
      const { browser, idToken } = await signedInToBoth('+4741260008');
      await signOut(browser, idToken, false);
      const [delivery] = await receiver.waitForDeliveries(1);
      let refused: unknown = null;
      try {
        await verifyLogoutToken(delivery!.logoutToken!, music);
      } catch (err) {
        refused = err;
      }
      expect(refused, 'the audience is the client the token was sent to').to.be.instanceOf(Error);
      expect(String((refused as Error).message)).to.match(/aud/);
      expect(decodeJwt(delivery!.logoutToken!).aud).to.equal(tv.clientId);
    });
  });
});
