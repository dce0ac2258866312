import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The sign-in pages as a person meets them, in headless Chromium: a relying party built on
 * openid-client starts code + PKCE, the browser signs in with a phone number and the code from the
 * development outbox, ticks "Stay signed in", allows access, and lands on the relying party's
 * callback (a small HTTP server here), which redeems the code and calls userinfo.
 */
describe('Browser: phone sign-in and consent in headless Chromium', function () {
  this.timeout(20_000);
  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let chromium: Browser | null = null;
  let server: TestServer | null = null;
  let callbackServer: Server | null = null;
  let redirectUri: string;
  let loggedOutUri: string;
  let rp: oidc.Configuration;
  let shotDir: string | null = null;

  before(async function () {
    this.timeout(30_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    shotDir = mkdtempSync(join(tmpdir(), 'tessera-browser-'));
    server = await startTestServer();
    callbackServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Callback</title>');
    });
    await new Promise<void>((resolve) => callbackServer!.listen(0, '127.0.0.1', resolve));
    const rpOrigin = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
    redirectUri = `${rpOrigin}/cb`;
    loggedOutUri = `${rpOrigin}/logged-out`;

    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme TV' } });
    expect(provider.status).to.equal(201);
    const client = await server.request('POST', `/admin/v1/providers/${provider.body.id}/clients`, {
      body: {
        clientType: 'confidential',
        name: 'Acme TV',
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [loggedOutUri],
        scopes: ['openid', 'phone', 'profile'],
      },
    });
    expect(client.status, JSON.stringify(client.body)).to.equal(201);
    rp = await oidc.discovery(
      new URL(server.url),
      client.body.clientId,
      undefined,
      oidc.ClientSecretBasic(client.body.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
    await new Promise((resolve) => (callbackServer ? callbackServer.close(resolve) : resolve(undefined)));
    if (shotDir !== null) rmSync(shotDir, { recursive: true, force: true });
  });

  /** An authorization request with PKCE S256 and state, as the relying party builds it. */
  async function authorization(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: 'openid phone',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    return { url: url.href, verifier, state };
  }

  async function outboxCode(to: string): Promise<string> {
    const res = await fetch(`${server!.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /** Waits until the browser reaches the relying party's callback, and returns that URL. */
  async function callback(page: Page): Promise<URL> {
    await page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 10_000 });
    return new URL(page.url());
  }

  /**
   * From the sign-in page to the relying party's callback: types the phone and the code by their
   * labels, ticks "Stay signed in", and allows access. Returns the callback URL.
   */
  async function signInAndConsent(page: Page, phone: string, e164: string): Promise<URL> {
    await page.getByLabel('Phone number or email').fill(phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await outboxCode(e164));
    await page.getByLabel('Stay signed in').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    return callback(page);
  }

  async function redeem(url: URL, request: { verifier: string; state: string }) {
    const tokens = await oidc.authorizationCodeGrant(rp, url, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    return { tokens, claims: tokens.claims()! };
  }

  it('signs in by phone, consents, and the relying party gets a valid ID token and userinfo; prompt=none then succeeds silently', async () => {
    const context: BrowserContext = await chromium!.newContext();
    try {
      const page = await context.newPage();
      const request = await authorization();
      await page.goto(request.url);
      expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);

      const shot = join(shotDir!, 'sign-in.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.length).to.be.greaterThan(1000);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).to.equal(true);

      const { tokens, claims } = await redeem(
        await signInAndConsent(page, '+47 412 55 001', '+4741255001'),
        request,
      );
      expect(claims.iss).to.equal(server!.url);
      expect(claims.aud).to.equal(rp.clientMetadata().client_id);
      expect(claims).to.include({ acr: '1' });
      const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
      expect(userinfo).to.include({
        sub: claims.sub,
        phone_number: '+4741255001',
        phone_number_verified: true,
      });

      // "Stay signed in" makes the session cookie outlive the browser session.
      const session = (await context.cookies(server!.url)).find((c) => c.name === '_session');
      expect(session?.expires, 'a persistent session cookie').to.be.greaterThan(Date.now() / 1000);
      expect(session).to.include({ httpOnly: true, sameSite: 'Lax' });

      // Session and consent exist: no page is shown, the code comes straight back.
      const silent = await authorization({ prompt: 'none' });
      await page.goto(silent.url);
      const back = await callback(page);
      expect(back.searchParams.get('error')).to.equal(null);
      const again = await redeem(back, silent);
      expect(again.claims.sub).to.equal(claims.sub);
    } finally {
      await context.close();
    }
  });

  it('completes sign-in and consent with JavaScript disabled', async () => {
    const context = await chromium!.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const request = await authorization({ ui_locales: 'en' });
      await page.goto(request.url);
      // The national form, read in the default country (NO).
      const callbackUrl = await signInAndConsent(page, '412 55 002', '+4741255002');
      const { tokens, claims } = await redeem(callbackUrl, request);
      const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
      expect(userinfo).to.include({ phone_number: '+4741255002', phone_number_verified: true });
    } finally {
      await context.close();
    }
  });

  it('signs the user out through RP-initiated logout, after which prompt=none needs a sign-in', async () => {
    const context = await chromium!.newContext();
    try {
      const page = await context.newPage();
      const request = await authorization();
      await page.goto(request.url);
      const { tokens } = await redeem(await signInAndConsent(page, '+47 412 55 003', '+4741255003'), request);

      const logout = oidc.buildEndSessionUrl(rp, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: loggedOutUri,
        state: 'bye',
      });
      await page.goto(logout.href);
      await page.getByRole('heading', { name: 'Sign out of Tessera?' }).waitFor();
      await page.getByRole('button', { name: 'Yes, sign out' }).click();
      await page.waitForURL((url) => url.href.startsWith(loggedOutUri), { timeout: 10_000 });
      expect(new URL(page.url()).searchParams.get('state')).to.equal('bye');

      const silent = await authorization({ prompt: 'none' });
      await page.goto(silent.url);
      const back = await callback(page);
      expect(back.searchParams.get('error')).to.equal('login_required');
      expect(back.searchParams.get('state')).to.equal(silent.state);
    } finally {
      await context.close();
    }
  });
});
