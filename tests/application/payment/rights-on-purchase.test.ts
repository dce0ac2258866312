import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalogEvents } from '../../../domain/catalog/events.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import type { ProductLine } from '../../../domain/payment/values.js';
import { rightEvents } from '../../../domain/right/events.js';
import { rightStreamId } from '../../../domain/right/values.js';
import { CatalogCommands } from '../../../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../../../application/catalog/catalog-queries.js';
import { CommandHandler } from '../../../application/kernel/command-handler.js';
import {
  type KeepRightsOnRefund,
  purchaseRightId,
  purchaseValidUntil,
  RIGHTS_ON_PURCHASE_CHECKPOINT,
  RightsOnPurchase,
  type RightsOnPurchaseOptions,
} from '../../../application/payment/rights-on-purchase.js';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import type { CheckpointStore } from '../../../application/ports/provider-feed-store.js';
import { RightCommands } from '../../../application/right/right-commands.js';
import { RightQueries } from '../../../application/right/right-queries.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteProviderFeedStore } from '../../../infrastructure/feed/sqlite-provider-feed-store.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { catalogProjection } from '../../../projections/catalog.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { rightsProjection } from '../../../projections/rights.js';
import { ctx, nok, order, sub, T0 } from './payment-world.js';

const card = { kind: 'card' as const, reference: 'tok_visa' };
const issuer = { kind: 'provider' as const, id: 'client-a' };
const CAPTURED_AT = '2026-01-01T01:00:00.000Z';

/** Four lines: a 2-day rental, a booklet without sku, a perpetual right, a sku without timeSpec. */
const products: ProductLine[] = [
  { sku: 'rental-2d', name: 'Rental', price: nok(3000), vatRate: 2500, timeSpec: 'P2D' },
  { name: 'Booklet', price: nok(500), vatRate: 2500 },
  { sku: 'lifetime', name: 'Lifetime', price: nok(1400), vatRate: 2500, timeSpec: 'perpetual' },
  { sku: 'rental-2d', name: 'Gift wrap', price: nok(0), vatRate: 2500 },
];

describe('Rights on purchase (process manager, SQLite)', function () {
  this.timeout(20_000);
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let feed: SqliteProviderFeedStore;
  let runner: ProjectionRunner;
  let rights: RightCommands;
  let queries: RightQueries;
  let transactions: TransactionCommands;
  let handler: CommandHandler;
  let providerId: string;
  const started: RightsOnPurchase[] = [];

  function manager(extra: Partial<RightsOnPurchaseOptions> = {}): RightsOnPurchase {
    const m = new RightsOnPurchase({
      store,
      checkpoints: feed,
      rights,
      catalogViews: runner,
      retryDelayMs: 20,
      ...extra,
    });
    started.push(m);
    return m;
  }

  /** Waits until the manager has handled the whole log, then until the read models have too. */
  async function settled(m: RightsOnPurchase): Promise<void> {
    if (!(await m.waitFor(await store.headPosition(), 10_000)))
      throw new Error('process manager lags behind');
    const head = await store.headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 10_000 }))) throw new Error('projections lag behind');
  }

  async function purchase(orderId: string, lines: ProductLine[] = products): Promise<string> {
    const amount = nok(lines.reduce((sum, l) => sum + l.price.amount, 0));
    const { transactionId } = await transactions.create(
      providerId,
      order(orderId, { amount, products: lines }),
      ctx,
    );
    await transactions.startAttempt(providerId, transactionId, { attemptId: 'a1', method: card }, ctx);
    clock.set(CAPTURED_AT);
    await transactions.capture(providerId, transactionId, 'a1', {}, ctx);
    return transactionId;
  }

  const refund = (transactionId: string, amount: number) =>
    transactions.refund(providerId, transactionId, { amount: nok(amount), reason: 'asked', issuer }, ctx);

  const rightEventsOf = async (rightId: string) =>
    (await store.readStream(rightStreamId(rightId))).map((e) => e.type);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-rights-on-purchase-'));
    clock = new ManualClock(T0);
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...catalogEvents, ...rightEvents, ...paymentEvents]),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    feed = SqliteProviderFeedStore.open({ file: join(dir, 'feed.db') });
    runner = new ProjectionRunner({
      store,
      readModels,
      projections: [catalogProjection, rightsProjection],
      checkpointIntervalMs: 10,
    });
    await runner.start();
    handler = new CommandHandler(store, clock);
    const catalog = new CatalogCommands(handler);
    rights = new RightCommands(handler, new CatalogQueries(runner));
    queries = new RightQueries(runner, clock);
    transactions = new TransactionCommands(handler);
    providerId = (await catalog.registerProvider({ name: 'Film A' }, ctx)).id;
    const base = { price: nok(3000), vatRate: 2500, kind: 'one_time' as const };
    await catalog.addProduct(providerId, { ...base, sku: 'rental-2d', name: 'Rental', timeSpec: 'P2D' }, ctx);
    await catalog.addProduct(
      providerId,
      { ...base, sku: 'lifetime', name: 'Lifetime', timeSpec: 'perpetual' },
      ctx,
    );
    const head = await store.headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 10_000 }))) throw new Error('projections lag behind');
  });

  afterEach(async () => {
    for (const m of started.splice(0)) await m.stop();
    await runner.stop();
    await feed.close();
    await readModels.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('grants a right per line with sku and timeSpec when the payment is captured', async () => {
    const m = manager();
    await m.start();
    const transactionId = await purchase('o-1');
    await settled(m);

    const rental = await queries.get(providerId, purchaseRightId(transactionId, 0));
    expect(rental).to.deep.include({
      sub,
      sku: 'rental-2d',
      validFrom: CAPTURED_AT,
      validUntil: '2026-01-03T01:00:00.000Z',
      status: 'active',
    });
    expect(rental.grantor).to.deep.equal({ kind: 'purchase', id: transactionId });
    expect(JSON.parse(rental.payload ?? 'null')).to.deep.equal({ orderId: 'o-1' });
    const lifetime = await queries.get(providerId, purchaseRightId(transactionId, 2));
    expect(lifetime).to.deep.include({ sku: 'lifetime', validFrom: CAPTURED_AT, validUntil: null });

    // The booklet (no sku) and the gift wrap (no timeSpec) grant nothing.
    const mine = await queries.listForUser(sub, { providerId });
    expect(mine.map((r) => r.id).sort()).to.deep.equal(
      [purchaseRightId(transactionId, 0), purchaseRightId(transactionId, 2)].sort(),
    );
    expect(await rightEventsOf(purchaseRightId(transactionId, 1))).to.deep.equal([]);

    expect(await queries.access(sub, providerId, 'rental-2d')).to.deep.include({
      allowed: true,
      validUntil: '2026-01-03T01:00:00.000Z',
    });
    expect(await queries.access(sub, providerId, 'rental-2d', new Date('2026-01-03T02:00:00Z'))).to.include({
      allowed: false,
    });
    expect(await queries.access(sub, providerId, 'lifetime', new Date('2090-01-01T00:00:00Z'))).to.include({
      allowed: true,
    });
  });

  it('grants nothing for a transaction that is created but never captured', async () => {
    const m = manager();
    await m.start();
    const { transactionId } = await transactions.create(
      providerId,
      order('o-1', { amount: nok(4900), products }),
      ctx,
    );
    await settled(m);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal([]);
    expect(await queries.listForUser(sub)).to.deep.equal([]);
  });

  it('grants after a restart what was captured while it was stopped', async () => {
    const first = manager();
    await first.start();
    await first.stop();
    const transactionId = await purchase('o-1');
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal([]);

    const restarted = manager();
    await restarted.start();
    await settled(restarted);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal(['RightGranted']);
    expect(await rightEventsOf(purchaseRightId(transactionId, 2))).to.deep.equal(['RightGranted']);
    // Its own grants come after the capture: waiting for the head stores a checkpoint past them.
    const head = await store.headPosition();
    expect(await restarted.waitFor(head)).to.equal(true);
    expect(await feed.getCheckpoint(RIGHTS_ON_PURCHASE_CHECKPOINT)).to.equal(head);
  });

  it('ends with each right granted once when a grant fails half-way through a purchase', async () => {
    let calls = 0;
    const flaky: RightsOnPurchaseOptions['rights'] = {
      grant: (input, c) => {
        calls += 1;
        // The first line is granted, then the process "crashes" before the second.
        if (calls === 2) return Promise.reject(new Error('store unavailable'));
        return rights.grant(input, c);
      },
      terminate: (...args) => rights.terminate(...args),
    };
    const m = manager({ rights: flaky });
    await m.start();
    const transactionId = await purchase('o-1');
    await settled(m);
    expect(calls).to.be.greaterThan(3);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal(['RightGranted']);
    expect(await rightEventsOf(purchaseRightId(transactionId, 2))).to.deep.equal(['RightGranted']);
  });

  it('ends with each right granted once when the checkpoint is lost after the grants', async () => {
    let failSave = true;
    const crashing: CheckpointStore = {
      getCheckpoint: (name) => feed.getCheckpoint(name),
      saveCheckpoint: (name, position) => {
        if (failSave) {
          failSave = false;
          return Promise.reject(new Error('crashed before the checkpoint'));
        }
        return feed.saveCheckpoint(name, position);
      },
    };
    const m = manager({ checkpoints: crashing });
    await m.start();
    const transactionId = await purchase('o-1');
    await settled(m);
    expect(failSave).to.equal(false);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal(['RightGranted']);
    expect(await rightEventsOf(purchaseRightId(transactionId, 2))).to.deep.equal(['RightGranted']);
  });

  it('reads a capture from the command side’s fold only when that stands at the capture itself', async () => {
    const revisions: (number | null)[] = [];
    const states: RightsOnPurchaseOptions['states'] = {
      load: async (decider, streamId) => {
        const known = await handler.load(decider, streamId);
        revisions.push(known.revision);
        return known;
      },
    };
    // Refunded before the manager runs: the fold stands past the capture and must not be used for it.
    const refunded = await purchase('o-1');
    await refund(refunded, 4900);
    const m = manager({ states });
    await m.start();
    await settled(m);
    const current = await purchase('o-2');
    await settled(m);

    for (const line of [0, 2]) {
      expect(await rightEventsOf(purchaseRightId(refunded, line))).to.deep.equal([
        'RightGranted',
        'RightTerminated',
      ]);
      expect(await rightEventsOf(purchaseRightId(current, line))).to.deep.equal(['RightGranted']);
    }
    // Both purchases' grants are the same as when read from the stream: same validity, same payload.
    for (const transactionId of [refunded, current]) {
      const [granted] = await store.readStream(rightStreamId(purchaseRightId(transactionId, 0)));
      expect(granted!.data).to.deep.include({
        validFrom: CAPTURED_AT,
        validUntil: '2026-01-03T01:00:00.000Z',
      });
    }
    // o-1's capture saw a fold standing at the later refund (so it read the stream instead), the
    // refund its own revision, and o-2's capture its own.
    const revisionOf = async (transactionId: string, type: string) =>
      (await store.readStream(`payment-${transactionId}`)).find((e) => e.type === type)!.revision;
    const refundedAt = await revisionOf(refunded, 'RefundIssued');
    expect(await revisionOf(refunded, 'PaymentCaptured')).to.be.below(refundedAt);
    expect(revisions).to.deep.equal([refundedAt, refundedAt, await revisionOf(current, 'PaymentCaptured')]);
  });

  it('terminates the rights on a full refund and grants nothing when replayed from position 0', async () => {
    const m = manager();
    await m.start();
    const refunded = await purchase('o-1');
    const kept = await purchase('o-2');
    await refund(refunded, 4900);
    await settled(m);

    for (const line of [0, 2]) {
      const right = await queries.get(providerId, purchaseRightId(refunded, line));
      expect(right).to.include({ status: 'terminated' });
      expect(await rightEventsOf(purchaseRightId(refunded, line))).to.deep.equal([
        'RightGranted',
        'RightTerminated',
      ]);
      const [, terminated] = await store.readStream(rightStreamId(purchaseRightId(refunded, line)));
      expect(terminated!.data).to.deep.include({ reason: 'refunded' });
      expect(await queries.get(providerId, purchaseRightId(kept, line))).to.include({ status: 'active' });
    }
    // o-2's rights still give access.
    expect(await queries.access(sub, providerId, 'lifetime')).to.deep.include({
      allowed: true,
      rightId: purchaseRightId(kept, 2),
    });

    // A second process manager with a fresh checkpoint replays the whole log: nothing new is written.
    const head = await store.headPosition();
    const replay = manager({ name: 'rights-on-purchase-replay' });
    await replay.start();
    expect(await replay.waitFor(head, 10_000)).to.equal(true);
    expect(await store.headPosition()).to.equal(head);
    expect(await rightEventsOf(purchaseRightId(refunded, 0))).to.have.length(2);
    expect(await rightEventsOf(purchaseRightId(kept, 0))).to.deep.equal(['RightGranted']);
  });

  it('leaves the rights alone on a partial refund, and terminates them when it is completed', async () => {
    const m = manager();
    await m.start();
    const transactionId = await purchase('o-1');
    await refund(transactionId, 1000);
    await settled(m);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal(['RightGranted']);
    expect(await queries.access(sub, providerId, 'rental-2d')).to.include({ allowed: true });

    await refund(transactionId, 3900);
    await settled(m);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal([
      'RightGranted',
      'RightTerminated',
    ]);
    expect(await queries.access(sub, providerId, 'rental-2d')).to.include({ allowed: false });
  });

  it('names the completing refund as the cause, also when both refunds are handled late', async () => {
    const transactionId = await purchase('o-1');
    await refund(transactionId, 1000);
    await refund(transactionId, 3900);
    const m = manager();
    await m.start();
    await settled(m);
    const payment = await store.readStream(`payment-${transactionId}`);
    const captured = payment.find((e) => e.type === 'PaymentCaptured')!;
    const completing = payment[payment.length - 1]!;
    expect(completing.type).to.equal('RefundIssued');
    const [granted, terminated] = await store.readStream(rightStreamId(purchaseRightId(transactionId, 0)));
    expect(granted!.metadata).to.deep.include({
      causationId: captured.eventId,
      correlationId: ctx.correlationId,
    });
    expect(terminated!.metadata).to.deep.include({ causationId: completing.eventId });
    expect(terminated!.metadata.actor).to.deep.equal({ kind: 'system', id: RIGHTS_ON_PURCHASE_CHECKPOINT });
  });

  it('keeps the rights of SKUs whose policy says so', async () => {
    const asked: string[] = [];
    const keepRightsOnRefund: KeepRightsOnRefund = (provider, sku) => {
      asked.push(`${provider}:${sku}`);
      return Promise.resolve(sku === 'lifetime');
    };
    const m = manager({ keepRightsOnRefund });
    await m.start();
    const transactionId = await purchase('o-1');
    await refund(transactionId, 4900);
    await settled(m);
    expect(asked.sort()).to.deep.equal([`${providerId}:lifetime`, `${providerId}:rental-2d`]);
    expect(await queries.get(providerId, purchaseRightId(transactionId, 0))).to.include({
      status: 'terminated',
    });
    expect(await queries.get(providerId, purchaseRightId(transactionId, 2))).to.include({ status: 'active' });
  });

  it('treats a right already terminated by someone else as done, and goes on', async () => {
    const m = manager();
    await m.start();
    const transactionId = await purchase('o-1');
    await settled(m);
    await rights.terminate(providerId, purchaseRightId(transactionId, 0), 'support', ctx);
    await refund(transactionId, 4900);
    await settled(m);
    expect(m.manager.error).to.equal(null);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal([
      'RightGranted',
      'RightTerminated',
    ]);
    expect(await queries.get(providerId, purchaseRightId(transactionId, 2))).to.include({
      status: 'terminated',
    });
  });

  it('waits for the catalog read model before granting a SKU added just before the purchase', async () => {
    await runner.stop();
    await new CatalogCommands(new CommandHandler(store, clock)).addProduct(
      providerId,
      { price: nok(100), vatRate: 2500, kind: 'one_time', sku: 'fresh', name: 'Fresh', timeSpec: 'P1D' },
      ctx,
    );
    const transactionId = await purchase('o-1', [
      { sku: 'fresh', name: 'Fresh', price: nok(100), vatRate: 2500, timeSpec: 'P1D' },
    ]);
    const m = manager();
    await m.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal([]);
    await runner.start();
    await settled(m);
    expect(await rightEventsOf(purchaseRightId(transactionId, 0))).to.deep.equal(['RightGranted']);
  });

  it('skips a line whose SKU the catalog refuses without holding up later purchases', async () => {
    const m = manager();
    await m.start();
    const unknown = await purchase('o-1', [
      { sku: 'not-in-catalog', name: 'Ghost', price: nok(100), vatRate: 2500, timeSpec: 'P1D' },
      { sku: 'rental-2d', name: 'Rental', price: nok(100), vatRate: 2500, timeSpec: 'P2D' },
    ]);
    const next = await purchase('o-2');
    await refund(unknown, 200);
    await settled(m);
    expect(m.manager.error).to.equal(null);
    expect(await rightEventsOf(purchaseRightId(unknown, 0))).to.deep.equal([]);
    expect(await rightEventsOf(purchaseRightId(unknown, 1))).to.deep.equal([
      'RightGranted',
      'RightTerminated',
    ]);
    expect(await rightEventsOf(purchaseRightId(next, 0))).to.deep.equal(['RightGranted']);
  });

  it('computes the end of a purchased right calendar-aware, and refuses one out of range', () => {
    expect(purchaseValidUntil('2026-01-31T10:00:00.000Z', 'P1M')).to.equal('2026-02-28T10:00:00.000Z');
    expect(purchaseValidUntil('2026-01-01T00:00:00.000Z', 'PT48H')).to.equal('2026-01-03T00:00:00.000Z');
    expect(purchaseValidUntil('2026-01-01T00:00:00.000Z', 'perpetual')).to.equal(null);
    expect(() => purchaseValidUntil('2026-01-01T00:00:00.000Z', 'P999999Y')).to.throw(DomainError);
  });
});
