import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import { ProviderFeed } from '../../../application/feed/provider-feed.js';
import { verifyWebhookSignature, signWebhook } from '../../../application/feed/webhook-signature.js';
import { webhookUrlProblem } from '../../../application/feed/webhook-url.js';
import { WebhookService } from '../../../application/feed/webhooks.js';
import { WebhookWorker, backoffDelay, DEFAULT_BACKOFF } from '../../../application/feed/webhook-worker.js';
import { PrometheusTelemetry } from '../../../infrastructure/telemetry.js';
import { AesWebhookSecretSealer } from '../../../infrastructure/feed/webhook-secret-sealer.js';
import { type FeedFixture, openFeedFixture } from '../../support/feed-fixture.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: Record<string, unknown>;
}

/** A provider's endpoint: records what arrives and answers with the scripted statuses (then 204). */
class Receiver {
  readonly received: Received[] = [];
  script: Array<number | 'hang'> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        this.received.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
        const next = this.script.shift() ?? 204;
        if (next === 'hang') return;
        res.writeHead(next).end(next >= 400 ? 'nope' : '');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** The documented scheme, implemented independently of Tessera's helper. */
function receiverVerifies(received: Received, secret: string, nowSeconds: number): boolean {
  const header = String(received.headers['tessera-signature']);
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  const expected = createHmac('sha256', secret).update(`${parts.t}.${received.raw}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return (
    given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(nowSeconds - t) <= 300
  );
}

describe('Provider change feed: webhooks', function () {
  this.timeout(20_000);
  let f: FeedFixture;
  let receiver: Receiver;
  let feed: ProviderFeed;
  let webhooks: WebhookService;
  let sealer: AesWebhookSecretSealer;
  const workers: WebhookWorker[] = [];
  const worker = (options: Partial<ConstructorParameters<typeof WebhookWorker>[0]> = {}) => {
    const w = new WebhookWorker({ feed: f.feedStore, sealer, clock: f.clock, timeoutMs: 2000, ...options });
    workers.push(w);
    return w;
  };

  beforeEach(async () => {
    f = openFeedFixture();
    receiver = new Receiver();
    await receiver.start();
    sealer = new AesWebhookSecretSealer(randomBytes(32));
    feed = new ProviderFeed({ store: f.store, feed: f.feedStore, source: f.source, clock: f.clock });
    await feed.start();
    webhooks = new WebhookService({
      feed: f.feedStore,
      sealer,
      clock: f.clock,
      store: f.store,
      source: f.source,
    });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await feed.stop();
    await receiver.stop();
    await f.close();
  });

  it('signs each delivery so the receiver can verify it with the documented scheme', async () => {
    const a = await f.registerProvider();
    const { secret } = await webhooks.register(a, receiver.url);
    expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    const { productId, position } = await f.addProduct(a, 'signed');
    await feed.waitFor(position);
    expect(await worker().runOnce()).to.equal(1);

    expect(receiver.received).to.have.length(1);
    const [got] = receiver.received;
    const now = Math.floor(f.clock.now().getTime() / 1000);
    expect(receiverVerifies(got!, secret!, now)).to.equal(true);
    expect(receiverVerifies(got!, `${secret!}x`, now)).to.equal(false);
    expect(receiverVerifies({ ...got!, raw: got!.raw.replace('signed', 'forged') }, secret!, now)).to.equal(
      false,
    );
    expect(receiverVerifies(got!, secret!, now + 301)).to.equal(false);
    expect(got!.headers['content-type']).to.equal('application/json');
    expect(got!.body).to.deep.include({ type: 'product.added', subject: { productId }, position });
    expect(got!.headers['tessera-event-id']).to.equal(got!.body.id);
    expect(got!.headers['tessera-delivery-id']).to.equal(got!.body.deliveryId);
    expect(
      verifyWebhookSignature(String(got!.headers['tessera-signature']), got!.raw, secret!, now),
    ).to.deep.equal({
      ok: true,
      timestamp: now,
    });
  });

  it('retries a failed delivery with doubling waits, then succeeds, and logs every attempt', async () => {
    const a = await f.registerProvider();
    await webhooks.register(a, receiver.url);
    const { position } = await f.addProduct(a, 'retried');
    await feed.waitFor(position);
    receiver.script = [500, 503, 500];
    const telemetry = new PrometheusTelemetry();
    const w = worker({ telemetry });
    const start = f.clock.now().getTime();

    expect(await w.runOnce()).to.equal(1);
    let [d] = (await webhooks.deliveries(a, { limit: 10 })).items;
    expect(d).to.deep.include({ status: 'pending', attemptCount: 1 });
    expect(d!.nextAttemptAt).to.equal(new Date(start + 10_000).toISOString());
    expect(await w.runOnce()).to.equal(0);

    for (const wait of [10_000, 20_000, 40_000]) {
      f.clock.advance(wait - 1);
      expect(await w.runOnce()).to.equal(0);
      f.clock.advance(1);
      expect(await w.runOnce()).to.equal(1);
    }
    [d] = (await webhooks.deliveries(a, { limit: 10 })).items;
    expect(d).to.deep.include({ status: 'delivered', attemptCount: 4, nextAttemptAt: null });
    expect(d!.attempts.map((x) => [x.statusCode, x.error])).to.deep.equal([
      [500, 'HTTP 500'],
      [503, 'HTTP 503'],
      [500, 'HTTP 500'],
      [204, null],
    ]);
    expect(d!.deliveredAt).to.equal(f.clock.now().toISOString());
    expect(new Set(receiver.received.map((r) => r.headers['tessera-delivery-id'])).size).to.equal(1);
    expect(receiver.received).to.have.length(4);
    // Operators see three failed attempts and one delivery in the metrics.
    const counted = await telemetry.registry.getSingleMetricAsString('tessera_webhook_deliveries_total');
    expect(counted).to.include('tessera_webhook_deliveries_total{result="retry"} 3');
    expect(counted).to.include('tessera_webhook_deliveries_total{result="delivered"} 1');
  });

  it('gives up after the attempt limit, records time-outs and network errors', async () => {
    const a = await f.registerProvider();
    await webhooks.register(a, receiver.url);
    const { position } = await f.addProduct(a, 'doomed');
    await feed.waitFor(position);
    receiver.script = ['hang'];
    const telemetry = new PrometheusTelemetry();
    const w = worker({ timeoutMs: 150, backoff: { maxAttempts: 2 }, telemetry });
    await w.runOnce();
    let [d] = (await webhooks.deliveries(a, { limit: 1 })).items;
    expect(d!.attempts[0]).to.deep.include({ statusCode: null, error: 'no answer within 150 ms' });
    await receiver.stop();
    f.clock.advance(10_000);
    await w.runOnce();
    [d] = (await webhooks.deliveries(a, { limit: 1 })).items;
    expect(d).to.deep.include({ status: 'failed', attemptCount: 2, nextAttemptAt: null });
    expect(d!.attempts[1]!.statusCode).to.equal(null);
    expect(d!.attempts[1]!.error).to.be.a('string').and.not.equal('');
    const counted = await telemetry.registry.getSingleMetricAsString('tessera_webhook_deliveries_total');
    expect(counted).to.include('tessera_webhook_deliveries_total{result="failed"} 1');
    f.clock.advance(86_400_000);
    expect(await w.runOnce()).to.equal(0);
    await receiver.start();
  });

  it('backs off from 10 s doubling to at most 1 h', () => {
    expect([1, 2, 3, 9, 10, 30].map((n) => backoffDelay(DEFAULT_BACKOFF, n))).to.deep.equal([
      10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000,
    ]);
  });

  it('schedules nothing for providers without an endpoint, and keeps providers apart', async () => {
    const a = await f.registerProvider('A');
    const b = await f.registerProvider('B');
    await webhooks.register(a, receiver.url);
    await f.addProduct(b, 'b-only');
    const { position } = await f.addProduct(a, 'a-only');
    await feed.waitFor(position);
    expect(await worker().runOnce()).to.equal(1);
    expect(receiver.received.map((r) => (r.body.subject as { productId: string }).productId)).to.have.length(
      1,
    );
    expect((await webhooks.deliveries(b, { limit: 10 })).items).to.deep.equal([]);
    const err = await webhooks.replay(b, { fromPosition: 1 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DomainError).and.include({ code: 'webhook_not_registered' });
  });

  it('replays named deliveries and everything from a log position', async () => {
    const a = await f.registerProvider('A');
    const b = await f.registerProvider('B');
    await webhooks.register(a, receiver.url);
    const first = await f.addProduct(a, 'one');
    await f.addProduct(b, 'not-mine');
    const second = await f.addProduct(a, 'two');
    await feed.waitFor(second.position);
    const w = worker();
    await w.runOnce();
    expect(receiver.received).to.have.length(2);
    const log = (await webhooks.deliveries(a, { limit: 10 })).items;
    const original = log.find((d) => d.message.position === first.position)!;

    expect(await webhooks.replay(a, { deliveryIds: [original.id] })).to.deep.equal({
      scheduled: 1,
      nextPosition: null,
    });
    await w.runOnce();
    const replayed = receiver.received[2]!;
    expect(replayed.body.id).to.equal(original.message.eventId);
    expect(replayed.headers['tessera-delivery-id']).to.not.equal(original.id);
    const copy = (await webhooks.deliveries(a, { limit: 10 })).items.find((d) => d.replayOf === original.id);
    expect(copy).to.deep.include({ status: 'delivered' });

    expect(await webhooks.replay(a, { fromPosition: first.position + 1 })).to.deep.equal({
      scheduled: 1,
      nextPosition: null,
    });
    await w.runOnce();
    expect(receiver.received[3]!.body.position).to.equal(second.position);

    const other = (await webhooks.deliveries(a, { limit: 1 })).items[0]!;
    const missing = await webhooks.replay(b, { deliveryIds: [other.id] }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(DomainError);
  });

  it('keeps the secret on a URL change unless rotated, and stores it only sealed', async () => {
    const a = await f.registerProvider();
    const created = await webhooks.register(a, receiver.url);
    expect(created.created).to.equal(true);
    const moved = await webhooks.register(a, `${receiver.url}/v2`);
    expect(moved).to.not.have.property('secret');
    expect(moved.created).to.equal(false);
    const rotated = await webhooks.register(a, receiver.url, { rotateSecret: true });
    expect(rotated.secret).to.be.a('string').and.not.equal(created.secret);
    const stored = (await f.feedStore.getWebhook(a))!;
    expect(sealer.open(stored.sealedSecret, a)).to.equal(rotated.secret);
    expect(() => sealer.open(stored.sealedSecret, 'another-provider')).to.throw(/cannot be opened/);
    for (const name of readdirSync(f.dir)) {
      expect(readFileSync(join(f.dir, name)).includes(Buffer.from(rotated.secret!)), name).to.equal(false);
    }
    const bad = await webhooks.register(a, 'http://hooks.example/x').catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(DomainError).and.include({ kind: 'invalid', field: 'url' });
  });

  it('a worker restarted mid-delivery carries on from the store', async () => {
    const a = await f.registerProvider();
    await webhooks.register(a, receiver.url);
    const { position } = await f.addProduct(a, 'resume');
    await feed.waitFor(position);
    // A worker claimed it and died before recording anything.
    const [claimed] = await f.feedStore.claimDueDeliveries(f.clock.now(), 1, 30_000);
    expect(claimed).to.not.equal(undefined);
    const fresh = worker();
    expect(await fresh.runOnce()).to.equal(0);
    f.clock.advance(30_000);
    expect(await fresh.runOnce()).to.equal(1);
    expect((await webhooks.deliveries(a, { limit: 1 })).items[0]).to.deep.include({ status: 'delivered' });
  });

  it('polls on its own once started', async () => {
    const a = await f.registerProvider();
    await webhooks.register(a, receiver.url);
    const w = worker({ pollIntervalMs: 10 });
    w.start();
    const { position } = await f.addProduct(a, 'polled');
    await feed.waitFor(position);
    const deadline = Date.now() + 5000;
    while (receiver.received.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    expect(receiver.received).to.have.length(1);
  });
});

describe('Webhook signatures and URLs', () => {
  it('verifies Stripe-style signatures and names what is wrong', () => {
    const header = signWebhook('s3cret', 1_700_000_000, '{"a":1}');
    expect(header).to.match(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(header, '{"a":1}', 's3cret', 1_700_000_100)).to.deep.equal({
      ok: true,
      timestamp: 1_700_000_000,
    });
    expect(verifyWebhookSignature(header, '{"a":2}', 's3cret', 1_700_000_000)).to.include({
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(header, '{"a":1}', 's3cret', 1_700_000_301)).to.include({
      reason: 'too_old',
    });
    expect(verifyWebhookSignature('v1=abc', '{"a":1}', 's3cret', 1_700_000_000)).to.include({
      reason: 'malformed',
    });
  });

  it('accepts https URLs and http only on loopback', () => {
    expect(webhookUrlProblem('https://hooks.example/tessera?x=1')).to.equal(null);
    expect(webhookUrlProblem('http://127.0.0.1:8080/h')).to.equal(null);
    expect(webhookUrlProblem('http://localhost/h')).to.equal(null);
    expect(webhookUrlProblem('http://hooks.example/h')).to.match(/localhost/);
    expect(webhookUrlProblem('https://user:pw@hooks.example/')).to.match(/user name/);
    expect(webhookUrlProblem('https://hooks.example/#x')).to.match(/fragment/);
    expect(webhookUrlProblem('ftp://hooks.example/')).to.match(/https/);
    expect(webhookUrlProblem('not a url')).to.match(/spaces/);
    expect(webhookUrlProblem('')).to.match(/empty/);
  });
});
