import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { EventRegistry } from '../../domain/kernel/registry.js';
import type { NewEvent } from '../../application/ports/event-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Change, Doc, ReadModelStore } from '../../application/ports/read-model-store.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { BatchTx, layoutFor } from '../../projections/batch-tx.js';
import { defineProjection, type ProjectionDefinition } from '../../projections/projection.js';
import {
  type BuildProgress,
  ProjectionRunner,
  type ProjectionRunnerOptions,
} from '../../projections/runner.js';
import {
  TestPinged,
  itemAdded,
  itemRemoved,
  testMetadata,
  testRegistry,
  testRegistryWithExtra,
} from '../fixtures/test-events.js';

type CartDoc = {
  readonly id: string;
  readonly events: number;
  /** "+sku" / "-sku" in the order the events were applied. */
  readonly trail: readonly string[];
  readonly lastPosition: number;
  readonly builtBy: number;
};

type ItemDoc = {
  readonly id: string;
  readonly cartId: string;
  readonly sku: string;
  readonly quantity: number;
};

interface Hooks {
  /** Runs before each event is applied; may throw (a bug) or wait (to hold a build). */
  beforeApply?: (event: RecordedEvent) => void | Promise<void>;
}

/** Per cart: how many events, in which order; per item: the quantity still in the cart. */
function stockProjection(version = 1, hooks: Hooks = {}, name = 'stock'): ProjectionDefinition {
  return defineProjection({
    name,
    version,
    handles: ['TestItemAdded', 'TestItemRemoved'],
    collections: {
      carts: {},
      items: { indexes: [{ fields: ['cartId'] }, { fields: ['sku'] }] },
    },
    async apply(event, tx) {
      await hooks.beforeApply?.(event);
      const data = event.data as { sku: string; quantity?: number };
      const cart = await tx.get<CartDoc>('carts', event.streamId);
      if (cart && cart.lastPosition >= event.globalPosition) {
        throw new Error(`event ${event.globalPosition} applied twice or out of order`);
      }
      const added = event.type === 'TestItemAdded';
      tx.upsert('carts', {
        id: event.streamId,
        events: (cart?.events ?? 0) + 1,
        trail: [...(cart?.trail ?? []), `${added ? '+' : '-'}${data.sku}`],
        lastPosition: event.globalPosition,
        builtBy: version,
      } satisfies CartDoc);
      const itemId = `${event.streamId}:${data.sku}`;
      if (added) {
        const item = await tx.get<ItemDoc>('items', itemId);
        tx.upsert('items', {
          id: itemId,
          cartId: event.streamId,
          sku: data.sku,
          quantity: (item?.quantity ?? 0) + (data.quantity ?? 1),
        } satisfies ItemDoc);
      } else {
        tx.delete('items', itemId);
      }
    },
  });
}

function note(text: string): NewEvent {
  return { type: 'TestNoteTaken', data: { text, tags: [] }, metadata: testMetadata() };
}

/** A gate a test opens when it is ready; `reached` resolves when the first caller arrives. */
function gate() {
  let open!: () => void;
  let arrived!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrived = r));
  return {
    open,
    reached,
    wait: () => {
      arrived();
      return opened;
    },
  };
}

describe('ProjectionRunner', function () {
  this.timeout(15000);
  let dir: string;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-runner-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the event store and read-model store on this test's files (a second call = another process). */
  function open(registry: EventRegistry = testRegistry()) {
    const store = SqliteEventStore.open({ file: path.join(dir, 'events.db'), registry, pollIntervalMs: 50 });
    const readModels = SqliteReadModelStore.open({ file: path.join(dir, 'read.db') });
    cleanups.push(async () => {
      await store.close();
      await readModels.close();
    });
    return { store, readModels };
  }

  function runner(
    env: { store: SqliteEventStore; readModels: ReadModelStore },
    projections: ProjectionDefinition[],
    options: Partial<ProjectionRunnerOptions> = {},
  ): ProjectionRunner {
    const r = new ProjectionRunner({ ...env, projections, ...options });
    cleanups.push(() => r.stop());
    return r;
  }

  /** Physical read-model tables of a projection, straight from the SQLite file. */
  function tables(projection = 'stock'): string[] {
    const db = new Database(path.join(dir, 'read.db'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
      return rows.filter((n) => n.startsWith(`rm_${projection}__`));
    } finally {
      db.close();
    }
  }

  async function allDocs<T extends Doc>(r: ProjectionRunner, collection: string): Promise<T[]> {
    const docs: T[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: T[]; nextCursor: string | null } = await r
        .view<T>('stock', collection)
        .find({ limit: 1000, ...(cursor ? { cursor } : {}) });
      docs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return docs;
  }

  async function seed(store: SqliteEventStore): Promise<number> {
    await store.append('cart-a', [itemAdded('apple', 2), itemAdded('pear'), itemRemoved('apple')], {
      expectedRevision: 'any',
    });
    await store.append('cart-b', [itemAdded('plum', 3)], { expectedRevision: 'any' });
    await store.append('notes-1', [note('ignored by stock')], { expectedRevision: 'any' });
    const last = await store.append('cart-a', [itemAdded('fig', 5)], { expectedRevision: 'any' });
    return last.position;
  }

  it('applies events in log order and serves the result through view()', async () => {
    const env = open();
    const head = await seed(env.store);
    const r = runner(env, [stockProjection()]);
    await r.start();
    expect(await r.waitFor(head)).to.equal(true);

    const cart = await r.view<CartDoc>('stock', 'carts').get('cart-a');
    expect(cart?.trail).to.deep.equal(['+apple', '+pear', '-apple', '+fig']);
    expect(cart?.events).to.equal(4);
    const items = await r.view<ItemDoc>('stock', 'items').find({ where: { cartId: 'cart-a' } });
    expect(items.items.map((i) => [i.sku, i.quantity])).to.deep.equal([
      ['fig', 5],
      ['pear', 1],
    ]);
    expect(await r.view('stock', 'items').count({ sku: 'plum' })).to.equal(1);
    expect(tables()).to.deep.equal(['rm_stock__carts__g1', 'rm_stock__items__g1']);
  });

  it('commits changes and checkpoint together: a live batch that fails midway leaves no trace', async () => {
    const env = open();
    const empty = runner(env, [stockProjection()]);
    await empty.start();
    await empty.settled();
    await empty.stop();
    for (let i = 0; i < 10; i++)
      await env.store.append('cart-a', [itemAdded(`sku${i}`)], { expectedRevision: 'any' });
    const head = await env.store.headPosition();

    let applied = 0;
    const crashing = runner(
      env,
      [
        stockProjection(1, {
          beforeApply: () => {
            if (++applied === 7) throw new Error('simulated crash');
          },
        }),
      ],
      { batchSize: 4 },
    );
    await crashing.start();
    expect(await crashing.waitFor(head)).to.equal(false);
    const [status] = await crashing.status();
    expect(status?.state).to.equal('failed');
    expect(status?.error).to.contain('simulated crash');
    // The first batch (4 events) is stored with its checkpoint; nothing of the second (events 5-7).
    expect(status?.position).to.equal(4);
    expect((await crashing.view<CartDoc>('stock', 'carts').get('cart-a'))?.events).to.equal(4);
    await crashing.stop();

    // A new process over the same files resumes from the checkpoint without double counting.
    const env2 = open();
    let reapplied = 0;
    const restarted = runner(env2, [stockProjection(1, { beforeApply: () => void reapplied++ })], {
      batchSize: 4,
    });
    await restarted.start();
    expect(await restarted.waitFor(head)).to.equal(true);
    expect(reapplied).to.equal(6);
    const resumed = await allDocs<CartDoc>(restarted, 'carts');
    expect(resumed[0]?.events).to.equal(10);
    expect(resumed[0]?.trail).to.deep.equal(Array.from({ length: 10 }, (_, i) => `+sku${i}`));

    await restarted.rebuild('stock');
    expect(await allDocs(restarted, 'carts')).to.deep.equal(resumed);
  });

  it('resumes an interrupted first build from its last committed batch', async () => {
    const env = open();
    for (let i = 0; i < 10; i++)
      await env.store.append(`cart-${i % 3}`, [itemAdded(`s${i}`)], { expectedRevision: 'any' });
    const head = await env.store.headPosition();
    let applied = 0;
    const crashing = runner(
      env,
      [
        stockProjection(1, {
          beforeApply: () => {
            if (++applied === 7) throw new Error('simulated crash');
          },
        }),
      ],
      { batchSize: 4 },
    );
    await crashing.start();
    await crashing.settled();
    const [status] = await crashing.status();
    expect(status).to.include({ state: 'failed', position: 0 });
    // Nothing is served until a build completes.
    expect(await crashing.view('stock', 'carts').count()).to.equal(0);
    await crashing.stop();

    let reapplied = 0;
    const restarted = runner(open(), [stockProjection(1, { beforeApply: () => void reapplied++ })], {
      batchSize: 4,
    });
    await restarted.start();
    await restarted.settled();
    expect(await restarted.waitFor(head)).to.equal(true);
    expect(reapplied).to.equal(6);
    expect((await allDocs<CartDoc>(restarted, 'carts')).map((c) => c.events)).to.deep.equal([4, 3, 3]);
    expect(tables()).to.deep.equal(['rm_stock__carts__g1', 'rm_stock__items__g1']);
  });

  it('stores nothing when the commit itself fails, and a restart picks up from the last commit', async () => {
    const env = open();
    for (let i = 0; i < 6; i++)
      await env.store.append(`cart-${i % 2}`, [itemAdded('x')], { expectedRevision: 'any' });
    const head = await env.store.headPosition();
    let writes = 0;
    // The process "dies" at its third write: the write never reaches the store.
    const dying: ReadModelStore = Object.create(env.readModels, {
      write: {
        value: (changes: readonly Change[], checkpoint?: Parameters<ReadModelStore['write']>[1]) => {
          if (++writes === 3) return Promise.reject(new Error('killed'));
          return env.readModels.write(changes, checkpoint);
        },
      },
    }) as ReadModelStore;
    const first = runner({ store: env.store, readModels: dying }, [stockProjection()], { batchSize: 2 });
    await first.start();
    await first.settled();
    expect((await first.status())[0]?.state).to.equal('failed');
    await first.stop();

    const second = runner(open(), [stockProjection()], { batchSize: 2 });
    await second.start();
    await second.settled();
    expect(await second.waitFor(head)).to.equal(true);
    const carts = await allDocs<CartDoc>(second, 'carts');
    expect(carts.map((c) => c.events)).to.deep.equal([3, 3]);
  });

  it('resumes from its checkpoint after a restart', async () => {
    const env = open();
    await seed(env.store);
    const r1 = runner(env, [stockProjection()]);
    await r1.start();
    expect(await r1.waitFor(await env.store.headPosition())).to.equal(true);
    await r1.stop();

    const more = await env.store.append('cart-b', [itemAdded('kiwi'), itemAdded('plum')], {
      expectedRevision: 'any',
    });
    let applied = 0;
    const r2 = runner(env, [stockProjection(1, { beforeApply: () => void applied++ })]);
    await r2.start();
    expect(await r2.waitFor(more.position)).to.equal(true);
    expect(applied).to.equal(2);
    const cartB = await r2.view<CartDoc>('stock', 'carts').get('cart-b');
    expect(cartB?.trail).to.deep.equal(['+plum', '+kiwi', '+plum']);
    expect((await r2.view<ItemDoc>('stock', 'items').get('cart-b:plum'))?.quantity).to.equal(4);
    expect(tables()).to.deep.equal(['rm_stock__carts__g1', 'rm_stock__items__g1']);
  });

  it('rebuilds into a fresh generation on a version bump, serving the old one until the swap', async () => {
    const env = open();
    await seed(env.store);
    const v1 = runner(env, [stockProjection(1)]);
    await v1.start();
    await v1.waitFor(await env.store.headPosition());
    await v1.stop();

    const hold = gate();
    let first = true;
    const v2 = runner(env, [
      stockProjection(2, {
        beforeApply: () => {
          if (!first) return undefined;
          first = false;
          return hold.wait();
        },
      }),
    ]);
    await v2.start();
    await hold.reached;
    expect((await v2.status())[0]?.state).to.equal('rebuilding');
    expect((await v2.view<CartDoc>('stock', 'carts').get('cart-a'))?.builtBy).to.equal(1);
    expect(tables()).to.deep.equal([
      'rm_stock__carts__g1',
      'rm_stock__carts__g2',
      'rm_stock__items__g1',
      'rm_stock__items__g2',
    ]);
    // Appended during the build: the swap waits until the new generation has it too.
    const late = await env.store.append('cart-a', [itemAdded('lime')], { expectedRevision: 'any' });

    hold.open();
    await v2.settled();
    const cart = await v2.view<CartDoc>('stock', 'carts').get('cart-a');
    expect(cart?.builtBy).to.equal(2);
    expect(cart?.trail).to.deep.equal(['+apple', '+pear', '-apple', '+fig', '+lime']);
    expect(tables()).to.deep.equal(['rm_stock__carts__g2', 'rm_stock__items__g2']);
    expect(await v2.waitFor(late.position)).to.equal(true);

    // And it carries on live on the new generation.
    const after = await env.store.append('cart-b', [itemRemoved('plum')], { expectedRevision: 'any' });
    expect(await v2.waitFor(after.position)).to.equal(true);
    expect(await v2.view('stock', 'items').get('cart-b:plum')).to.equal(null);
  });

  it('rebuilds on demand with progress reports, then keeps applying live', async () => {
    const env = open();
    const head = await seed(env.store);
    const r = runner(env, [stockProjection()], { batchSize: 2 });
    await r.start();
    await r.waitFor(head);
    const before = await allDocs<CartDoc>(r, 'carts');

    const progress: BuildProgress[] = [];
    await r.rebuild('stock', (p) => progress.push(p));
    expect(progress.at(-1)).to.deep.equal({ position: head, head, events: 5 });
    const positions = progress.map((p) => p.position);
    expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
    expect(progress.length).to.be.greaterThan(2);
    expect(await allDocs(r, 'carts')).to.deep.equal(before);
    expect(tables()).to.deep.equal(['rm_stock__carts__g2', 'rm_stock__items__g2']);

    const next = await env.store.append('cart-c', [itemAdded('date')], { expectedRevision: 'any' });
    expect(await r.waitFor(next.position)).to.equal(true);
    expect((await r.view<CartDoc>('stock', 'carts').get('cart-c'))?.trail).to.deep.equal(['+date']);
    expect((await r.status())[0]).to.include({ state: 'live', lag: 0 });
  });

  it('builds generation 1 on demand without being started (the CLI case)', async () => {
    const env = open();
    const head = await seed(env.store);
    const r = runner(env, [stockProjection()]);
    await r.rebuild('stock');
    expect((await r.view<CartDoc>('stock', 'carts').get('cart-b'))?.trail).to.deep.equal(['+plum']);
    expect((await r.status())[0]).to.include({ position: head, lag: 0 });
  });

  it('waitFor resolves on read-after-write, including past events it ignores, and times out with false', async () => {
    const env = open();
    const r = runner(env, [stockProjection()]);
    await r.start();
    await r.settled();

    const appended = await env.store.append('cart-z', [itemAdded('melon')], {
      expectedRevision: 'no_stream',
    });
    expect(await r.waitFor(appended.position)).to.equal(true);
    expect((await r.view<ItemDoc>('stock', 'items').get('cart-z:melon'))?.quantity).to.equal(1);

    const ignored = await env.store.append('notes-9', [note('n')], { expectedRevision: 'no_stream' });
    expect(await r.waitFor(ignored.position, { timeoutMs: 1000 })).to.equal(true);

    const started = Date.now();
    expect(await r.waitFor(ignored.position + 10, { timeoutMs: 60 })).to.equal(false);
    expect(Date.now() - started).to.be.within(55, 1000);
    expect(() => r.view('nope', 'carts')).to.throw('Unknown projection "nope"');
    expect(() => r.view('stock', 'nope')).to.throw('no collection "nope"');
    await r.waitFor(1, { projections: ['nope'] }).then(
      () => expect.fail('expected a rejection'),
      (err: Error) => expect(err.message).to.contain('Known projections: stock'),
    );
  });

  it('records progress past ignored events: throttled while running, and on stop', async () => {
    const env = open();
    const eager = runner(env, [stockProjection()], { checkpointIntervalMs: 0 });
    await eager.start();
    await eager.settled();
    const noted = await env.store.append('notes-1', [note('a')], { expectedRevision: 'any' });
    expect(await eager.waitFor(noted.position)).to.equal(true);
    expect((await env.readModels.getCheckpoint('projection:stock:g1'))?.position).to.equal(noted.position);
    await eager.stop();

    const lazy = runner(env, [stockProjection()], { checkpointIntervalMs: 60_000 });
    await lazy.start();
    const again = await env.store.append('notes-1', [note('b'), note('c')], { expectedRevision: 'any' });
    expect(await lazy.waitFor(again.position)).to.equal(true);
    expect((await env.readModels.getCheckpoint('projection:stock:g1'))?.position).to.equal(noted.position);
    await lazy.stop();
    expect((await env.readModels.getCheckpoint('projection:stock:g1'))?.position).to.equal(again.position);
  });

  it('reports a projection it cannot start as failed and starts the others', async () => {
    const env = open();
    await env.readModels.write([], {
      name: 'projection:broken',
      expectedPosition: null,
      position: 0,
      state: { generation: 'one' },
    });
    const broken = stockProjection(1, {}, 'broken');
    const r = runner(env, [broken, stockProjection()]);
    await r.start();
    await r.settled();
    const status = await r.status();
    expect(status[0]).to.include({ name: 'broken', state: 'failed' });
    expect(status[0]?.error).to.contain('unexpected state');
    expect(status[1]).to.include({ name: 'stock', state: 'live' });
  });

  it('reports lag before catch-up and none after', async () => {
    const env = open();
    const head = await seed(env.store);
    const r = runner(env, [stockProjection()]);
    expect((await r.status())[0]).to.include({ position: 0, head, lag: head, state: 'starting' });
    await r.start();
    await r.settled();
    expect(await r.waitFor(head)).to.equal(true);
    expect((await r.status())[0]).to.include({ position: head, lag: 0, state: 'live' });
    await r.stop();

    // Restarted behind the head: it catches up through the live subscription.
    const more = await env.store.append('cart-a', [itemAdded('nut'), itemAdded('oat')], {
      expectedRevision: 'any',
    });
    const hold = gate();
    const r2 = runner(env, [
      stockProjection(1, {
        beforeApply: (e) => (e.globalPosition === more.position ? hold.wait() : undefined),
      }),
    ]);
    await r2.start();
    await hold.reached;
    const behind = (await r2.status())[0];
    expect(behind).to.include({ position: head, head: more.position, lag: more.position - head });
    expect(behind?.state).to.equal('catching_up');
    hold.open();
    expect(await r2.waitFor(more.position)).to.equal(true);
    expect((await r2.status())[0]).to.include({ position: more.position, lag: 0, state: 'live' });
  });

  it('reports a failing projection as failed and keeps the others running', async () => {
    const env = open();
    const broken = defineProjection({
      name: 'broken',
      version: 1,
      handles: ['TestItemRemoved'],
      collections: { things: {} },
      apply: () => {
        throw new Error('cannot handle removals');
      },
    });
    const r = runner(env, [stockProjection(), broken]);
    await r.start();
    await r.settled();
    const head = await seed(env.store);

    expect(await r.waitFor(head, { projections: ['stock'] })).to.equal(true);
    const started = Date.now();
    expect(await r.waitFor(head, { timeoutMs: 5000 })).to.equal(false);
    expect(Date.now() - started).to.be.below(1000);
    const status = await r.status();
    expect(status.find((s) => s.name === 'broken')).to.deep.include({ state: 'failed' });
    expect(status.find((s) => s.name === 'broken')?.error).to.contain('cannot handle removals');
    expect(status.find((s) => s.name === 'stock')).to.include({ state: 'live', lag: 0 });

    const more = await env.store.append('cart-b', [itemAdded('plum')], { expectedRevision: 'any' });
    expect(await r.waitFor(more.position, { projections: ['stock'] })).to.equal(true);
  });

  it('reports events it cannot read (unknown type) as a failure of that projection only', async () => {
    const env = open();
    const pings = defineProjection({
      name: 'pings',
      version: 1,
      handles: [TestPinged.type],
      collections: { pings: {} },
      apply: (e, tx) => tx.upsert('pings', { id: e.eventId }),
    });
    const r = runner(env, [stockProjection(), pings]);
    await r.start();
    await r.settled();

    // A newer build, writing a type this one does not know.
    const newer = open(testRegistryWithExtra());
    const pinged = await newer.store.append(
      'ping-1',
      [{ type: TestPinged.type, data: { at: 'now' }, metadata: testMetadata() }],
      { expectedRevision: 'any' },
    );
    const added = await env.store.append('cart-a', [itemAdded('pea')], { expectedRevision: 'any' });
    expect(await r.waitFor(added.position, { projections: ['stock'] })).to.equal(true);
    expect(await r.waitFor(pinged.position, { projections: ['pings'], timeoutMs: 3000 })).to.equal(false);
    const status = (await r.status()).find((s) => s.name === 'pings');
    expect(status?.state).to.equal('failed');
    expect(status?.error).to.contain('TestPinged');
  });

  it('follows a rebuild made by another process (CLI) while running, without double counting', async () => {
    const journal = defineProjection({
      name: 'journal',
      version: 1,
      handles: ['TestItemAdded', 'TestItemRemoved'],
      collections: { entries: {} },
      apply: (e, tx) => tx.upsert('entries', { id: e.eventId, position: e.globalPosition }),
    });
    const server = open();
    const head = await seed(server.store);
    const messages: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (_fields, message) => void messages.push(message ?? ''),
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const live = runner(server, [stockProjection(), journal], { logger });
    await live.start();
    await live.waitFor(head);

    const cli = runner(open(), [stockProjection(), journal]);
    await cli.rebuild('stock');
    expect(tables()).to.deep.equal(['rm_stock__carts__g2', 'rm_stock__items__g2']);

    // The server's generation was dropped under it: reads move to the new one.
    expect((await live.view<CartDoc>('stock', 'carts').get('cart-a'))?.events).to.equal(4);
    // Its next commit conflicts (the old checkpoint is gone); it resumes on the new generation.
    const more = await server.store.append('cart-a', [itemAdded('kale')], { expectedRevision: 'any' });
    expect(await live.waitFor(more.position)).to.equal(true);
    const cart = await live.view<CartDoc>('stock', 'carts').get('cart-a');
    expect(cart?.trail).to.deep.equal(['+apple', '+pear', '-apple', '+fig', '+kale']);
    expect((await live.status())[0]).to.include({ state: 'live', lag: 0 });
    expect(tables()).to.deep.equal(['rm_stock__carts__g2', 'rm_stock__items__g2']);

    // Again, but the server's next commit comes before any read: the commit conflicts and it resumes.
    await cli.rebuild('stock');
    const again = await server.store.append('cart-b', [itemAdded('leek')], { expectedRevision: 'any' });
    expect(await live.waitFor(again.position)).to.equal(true);
    expect(messages).to.include('generation retired by another process; resuming');
    expect((await live.view<CartDoc>('stock', 'carts').get('cart-b'))?.trail).to.deep.equal([
      '+plum',
      '+leek',
    ]);
    expect(await live.view('stock', 'carts').count()).to.equal(2);
    expect(tables()).to.deep.equal(['rm_stock__carts__g3', 'rm_stock__items__g3']);
    expect((await live.status()).map((st) => st.state)).to.deep.equal(['live', 'live']);

    // A projection that never reads only notices at its commit, through the checkpoint conflict.
    await cli.rebuild('journal');
    const third = await server.store.append('cart-c', [itemAdded('bean')], { expectedRevision: 'any' });
    expect(await live.waitFor(third.position)).to.equal(true);
    expect(messages).to.include('checkpoint moved by another process; resuming');
    expect(await live.view('journal', 'entries').count()).to.equal(third.position - 1);
    expect(tables('journal')).to.deep.equal(['rm_journal__entries__g2']);
  });

  it('serves synchronous reads of the serving generation while its pointer is fresh (viewSync)', async () => {
    const env = open();
    const head = await seed(env.store);
    const r = runner(env, [stockProjection()], { pointerTtlMs: 200 });
    await r.start();
    expect(await r.waitFor(head)).to.equal(true);
    await r.view('stock', 'carts').get('cart-a'); // the pointer was just read

    const carts = r.viewSync<CartDoc>('stock', 'carts');
    expect(carts, 'a fresh pointer').to.not.equal(undefined);
    expect(carts!.get('cart-a')).to.deep.equal(await r.view<CartDoc>('stock', 'carts').get('cart-a'));
    const items = r.viewSync<ItemDoc>('stock', 'items')!;
    expect(items.find({ where: { cartId: 'cart-a' } })).to.deep.equal(
      await r.view<ItemDoc>('stock', 'items').find({ where: { cartId: 'cart-a' } }),
    );
    expect(items.count({ sku: 'plum' })).to.equal(1);

    // Past the TTL the pointer must be re-read first: the caller goes through view(), which does.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(r.viewSync('stock', 'carts')).to.equal(undefined);
    await r.view('stock', 'carts').count();
    expect(r.viewSync('stock', 'carts')).to.not.equal(undefined);

    expect(() => r.viewSync('stock', 'nope')).to.throw(/no collection "nope"/);
    expect(() => r.viewSync('nope', 'carts')).to.throw(/Unknown projection/);
  });

  it('offers no synchronous reads over a store without them, and follows generations swapped by another process', async () => {
    const env = open();
    const head = await seed(env.store);
    const asyncOnly: ReadModelStore = {
      ensureCollection: (n, spec) => env.readModels.ensureCollection(n, spec),
      dropCollection: (n) => env.readModels.dropCollection(n),
      collection: (n) => env.readModels.collection(n),
      write: (changes, checkpoint) => env.readModels.write(changes, checkpoint),
      getCheckpoint: (n) => env.readModels.getCheckpoint(n),
      deleteCheckpoint: (n) => env.readModels.deleteCheckpoint(n),
      close: () => env.readModels.close(),
    };
    const plain = runner({ store: env.store, readModels: asyncOnly }, [stockProjection()]);
    await plain.start();
    expect(await plain.waitFor(head)).to.equal(true);
    await plain.view('stock', 'carts').count();
    expect(plain.viewSync('stock', 'carts')).to.equal(undefined);
    await plain.stop();

    const live = runner(env, [stockProjection()], { pointerTtlMs: 50 });
    await live.start();
    expect(await live.waitFor(head)).to.equal(true);
    await live.view('stock', 'carts').count();
    const before = live.viewSync<CartDoc>('stock', 'carts');
    expect(before?.get('cart-b')?.trail).to.deep.equal(['+plum']);

    await runner(open(), [stockProjection()]).rebuild('stock');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(live.viewSync('stock', 'carts'), 'the pointer is due for a re-read').to.equal(undefined);
    expect((await live.view<CartDoc>('stock', 'carts').get('cart-b'))?.trail).to.deep.equal(['+plum']);
    const after = live.viewSync<CartDoc>('stock', 'carts');
    expect(after, 'the new generation').to.not.equal(undefined);
    expect(after).to.not.equal(before);
    expect(after!.get('cart-b')?.trail).to.deep.equal(['+plum']);
    expect(tables()).to.deep.equal(['rm_stock__carts__g2', 'rm_stock__items__g2']);
  });

  it('refuses definitions whose names could collide or grow too long', () => {
    const env = open();
    expect(() => runner(env, [stockProjection(), stockProjection()])).to.throw('defined twice');
    expect(() => runner(env, [stockProjection(1, {}, 'a__b')])).to.throw('without "__"');
    expect(() => runner(env, [stockProjection(1, {}, 'x'.repeat(60))])).to.throw('longer than 64');
  });
});

describe('BatchTx', () => {
  const definition = defineProjection({
    name: 'p',
    version: 1,
    handles: ['X'],
    collections: { plain: {}, keyed: { indexes: [{ fields: ['key'], unique: true }] } },
    apply: () => undefined,
  });
  const layout = layoutFor(definition, (l) => `p__${l}__g1`);

  it('reads its own writes, else loads, and collapses plain collections to one change per document', async () => {
    const loaded: string[] = [];
    const tx = new BatchTx('p', layout, async (logical, id) => {
      loaded.push(`${logical}/${id}`);
      return id === 'stored' ? { id, n: 0 } : null;
    });
    expect(await tx.get('plain', 'stored')).to.deep.equal({ id: 'stored', n: 0 });
    tx.upsert('plain', { id: 'a', n: 1 });
    tx.upsert('plain', { id: 'a', n: 2 });
    tx.delete('plain', 'stored');
    expect(await tx.get('plain', 'a')).to.deep.equal({ id: 'a', n: 2 });
    expect(await tx.get('plain', 'stored')).to.equal(null);
    expect(loaded).to.deep.equal(['plain/stored']);
    expect(tx.changes()).to.deep.equal([
      { collection: 'p__plain__g1', op: 'upsert', doc: { id: 'a', n: 2 } },
      { collection: 'p__plain__g1', op: 'delete', id: 'stored' },
    ]);
  });

  it('keeps every change in order for collections with a unique index', () => {
    const tx = new BatchTx('p', layout, async () => null);
    tx.upsert('keyed', { id: 'b', key: 'j' });
    tx.upsert('keyed', { id: 'a', key: 'm' });
    tx.upsert('keyed', { id: 'b', key: 'k' });
    expect(
      tx.changes().map((c) => (c.op === 'upsert' ? `${c.doc.id}=${String(c.doc.key)}` : c.id)),
    ).to.deep.equal(['b=j', 'a=m', 'b=k']);
  });

  it('refuses collections the projection does not declare and documents without an id', async () => {
    const tx = new BatchTx('p', layout, async () => null);
    expect(() => tx.upsert('other', { id: 'x' })).to.throw('no collection "other"');
    expect(() => tx.get('other', 'x')).to.throw('no collection "other"');
    expect(() => tx.upsert('plain', { id: '' })).to.throw('string id');
  });
});
