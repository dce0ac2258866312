import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { InvalidEventDataError } from '../../domain/kernel/registry.js';
import {
  type AppendResult,
  ReservationConflictError,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { eventStoreContract } from '../contracts/event-store.contract.js';
import { itemAdded, itemRemoved, testMetadata, testRegistry } from '../fixtures/test-events.js';

async function settle<T>(promises: Array<Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
  return Promise.allSettled(promises);
}

function fulfilled<T>(outcome: PromiseSettledResult<T> | undefined): T {
  if (outcome?.status !== 'fulfilled') throw new Error(`expected success, got ${String(outcome?.status)}`);
  return outcome.value;
}

function rejected<T>(outcome: PromiseSettledResult<T> | undefined): unknown {
  if (outcome?.status !== 'rejected') throw new Error(`expected failure, got ${String(outcome?.status)}`);
  return outcome.reason;
}

describe('SqliteEventStore', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-es-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  eventStoreContract('SQLite', async (registry) => {
    const store = SqliteEventStore.open({ file: path.join(dir, 'contract.db'), registry });
    return { store, cleanup: () => store.close() };
  });

  describe('SQLite specifics', () => {
    let file: string;
    let store: SqliteEventStore;
    beforeEach(() => {
      file = path.join(dir, `${Math.random().toString(36).slice(2)}.db`);
      store = SqliteEventStore.open({ file, registry: testRegistry() });
    });
    afterEach(async () => store.close());

    it('reads with any mix of row limits, each statement prepared once per limit', async () => {
      await store.append('s-a', [itemAdded('1'), itemRemoved('1'), itemAdded('2')], {
        expectedRevision: 'any',
      });
      await store.append('s-b', [itemAdded('3'), itemRemoved('3')], { expectedRevision: 'any' });
      await store.append('s-a', [itemAdded('4'), itemRemoved('4')], { expectedRevision: 'any' });
      const revisions = async (maxCount?: number) =>
        (
          await store.readStream('s-a', { fromRevision: 1, ...(maxCount === undefined ? {} : { maxCount }) })
        ).map((e) => e.revision);
      const positions = async (after: number, maxCount: number, types?: string[]) =>
        (await store.readAll({ after, maxCount, ...(types ? { filter: { types } } : {}) })).map(
          (e) => e.globalPosition,
        );
      for (let round = 0; round < 2; round++) {
        expect(await revisions(1)).to.deep.equal([1]);
        expect(await revisions(3)).to.deep.equal([1, 2, 3]);
        expect(await revisions()).to.deep.equal([1, 2, 3, 4]);
        expect(await revisions(2)).to.deep.equal([1, 2]);
        expect(await positions(0, 2)).to.deep.equal([1, 2]);
        expect(await positions(2, 5)).to.deep.equal([3, 4, 5, 6, 7]);
        expect(await positions(0, 1)).to.deep.equal([1]);
        expect(await positions(0, 1, ['TestItemRemoved'])).to.deep.equal([2]);
        expect(await positions(0, 3, ['TestItemRemoved'])).to.deep.equal([2, 5, 7]);
        expect(await positions(2, 1, ['TestItemRemoved'])).to.deep.equal([5]);
      }
    });

    it('numbers the log 1, 2, 3, ... without gaps, also around failed appends', async () => {
      await store.append('s-a', [itemAdded('1'), itemAdded('2')], { expectedRevision: 'no_stream' });
      await store.append('s-a', [itemAdded('x')], { expectedRevision: 'no_stream' }).catch(() => undefined);
      await store.append('s-b', [itemAdded('3')], { expectedRevision: 'any' });
      await Promise.allSettled([
        store.append('s-c', [itemAdded('4')], { expectedRevision: 'no_stream' }),
        store.append('s-c', [itemAdded('lost')], { expectedRevision: 'no_stream' }),
        store.append('s-d', [itemAdded('5'), itemAdded('6')], { expectedRevision: 'no_stream' }),
      ]);
      const all = await store.readAll({ after: 0, maxCount: 100 });
      expect(all.map((e) => e.globalPosition)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(await store.headPosition()).to.equal(6);
    });

    it('group-commits concurrent appends into far fewer transactions', async () => {
      const before = store.stats();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.append(`g-${i}`, [itemAdded(`${i}`)], { expectedRevision: 'no_stream' }),
        ),
      );
      const after = store.stats();
      expect(after.appends - before.appends).to.equal(50);
      expect(after.commits - before.commits)
        .to.be.at.least(1)
        .and.at.most(5);
      expect(results.map((r) => r.position).sort((a, b) => a - b)).to.deep.equal(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('a failing append in a batch leaves its neighbours intact', async () => {
      await store.append('held', [itemAdded('h')], {
        expectedRevision: 'no_stream',
        reserve: [{ key: 'k' }],
      });
      const commitsBefore = store.stats().commits;
      const outcomes = await settle<AppendResult>([
        store.append('n-1', [itemAdded('a')], { expectedRevision: 'no_stream' }),
        store.append('held', [itemAdded('stale')], { expectedRevision: 'no_stream' }),
        store.append('n-2', [itemAdded('b'), itemAdded('c')], {
          expectedRevision: 'no_stream',
          reserve: [{ key: 'k2' }],
        }),
        store.append('n-3', [itemAdded('d')], { expectedRevision: 'no_stream', reserve: [{ key: 'k' }] }),
        store.append('n-1', [itemAdded('e')], { expectedRevision: 0 }),
        store.append('n-1', [itemAdded('f')], { expectedRevision: 0 }),
      ]);
      expect(store.stats().commits - commitsBefore).to.equal(1);
      expect(fulfilled(outcomes[0]).position).to.equal(2);
      expect(rejected(outcomes[1])).to.be.instanceOf(WrongExpectedRevisionError);
      expect(fulfilled(outcomes[2]).events.map((e) => e.globalPosition)).to.deep.equal([3, 4]);
      expect(rejected(outcomes[3])).to.be.instanceOf(ReservationConflictError);
      expect(fulfilled(outcomes[4]).events[0]).to.include({ revision: 1, globalPosition: 5 });
      expect(rejected(outcomes[5])).to.include({ expected: 0, actual: 1 });
      expect((await store.readStream('n-1')).map((e) => (e.data as { sku: string }).sku)).to.deep.equal([
        'a',
        'e',
      ]);
      expect(await store.readStream('n-3')).to.deep.equal([]);
      expect((await store.getReservation('k2'))?.position).to.equal(4);
      expect(await store.headPosition()).to.equal(5);
    });

    it('rolls a half-written append back to its savepoint without touching the batch', async () => {
      // A trigger makes the second insert of one append fail after its first insert succeeded.
      const raw = new Database(file);
      raw.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.stream_id = 'poisoned' AND NEW.revision = 1
                BEGIN SELECT RAISE(ABORT, 'poisoned insert'); END`);
      raw.close();
      const outcomes = await settle<AppendResult>([
        store.append('ok-1', [itemAdded('a')], { expectedRevision: 'no_stream' }),
        store.append('poisoned', [itemAdded('b'), itemAdded('c')], {
          expectedRevision: 'no_stream',
          reserve: [{ key: 'p' }],
        }),
        store.append('ok-2', [itemAdded('d')], { expectedRevision: 'no_stream' }),
      ]);
      expect(fulfilled(outcomes[0]).position).to.equal(1);
      expect((rejected(outcomes[1]) as Error).message).to.contain('poisoned insert');
      expect(fulfilled(outcomes[2]).position).to.equal(2);
      expect(await store.readStream('poisoned')).to.deep.equal([]);
      expect(await store.getReservation('p')).to.equal(null);
      expect((await store.readAll({ after: 0, maxCount: 10 })).map((e) => e.streamId)).to.deep.equal([
        'ok-1',
        'ok-2',
      ]);
    });

    it('checks expected revisions against appends made through another connection', async () => {
      const other = SqliteEventStore.open({ file, registry: testRegistry() });
      try {
        await store.append('shared', [itemAdded('a')], { expectedRevision: 'no_stream' });
        await other.append('shared', [itemAdded('b')], { expectedRevision: 0 });
        const [stale] = await settle([store.append('shared', [itemAdded('c')], { expectedRevision: 0 })]);
        expect(rejected(stale)).to.include({ expected: 0, actual: 1 });
        const r = await store.append('shared', [itemAdded('c')], { expectedRevision: 1 });
        expect(r.events[0]).to.include({ revision: 2, globalPosition: 3 });
        const [staleOther] = await settle([
          other.append('shared', [itemAdded('d')], { expectedRevision: 1 }),
        ]);
        expect(rejected(staleOther)).to.include({ expected: 1, actual: 2 });
      } finally {
        await other.close();
      }
    });

    it('validates stream ids, reservation keys and metadata', async () => {
      const long = 'x'.repeat(512);
      await store.append(long, [itemAdded('a')], { expectedRevision: 'no_stream' });
      const errors = await settle([
        store.append(`${long}y`, [itemAdded('a')], { expectedRevision: 'no_stream' }),
        store.append('s', [itemAdded('a')], { expectedRevision: 'no_stream', reserve: [{ key: '' }] }),
        store.append('s', [itemAdded('a')], { expectedRevision: -1 }),
        store.append('s', [], { expectedRevision: 'any' }),
        store.append('s', [{ ...itemAdded('a'), eventId: 'not-a-uuid' }], { expectedRevision: 'any' }),
      ]);
      for (const e of errors) expect(rejected(e)).to.be.instanceOf(TypeError);
      expect((rejected(errors[0]) as Error).message).to.contain('512');
      expect((rejected(errors[3]) as Error).message).to.contain('empty');

      const badMetadata = { ...itemAdded('a'), metadata: { ...testMetadata(), correlationId: '' } };
      const [bad] = await settle([store.append('s', [badMetadata], { expectedRevision: 'any' })]);
      expect(rejected(bad)).to.be.instanceOf(InvalidEventDataError);
      expect((rejected(bad) as InvalidEventDataError).issues[0]?.path).to.equal('metadata.correlationId');
      expect(await store.readStream('s')).to.deep.equal([]);
    });

    it('stamps occurredAt from the clock', async () => {
      const clock = new ManualClock('2030-05-06T07:08:09.010Z');
      const timed = SqliteEventStore.open({ file: ':memory:', registry: testRegistry(), clock });
      try {
        const r = await timed.append('t', [itemAdded('a')], { expectedRevision: 'no_stream' });
        clock.advance(1000);
        await timed.append('t', [itemAdded('b')], { expectedRevision: 0 });
        expect(r.events[0]!.occurredAt).to.equal('2030-05-06T07:08:09.010Z');
        expect((await timed.readStream('t')).map((e) => e.occurredAt)).to.deep.equal([
          '2030-05-06T07:08:09.010Z',
          '2030-05-06T07:08:10.010Z',
        ]);
      } finally {
        await timed.close();
      }
    });

    it('wakes live subscribers right after a local commit and reports checkpoints to filtered ones', async () => {
      const slowPoll = SqliteEventStore.open({ file, registry: testRegistry(), pollIntervalMs: 60_000 });
      const checkpoints: number[] = [];
      const received: number[] = [];
      const sub = slowPoll.subscribe({
        after: 0,
        filter: { types: ['TestItemRemoved'] },
        handle: async (events) => void received.push(...events.map((e) => e.globalPosition)),
        onCheckpoint: (position) => void checkpoints.push(position),
      });
      try {
        await waitUntil(() => checkpoints.length === 1);
        expect(checkpoints).to.deep.equal([0]);
        await slowPoll.append('c', [itemAdded('a'), itemAdded('b')], { expectedRevision: 'no_stream' });
        await waitUntil(() => checkpoints.includes(2), 500);
        const started = Date.now();
        await slowPoll.append('c', [itemRemoved('a')], { expectedRevision: 1 });
        await waitUntil(() => received.length === 1, 500);
        expect(Date.now() - started).to.be.lessThan(500);
        expect(received).to.deep.equal([3]);
        await waitUntil(() => checkpoints.includes(3), 500);
      } finally {
        await sub.stop();
        await slowPoll.close();
      }
    });

    it('sees appends made through another connection by polling', async () => {
      const received: string[] = [];
      const sub = store.subscribe({
        after: 0,
        handle: async (events) => void received.push(...events.map((e) => e.streamId)),
      });
      const other = SqliteEventStore.open({ file, registry: testRegistry() });
      const watcher = SqliteEventStore.open({ file, registry: testRegistry(), pollIntervalMs: 20 });
      const seenByWatcher: string[] = [];
      const watch = watcher.subscribe({
        after: 0,
        handle: async (events) => void seenByWatcher.push(...events.map((e) => e.streamId)),
      });
      try {
        await other.append('elsewhere', [itemAdded('a')], { expectedRevision: 'no_stream' });
        await waitUntil(() => seenByWatcher.length === 1, 2000);
        await waitUntil(() => received.length === 1, 3000);
        expect(received).to.deep.equal(['elsewhere']);
      } finally {
        await Promise.all([sub.stop(), watch.stop()]);
        await Promise.all([other.close(), watcher.close()]);
      }
    });

    it('close() lets queued appends commit, then refuses new work', async () => {
      const pending = store.append('q', [itemAdded('a')], { expectedRevision: 'no_stream' });
      const sub = store.subscribe({ after: 0, handle: async () => undefined });
      await store.close();
      expect((await pending).position).to.equal(1);
      await sub.done;
      const [late] = await settle([store.append('q', [itemAdded('b')], { expectedRevision: 0 })]);
      expect((rejected(late) as Error).message).to.contain('closed');
      const reopened = SqliteEventStore.open({ file, registry: testRegistry() });
      try {
        expect((await reopened.readStream('q')).map((e) => e.revision)).to.deep.equal([0]);
      } finally {
        await reopened.close();
      }
    });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
