import { expect } from 'chai';
import { InvalidEventDataError } from '../../domain/kernel/registry.js';
import { WrongExpectedRevisionError } from '../../application/ports/event-store.js';
import { EsdbEventStore } from '../../infrastructure/eventstore/esdb-event-store.js';
import {
  checkpointToGlobalPosition,
  fromStoredMetadata,
  isVisible,
  planFilter,
  toGlobalPosition,
  toReadPosition,
  toStoredMetadata,
} from '../../infrastructure/eventstore/esdb-positions.js';
import {
  RESERVATION_GRACE_MS,
  evaluateReservation,
  holdsReservation,
  reservationBlocker,
  reservationStreamId,
  resolveExpectedRevision,
  type OwnerAppend,
  type ReservationEntry,
  type ReservationIntent,
  type ReservationState,
} from '../../infrastructure/eventstore/esdb-reservations.js';
import { eventStoreContract } from '../contracts/event-store.contract.js';

const url = process.env.EVENTSTOREDB_URL;
if (url) {
  eventStoreContract('EventStoreDB', async (registry) => {
    const store = await EsdbEventStore.connect({ connectionString: url, registry });
    return { store, cleanup: () => store.close() };
  });
} else {
  describe('EventStore contract: EventStoreDB', () => {
    it('runs when EVENTSTOREDB_URL is set (e.g. esdb://localhost:2113?tls=false)');
  });
}

describe('EsdbEventStore helpers', () => {
  describe('positions', () => {
    it('uses the prepare offset of an event and the commit offset of a checkpoint', () => {
      expect(toGlobalPosition({ commit: 4096n, prepare: 4096n })).to.equal(4096);
      expect(toGlobalPosition({ commit: 100n, prepare: 180n })).to.equal(180);
      expect(checkpointToGlobalPosition({ commit: 5000n, prepare: 0n })).to.equal(5000);
    });

    it('refuses offsets a JavaScript number cannot hold exactly', () => {
      const huge = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
      expect(() => toGlobalPosition({ commit: huge, prepare: huge })).to.throw(RangeError);
    });

    it('maps "after" back to a position: 0 is the start, anything else is that record boundary', () => {
      expect(toReadPosition(0)).to.equal('start');
      expect(toReadPosition(123_456)).to.deep.equal({ commit: 123_456n, prepare: 123_456n });
      const event = { commit: 987n, prepare: 987n };
      expect(toReadPosition(toGlobalPosition(event))).to.deep.equal(event);
    });
  });

  describe('filters', () => {
    it('sends event types to the server as an exact-match regex and checks prefixes here', () => {
      const plan = planFilter({ types: ['ItemAdded', 'a.b'], streamPrefixes: ['cart-'] });
      expect(plan.server).to.deep.equal({ on: 'eventType', regex: '^(?:ItemAdded|a\\.b)$' });
      const server = new RegExp((plan.server as { regex: string }).regex);
      expect(['ItemAdded', 'a.b', 'ItemAddedV2', 'axb'].map((t) => server.test(t))).to.deep.equal([
        true,
        true,
        false,
        false,
      ]);
      expect(plan.matches('cart-1', 'ItemAdded')).to.equal(true);
      expect(plan.matches('user-1', 'ItemAdded')).to.equal(false);
      expect(plan.matches('cart-1', 'ItemRemoved')).to.equal(false);
    });

    it('sends stream prefixes to the server when there are no types', () => {
      const plan = planFilter({ streamPrefixes: ['cart-', 'user-'] });
      expect(plan.server).to.deep.equal({ on: 'streamName', prefixes: ['cart-', 'user-'] });
      expect(plan.matches('user-9', 'Anything')).to.equal(true);
      expect(plan.matches('order-9', 'Anything')).to.equal(false);
    });

    it('always leaves out system events and reservation streams', () => {
      const plan = planFilter();
      expect(plan.server).to.deep.equal({ on: 'eventType', regex: '^[^$]' });
      expect(plan.matches('cart-1', 'ItemAdded')).to.equal(true);
      expect(plan.matches('$stats-1', 'Stats')).to.equal(false);
      expect(plan.matches('cart-1', '$metadata')).to.equal(false);
      expect(plan.matches(reservationStreamId('phone:1'), 'tessera.reservation.claimed')).to.equal(false);
      expect(planFilter({ streamPrefixes: [''] }).matches(reservationStreamId('k'), 'X')).to.equal(false);
    });

    it('matches nothing for an empty list, like the embedded store', () => {
      expect(planFilter({ types: [] }).matches('cart-1', 'ItemAdded')).to.equal(false);
      expect(planFilter({ streamPrefixes: [] }).matches('cart-1', 'ItemAdded')).to.equal(false);
    });
  });

  it('names one reservation stream per key, not derived from the raw key text', () => {
    const a = reservationStreamId('phone:+4790000000');
    expect(a).to.match(/^tessera_reservation-[0-9a-f]{64}$/);
    expect(reservationStreamId('phone:+4790000000')).to.equal(a);
    expect(reservationStreamId('phone:+4790000001')).to.not.equal(a);
    expect(a).to.not.include('4790000000');
    expect(isVisible(a, 'X')).to.equal(false);
  });

  describe('stored metadata', () => {
    const metadata = {
      correlationId: 'corr-1',
      causationId: 'cause-1',
      actor: { kind: 'user' as const, id: 'u1' },
      schemaVersion: 2,
    };

    it('round-trips the envelope metadata and occurredAt, adding EventStoreDB correlation keys', () => {
      const stored = toStoredMetadata(metadata, '2026-01-01T00:00:00.000Z');
      expect(stored).to.include({ $correlationId: 'corr-1', $causationId: 'cause-1' });
      const back = fromStoredMetadata('X', JSON.parse(JSON.stringify(stored)));
      expect(back).to.deep.equal({ metadata, occurredAt: '2026-01-01T00:00:00.000Z' });
    });

    it('fails loudly on metadata that is not Tessera metadata', () => {
      expect(() => fromStoredMetadata('X', { correlationId: 'c' })).to.throw(InvalidEventDataError);
      expect(() => fromStoredMetadata('X', undefined)).to.throw(InvalidEventDataError);
    });
  });

  it('checks an expected revision against the current one', () => {
    expect(resolveExpectedRevision('s', 'any', null)).to.equal(null);
    expect(resolveExpectedRevision('s', 'any', 4)).to.equal(4);
    expect(resolveExpectedRevision('s', 'no_stream', null)).to.equal(null);
    expect(resolveExpectedRevision('s', 3, 3)).to.equal(3);
    expect(() => resolveExpectedRevision('s', 'no_stream', 0))
      .to.throw(WrongExpectedRevisionError)
      .that.includes({ expected: 'no_stream', actual: 0 });
    expect(() => resolveExpectedRevision('s', 2, null))
      .to.throw(WrongExpectedRevisionError)
      .that.includes({ expected: 2, actual: 'no_stream' });
  });

  describe('reservation state', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const fresh = new Date(now - 1_000);
    const stale = new Date(now - RESERVATION_GRACE_MS - 1_000);

    /** Each entry's owner append is named after the entry's revision: `e0`, `e1`, ... */
    function intent(streamId: string, revision: number): ReservationIntent {
      return {
        key: 'k',
        streamId,
        ownerFirstRevision: 0,
        ownerEventId: `e${revision}`,
        ownerEventCount: 1,
        at: 'x',
      };
    }
    const claim = (
      revision: number,
      streamId: string,
      created: Date,
      value: unknown = null,
    ): ReservationEntry => ({
      revision,
      created,
      kind: 'claim',
      intent: intent(streamId, revision),
      value,
    });
    const release = (revision: number, streamId: string, created: Date): ReservationEntry => ({
      revision,
      created,
      kind: 'release',
      intent: intent(streamId, revision),
    });
    const voided = (revision: number, voids: number): ReservationEntry => ({
      revision,
      created: fresh,
      kind: 'void',
      voids,
    });

    /** Owner appends that happened (event id -> position); any other is absent, or superseded if listed. */
    function owners(committed: Record<string, number>, superseded: string[] = []) {
      const asked: string[] = [];
      const lookup = async (i: ReservationIntent): Promise<OwnerAppend> => {
        asked.push(i.ownerEventId);
        const position = committed[i.ownerEventId];
        if (position !== undefined) return { status: 'committed', position };
        return superseded.includes(i.ownerEventId) ? { status: 'superseded' } : { status: 'absent' };
      };
      return { lookup, asked };
    }

    const evaluate = (
      newestFirst: ReservationEntry[],
      committed: Record<string, number>,
      superseded?: string[],
    ) => evaluateReservation(newestFirst, owners(committed, superseded).lookup, now);

    it('is free with no reservation stream', async () => {
      expect(await evaluate([], {})).to.deep.equal({ lastRevision: null, holder: null, pendingBy: null });
    });

    it('is held by the newest claim whose owner append happened, and stops looking there', async () => {
      const { lookup, asked } = owners({ e1: 900, e0: 100 });
      const state = await evaluateReservation(
        [claim(1, 'b', stale, 'v2'), claim(0, 'a', stale)],
        lookup,
        now,
      );
      expect(state).to.deep.equal({
        lastRevision: 1,
        holder: { streamId: 'b', value: 'v2', position: 900 },
        pendingBy: null,
      });
      expect(asked).to.deep.equal(['e1']);
    });

    it('is free after a release whose owner append happened', async () => {
      const state = await evaluate([release(1, 'a', stale), claim(0, 'a', stale)], { e1: 200, e0: 100 });
      expect(state.holder).to.equal(null);
      expect(state.lastRevision).to.equal(1);
    });

    it('treats a young claim without its owner append as pending, on top of what is held', async () => {
      const state = await evaluate([claim(1, 'b', fresh), claim(0, 'a', stale)], { e0: 100 });
      expect(state.pendingBy).to.equal('b');
      expect(state.holder?.streamId).to.equal('a');
    });

    it('ignores a stale claim without its owner append, falling back to the state below it', async () => {
      expect(await evaluate([claim(0, 'a', stale)], {})).to.deep.include({ holder: null, pendingBy: null });
      const state = await evaluate([claim(2, 'b', stale), release(1, 'a', fresh), claim(0, 'a', stale)], {
        e0: 100,
      });
      // a's release is young but its owner append is absent: a still holds, with a release pending.
      expect(state).to.deep.include({ pendingBy: 'a', lastRevision: 2 });
      expect(state.holder?.streamId).to.equal('a');
    });

    it('ignores a superseded claim at once, however young', async () => {
      const state = await evaluate([claim(0, 'a', fresh)], {}, ['e0']);
      expect(state).to.deep.include({ holder: null, pendingBy: null });
    });

    it('skips voided intents', async () => {
      const state = await evaluate([voided(2, 1), claim(1, 'b', fresh), claim(0, 'a', stale)], { e0: 100 });
      expect(state).to.deep.include({ pendingBy: null, lastRevision: 2 });
      expect(state.holder?.streamId).to.equal('a');
    });

    it('decides who may reserve or release', () => {
      const held: ReservationState = {
        lastRevision: 0,
        holder: { streamId: 'a', value: null, position: 1 },
        pendingBy: null,
      };
      expect(reservationBlocker(held, 'a')).to.equal(null);
      expect(reservationBlocker(held, 'b')).to.equal('a');
      expect(holdsReservation(held, 'a')).to.equal(true);
      expect(holdsReservation(held, 'b')).to.equal(false);

      const pending: ReservationState = { lastRevision: 0, holder: null, pendingBy: 'b' };
      expect(reservationBlocker(pending, 'a')).to.equal('b');
      expect(reservationBlocker(pending, 'b')).to.equal(null);
      expect(holdsReservation(pending, 'b')).to.equal(true);
      expect(holdsReservation(pending, 'a')).to.equal(false);

      const free: ReservationState = { lastRevision: 3, holder: null, pendingBy: null };
      expect(reservationBlocker(free, 'a')).to.equal(null);
      expect(holdsReservation(free, 'a')).to.equal(false);
    });
  });
});
