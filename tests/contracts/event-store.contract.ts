import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import {
  InvalidEventDataError,
  UnknownEventTypeError,
  type EventRegistry,
} from '../../domain/kernel/registry.js';
import {
  type AppendResult,
  type EventStore,
  ReservationConflictError,
  ReservationNotHeldError,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store.js';
import {
  TestItemAdded,
  TestItemRemoved,
  TestNoteTakenV1,
  TestPinged,
  itemAdded,
  itemRemoved,
  testMetadata,
  testRegistry,
  testRegistryV1,
  testRegistryWithExtra,
  uniquePrefix,
} from '../fixtures/test-events.js';

export interface OpenedEventStore {
  readonly store: EventStore;
  /** Closes this store; the underlying storage stays for the rest of the suite run. */
  cleanup(): Promise<void>;
}

/**
 * Opens a store over the suite's storage, decoding with `registry`. The suite may call it several
 * times during one run (also while another store from it is still open), and every store it returns
 * must see the same log: that is how old data is written with an old registry and read with a new one.
 */
export type OpenEventStore = (registry: EventRegistry) => Promise<OpenedEventStore>;

/** Rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the promise to reject');
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function expectIncreasing(positions: readonly number[]): void {
  for (let i = 1; i < positions.length; i++) expect(positions[i]).to.be.greaterThan(positions[i - 1]!);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The behaviour every EventStore adapter must show. Written for a shared, non-empty store: each test
 * uses fresh stream ids under its own prefix, reads the global log only after the head position it
 * saw at its start, and relies on positions being strictly increasing, never on their values.
 */
export function eventStoreContract(label: string, open: OpenEventStore): void {
  describe(`EventStore contract: ${label}`, function () {
    this.timeout(30_000);
    let store: EventStore;
    let cleanup: () => Promise<void>;
    let p: string;

    beforeEach(async () => {
      ({ store, cleanup } = await open(testRegistry()));
      p = uniquePrefix();
    });
    afterEach(async () => cleanup());

    describe('append and read', () => {
      it('reads appended events back with their full envelope', async () => {
        const before = await store.headPosition();
        const streamId = `${p}cart`;
        const givenId = randomUUID();
        const first = itemAdded('sku-1', 2, givenId);
        const second = itemRemoved('sku-1');
        const result = await store.append(streamId, [first, second], { expectedRevision: 'no_stream' });

        expect(result.nextExpectedRevision).to.equal(1);
        expect(result.events).to.have.length(2);
        expect(result.position).to.equal(result.events[1]!.globalPosition);
        const read = await store.readStream(streamId);
        expect(read).to.deep.equal(result.events);

        const [a, b] = read as [RecordedEvent, RecordedEvent];
        expect(a.eventId).to.equal(givenId);
        expect(b.eventId).to.match(UUID).and.not.equal(givenId);
        expect([a.type, b.type]).to.deep.equal([TestItemAdded.type, TestItemRemoved.type]);
        expect([a.streamId, b.streamId]).to.deep.equal([streamId, streamId]);
        expect([a.revision, b.revision]).to.deep.equal([0, 1]);
        expect(a.data).to.deep.equal({ sku: 'sku-1', quantity: 2 });
        expect(b.data).to.deep.equal({ sku: 'sku-1' });
        expect(a.metadata).to.deep.equal({ ...first.metadata, schemaVersion: 1 });
        expect(b.metadata).to.deep.equal({ ...second.metadata, schemaVersion: 1 });
        expect(a.globalPosition).to.be.greaterThan(before);
        expect(b.globalPosition).to.be.greaterThan(a.globalPosition);
        for (const e of read) {
          expect(new Date(e.occurredAt).toISOString()).to.equal(e.occurredAt);
          expect(Math.abs(Date.parse(e.occurredAt) - Date.now())).to.be.lessThan(5 * 60_000);
        }
        expect(await store.headPosition()).to.be.at.least(b.globalPosition);
      });

      it('continues revisions on later appends and reads a stream from a revision', async () => {
        const streamId = `${p}cart`;
        await store.append(streamId, [itemAdded('a')], { expectedRevision: 'no_stream' });
        const result = await store.append(streamId, [itemAdded('b'), itemAdded('c')], {
          expectedRevision: 0,
        });
        expect(result.nextExpectedRevision).to.equal(2);
        expect(result.events.map((e) => e.revision)).to.deep.equal([1, 2]);

        const all = await store.readStream(streamId);
        expect(all.map((e) => (e.data as { sku: string }).sku)).to.deep.equal(['a', 'b', 'c']);
        expectIncreasing(all.map((e) => e.globalPosition));
        const tail = await store.readStream(streamId, { fromRevision: 1 });
        expect(tail.map((e) => e.revision)).to.deep.equal([1, 2]);
        const head = await store.readStream(streamId, { maxCount: 2 });
        expect(head.map((e) => e.revision)).to.deep.equal([0, 1]);
        expect(await store.readStream(streamId, { fromRevision: 3 })).to.deep.equal([]);
      });

      it('reads a stream that does not exist as empty', async () => {
        expect(await store.readStream(`${p}nothing`)).to.deep.equal([]);
      });

      it('rejects an empty event list and an empty stream id', async () => {
        expect(await rejection(store.append(`${p}x`, [], { expectedRevision: 'any' }))).to.be.instanceOf(
          Error,
        );
        expect(
          await rejection(store.append('', [itemAdded('a')], { expectedRevision: 'any' })),
        ).to.be.instanceOf(Error);
        expect(await store.readStream(`${p}x`)).to.deep.equal([]);
      });
    });

    describe('expected revision', () => {
      it("'no_stream' succeeds only while the stream does not exist", async () => {
        const streamId = `${p}s`;
        await store.append(streamId, [itemAdded('a'), itemAdded('b')], { expectedRevision: 'no_stream' });
        const error = await rejection(
          store.append(streamId, [itemAdded('c')], { expectedRevision: 'no_stream' }),
        );
        expect(error).to.be.instanceOf(WrongExpectedRevisionError);
        expect(error).to.include({ streamId, expected: 'no_stream', actual: 1 });
        expect(await store.readStream(streamId)).to.have.length(2);
      });

      it('an exact revision must match the last event of the stream', async () => {
        const streamId = `${p}s`;
        const missing = await rejection(store.append(streamId, [itemAdded('a')], { expectedRevision: 0 }));
        expect(missing).to.be.instanceOf(WrongExpectedRevisionError);
        expect(missing).to.include({ streamId, expected: 0, actual: 'no_stream' });

        await store.append(streamId, [itemAdded('a')], { expectedRevision: 'no_stream' });
        await store.append(streamId, [itemAdded('b')], { expectedRevision: 0 });
        const stale = await rejection(store.append(streamId, [itemAdded('c')], { expectedRevision: 0 }));
        expect(stale).to.be.instanceOf(WrongExpectedRevisionError);
        expect(stale).to.include({ streamId, expected: 0, actual: 1 });
        const ahead = await rejection(store.append(streamId, [itemAdded('c')], { expectedRevision: 5 }));
        expect(ahead).to.include({ expected: 5, actual: 1 });
        expect((await store.readStream(streamId)).map((e) => e.revision)).to.deep.equal([0, 1]);
      });

      it("'any' appends whatever the stream's state", async () => {
        const streamId = `${p}s`;
        const first = await store.append(streamId, [itemAdded('a')], { expectedRevision: 'any' });
        const second = await store.append(streamId, [itemAdded('b')], { expectedRevision: 'any' });
        expect([first.nextExpectedRevision, second.nextExpectedRevision]).to.deep.equal([0, 1]);
      });
    });

    describe('concurrent writers', () => {
      it('exactly one of several writers with the same expected revision wins each round', async () => {
        const streamId = `${p}contended`;
        for (let round = 0; round < 5; round++) {
          const expectedRevision = round === 0 ? ('no_stream' as const) : round - 1;
          const outcomes = await Promise.allSettled(
            Array.from({ length: 8 }, (_, w) =>
              store.append(streamId, [itemAdded(`r${round}w${w}`)], { expectedRevision }),
            ),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          expect(won, `round ${round}`).to.have.length(1);
          for (const l of lost) expect(l.reason).to.be.instanceOf(WrongExpectedRevisionError);
        }
        const events = await store.readStream(streamId);
        expect(events.map((e) => e.revision)).to.deep.equal([0, 1, 2, 3, 4]);
        events.forEach((e, round) =>
          expect((e.data as { sku: string }).sku).to.match(new RegExp(`^r${round}w`)),
        );
      });

      it('writers to different streams all succeed with distinct, increasing positions', async () => {
        const before = await store.headPosition();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.append(`${p}w${i}`, [itemAdded(`${i}-a`), itemAdded(`${i}-b`), itemAdded(`${i}-c`)], {
              expectedRevision: 'no_stream',
            }),
          ),
        );
        const positions = results.flatMap((r) => r.events.map((e) => e.globalPosition));
        expect(new Set(positions).size).to.equal(60);
        for (const r of results) {
          expect(r.events.map((e) => e.revision)).to.deep.equal([0, 1, 2]);
          expectIncreasing(r.events.map((e) => e.globalPosition));
        }
        const all = await store.readAll({ after: before, maxCount: 1000, filter: { streamPrefixes: [p] } });
        expect(all.map((e) => e.globalPosition)).to.deep.equal([...positions].sort((x, y) => x - y));
      });
    });

    describe('readAll', () => {
      it('returns events of all streams in global (append) order', async () => {
        const before = await store.headPosition();
        const plan = ['a', 'b', 'a', 'c', 'b', 'a'];
        const appended: RecordedEvent[] = [];
        for (const [i, s] of plan.entries()) {
          const r = await store.append(`${p}${s}`, [itemAdded(`${s}${i}`)], { expectedRevision: 'any' });
          appended.push(...r.events);
        }
        const all = await store.readAll({ after: before, maxCount: 100, filter: { streamPrefixes: [p] } });
        expect(all).to.deep.equal(appended);
        expectIncreasing(all.map((e) => e.globalPosition));

        const paged: RecordedEvent[] = [];
        for (let after = before; ;) {
          const page = await store.readAll({ after, maxCount: 2, filter: { streamPrefixes: [p] } });
          if (page.length === 0) break;
          expect(page.length).to.be.at.most(2);
          paged.push(...page);
          after = page[page.length - 1]!.globalPosition;
        }
        expect(paged).to.deep.equal(appended);
      });

      it('filters by event type and by stream prefix', async () => {
        const before = await store.headPosition();
        await store.append(`${p}a-1`, [itemAdded('x'), itemRemoved('x')], { expectedRevision: 'no_stream' });
        await store.append(`${p}b-1`, [itemRemoved('y')], { expectedRevision: 'no_stream' });
        await store.append(`${p}c-1`, [itemAdded('z'), itemRemoved('z')], { expectedRevision: 'no_stream' });
        const read = (filter: { types?: string[]; streamPrefixes?: string[] }) =>
          store.readAll({ after: before, maxCount: 1000, filter });

        const removedAnywhere = await read({ types: [TestItemRemoved.type] });
        expect(removedAnywhere.every((e) => e.type === TestItemRemoved.type)).to.equal(true);
        expect(removedAnywhere.filter((e) => e.streamId.startsWith(p)).map((e) => e.streamId)).to.deep.equal([
          `${p}a-1`,
          `${p}b-1`,
          `${p}c-1`,
        ]);

        const ab = await read({ streamPrefixes: [`${p}a-`, `${p}b-`] });
        expect(ab.map((e) => [e.streamId, e.type])).to.deep.equal([
          [`${p}a-1`, TestItemAdded.type],
          [`${p}a-1`, TestItemRemoved.type],
          [`${p}b-1`, TestItemRemoved.type],
        ]);

        const addedInAOrC = await read({ types: [TestItemAdded.type], streamPrefixes: [`${p}a-`, `${p}c-`] });
        expect(addedInAOrC.map((e) => (e.data as { sku: string }).sku)).to.deep.equal(['x', 'z']);
      });
    });

    describe('subscribe', () => {
      it('replays from a position, then delivers live appends until stopped', async () => {
        const before = await store.headPosition();
        const s = `${p}s`;
        const early = await store.append(s, [itemAdded('1'), itemAdded('2'), itemAdded('3')], {
          expectedRevision: 'no_stream',
        });
        const received: RecordedEvent[] = [];
        let running = 0;
        let overlapped = false;
        const sub = store.subscribe({
          after: early.events[0]!.globalPosition,
          filter: { streamPrefixes: [p] },
          batchSize: 2,
          handle: async (events) => {
            overlapped ||= running > 0;
            running++;
            await new Promise((r) => setTimeout(r, 5));
            received.push(...events);
            running--;
          },
        });
        await waitFor(() => received.length === 2, 'catch-up');
        const live = await store.append(s, [itemAdded('4')], { expectedRevision: 2 });
        const other = await store.append(`${p}t`, [itemRemoved('5')], { expectedRevision: 'no_stream' });
        await waitFor(() => received.length === 4, 'live events');
        await sub.stop();
        await sub.done;
        await store.append(s, [itemAdded('6')], { expectedRevision: 3 });
        await new Promise((r) => setTimeout(r, 100));

        expect(received).to.deep.equal([...early.events.slice(1), ...live.events, ...other.events]);
        expect(received[0]!.globalPosition).to.be.greaterThan(before);
        expect(overlapped).to.equal(false);
      });

      it('stop() waits for the handler call in flight', async () => {
        const appended = await store.append(`${p}s`, [itemAdded('1')], { expectedRevision: 'no_stream' });
        let entered = false;
        let finished = false;
        const sub = store.subscribe({
          after: appended.position - 1,
          filter: { streamPrefixes: [p] },
          handle: async () => {
            entered = true;
            await new Promise((r) => setTimeout(r, 150));
            finished = true;
          },
        });
        await waitFor(() => entered, 'the handler to start');
        await sub.stop();
        expect(finished).to.equal(true);
      });

      it('a handler error ends the subscription and rejects done', async () => {
        const after = await store.headPosition();
        await store.append(`${p}s`, [itemAdded('1')], { expectedRevision: 'no_stream' });
        let calls = 0;
        const sub = store.subscribe({
          after,
          filter: { streamPrefixes: [p] },
          handle: async () => {
            calls++;
            throw new Error('projection broke');
          },
        });
        const error = await rejection(sub.done);
        expect((error as Error).message).to.equal('projection broke');
        await store.append(`${p}s`, [itemAdded('2')], { expectedRevision: 0 });
        await new Promise((r) => setTimeout(r, 100));
        expect(calls).to.equal(1);
        await sub.stop();
      });
    });

    it('reads a large stream back complete and in order', async () => {
      const streamId = `${p}big`;
      const total = 5000;
      let expectedRevision: number | 'no_stream' = 'no_stream';
      for (let start = 0; start < total; start += 500) {
        const chunk = Array.from({ length: 500 }, (_, i) => itemAdded(`sku-${start + i}`, start + i + 1));
        expectedRevision = (await store.append(streamId, chunk, { expectedRevision })).nextExpectedRevision;
      }
      const events = await store.readStream(streamId);
      expect(events).to.have.length(total);
      events.forEach((e, i) => {
        expect(e.revision).to.equal(i);
        expect(e.data).to.deep.equal({ sku: `sku-${i}`, quantity: i + 1 });
      });
      expectIncreasing(events.map((e) => e.globalPosition));
    });

    describe('validation', () => {
      it('rejects an unknown event type and appends nothing', async () => {
        const streamId = `${p}s`;
        const unknown = { type: 'TestNoSuchEvent', data: {}, metadata: testMetadata() };
        const error = await rejection(
          store.append(streamId, [itemAdded('ok'), unknown], { expectedRevision: 'no_stream' }),
        );
        expect(error).to.be.instanceOf(UnknownEventTypeError);
        expect(await store.readStream(streamId)).to.deep.equal([]);
      });

      it('rejects invalid data and appends nothing', async () => {
        const streamId = `${p}s`;
        await store.append(streamId, [itemAdded('ok')], { expectedRevision: 'no_stream' });
        const bad = { type: TestItemAdded.type, data: { sku: 'x', quantity: -1 }, metadata: testMetadata() };
        const error = await rejection(
          store.append(streamId, [itemAdded('fine'), bad], { expectedRevision: 0 }),
        );
        expect(error).to.be.instanceOf(InvalidEventDataError);
        expect((error as InvalidEventDataError).issues.map((i) => i.path)).to.include('quantity');
        const badMetadata = {
          ...itemAdded('y'),
          metadata: { ...testMetadata(), actor: { kind: 'robot', id: '' } },
        };
        // @ts-expect-error: deliberately wrong metadata
        await rejection(store.append(streamId, [badMetadata], { expectedRevision: 0 }));
        expect(await store.readStream(streamId)).to.have.length(1);
      });
    });

    describe('schema versions', () => {
      it('upcasts events written under an older schema version when reading', async () => {
        const old = await open(testRegistryV1());
        const streamId = `${p}notes`;
        const before = await store.headPosition();
        try {
          const note = { type: TestNoteTakenV1.type, data: { text: 'remember' }, metadata: testMetadata() };
          await old.store.append(streamId, [note], { expectedRevision: 'no_stream' });
        } finally {
          await old.cleanup();
        }
        const [event] = await store.readStream(streamId);
        expect(event!.data).to.deep.equal({ text: 'remember', tags: [] });
        expect(event!.metadata.schemaVersion).to.equal(1);
        const all = await store.readAll({ after: before, maxCount: 10, filter: { streamPrefixes: [p] } });
        expect(all.map((e) => e.data)).to.deep.equal([{ text: 'remember', tags: [] }]);

        const current = {
          type: TestNoteTakenV1.type,
          data: { text: 'new', tags: ['x'] },
          metadata: testMetadata(),
        };
        const result = await store.append(streamId, [current], { expectedRevision: 0 });
        expect(result.events[0]!.metadata.schemaVersion).to.equal(2);
        expect((await store.readStream(streamId, { fromRevision: 1 }))[0]!.data).to.deep.equal({
          text: 'new',
          tags: ['x'],
        });
      });

      it('fails loudly when reading an event type the registry does not know', async () => {
        const newer = await open(testRegistryWithExtra());
        const streamId = `${p}pings`;
        try {
          const ping = { type: TestPinged.type, data: { at: 'noon' }, metadata: testMetadata() };
          await newer.store.append(streamId, [ping], { expectedRevision: 'no_stream' });
        } finally {
          await newer.cleanup();
        }
        expect(await rejection(store.readStream(streamId))).to.be.instanceOf(UnknownEventTypeError);
      });
    });

    describe('reservations', () => {
      it('reserves a key with an append and refuses it to other streams', async () => {
        const key = `test:${randomUUID()}`;
        const other = `test:${randomUUID()}`;
        const owner = await store.append(`${p}owner`, [itemAdded('a')], {
          expectedRevision: 'no_stream',
          reserve: [{ key, value: { hash: 'h1' } }],
        });
        expect(await store.getReservation(key)).to.deep.equal({
          key,
          streamId: `${p}owner`,
          value: { hash: 'h1' },
          position: owner.position,
        });

        const error = await rejection(
          store.append(`${p}intruder`, [itemAdded('b')], {
            expectedRevision: 'no_stream',
            reserve: [{ key: other }, { key }],
          }),
        );
        expect(error).to.be.instanceOf(ReservationConflictError);
        expect(error).to.include({ key, heldBy: `${p}owner` });
        expect(await store.readStream(`${p}intruder`)).to.deep.equal([]);
        expect(await store.getReservation(other)).to.equal(null);
        expect((await store.getReservation(key))?.streamId).to.equal(`${p}owner`);
      });

      it('a failed append reserves nothing', async () => {
        const key = `test:${randomUUID()}`;
        await store.append(`${p}s`, [itemAdded('a')], { expectedRevision: 'no_stream' });
        const error = await rejection(
          store.append(`${p}s`, [itemAdded('b')], { expectedRevision: 'no_stream', reserve: [{ key }] }),
        );
        expect(error).to.be.instanceOf(WrongExpectedRevisionError);
        expect(await store.getReservation(key)).to.equal(null);
      });

      it('lets the holder re-reserve (replacing the value) and release a key', async () => {
        const key = `test:${randomUUID()}`;
        const s = `${p}holder`;
        await store.append(s, [itemAdded('a')], {
          expectedRevision: 'no_stream',
          reserve: [{ key, value: 1 }],
        });
        const again = await store.append(s, [itemAdded('b')], {
          expectedRevision: 0,
          reserve: [{ key, value: 2 }],
        });
        expect(await store.getReservation(key)).to.deep.equal({
          key,
          streamId: s,
          value: 2,
          position: again.position,
        });

        await store.append(s, [itemRemoved('a')], { expectedRevision: 1, release: [key] });
        expect(await store.getReservation(key)).to.equal(null);
        const next = await store.append(`${p}next`, [itemAdded('c')], {
          expectedRevision: 'any',
          reserve: [{ key }],
        });
        expect(await store.getReservation(key)).to.deep.equal({
          key,
          streamId: `${p}next`,
          value: null,
          position: next.position,
        });
      });

      it('refuses to release a key the stream does not hold, appending nothing', async () => {
        const key = `test:${randomUUID()}`;
        await store.append(`${p}holder`, [itemAdded('a')], {
          expectedRevision: 'no_stream',
          reserve: [{ key }],
        });
        const error = await rejection(
          store.append(`${p}other`, [itemAdded('b')], { expectedRevision: 'any', release: [key] }),
        );
        expect(error).to.be.instanceOf(ReservationNotHeldError);
        expect(error).to.include({ key, streamId: `${p}other` });
        expect(await store.readStream(`${p}other`)).to.deep.equal([]);
        expect((await store.getReservation(key))?.streamId).to.equal(`${p}holder`);

        const never = await rejection(
          store.append(`${p}other`, [itemAdded('b')], {
            expectedRevision: 'any',
            release: [`test:${randomUUID()}`],
          }),
        );
        expect(never).to.be.instanceOf(ReservationNotHeldError);
      });

      it('gives a contested key to exactly one of several concurrent appends', async () => {
        const key = `test:${randomUUID()}`;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.append(`${p}c${i}`, [itemAdded(`${i}`)], {
              expectedRevision: 'no_stream',
              reserve: [{ key }],
            }),
          ),
        );
        const won = outcomes.filter(
          (o): o is PromiseFulfilledResult<AppendResult> => o.status === 'fulfilled',
        );
        expect(won).to.have.length(1);
        for (const o of outcomes)
          if (o.status === 'rejected') expect(o.reason).to.be.instanceOf(ReservationConflictError);
        const holder = await store.getReservation(key);
        expect(holder?.streamId).to.equal(won[0]!.value.events[0]!.streamId);
        expect(holder?.position).to.equal(won[0]!.value.position);
      });
    });
  });
}
