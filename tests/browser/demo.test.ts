import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { ClientCommands } from '../../application/catalog/client-commands.js';
import type { CommandHandler } from '../../application/kernel/command-handler.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { seedDemoShop } from '../../infrastructure/demo-seed.js';
import type { DemoShopConfig } from '../../infrastructure/http/demo/demo-config.js';
import { createDemoShopRouter } from '../../infrastructure/http/demo/demo-router.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { launchChromium } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A front door for the browser: one origin (set as PUBLIC_URL, so it is Tessera's issuer) that
 * passes every request on to the Tessera server, as a reverse proxy would in front of `npm start`.
 */
interface FrontDoor {
  readonly url: string;
  /** Set once Tessera listens. */
  target: { readonly port: number } | null;
  close(): Promise<void>;
}

async function openFrontDoor(): Promise<FrontDoor> {
  const door: Omit<FrontDoor, 'url' | 'close'> = { target: null };
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: door.target!.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(door, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/**
 * The demo as a newcomer meets it after `npm start`, in headless Chromium: the shop at /demo, the
 * sign-in through Tessera's OpenID Connect flow with a phone and the code from the development
 * outbox, the consent, a first purchase on Tessera's hosted payment page with a new card that is
 * saved, back at the shop with the access check now allowed, and a second purchase in one click that
 * never shows the payment page. No page may log a console error (where Chromium reports what the
 * content security policy blocked).
 */
describe('Browser: the demo shop in headless Chromium', function () {
  this.timeout(60_000);
  const PHONE = '+4741820001';
  let chromium: Browser | null = null;
  let server: TestServer | null = null;
  let door: FrontDoor | null = null;

  before(async function () {
    this.timeout(30_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    door = await openFrontDoor();
    server = await startTestServer({ env: { DEMO_SEED: 'true', PUBLIC_URL: door.url } });
    door.target = { port: server.server.port };
    const demo = server.server.demo;
    if (demo === null) throw new Error('DEMO_SEED=true seeded no demo provider');
    // The server seeded the shop's client under the public URL and serves the shop itself.
    expect(demo.shop?.url).to.equal(`${door.url}/demo`);
    await server.waitUntilReady();
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
    await door?.close();
  });

  async function outboxCode(to: string): Promise<string> {
    const res = await fetch(`${server!.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name }).waitFor();

  it('signs in through OIDC, buys on the hosted page with a new card, shows access allowed, then buys again in one click', async () => {
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      const visited: string[] = [];
      page.on('request', (r) => {
        if (r.isNavigationRequest()) visited.push(new URL(r.url()).pathname);
      });

      // The shop, signed out: products with prices and a sign-in, nothing to buy yet.
      await page.goto(`${door!.url}/demo`);
      await heading(page, 'Tessera Demo Media');
      expect(await page.locator('#products').innerText()).to.match(
        /Film rental, 48 hours · NOK\s49\.00 one purchase, access for 48 hours/,
      );
      expect(await page.locator('#products').innerText()).to.match(
        /Premium, monthly · NOK\s129\.00 per month, 14-day free trial/,
      );
      expect(await page.getByRole('button', { name: /^Buy / }).count()).to.equal(0);
      for (const path of ['/account', '/support', '/dashboard', '/docs', '/dev/outbox']) {
        expect(await page.locator(`#links a[href="${door!.url}${path}"]`).count(), path).to.equal(1);
      }

      // Sign-in: Tessera's pages, the code from the outbox, the consent for the shop.
      await page.getByRole('link', { name: 'Sign in' }).click();
      await heading(page, 'Sign in');
      expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
      await page.getByLabel('Phone number or email').fill(PHONE);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('6-digit code').fill(await outboxCode(PHONE));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(page, 'Allow access?');
      await page.getByRole('button', { name: 'Allow' }).click();

      // Back at the shop, signed in; the access check says no.
      await heading(page, 'Access to film-rental-48h: not allowed');
      expect(new URL(page.url()).pathname).to.equal('/demo');
      expect(await page.getByText(`Signed in as ${PHONE}`).count()).to.equal(1);
      expect(await page.locator('#access pre').innerText()).to.match(/"allowed": false/);

      // First purchase: nothing saved yet, so the hosted payment page takes the card and saves it.
      await page.getByRole('button', { name: 'Buy film rental, 48 hours (one click)' }).click();
      await heading(page, 'Film rental, 48 hours');
      expect(new URL(page.url()).pathname).to.match(/^\/pay\/[0-9a-f-]{36}$/);
      await page.getByLabel('Save the card for next time').check();
      await page.getByRole('button', { name: 'Pay with a new card' }).click();
      await heading(page, 'Add a card');
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiry (MM/YY)').fill('12/30');
      await page.getByLabel('Security code (CVC)').fill('123');
      await page.getByRole('button', { name: 'Save card' }).click();

      // Back at the shop: paid, and the access check flipped.
      await heading(page, 'Access to film-rental-48h: allowed');
      expect(new URL(page.url()).pathname).to.equal('/demo');
      const first = await page.getByRole('status').innerText();
      expect(first).to.match(
        /Thank you! Film rental, 48 hours \(NOK\s49\.00\) is paid: transaction [0-9a-f-]{36}/,
      );
      expect(await page.locator('#access pre').innerText()).to.match(/"allowed": true/);
      expect(visited.some((p) => p.startsWith('/pay/'))).to.equal(true);
      expect(errors, errors.join('\n')).to.deep.equal([]);

      // Second purchase: one click with the saved card, no payment page on the way.
      visited.length = 0;
      await page.getByRole('button', { name: 'Buy film rental, 48 hours (one click)' }).click();
      await page.getByRole('status').filter({ hasText: 'Thank you!' }).waitFor();
      const second = await page.getByRole('status').innerText();
      expect(second).to.not.equal(first);
      expect(visited).to.deep.equal(['/demo/buy', '/demo/return', '/demo']);
      await heading(page, 'Access to film-rental-48h: allowed');
      expect(errors, errors.join('\n')).to.deep.equal([]);

      // Signing out ends the shop's session and Tessera's, and comes back to the shop.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading(page, 'Sign out of Tessera?');
      await page.getByRole('button', { name: 'Yes, sign out' }).click();
      await page.getByRole('link', { name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).to.equal('/demo');
      expect(await page.locator('#access').count()).to.equal(0);
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});

/**
 * The shop's guards over plain HTTP (no browser needed): unconfigured it answers 503; its sign-in
 * request is a proper authorization request (PKCE S256, state, nonce, its own redirect URI) bound
 * to the browser by a cookie on the shop's path; a callback with another state is refused; buying
 * needs a session.
 */
describe('HTTP: the demo shop’s sign-in request and guards', function () {
  this.timeout(30_000);
  let server: TestServer;
  let shopServer: Server;
  let shopUrl: string;
  let configured: DemoShopConfig | null = null;

  before(async () => {
    server = await startTestServer({ env: { DEMO_SEED: 'true' } });
    const app = express();
    const container = server.server.container;
    app.use(
      '/demo',
      createDemoShopRouter({
        config: () => configured,
        store: container.get<EphemeralStore>(TOKENS.EphemeralStore),
      }),
    );
    shopServer = createServer(app);
    await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shopServer.address() as AddressInfo).port}/demo`;
  });

  after(async () => {
    shopServer?.closeAllConnections();
    await new Promise((resolve) => shopServer?.close(resolve));
    await server?.close();
  });

  it('answers 503 until the seed has configured it', async () => {
    const res = await fetch(shopUrl);
    expect(res.status).to.equal(503);
    expect(await res.text()).to.include('The demo shop is starting');
  });

  it('sends the browser to the authorization endpoint with PKCE, state and nonce, and refuses a foreign state', async () => {
    const demo = server.server.demo!;
    const container = server.server.container;
    configured = (
      await seedDemoShop(
        {
          clients: container.get(ClientCommands),
          handler: container.get<CommandHandler>(TOKENS.CommandHandler),
          dataDir: server.dataDir,
        },
        demo,
        { issuer: server.url, internalUrl: server.url, shopUrl },
      )
    ).config;

    const home = await fetch(shopUrl);
    expect(home.status).to.equal(200);
    expect(home.headers.get('content-security-policy')).to.match(/^default-src 'none';/);
    expect(home.headers.get('content-security-policy')).to.not.include('script-src');
    expect(await home.text()).to.include(`<a href="/demo/login">`);

    const login = await fetch(`${shopUrl}/login`, { redirect: 'manual' });
    expect(login.status).to.equal(303);
    const to = new URL(login.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).to.equal(`${server.url}/oauth/authorize`);
    const q = to.searchParams;
    expect(q.get('client_id')).to.equal(configured.clientId);
    expect(q.get('response_type')).to.equal('code');
    expect(q.get('redirect_uri')).to.equal(`${shopUrl}/callback`);
    expect(q.get('code_challenge_method')).to.equal('S256');
    expect(q.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('nonce')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('scope')!.split(' ')).to.include.members(['openid', 'payment.transactions.write']);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('tessera_demo_login='))!;
    expect(cookie).to.match(/Path=\/demo/);
    expect(cookie).to.match(/HttpOnly/);

    // The code comes back with a state this browser did not start: refused, no session.
    const pair = cookie.split(';')[0]!;
    const callback = await fetch(`${shopUrl}/callback?code=abc&state=${'x'.repeat(43)}`, {
      headers: { cookie: pair },
      redirect: 'manual',
    });
    expect(callback.status).to.equal(400);
    expect(callback.headers.getSetCookie().some((c) => c.startsWith('tessera_demo='))).to.equal(false);
    // The real state without the browser's cookie (another browser) is refused as well.
    const replay = await fetch(`${shopUrl}/callback?code=abc&state=${q.get('state')}`, {
      redirect: 'manual',
    });
    expect(replay.status).to.equal(400);
  });

  it('buys only for a signed-in person', async () => {
    const res = await fetch(`${shopUrl}/buy`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'sku=film-rental-48h&order=demo-aaaaaaaaaaaaaaaaaaaaaaaa&csrf=x',
      redirect: 'manual',
    });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/demo');
  });
});
