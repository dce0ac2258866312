import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalogEvents } from '../../../domain/catalog/events.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { rightEvents } from '../../../domain/right/events.js';
import { rightStreamId } from '../../../domain/right/values.js';
import { CatalogCommands } from '../../../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../../../application/catalog/catalog-queries.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import { RightCommands } from '../../../application/right/right-commands.js';
import { decideAccess, RightQueries } from '../../../application/right/right-queries.js';
import type { GrantRightInput } from '../../../application/right/right-issuer.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { catalogProjection } from '../../../projections/catalog.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { rightsProjection } from '../../../projections/rights.js';

const ctx: CommandContext = { actor: { kind: 'system', id: 'test' }, correlationId: 'corr-test' };
const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const otherSub = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
const T0 = '2026-01-01T00:00:00.000Z';
const nok = (amount: number) => ({ amount, currency: 'NOK' });

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('Right commands and queries (SQLite)', function () {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;
  let rights: RightCommands;
  let queries: RightQueries;
  let providerA: string;
  let providerB: string;

  async function caughtUp(): Promise<void> {
    const head = await store.headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 5000 }))) throw new Error('projections lag behind');
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-rights-'));
    clock = new ManualClock(T0);
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...catalogEvents, ...rightEvents]),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    runner = new ProjectionRunner({
      store,
      readModels,
      projections: [catalogProjection, rightsProjection],
      checkpointIntervalMs: 10,
    });
    await runner.start();
    const handler = new CommandHandler(store, clock);
    const catalog = new CatalogCommands(handler);
    rights = new RightCommands(handler, new CatalogQueries(runner));
    queries = new RightQueries(runner, clock);

    providerA = (await catalog.registerProvider({ name: 'Film A' }, ctx)).id;
    providerB = (await catalog.registerProvider({ name: 'News B' }, ctx)).id;
    const base = { price: nok(4900), vatRate: 2500 };
    await catalog.addProduct(
      providerA,
      { ...base, sku: 'rental-48h', name: 'Rental', kind: 'one_time', timeSpec: 'PT48H' },
      ctx,
    );
    await catalog.addProduct(
      providerA,
      { ...base, sku: 'lifetime', name: 'Lifetime', kind: 'one_time', timeSpec: 'perpetual' },
      ctx,
    );
    await catalog.addProduct(
      providerA,
      { ...base, sku: 'monthly', name: 'Monthly', kind: 'subscription', period: 'P1M' },
      ctx,
    );
    await catalog.addProduct(
      providerB,
      { ...base, sku: 'rental-48h', name: 'B rental', kind: 'one_time', timeSpec: 'P1D' },
      ctx,
    );
    await caughtUp();
  });

  afterEach(async () => {
    await runner.stop();
    await readModels.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const grantA = (extra: Partial<GrantRightInput> = {}): GrantRightInput => ({
    sub,
    providerId: providerA,
    sku: 'rental-48h',
    grantor: { kind: 'provider', id: 'client-a' },
    ...extra,
  });

  describe('grant', () => {
    it('takes validity defaults from the catalog product', async () => {
      const rental = await rights.grant(grantA(), ctx);
      const lifetime = await rights.grant(grantA({ sku: 'lifetime', payload: 'vip' }), ctx);
      expect(rental.created).to.equal(true);
      expect(rental.position).to.be.a('number');
      await caughtUp();
      const view = await queries.get(providerA, rental.rightId);
      expect(view).to.deep.include({
        sub,
        sku: 'rental-48h',
        providerId: providerA,
        validFrom: T0,
        validUntil: '2026-01-03T00:00:00.000Z',
        status: 'active',
        state: 'ACTIVE',
        used: false,
        payload: null,
      });
      expect(view.grantor).to.deep.equal({ kind: 'provider', id: 'client-a' });
      expect(await queries.get(providerA, lifetime.rightId)).to.deep.include({
        validUntil: null,
        payload: 'vip',
      });
    });

    it('refuses an unknown SKU, and a subscription SKU without an end', async () => {
      const unknown = await refusal(rights.grant(grantA({ sku: 'nope' }), ctx));
      expect([unknown.code, unknown.field]).to.deep.equal(['sku_not_found', 'sku']);
      const noEnd = await refusal(rights.grant(grantA({ sku: 'monthly' }), ctx));
      expect([noEnd.code, noEnd.field]).to.deep.equal(['validity_required', 'validUntil']);
      const monthly = await rights.grant(grantA({ sku: 'monthly', validUntil: '2026-02-01T00:00:00Z' }), ctx);
      expect(monthly.created).to.equal(true);
    });

    it('is idempotent by rightId: a retry grants nothing new, different data is a conflict', async () => {
      const rightId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
      const first = await rights.grant(grantA({ rightId }), ctx);
      clock.advance(60_000);
      const again = await rights.grant(grantA({ rightId }), ctx);
      expect(first).to.deep.include({ rightId, created: true });
      expect(again).to.deep.equal({ rightId, position: null, created: false });
      expect(await store.readStream(rightStreamId(rightId))).to.have.length(1);
      const clash = await refusal(rights.grant(grantA({ rightId, payload: 'other' }), ctx));
      expect(clash.code).to.equal('right_exists');
    });

    it('deduplicates concurrent grants of one rightId', async () => {
      const rightId = 'sub-1.period-3';
      const results = await Promise.all([1, 2, 3, 4].map(() => rights.grant(grantA({ rightId }), ctx)));
      expect(results.filter((r) => r.created)).to.have.length(1);
      expect(await store.readStream(rightStreamId(rightId))).to.have.length(1);
    });

    it('deduplicates by Idempotency-Key, returning the first right', async () => {
      const first = await rights.grant(grantA(), ctx, { idempotencyKey: 'k1' });
      const again = await rights.grant(grantA(), ctx, { idempotencyKey: 'k1' });
      expect(again).to.deep.equal({ rightId: first.rightId, position: null, created: false });
      expect(
        (await refusal(rights.grant(grantA({ payload: 'x' }), ctx, { idempotencyKey: 'k1' }))).code,
      ).to.equal('idempotency_key_reused');
    });

    it('grants many, each item on its own, reporting refusals per item', async () => {
      const items = await rights.grantMany(
        [
          grantA(),
          grantA({ sku: 'nope' }),
          grantA({ sku: 'lifetime' }),
          grantA({ validUntil: '2025-01-01T00:00:00Z' }),
        ],
        ctx,
      );
      expect(items.map((i) => i.ok)).to.deep.equal([true, false, true, false]);
      expect(items[1]).to.deep.include({ index: 1 });
      expect(items[1]!.ok === false && items[1]!.error.code).to.equal('sku_not_found');
      expect(items[3]!.ok === false && items[3]!.error.code).to.equal('invalid_validity');
      await caughtUp();
      expect(await queries.listForUser(sub)).to.have.length(2);
    });
  });

  describe('isolation between providers', () => {
    it("answers right_not_found to provider B for every operation on A's right", async () => {
      const { rightId } = await rights.grant(grantA(), ctx);
      await caughtUp();
      const attempts: Array<Promise<unknown>> = [
        queries.get(providerB, rightId),
        rights.extend(providerB, rightId, { by: 'P1D' }, ctx),
        rights.suspend(providerB, rightId, undefined, ctx),
        rights.reactivate(providerB, rightId, ctx),
        rights.terminate(providerB, rightId, 'x', ctx),
        rights.recordUsage(providerB, rightId, ctx),
      ];
      for (const attempt of attempts) {
        const err = await refusal(attempt);
        expect([err.kind, err.code]).to.deep.equal(['not_found', 'right_not_found']);
      }
      expect(await store.readStream(rightStreamId(rightId))).to.have.length(1);
      expect(await queries.listForUser(sub, { providerId: providerB })).to.deep.equal([]);
      expect((await queries.access(sub, providerB, 'rental-48h')).reason).to.equal('no_right');
      expect((await queries.access(sub, providerA, 'rental-48h')).allowed).to.equal(true);
    });

    it('lists a user across providers only when no provider is given', async () => {
      await rights.grant(grantA(), ctx);
      await rights.grant({ ...grantA(), providerId: providerB }, ctx);
      await rights.grant(grantA({ sub: otherSub }), ctx);
      await caughtUp();
      expect((await queries.listForUser(sub)).map((r) => r.providerId)).to.have.members([
        providerA,
        providerB,
      ]);
      expect(await queries.listForUser(sub, { providerId: providerA })).to.have.length(1);
      expect(await queries.listForUser(sub, { providerId: providerA, sku: 'lifetime' })).to.have.length(0);
    });
  });

  describe('lifecycle through the store', () => {
    it('suspends, reactivates, records usage once, extends and terminates', async () => {
      const { rightId } = await rights.grant(grantA(), ctx);
      expect((await rights.suspend(providerA, rightId, 'check', ctx)).right.status).to.equal('suspended');
      expect((await refusal(rights.recordUsage(providerA, rightId, ctx))).code).to.equal('right_not_active');
      await caughtUp();
      expect(await queries.access(sub, providerA, 'rental-48h')).to.deep.include({
        allowed: false,
        reason: 'suspended',
      });
      await rights.reactivate(providerA, rightId, ctx);
      clock.advance(1000);
      const use = await rights.recordUsage(providerA, rightId, ctx);
      const useAgain = await rights.recordUsage(providerA, rightId, ctx);
      expect([use.changed, useAgain.changed, useAgain.position]).to.deep.equal([true, false, null]);
      const extended = await rights.extend(providerA, rightId, { by: 'P1D' }, ctx);
      expect(extended.right.validUntil).to.equal('2026-01-04T00:00:00.000Z');
      await caughtUp();
      expect(await queries.get(providerA, rightId)).to.deep.include({
        used: true,
        usedAt: '2026-01-01T00:00:01.000Z',
        validUntil: '2026-01-04T00:00:00.000Z',
      });
      await rights.terminate(providerA, rightId, 'refund', ctx);
      await caughtUp();
      expect(await queries.access(sub, providerA, 'rental-48h')).to.deep.equal({
        allowed: false,
        rightId,
        validUntil: '2026-01-04T00:00:00.000Z',
        reason: 'terminated',
      });
      expect((await queries.get(providerA, rightId)).state).to.equal('TERMINATED');
    });

    it('refuses to extend an expired right and to use it at exactly its end', async () => {
      const { rightId } = await rights.grant(grantA(), ctx);
      clock.set('2026-01-03T00:00:00.000Z');
      expect((await refusal(rights.recordUsage(providerA, rightId, ctx))).code).to.equal('right_expired');
      expect((await refusal(rights.extend(providerA, rightId, { by: 'P1D' }, ctx))).code).to.equal(
        'right_expired',
      );
    });
  });

  describe('access at exact instants', () => {
    const FROM = '2026-02-01T00:00:00.000Z';
    const UNTIL = '2026-02-03T00:00:00.000Z';

    it('follows the interval [validFrom, validUntil) on the clock', async () => {
      const { rightId } = await rights.grant(grantA({ validFrom: FROM, validUntil: UNTIL }), ctx);
      await caughtUp();
      const check = async (instant: string) => {
        clock.set(instant);
        return queries.access(sub, providerA, 'rental-48h');
      };
      expect(await check('2026-01-31T23:59:59.999Z')).to.deep.equal({
        allowed: false,
        rightId,
        validUntil: UNTIL,
        reason: 'not_yet_valid',
      });
      expect(await check(FROM)).to.deep.equal({
        allowed: true,
        rightId,
        validUntil: UNTIL,
        reason: 'active',
      });
      expect(await check('2026-02-02T23:59:59.999Z')).to.deep.include({ allowed: true, reason: 'active' });
      expect(await check(UNTIL)).to.deep.equal({
        allowed: false,
        rightId,
        validUntil: UNTIL,
        reason: 'expired',
      });
      expect((await queries.listForUser(sub, { activeAt: new Date(FROM) })).map((r) => r.id)).to.deep.equal([
        rightId,
      ]);
      expect(await queries.listForUser(sub, { activeAt: new Date(UNTIL) })).to.deep.equal([]);
      expect((await queries.get(providerA, rightId, new Date('2026-01-15T00:00:00Z'))).state).to.equal(
        'CREATED',
      );
    });

    it('picks the active right that lasts longest, perpetual above all', async () => {
      const short = await rights.grant(grantA({ validUntil: '2026-01-02T00:00:00Z' }), ctx);
      const long = await rights.grant(grantA({ validUntil: '2026-06-01T00:00:00Z' }), ctx);
      await rights.grant(
        grantA({ validFrom: '2025-01-01T00:00:00Z', validUntil: '2025-12-31T00:00:00Z' }),
        ctx,
      );
      await caughtUp();
      expect(await queries.access(sub, providerA, 'rental-48h')).to.deep.include({ rightId: long.rightId });
      const forever = await rights.grant(grantA({ validUntil: null }), ctx);
      await rights.terminate(providerA, long.rightId, undefined, ctx);
      await caughtUp();
      expect(await queries.access(sub, providerA, 'rental-48h')).to.deep.equal({
        allowed: true,
        rightId: forever.rightId,
        validUntil: null,
        reason: 'active',
      });
      expect(short.rightId).to.not.equal(forever.rightId);
    });

    it('answers from the rights not yet ended exactly as from the whole history', async () => {
      // A long history: many ended rentals, some terminated or suspended, extensions, one perpetual.
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const day = 86_400_000;
      const base = Date.parse('2025-06-01T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const from = base + Math.floor(random() * 300) * day;
        const until =
          random() < 0.05 ? null : new Date(from + (1 + Math.floor(random() * 40)) * day).toISOString();
        const { rightId } = await rights.grant(
          grantA({ validFrom: new Date(from).toISOString(), validUntil: until }),
          ctx,
        );
        ids.push(rightId);
      }
      clock.set('2025-06-01T00:00:00Z');
      for (const rightId of ids) {
        const roll = random();
        const change =
          roll < 0.15
            ? rights.terminate(providerA, rightId, undefined, ctx)
            : roll < 0.3
              ? rights.suspend(providerA, rightId, undefined, ctx)
              : roll < 0.4
                ? rights.extend(providerA, rightId, { by: 'P10D' }, ctx)
                : null;
        // A perpetual right cannot be extended: the refusal leaves it as it was.
        if (change !== null) await change.catch((err: unknown) => expect(err).to.be.instanceOf(DomainError));
      }
      await caughtUp();
      const all = (await queries.listForUser(sub, { providerId: providerA, sku: 'rental-48h' }))
        .map(({ state: _state, stateAt: _at, ...doc }) => doc)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const reasons = new Set<string>();
      for (let t = base - 5 * day; t < base + 400 * day; t += 3 * day + 3_600_000) {
        const at = new Date(t);
        const expected = decideAccess(all, at);
        reasons.add(expected.reason);
        expect(await queries.access(sub, providerA, 'rental-48h', at), at.toISOString()).to.deep.equal(
          expected,
        );
        expect(queries.accessNow(sub, providerA, 'rental-48h', at), at.toISOString()).to.deep.equal(expected);
      }
      expect([...reasons].sort()).to.include.members(['active', 'expired', 'not_yet_valid']);
    });

    it('answers like the whole history when many rights are valid at once, ties and all', async () => {
      // 40 rentals valid together, most ending at the same instant (a tie the lowest id wins), some
      // suspended, a few ending later but not valid yet: more than the first look at the latest.
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const later = i % 10 === 0;
        const { rightId } = await rights.grant(
          grantA({
            validFrom: later ? '2026-02-05T00:00:00.000Z' : '2026-02-01T00:00:00.000Z',
            validUntil: later ? '2026-03-01T00:00:00.000Z' : '2026-02-10T00:00:00.000Z',
          }),
          ctx,
        );
        ids.push(rightId);
        if (i % 3 === 0 && !later) await rights.suspend(providerA, rightId, undefined, ctx);
      }
      await caughtUp();
      const all = (await queries.listForUser(sub, { providerId: providerA, sku: 'rental-48h' })).map(
        ({ state: _state, stateAt: _at, ...doc }) => doc,
      );
      expect(all).to.have.length(40);
      for (const instant of ['2026-02-02T00:00:00Z', '2026-02-06T00:00:00Z', '2026-02-20T00:00:00Z']) {
        const at = new Date(instant);
        const expected = decideAccess(all, at);
        expect(await queries.access(sub, providerA, 'rental-48h', at), instant).to.deep.equal(expected);
        expect(queries.accessNow(sub, providerA, 'rental-48h', at), instant).to.deep.equal(expected);
      }
      const tie = decideAccess(all, new Date('2026-02-02T00:00:00Z'));
      expect(tie.allowed).to.equal(true);
      const activeTied = all.filter(
        (d) => d.status === 'active' && d.validUntil === '2026-02-10T00:00:00.000Z',
      );
      expect(tie.rightId).to.equal(activeTied.map((d) => d.id).sort()[0]);
    });

    it('answers many SKUs in one call, in the order asked', async () => {
      await rights.grant(grantA({ sku: 'lifetime' }), ctx);
      await caughtUp();
      const answers = await queries.accessMany(
        sub,
        providerA,
        ['rental-48h', 'lifetime', 'rental-48h'],
        new Date(T0),
      );
      expect(answers.map((a) => [a.sku, a.reason])).to.deep.equal([
        ['rental-48h', 'no_right'],
        ['lifetime', 'active'],
      ]);
    });
  });
});
