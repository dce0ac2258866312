import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { silentLogger } from '../../application/ports/logger.js';
import { EventQueue } from '../../application/feed/event-queue.js';
import { ProviderFeed } from '../../application/feed/provider-feed.js';
import { WebhookService } from '../../application/feed/webhooks.js';
import { AesWebhookSecretSealer } from '../../infrastructure/feed/webhook-secret-sealer.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { createEventQueueRouter } from '../../infrastructure/http/event-queue-router.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { createWebhooksRouter } from '../../infrastructure/http/webhooks-router.js';
import { type FeedFixture, openFeedFixture } from '../support/feed-fixture.js';
import { UNKNOWN_ID } from '../support/catalog-api.js';

interface Res {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  body: any;
}

/**
 * The feed routers mounted as the application mounts routers (correlation id, JSON bodies,
 * problem+json), on real SQLite stores. The provider is named by a test header standing in for the
 * client_credentials token check the lead wires in.
 */
describe('HTTP: provider event queue and webhook admin routes', function () {
  this.timeout(20_000);
  let f: FeedFixture;
  let feed: ProviderFeed;
  let server: Server;
  let base: string;

  const call = async (method: string, path: string, options: { body?: unknown; provider?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.provider) headers['x-test-provider'] = options.provider;
    const res = await fetch(base + path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null } as Res;
  };
  const expectProblem = (res: Res, status: number, code: string) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(res.body.code).to.equal(code);
    return res.body as { errors?: Array<{ path: string; message: string }> };
  };

  before(async () => {
    f = openFeedFixture();
    feed = new ProviderFeed({ store: f.store, feed: f.feedStore, source: f.source, clock: f.clock });
    await feed.start();
    const sealer = new AesWebhookSecretSealer(randomBytes(32));
    const webhooks = new WebhookService({
      feed: f.feedStore,
      sealer,
      clock: f.clock,
      store: f.store,
      source: f.source,
    });
    const app = express();
    app.use(correlation(silentLogger));
    app.use(
      '/v1',
      createEventQueueRouter({
        queue: new EventQueue(f.feedStore, f.clock),
        resolveProvider: async (req) => {
          const id = req.get('x-test-provider');
          if (!id) throw new HttpProblem(401, 'unauthorized', 'Send a provider token.');
          return id;
        },
      }),
    );
    app.use(
      '/admin/v1',
      express.json(),
      createWebhooksRouter({
        webhooks,
        providerExists: async (id) => (await f.store.readStream(`provider-${id}`)).length > 0,
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await feed.stop();
    await f.close();
  });

  describe('event queue', () => {
    it('leases, redelivers after the lease and acknowledges, per provider', async () => {
      const a = await f.registerProvider('A');
      const b = await f.registerProvider('B');
      const { productId } = await f.addProduct(a, 'http-a');
      const { position } = await f.addProduct(b, 'http-b');
      await feed.waitFor(position);

      const next = await call('POST', '/v1/events/next', { provider: a, body: { max: 5, leaseSeconds: 10 } });
      expect(next.status).to.equal(200);
      expect(next.headers.get('cache-control')).to.equal('no-store');
      expect(next.body.messages).to.have.length(1);
      const [m] = next.body.messages;
      expect(m).to.include({ type: 'product.added', deliveryCount: 1 });
      expect(m.subject).to.deep.equal({ productId });
      expect(Object.keys(m).sort()).to.deep.equal([
        'data',
        'deliveryCount',
        'eventId',
        'id',
        'leaseExpiresAt',
        'leaseId',
        'occurredAt',
        'position',
        'subject',
        'type',
      ]);
      expect((await call('POST', '/v1/events/next', { provider: a })).body.messages).to.deep.equal([]);

      expectProblem(
        await call('POST', `/v1/events/${m.id}/ack`, { provider: b, body: { leaseId: m.leaseId } }),
        404,
        'message_not_found',
      );
      f.clock.advance(10_000);
      const again = (await call('POST', '/v1/events/next', { provider: a, body: {} })).body.messages[0];
      expect(again).to.include({ id: m.id, deliveryCount: 2 });
      expectProblem(
        await call('POST', `/v1/events/${m.id}/ack`, { provider: a, body: { leaseId: m.leaseId } }),
        409,
        'stale_lease',
      );
      const ack = await call('POST', `/v1/events/${m.id}/ack`, {
        provider: a,
        body: { leaseId: again.leaseId },
      });
      expect(ack.status).to.equal(204);
      f.clock.advance(60_000);
      expect((await call('POST', '/v1/events/next', { provider: a })).body.messages).to.deep.equal([]);
      expect((await call('POST', '/v1/events/next', { provider: b })).body.messages).to.have.length(1);
    });

    it('answers bad input with problem+json and field paths, and unauthenticated calls with 401', async () => {
      const p = UNKNOWN_ID;
      let problem = expectProblem(
        await call('POST', '/v1/events/next', {
          provider: p,
          body: { max: 0, leaseSeconds: 'long', extra: 1 },
        }),
        422,
        'validation_failed',
      );
      expect(problem.errors!.map((e) => e.path).sort()).to.deep.equal([
        'body',
        'body.leaseSeconds',
        'body.max',
      ]);
      problem = expectProblem(
        await call('POST', '/v1/events/next', { provider: p, body: { leaseSeconds: 43_201 } }),
        422,
        'validation_failed',
      );
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['body.leaseSeconds']);
      problem = expectProblem(
        await call('POST', '/v1/events/not-an-id/ack', { provider: p, body: { leaseId: UNKNOWN_ID } }),
        400,
        'invalid_request',
      );
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['params.id']);
      problem = expectProblem(
        await call('POST', `/v1/events/${UNKNOWN_ID}/ack`, { provider: p, body: {} }),
        422,
        'validation_failed',
      );
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['body.leaseId']);
      expectProblem(
        await call('POST', `/v1/events/${UNKNOWN_ID}/ack`, { provider: p, body: { leaseId: UNKNOWN_ID } }),
        404,
        'message_not_found',
      );
      expectProblem(await call('POST', '/v1/events/next', { body: {} }), 401, 'unauthorized');
      const malformed = await fetch(`${base}/v1/events/next`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-provider': p },
        body: '{"max":',
      });
      expect(malformed.status).to.equal(400);
    });
  });

  describe('webhook admin', () => {
    it('registers, shows, changes, lists deliveries, replays and removes an endpoint', async () => {
      const a = await f.registerProvider('Hooks');
      const path = `/admin/v1/providers/${a}/webhook`;
      expectProblem(await call('GET', path), 404, 'webhook_not_registered');

      const created = await call('PUT', path, { body: { url: 'https://hooks.example/tessera' } });
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ providerId: a, url: 'https://hooks.example/tessera' });
      expect(created.body.secret).to.match(/^whsec_/);
      const shown = await call('GET', path);
      expect(shown.status).to.equal(200);
      expect(shown.body).to.not.have.property('secret');
      expect(shown.body.url).to.equal('https://hooks.example/tessera');

      const changed = await call('PUT', path, { body: { url: 'http://127.0.0.1:9/dev' } });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.not.have.property('secret');
      const rotated = await call('PUT', path, {
        body: { url: 'http://127.0.0.1:9/dev', rotateSecret: true },
      });
      expect(rotated.body.secret)
        .to.match(/^whsec_/)
        .and.not.equal(created.body.secret);

      const { position } = await f.addProduct(a, 'hooked');
      await feed.waitFor(position);
      const log = await call('GET', `${path}/deliveries?limit=5`);
      expect(log.status).to.equal(200);
      expect(log.body.items).to.have.length(1);
      expect(log.body.items[0]).to.include({ status: 'pending', attemptCount: 0, replayOf: null });
      expect(log.body.items[0].message).to.include({ type: 'product.added', position });
      expect(log.body.items[0].message).to.not.have.property('providerId');

      const replay = await call('POST', `${path}/replay`, { body: { deliveryIds: [log.body.items[0].id] } });
      expect(replay.status).to.equal(202);
      expect(replay.body).to.deep.equal({ scheduled: 1, nextPosition: null });
      const fromPosition = await call('POST', `${path}/replay`, { body: { fromPosition: position } });
      expect(fromPosition.body).to.deep.equal({ scheduled: 1, nextPosition: null });
      const page1 = await call('GET', `${path}/deliveries?limit=2`);
      expect(page1.body.items).to.have.length(2);
      const page2 = await call(
        'GET',
        `${path}/deliveries?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
      );
      expect(page2.body.items).to.have.length(1);
      expect(page2.body.nextCursor).to.equal(null);

      expect((await call('DELETE', path)).status).to.equal(204);
      expectProblem(await call('GET', path), 404, 'webhook_not_registered');
      expectProblem(await call('DELETE', path), 404, 'webhook_not_registered');
    });

    it('refuses bad input with field paths, and unknown providers with 404', async () => {
      const a = await f.registerProvider('Strict');
      const path = `/admin/v1/providers/${a}/webhook`;
      let problem = expectProblem(
        await call('PUT', path, { body: { url: 'http://hooks.example/x', extra: true } }),
        422,
        'validation_failed',
      );
      expect(problem.errors!.map((e) => e.path).sort()).to.deep.equal(['body', 'body.url']);
      problem = expectProblem(
        await call('PUT', path, { body: { url: 'https://h.example/', rotateSecret: 'yes' } }),
        422,
        'validation_failed',
      );
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['body.rotateSecret']);
      expectProblem(
        await call('PUT', `/admin/v1/providers/${UNKNOWN_ID}/webhook`, {
          body: { url: 'https://h.example/' },
        }),
        404,
        'provider_not_found',
      );
      problem = expectProblem(await call('GET', '/admin/v1/providers/nope/webhook'), 400, 'invalid_request');
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['params.providerId']);

      await call('PUT', path, { body: { url: 'https://h.example/' } });
      for (const body of [
        {},
        { fromPosition: 1, deliveryIds: [UNKNOWN_ID] },
        { fromPosition: 0 },
        { deliveryIds: ['x'] },
      ]) {
        const res = await call('POST', `${path}/replay`, { body });
        expectProblem(res, 422, 'validation_failed');
      }
      expectProblem(
        await call('POST', `${path}/replay`, { body: { deliveryIds: [UNKNOWN_ID] } }),
        404,
        'delivery_not_found',
      );
      problem = expectProblem(await call('GET', `${path}/deliveries?limit=500`), 400, 'invalid_request');
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['query.limit']);
      problem = expectProblem(await call('GET', `${path}/deliveries?cursor=bogus`), 400, 'invalid_request');
      expect(problem.errors!.map((e) => e.path)).to.deep.equal(['query.cursor']);
    });
  });
});
