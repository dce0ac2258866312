import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ManualClock } from '../../infrastructure/clock.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
};

/**
 * The access check answered from remembered tokens and providers (the fast path ahead of the /v1
 * routers) must answer exactly what the full route answers: same body and headers, time taken at
 * the request instant, every refusal and every unusual request still decided by the full route.
 */
describe('HTTP: access checks with a remembered token', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let beta: ProviderBackend;

  before(async () => {
    clock = new ManualClock(new Date('2026-06-01T10:00:00.000Z'));
    server = await startTestServer({ clock });
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
    beta = await registerProviderBackend(server, 'Beta', [FILM]);
  });
  after(() => server.close());

  const check = (token: string, path: string, headers: Record<string, string> = {}) =>
    server.request('GET', path, { token, headers });

  it('answers the repeated check as the first one, headers included', async () => {
    const sub = randomUUID();
    const granted = await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h' });
    expect(granted.status).to.equal(201);
    const token = await acme.token();
    const first = await check(token, `/v1/users/${sub}/access?sku=film-48h`);
    const again = await check(token, `/v1/users/${sub}/access?sku=film-48h`, {
      'X-Correlation-Id': 'fast-path-1',
    });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    expect(again.body).to.deep.include({ allowed: true, rightId: granted.body.rightId, reason: 'active' });
    expect(again.headers.get('x-correlation-id')).to.equal('fast-path-1');
    for (const name of [
      'content-type',
      'cache-control',
      'x-content-type-options',
      'x-frame-options',
      'content-security-policy',
      'referrer-policy',
    ]) {
      expect(again.headers.get(name), name).to.equal(first.headers.get(name));
    }
    expect(again.headers.get('cache-control')).to.equal('no-store');
    expect(again.headers.get('etag')).to.equal(null);
    expect(again.headers.get('x-powered-by')).to.equal(null);
  });

  it('sends every header the full route sends and is logged and measured like it', async () => {
    const sub = randomUUID();
    expect((await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h' })).status).to.equal(201);
    const token = await acme.token();
    const path = `/v1/users/${sub}/access?sku=film-48h`;
    const route = `route="/v1/users/:sub/access",status="200"`;
    const measured = async (): Promise<number> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('tessera_http_request_duration_seconds_count') && l.includes(route));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    const before = await measured();
    const full = await check(token, path); // the first use of a token goes through the full route
    const fast = [await check(token, path), await check(token, path)];
    const comparable = (headers: Headers) =>
      [...headers].filter(([name]) => name !== 'date' && name !== 'x-correlation-id');
    for (const answer of fast) {
      expect(answer.body).to.deep.equal(full.body);
      expect(comparable(answer.headers)).to.deep.equal(comparable(full.headers));
      expect(answer.headers.get('x-correlation-id')).to.match(/^[0-9a-f-]{36}$/);
    }
    expect(fast[0]!.headers.get('x-correlation-id')).to.not.equal(fast[1]!.headers.get('x-correlation-id'));
    expect(await measured()).to.equal(before + 3);
  });

  it('derives the answer from the instant of each request', async () => {
    const sub = randomUUID();
    const validUntil = new Date(clock.now().getTime() + 2000).toISOString();
    expect(
      (await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h', validUntil })).status,
    ).to.equal(201);
    const token = await acme.token();
    const path = `/v1/users/${sub}/access?sku=film-48h`;
    expect((await check(token, path)).body).to.deep.include({ allowed: true, reason: 'active' });
    clock.advance(1999);
    expect((await check(token, path)).body).to.deep.include({
      allowed: true,
      at: '2026-06-01T10:00:01.999Z',
    });
    clock.advance(1);
    expect((await check(token, path)).body).to.deep.include({
      allowed: false,
      reason: 'expired',
      validUntil,
    });
  });

  it('leaves every other request to the full route, which decides and words it', async () => {
    const sub = randomUUID();
    const token = await acme.token();
    expect((await check(token, `/v1/users/${sub}/access?sku=film-48h`)).status).to.equal(200);
    const at = await check(token, `/v1/users/${sub}/access?sku=film-48h&at=2026-01-01T00:00:00Z`);
    expect(at.status).to.equal(200);
    expect(at.body).to.deep.include({ at: '2026-01-01T00:00:00.000Z', reason: 'no_right' });
    const me = await check(token, '/v1/users/me/access?sku=film-48h');
    expect(me.status).to.equal(400);
    expect(me.body.code).to.equal('user_required');
    const badSub = await check(token, '/v1/users/not-a-user/access?sku=film-48h');
    expect(badSub.status).to.equal(400);
    expect(badSub.body.errors[0].path).to.equal('params.sub');
    const badSku = await check(token, `/v1/users/${sub}/access?sku=${encodeURIComponent('no such sku')}`);
    expect(badSku.status).to.equal(400);
    expect(badSku.body.errors[0].path).to.equal('query.sku');
    const extra = await check(token, `/v1/users/${sub}/access?sku=film-48h&verbose=1`);
    expect(extra.status).to.equal(400);
    const twice = await check(token, `/v1/users/${sub}/access?sku=film-48h&sku=other`);
    expect(twice.status).to.equal(400);
  });

  it('keeps providers apart and refuses tokens without the scope, unknown or expired', async () => {
    const sub = randomUUID();
    expect((await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h' })).status).to.equal(201);
    const betaToken = await beta.token();
    for (let i = 0; i < 2; i++) {
      const other = await check(betaToken, `/v1/users/${sub}/access?sku=film-48h`);
      expect(other.body).to.deep.include({ allowed: false, rightId: null, reason: 'no_right' });
    }
    const narrow = await acme.token('events.read');
    for (let i = 0; i < 2; i++) {
      expect((await check(narrow, `/v1/users/${sub}/access?sku=film-48h`)).status).to.equal(403);
    }
    expect((await check('x'.repeat(43), `/v1/users/${sub}/access?sku=film-48h`)).status).to.equal(401);
    const token = await acme.token();
    expect((await check(token, `/v1/users/${sub}/access?sku=film-48h`)).status).to.equal(200);
    clock.advance(24 * 3600 * 1000);
    const expired = await check(token, `/v1/users/${sub}/access?sku=film-48h`);
    expect(expired.status).to.equal(401);
    expect(expired.body.code).to.equal('invalid_token');
  });
});
