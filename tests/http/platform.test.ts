import { expect } from 'chai';
import { statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import type { ClientCommands } from '../../application/catalog/client-commands.js';
import type { ClientQueries } from '../../application/catalog/client-queries.js';
import { OidcSlot } from '../../infrastructure/oidc/tessera-oidc.js';
import type { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { Logger } from '../../application/ports/logger.js';
import { createApp, type AppDeps } from '../../infrastructure/http/app.js';
import type { ProjectionHealth } from '../../infrastructure/http/metrics.js';
import { DEMO_PROVIDER_NAME } from '../../infrastructure/demo-seed.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Captures pino's JSON lines. */
function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  return {
    lines,
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  };
}

describe('HTTP: platform endpoints, headers, logs', function () {
  this.timeout(30_000);

  describe('on a running server', () => {
    let t: TestServer;
    const logs = logCapture();

    before(async () => {
      t = await startTestServer({
        env: { LOG_LEVEL: 'info', DEMO_SEED: 'true' },
        logDestination: logs.destination,
      });
      await t.waitUntilReady();
    });
    after(async () => {
      await t?.close();
    });

    it('/healthz answers while the process runs', async () => {
      const res = await t.request('GET', '/healthz', { token: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('/readyz reports each projection once they are live', async () => {
      const res = await t.request('GET', '/readyz', { token: null });
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('ready');
      const catalog = res.body.projections.find((p: ProjectionHealth) => p.name === 'catalog');
      expect(catalog).to.include({ state: 'live', lag: 0 });
      expect(catalog.position).to.be.greaterThan(0);
    });

    it('/metrics exposes projection lag and position, and request durations by route template', async () => {
      const product = await t.request('GET', `/admin/v1/providers/${t.server.demo!.providerId}`);
      expect(product.status).to.equal(200);
      const res = await t.request('GET', '/metrics', { token: null });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      const text = res.body as string;
      expect(text).to.match(/^tessera_projection_lag_events\{projection="catalog"\} 0$/m);
      const position = /^tessera_projection_position\{projection="catalog"\} (\d+)$/m.exec(text);
      expect(Number(position?.[1])).to.be.greaterThan(0);
      expect(text).to.match(
        /^tessera_http_request_duration_seconds_count\{method="GET",route="\/admin\/v1\/providers\/:providerId",status="200"\} [1-9]/m,
      );
      expect(text).to.not.include(t.server.demo!.providerId);
      expect(text).to.include('process_cpu_user_seconds_total');
    });

    it('echoes a sane X-Correlation-Id and replaces anything else with a UUID v7', async () => {
      const kept = await t.request('GET', '/healthz', {
        headers: { 'x-correlation-id': 'order-42.retry_1' },
      });
      expect(kept.headers.get('x-correlation-id')).to.equal('order-42.retry_1');
      for (const bad of ['has space', 'x'.repeat(200), '-leading-dash', '<script>']) {
        const res = await t.request('GET', '/healthz', { headers: { 'x-correlation-id': bad } });
        expect(res.headers.get('x-correlation-id')).to.match(
          /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }
      const generated = await t.request('GET', '/healthz');
      expect(generated.headers.get('x-correlation-id')).to.match(/^[0-9a-f-]{36}$/);
    });

    it('puts the correlation id into problem bodies', async () => {
      const res = await t.request('GET', '/admin/v1/providers', {
        token: null,
        headers: { 'x-correlation-id': 'corr-401' },
      });
      expect(res.status).to.equal(401);
      expect(res.body.correlationId).to.equal('corr-401');
    });

    it('sends security headers and no X-Powered-By', async () => {
      const res = await t.request('GET', '/admin/v1/providers');
      expect(res.headers.get('x-powered-by')).to.equal(null);
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(res.headers.get('content-security-policy')).to.include("default-src 'none'");
      expect(res.headers.get('cache-control')).to.equal('no-store');
    });

    it('logs one JSON line per request with route template, status, duration and correlation id, never the token', async () => {
      const id = t.server.demo!.providerId;
      await t.request('GET', `/admin/v1/providers/${id}/products?limit=1`, {
        headers: { 'x-correlation-id': 'log-check-1' },
      });
      await new Promise((r) => setTimeout(r, 20));
      const line = logs.lines.find((l) => l.correlationId === 'log-check-1' && l.msg === 'request');
      expect(line).to.include({
        method: 'GET',
        route: '/admin/v1/providers/:providerId/products',
        status: 200,
        level: 'info',
        service: 'tessera',
      });
      expect(line?.durationMs).to.be.a('number');
      const all = JSON.stringify(logs.lines);
      expect(all).to.not.include(t.adminToken);
      expect(all.toLowerCase()).to.not.include('authorization');
    });

    it('seeded the demo provider with a one-time SKU and a monthly plan', async () => {
      const demo = t.server.demo!;
      const provider = await t.request('GET', `/admin/v1/providers/${demo.providerId}`);
      expect(provider.body.name).to.equal(DEMO_PROVIDER_NAME);
      const products = await t.request('GET', `/admin/v1/providers/${demo.providerId}/products`);
      const bySku = Object.fromEntries(products.body.items.map((p: { sku: string }) => [p.sku, p]));
      expect(bySku['film-rental-48h']).to.deep.include({
        kind: 'one_time',
        price: { amount: 4900, currency: 'NOK' },
        vatRate: 2500,
        timeSpec: 'PT48H',
      });
      expect(bySku['premium-monthly']).to.deep.include({
        kind: 'subscription',
        price: { amount: 12900, currency: 'NOK' },
        period: 'P1M',
        trial: 'P14D',
      });
    });
  });

  describe('across restarts on one DATA_DIR', () => {
    let dataDir: string;
    before(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'tessera-restart-'));
    });
    after(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('seeds the demo once, keeps the generated admin token (mode 0600), and serves the same data', async () => {
      const first = await startTestServer({ dataDir, env: { DEMO_SEED: 'true' } });
      const demo1 = first.server.demo!;
      const token1 = first.adminToken;
      expect(demo1.created).to.equal(true);
      expect(first.server.adminToken).to.include({ source: 'file', generated: true });
      expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).to.equal(0o600);
      expect(token1.length).to.be.at.least(32);
      await first.close();

      const second = await startTestServer({ dataDir, env: { DEMO_SEED: 'true' } });
      try {
        expect(second.adminToken).to.equal(token1);
        expect(second.server.adminToken.generated).to.equal(false);
        const { shop: shop1, ...seeded1 } = demo1;
        const { shop: shop2, ...seeded2 } = second.server.demo!;
        expect(seeded2).to.deep.equal({ ...seeded1, created: false });
        // The demo shop's client is the same, with the same secret, moved to the new port.
        expect(shop2!.clientId).to.equal(shop1!.clientId);
        expect(shop2!.config.clientSecret).to.equal(shop1!.config.clientSecret);
        expect(shop2!.changes).to.deep.equal(['redirect_uris_updated']);
        await second.waitUntilReady();
        const list = await second.request('GET', '/admin/v1/providers');
        expect(list.body.items.filter((p: { name: string }) => p.name === DEMO_PROVIDER_NAME)).to.have.length(
          1,
        );
        const products = await second.request('GET', `/admin/v1/providers/${demo1.providerId}/products`);
        expect(products.body.items).to.have.length(2);
      } finally {
        await second.close();
      }
    });
  });

  describe('createApp with stand-in dependencies', () => {
    let server: Server;
    let base: string;
    let health: ProjectionHealth[];
    let waitResult: boolean;
    const errors: Array<Record<string, unknown>> = [];

    const captureLogger = (bindings: Record<string, unknown> = {}): Logger => ({
      debug() {},
      info() {},
      warn() {},
      error(fields) {
        errors.push({ ...bindings, ...fields });
      },
      child(more) {
        return captureLogger({ ...bindings, ...more });
      },
    });

    before(async () => {
      const deps: AppDeps = {
        logger: captureLogger(),
        adminToken: 'a'.repeat(40),
        catalogCommands: {
          async registerProvider() {
            return { id: '01900000-0000-7000-8000-00000000000a', position: 9, deduplicated: false };
          },
        } as unknown as CatalogCommands,
        catalogQueries: {
          async getProvider() {
            throw new Error('database password is hunter2');
          },
          async listProviders() {
            return { items: [], nextCursor: null };
          },
        } as unknown as CatalogQueries,
        clientCommands: {} as unknown as ClientCommands,
        clientQueries: {} as unknown as ClientQueries,
        oidc: new OidcSlot(),
        views: {
          view() {
            throw new Error('not used');
          },
          async waitFor() {
            return waitResult;
          },
        },
        headPosition: async () => 10,
        projections: { status: async () => health },
        readyMaxLag: 5,
        readAfterWriteTimeoutMs: 10,
      };
      server = createServer(createApp(deps).app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => server.close(r));
    });

    const auth = { authorization: `Bearer ${'a'.repeat(40)}` };

    it('answers 500 problem+json without internals, and logs the error with the correlation id', async () => {
      const res = await fetch(`${base}/admin/v1/providers/01900000-0000-7000-8000-000000000000`, {
        headers: { ...auth, 'x-correlation-id': 'boom-1' },
      });
      expect(res.status).to.equal(500);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const text = await res.text();
      expect(text).to.not.include('hunter2');
      expect(text).to.not.include('at ');
      expect(JSON.parse(text)).to.include({ status: 500, code: 'internal_error', correlationId: 'boom-1' });
      const logged = errors.find((e) => e.correlationId === 'boom-1' && e.err);
      expect(JSON.stringify(logged)).to.include('hunter2');
    });

    it('/readyz is 503 while a projection is catching up or too far behind, 200 when live and close', async () => {
      health = [{ name: 'catalog', state: 'catching_up', position: 9, lag: 1 }];
      expect((await fetch(`${base}/readyz`)).status).to.equal(503);
      health = [{ name: 'catalog', state: 'live', position: 1, lag: 6 }];
      const lagging = await fetch(`${base}/readyz`);
      expect(lagging.status).to.equal(503);
      expect(((await lagging.json()) as { status: string }).status).to.equal('not_ready');
      health = [{ name: 'catalog', state: 'live', position: 5, lag: 5 }];
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    });

    it('answers 503 with Retry-After when minPosition is not reached in time', async () => {
      waitResult = false;
      const res = await fetch(`${base}/admin/v1/providers?minPosition=7`, { headers: auth });
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('1');
      expect(((await res.json()) as { code: string }).code).to.equal('position_not_reached');
      waitResult = true;
      expect((await fetch(`${base}/admin/v1/providers?minPosition=7`, { headers: auth })).status).to.equal(
        200,
      );
    });

    it('answers a write with 202, its location and position when the projection does not catch up in time', async () => {
      waitResult = false;
      const res = await fetch(`${base}/admin/v1/providers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Slow' }),
      });
      expect(res.status).to.equal(202);
      expect(res.headers.get('location')).to.equal(
        '/admin/v1/providers/01900000-0000-7000-8000-00000000000a',
      );
      expect(res.headers.get('tessera-position')).to.equal('9');
      expect(await res.json()).to.deep.equal({ id: '01900000-0000-7000-8000-00000000000a', position: 9 });
    });
  });
});
