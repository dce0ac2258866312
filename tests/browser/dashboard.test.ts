import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { silentLogger } from '../../application/ports/logger.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { AccountSessions } from '../../infrastructure/http/account/account-session.js';
import type { TesseraApp } from '../../infrastructure/http/app.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import {
  createDashboardRouter,
  DASHBOARD_SESSION_SCOPE,
} from '../../infrastructure/http/dashboard/dashboard-router.js';
import { errorHandler } from '../../infrastructure/http/error-handler.js';
import { securityHeaders } from '../../infrastructure/http/security-headers.js';
import { OidcUserSessions } from '../../infrastructure/oidc/user-sessions.js';
import type { OidcSlot } from '../../infrastructure/oidc/tessera-oidc.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { launchChromium } from '../support/chromium.js';
import { DAY_MS, ReportsWorld } from '../support/reports-world.js';

const nok = (amount: number) => ({ amount, currency: 'NOK' });

/**
 * The provider dashboard in headless Chromium: a staff member signs in through Tessera's own
 * provider, meets the 403 page until the staff directory gives them providers, then sees totals and
 * three Chart.js charts, switches provider and period, and downloads CSV, all under the strict
 * content security policy (any violation is a console error and fails the test).
 *
 * The dashboard router is served by a small front server that hands every other path to the real
 * app, and that front server's address is the issuer (PUBLIC_URL): the sign-in's callback must be
 * on the issuer's origin, as it is when the lead mounts the router in the app.
 */
describe('Browser: the provider dashboard in headless Chromium', function () {
  this.timeout(60_000);
  const PHONE = '+4741819901';
  let chromium: Browser | null = null;
  let world: ReportsWorld | null = null;
  let front: Server | null = null;
  let url: string;
  const staff = new Map<string, string[]>();

  before(async function () {
    this.timeout(60_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    let handler: RequestListener = (_req, res) => {
      res.statusCode = 503;
      res.end();
    };
    front = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => front!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    world = await ReportsWorld.start({ env: { PUBLIC_URL: url } });
    const container = world.server.server.container;
    const dashboard = createDashboardRouter({
      provider: () => container.get<OidcSlot>(TOKENS.OidcSlot).provider(),
      sessions: new AccountSessions({
        store: container.get<EphemeralStore>(TOKENS.EphemeralStore),
        sessions: container.get(OidcUserSessions),
        clock: world.clock,
        scope: DASHBOARD_SESSION_SCOPE,
      }),
      staff: { providersOf: async (sub) => staff.get(sub) ?? [] },
      reports: world.queries,
      providerName: async (id) => (await container.get(CatalogQueries).getProvider(id)).name,
      clock: world.clock,
    });
    const tessera = container.get<TesseraApp>(TOKENS.HttpApp).app;
    const app = express();
    app.set('query parser', 'simple');
    app.use(correlation(silentLogger));
    app.use(securityHeaders());
    app.use((req, res, next) =>
      req.path.startsWith('/dashboard') ? dashboard(req, res, next) : tessera(req, res, next),
    );
    app.use(errorHandler());
    handler = app;

    // Acme: a film bought on day one and partly refunded on day two, a trial subscription; Beta: one sale.
    const buyer = await world.user();
    await world.signIn(buyer, world.acme.clientId);
    const film = await world.purchase(world.acme, buyer, nok(4900), [
      { sku: 'film', name: 'Film', price: nok(4900), vatRate: 2500 },
    ]);
    await world.subscribe(world.acme, buyer, 'premium');
    await world.advance(DAY_MS);
    await world.refund(world.acme, film, nok(1000));
    await world.subscribe(world.acme, await world.user(), 'basic');
    await world.purchase(world.beta, await world.user(), nok(1500), []);
    await world.caughtUp();
  });

  after(async () => {
    await chromium?.close();
    if (front) await new Promise<void>((resolve) => front!.close(() => resolve()));
    await world?.close();
  });

  async function watched(locale = 'en-GB'): Promise<{ page: Page; errors: string[] }> {
    const context = await chromium!.newContext({ locale });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      // The 403 pages this test asks for (and the favicon no page has) are expected; every script,
      // style or policy failure ("Refused to …") is not.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    return { page, errors };
  }

  const SIGN_IN_TEXTS = {
    en: { title: 'Sign in', identifier: 'Phone number or email', next: 'Continue', code: '6-digit code' },
    nb: {
      title: 'Logg inn',
      identifier: 'Telefonnummer eller e-post',
      next: 'Fortsett',
      code: 'Sekssifret kode',
    },
  };

  async function signIn(page: Page, lang: 'en' | 'nb' = 'en'): Promise<void> {
    const t = SIGN_IN_TEXTS[lang];
    world!.clock.advance(61_000);
    await page.getByRole('heading', { name: t.title }).waitFor();
    await page.getByLabel(t.identifier).fill(PHONE);
    await page.getByRole('button', { name: t.next }).click();
    const res = await fetch(`${url}/dev/outbox/latest?to=${encodeURIComponent(PHONE)}`);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)![1]!;
    await page.getByLabel(t.code).fill(code);
    await page.getByRole('button', { name: t.title }).click();
  }

  /*
   * Page-side pixel counting, as source text: the tests are compiled without the DOM library. The
   * first decodes a PNG (a screenshot) in the page and counts its non-white pixels; the second
   * counts the pixels a chart drew on its canvas (any alpha).
   */
  const COUNT_INK = `async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) ink++;
    return ink;
  }`;
  const COUNT_DRAWN = `(id) => {
    const canvas = document.getElementById(id);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
    return drawn;
  }`;

  /** Non-blank pixels of a screenshot of the element. */
  async function inkInScreenshot(page: Page, selector: string): Promise<number> {
    const png = (await page.locator(selector).screenshot()).toString('base64');
    return page.evaluate(`(${COUNT_INK})(${JSON.stringify(png)})`);
  }

  /** Pixels the chart drew on its canvas, read back from the canvas itself. */
  const drawnPixels = (page: Page, id: string): Promise<number> =>
    page.evaluate(`(${COUNT_DRAWN})(${JSON.stringify(id)})`);

  it('signs staff in, refuses an account without providers, then draws the reports of each provider', async () => {
    const { page, errors } = await watched();
    await page.goto(`${url}/dashboard`);
    await signIn(page);
    await page.getByRole('heading', { name: 'No access' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/dashboard');

    const sub = await world!.server.server.container
      .get(UserQueries)
      .findByIdentifier({ kind: 'phone', value: PHONE });
    staff.set(sub!, [world!.acme.providerId, world!.beta.providerId]);
    const res = await page.goto(`${url}/dashboard`);
    expect(res!.status()).to.equal(200);
    expect(res!.headers()['content-security-policy']).to.include("script-src 'self'");
    await page.getByRole('heading', { name: 'Provider dashboard – Acme' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).to.include('NOK 49.00').and.include('NOK 10.00').and.include('NOK 39.00');
    for (const id of ['revenue-chart', 'subscriptions-chart', 'conversion-chart']) {
      await page.locator(`#${id}[data-rendered="true"]`).waitFor();
      expect(await drawnPixels(page, id), id).to.be.greaterThan(500);
      expect(await inkInScreenshot(page, `#${id}`), `${id} screenshot`).to.be.greaterThan(500);
    }

    // CSV with the dashboard's session (the cookie lives under /dashboard).
    const href = await page.getByRole('link', { name: 'Revenue (CSV)' }).getAttribute('href');
    const download = await page.context().request.get(`${url}${href!}`);
    expect(download.headers()['content-type']).to.match(/^text\/csv/);
    const csv = await download.text();
    expect(csv.split('\r\n')[0]).to.equal(
      'day,currency,sku,gross,refunds,net,vat,refund_vat,net_vat,captures,refund_count',
    );
    expect(csv).to.include(',NOK,film,4900,0,4900,980,0,980,1,0');

    // The provider picker and the period.
    await page.getByLabel('Provider').selectOption({ label: 'Beta' });
    await page.getByLabel('From', { exact: true }).fill('2026-03-01');
    await page.getByLabel('To', { exact: true }).fill('2026-03-03');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('heading', { name: 'Provider dashboard – Beta' }).waitFor();
    expect(await page.locator('main').innerText())
      .to.include('NOK 15.00')
      .and.not.include('NOK 49.00');
    const island = JSON.parse((await page.locator('#dashboard-data').textContent())!) as { days: string[] };
    expect(island.days).to.deep.equal(['2026-03-01', '2026-03-02', '2026-03-03']);
    await page.locator('#revenue-chart[data-rendered="true"]').waitFor();
    expect(await drawnPixels(page, 'revenue-chart')).to.be.greaterThan(500);

    // A provider not given to this account is refused.
    const other = await page.goto(`${url}/dashboard?provider=0190f3c2-7a1b-7c3d-8e4f-000000000999`);
    expect(other!.status()).to.equal(403);
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });

  it('speaks Norwegian to a Norwegian browser', async () => {
    const { page, errors } = await watched('nb-NO');
    await page.goto(`${url}/dashboard`);
    await signIn(page, 'nb');
    await page.getByRole('heading', { name: 'Tilbyderoversikt – Acme' }).waitFor();
    await page.locator('#revenue-chart[data-rendered="true"]').waitFor();
    expect(errors).to.deep.equal([]);
    await page.context().close();
  });
});
