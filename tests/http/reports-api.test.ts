import { expect } from 'chai';
import type { RevenueReport, SubscriptionReport } from '../../application/reports/report-queries.js';
import { reportsRouter, serve } from '../support/reports-app.js';
import { DAY_MS, ReportsWorld } from '../support/reports-world.js';

const nok = (amount: number) => ({ amount, currency: 'NOK' });
const FILM = { sku: 'film', name: 'Film', price: nok(4900), vatRate: 2500 };

/**
 * GET /v1/reports/… over HTTP with real client_credentials tokens: the `reports.read` scope, JSON
 * and CSV, problem+json with field paths for bad periods, and strict isolation between providers.
 */
describe('HTTP: provider reports', function () {
  this.timeout(60_000);
  let world: ReportsWorld;
  let api: { url: string; close(): Promise<void> };
  let acmeToken: string;
  let betaToken: string;
  const period = 'from=2026-03-01&to=2026-03-05';

  before(async () => {
    world = await ReportsWorld.start();
    api = await serve((app) => app.use('/v1', reportsRouter(world)));
    const buyer = await world.user();
    await world.signIn(buyer, world.acme.clientId);
    const film = await world.purchase(world.acme, buyer, nok(4900), [FILM]);
    await world.purchase(world.acme, buyer, { amount: 250, currency: 'EUR' }, []);
    await world.subscribe(world.acme, buyer, 'premium');
    await world.advance(DAY_MS);
    await world.refund(world.acme, film, nok(1000));
    const other = await world.user();
    await world.purchase(world.beta, other, nok(777), [
      { sku: 'beta-only', name: 'B', price: nok(777), vatRate: 0 },
    ]);
    await world.caughtUp();
    acmeToken = await world.clientToken(world.acme.providerId, ['reports.read']);
    betaToken = await world.clientToken(world.beta.providerId, ['reports.read']);
  });

  after(async () => {
    await api?.close();
    await world?.close();
  });

  async function get(path: string, token: string | null = acmeToken) {
    const res = await fetch(
      api.url + path,
      token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      type,
      headers: res.headers,
      text,
      body: /json/.test(type) ? JSON.parse(text) : null,
    };
  }

  it('answers the revenue of the calling provider by day, currency and SKU', async () => {
    const res = await get(`/v1/reports/revenue?${period}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const report = res.body as RevenueReport;
    expect(report.providerId).to.equal(world.acme.providerId);
    expect(report.currencies.map((c) => c.currency)).to.deep.equal(['EUR', 'NOK']);
    const nokReport = report.currencies.find((c) => c.currency === 'NOK')!;
    expect(nokReport.days).to.have.length(5);
    expect(nokReport.totals).to.include({
      gross: 4900,
      refunds: 1000,
      net: 3900,
      vat: 980,
      refundVat: 200,
      netVat: 780,
    });
    expect(nokReport.days[0]).to.include({ day: '2026-03-01', gross: 4900, refunds: 0 });
    expect(nokReport.days[1]).to.include({ day: '2026-03-02', refunds: 1000 });
    expect(report.rows.map((r) => `${r.day} ${r.currency} ${r.sku}`)).to.deep.equal([
      '2026-03-01 EUR (none)',
      '2026-03-01 NOK film',
      '2026-03-02 NOK film',
    ]);
    const eur = await get(`/v1/reports/revenue?${period}&currency=EUR`);
    expect((eur.body as RevenueReport).currencies.map((c) => c.currency)).to.deep.equal(['EUR']);
  });

  it('renders CSV with the same rows', async () => {
    const res = await get(`/v1/reports/revenue?${period}&format=csv`);
    expect(res.status).to.equal(200);
    expect(res.type).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.equal(
      'attachment; filename="revenue-2026-03-01-2026-03-05.csv"',
    );
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).to.equal(
      'day,currency,sku,gross,refunds,net,vat,refund_vat,net_vat,captures,refund_count',
    );
    expect(lines.slice(1)).to.deep.equal([
      '2026-03-01,EUR,(none),250,0,250,50,0,50,1,0',
      '2026-03-01,NOK,film,4900,0,4900,980,0,980,1,0',
      '2026-03-02,NOK,film,0,1000,-1000,0,200,-200,0,1',
    ]);
    const subs = await get(`/v1/reports/subscriptions?${period}&format=csv`);
    const subLines = subs.text.trimEnd().split('\r\n');
    expect(subLines[0]).to.equal('day,active,new,churned,trial_starts,trial_conversions');
    expect(subLines[1]).to.equal('2026-03-01,1,1,0,1,0');
    expect(subLines).to.have.length(6);
    const conv = await get(`/v1/reports/conversion?${period}&format=csv`);
    expect(conv.text.split('\r\n').slice(0, 3)).to.deep.equal([
      'day,signed_in,converted,first_purchases,rate',
      '2026-03-01,1,1,1,1',
      '2026-03-02,0,0,0,',
    ]);
  });

  it('answers subscriptions and conversion as JSON series with totals', async () => {
    const subs = (await get(`/v1/reports/subscriptions?${period}`)).body as SubscriptionReport;
    expect(subs.days.map((d) => d.active)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(subs.totals).to.deep.equal({
      activeAtStart: 0,
      activeAtEnd: 1,
      new: 1,
      churned: 0,
      trialStarts: 1,
      trialConversions: 0,
    });
    const conv = await get(`/v1/reports/conversion?${period}`);
    expect(conv.body.totals).to.deep.equal({ signedIn: 1, converted: 1, firstPurchases: 1, rate: 1 });
  });

  it('never shows one provider another’s data', async () => {
    const beta = (await get(`/v1/reports/revenue?${period}`, betaToken)).body as RevenueReport;
    expect(beta.providerId).to.equal(world.beta.providerId);
    expect(beta.rows.map((r) => r.sku)).to.deep.equal(['beta-only']);
    expect(beta.currencies.map((c) => [c.currency, c.totals.gross])).to.deep.equal([['NOK', 777]]);
    const subs = await get(`/v1/reports/subscriptions?${period}`, betaToken);
    expect(subs.body.totals.new).to.equal(0);
    const conv = await get(`/v1/reports/conversion?${period}`, betaToken);
    expect(conv.body.totals.signedIn).to.equal(0);
    // A provider cannot be named: a stray parameter is ignored, the caller's provider is answered.
    const named = await get(`/v1/reports/revenue?${period}&providerId=${world.acme.providerId}`, betaToken);
    expect(named.body.providerId).to.equal(world.beta.providerId);
  });

  it('requires a token with reports.read', async () => {
    const none = await get(`/v1/reports/revenue?${period}`, null);
    expect(none.status).to.equal(401);
    const backend = await world.acme.token();
    const wrong = await get(`/v1/reports/revenue?${period}`, backend);
    expect(wrong.status).to.equal(403);
    expect(wrong.body).to.include({ code: 'insufficient_scope' });
    expect(wrong.headers.get('www-authenticate')).to.include('scope="reports.read"');
  });

  it('refuses bad periods and parameters with problem+json naming the fields', async () => {
    const cases: [string, string[]][] = [
      ['', ['query.from', 'query.to']],
      ['from=2026-02-30&to=2026-03-01', ['query.from']],
      ['from=2026-03-05&to=2026-03-01', ['query.to']],
      ['from=2025-01-01&to=2026-01-02', ['query.to']],
      [`${period}&format=xml`, ['query.format']],
      [`${period}&currency=nok`, ['query.currency']],
    ];
    for (const [query, paths] of cases) {
      const res = await get(`/v1/reports/revenue?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.type).to.match(/^application\/problem\+json/);
      expect(res.body.code).to.equal('invalid_request');
      expect([...new Set(res.body.errors.map((e: { path: string }) => e.path))], query).to.have.members(
        paths,
      );
    }
    const year = await get('/v1/reports/subscriptions?from=2025-01-01&to=2026-01-01');
    expect(year.status, 'a period of exactly 366 days is fine').to.equal(200);
    expect(year.body.days).to.have.length(366);
  });
});
