import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import type { ProviderFeedStore } from '../../../application/ports/provider-feed-store.js';
import { EventQueue } from '../../../application/feed/event-queue.js';
import { combineSources } from '../../../application/feed/feed-mapper.js';
import { ProcessManager } from '../../../application/feed/process-manager.js';
import {
  ProviderFeed,
  QUEUE_CHECKPOINT,
  WEBHOOK_CHECKPOINT,
} from '../../../application/feed/provider-feed.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { catalogProjection } from '../../../projections/catalog.js';
import { type FeedFixture, openFeedFixture } from '../../support/feed-fixture.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Drains a provider's queue (lease everything, ack everything); returns the messages' event ids. */
async function drain(queue: EventQueue, providerId: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const batch = await queue.next(providerId, { max: 100 });
    if (batch.length === 0) return seen;
    for (const m of batch) {
      seen.push(m.eventId);
      await queue.ack(providerId, m.id, m.leaseId);
    }
  }
}

describe('Provider change feed: event queue process manager', function () {
  this.timeout(20_000);
  let f: FeedFixture;
  const feeds: ProviderFeed[] = [];
  const startFeed = async (feedStore: ProviderFeedStore = f.feedStore) => {
    const feed = new ProviderFeed({
      store: f.store,
      feed: feedStore,
      source: f.source,
      clock: f.clock,
      retryDelayMs: 20,
    });
    feeds.push(feed);
    await feed.start();
    return feed;
  };

  beforeEach(() => {
    f = openFeedFixture();
  });
  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.stop();
    await f.close();
  });

  it('queues each provider’s changes in log order, and no provider sees another’s', async () => {
    const a = await f.registerProvider('A');
    const b = await f.registerProvider('B');
    const a1 = await f.addProduct(a, 'a-one');
    const b1 = await f.addProduct(b, 'b-one');
    const a2 = await f.addProduct(a, 'a-two');
    const retired = await f.catalog.retireProduct(a1.productId, 'gone', f.ctx);
    const feed = await startFeed();
    expect(await feed.waitFor(retired.position!)).to.equal(true);

    const queue = new EventQueue(f.feedStore, f.clock);
    const forA = await queue.next(a, { max: 10 });
    expect(forA.map((m) => [m.type, m.subject.productId])).to.deep.equal([
      ['product.added', a1.productId],
      ['product.added', a2.productId],
      ['product.retired', a1.productId],
    ]);
    expect(forA.map((m) => m.position)).to.deep.equal([a1.position, a2.position, retired.position]);
    expect(forA.every((m) => m.providerId === a && m.deliveryCount === 1)).to.equal(true);
    expect(forA[0]!.data).to.deep.equal({
      sku: 'a-one',
      kind: 'one_time',
      price: { amount: 4900, currency: 'NOK' },
    });
    const forB = await queue.next(b, { max: 10 });
    expect(forB.map((m) => m.subject.productId)).to.deep.equal([b1.productId]);

    const err = await rejection(queue.ack(b, forA[0]!.id, forA[0]!.leaseId));
    expect(err).to.be.instanceOf(DomainError).and.include({ kind: 'not_found' });
  });

  it('redelivers an unacknowledged message after its lease ends, with a higher delivery count', async () => {
    const a = await f.registerProvider();
    const { position } = await f.addProduct(a, 'sku-1');
    const feed = await startFeed();
    await feed.waitFor(position);
    const queue = new EventQueue(f.feedStore, f.clock);

    const [first] = await queue.next(a, { leaseSeconds: 30 });
    expect(await queue.next(a)).to.deep.equal([]);
    f.clock.advance(29_999);
    expect(await queue.next(a)).to.deep.equal([]);
    f.clock.advance(1);
    const [second] = await queue.next(a, { leaseSeconds: 30 });
    expect(second).to.deep.include({ id: first!.id, eventId: first!.eventId, deliveryCount: 2 });

    const stale = await rejection(queue.ack(a, first!.id, first!.leaseId));
    expect(stale).to.be.instanceOf(DomainError).and.include({ kind: 'conflict', code: 'stale_lease' });
    await queue.ack(a, second!.id, second!.leaseId);
    f.clock.advance(3_600_000);
    expect(await queue.next(a)).to.deep.equal([]);
  });

  it('refuses out-of-range batch sizes and lease lengths', async () => {
    const queue = new EventQueue(f.feedStore, f.clock);
    for (const options of [
      { max: 0 },
      { max: 101 },
      { leaseSeconds: 0 },
      { leaseSeconds: 43_201 },
      { max: 1.5 },
    ]) {
      const err = await rejection(queue.next('p', options));
      expect(err, JSON.stringify(options)).to.be.instanceOf(DomainError).and.include({ kind: 'invalid' });
    }
  });

  it('a restarted feed neither loses nor duplicates messages, and keeps its own checkpoints', async () => {
    const a = await f.registerProvider();
    const first = await f.addProduct(a, 'before-1');
    await f.addProduct(a, 'before-2');
    const feed = await startFeed();
    const last = await f.addProduct(a, 'before-3');
    await feed.waitFor(last.position);
    await feed.stop();
    expect(await f.feedStore.getCheckpoint(QUEUE_CHECKPOINT)).to.be.at.least(last.position);
    expect(await f.feedStore.getCheckpoint(WEBHOOK_CHECKPOINT)).to.be.at.least(last.position);

    // Consume one message before the restart; it must not come back.
    const queue = new EventQueue(f.feedStore, f.clock);
    const [m] = await queue.next(a, { max: 1 });
    expect(m!.position).to.equal(first.position);
    await queue.ack(a, m!.id, m!.leaseId);

    const during = await f.addProduct(a, 'while-down');
    const reopened = f.reopenFeedStore();
    const restarted = await startFeed(reopened);
    const after = await f.addProduct(a, 'after');
    expect(await restarted.waitFor(after.position)).to.equal(true);

    const rest = await drain(new EventQueue(reopened, f.clock), a);
    expect(rest).to.have.length(4);
    expect(new Set(rest).size).to.equal(4);
    const positions = (
      await f.store.readAll({ after: 0, maxCount: 100, filter: { types: ['ProductAdded'] } })
    ).map((e) => e.eventId);
    expect([m!.eventId, ...rest]).to.deep.equal(positions);
    expect(during.position).to.be.lessThan(after.position);
  });

  it('reprocessing a batch after a crash between the writes and the checkpoint appends nothing twice', async () => {
    const a = await f.registerProvider();
    await f.addProduct(a, 'x-1');
    const last = await f.addProduct(a, 'x-2');
    let failures = 0;
    // The first checkpoint write of each process manager fails, as if the process died right after
    // the handler's writes: the batch is handed over again.
    const crashing: ProviderFeedStore = Object.create(f.feedStore, {
      saveCheckpoint: {
        value: async (name: string, position: number) => {
          if (failures < 2) {
            failures++;
            throw new Error(`crash before checkpoint of ${name}`);
          }
          return f.feedStore.saveCheckpoint(name, position);
        },
      },
    }) as ProviderFeedStore;
    await f.feedStore.putWebhook({
      providerId: a,
      url: 'https://hooks.example/a',
      sealedSecret: 'x',
      createdAt: f.clock.now().toISOString(),
      updatedAt: f.clock.now().toISOString(),
    });
    const feed = await startFeed(crashing);
    expect(await feed.waitFor(last.position)).to.equal(true);
    expect(failures).to.equal(2);
    expect(await f.feedStore.queueDepth(a)).to.equal(2);
    const log = await f.feedStore.listDeliveries(a, { limit: 10 });
    expect(log.items).to.have.length(2);
  });

  it('a projection rebuild re-sends nothing', async () => {
    const a = await f.registerProvider();
    const { position } = await f.addProduct(a, 'r-1');
    const feed = await startFeed();
    await feed.waitFor(position);
    const readModels = SqliteReadModelStore.open({ file: join(f.dir, 'readmodels.db') });
    const runner = new ProjectionRunner({ store: f.store, readModels, projections: [catalogProjection] });
    try {
      await runner.start();
      await runner.settled();
      await runner.rebuild('catalog');
      expect(await drain(new EventQueue(f.feedStore, f.clock), a)).to.have.length(1);
      const later = await f.addProduct(a, 'r-2');
      await feed.waitFor(later.position);
      expect(await drain(new EventQueue(f.feedStore, f.clock), a)).to.have.length(1);
    } finally {
      await runner.stop();
      await readModels.close();
    }
  });

  it('retries a failing handler from its checkpoint without skipping events', async () => {
    const a = await f.registerProvider();
    const { position } = await f.addProduct(a, 'h-1');
    const handled: number[] = [];
    let fail = true;
    const pm = new ProcessManager({
      name: 'test-pm',
      store: f.store,
      checkpoints: f.feedStore,
      retryDelayMs: 10,
      handle: async (events) => {
        if (fail) {
          fail = false;
          throw new Error('transient');
        }
        handled.push(...events.map((e) => e.globalPosition));
      },
    });
    await pm.start();
    try {
      expect(await pm.waitFor(position)).to.equal(true);
      expect(handled).to.include(position);
      expect(await f.feedStore.getCheckpoint('test-pm')).to.equal(pm.position);
    } finally {
      await pm.stop();
    }
  });

  it('combines sources: the first mapper with a message wins; filters are merged', async () => {
    const combined = combineSources({ mapper: () => null, filter: { types: ['A'] } }, f.source);
    expect(combined.filter).to.deep.equal({
      types: ['A', 'ProductAdded', 'ProductPriceChanged', 'ProductRetired'],
    });
    expect(combineSources({ mapper: () => null }, f.source).filter).to.equal(undefined);
    const a = await f.registerProvider();
    await f.addProduct(a, 'c-1');
    const [event] = await f.store.readAll({ after: 0, maxCount: 10, filter: { types: ['ProductAdded'] } });
    expect((await combined.mapper(event!))?.providerId).to.equal(a);
  });
});
