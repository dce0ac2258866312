import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type Decider, DomainError } from '../../domain/kernel/decider.js';
import { defineEvent, type EventOf } from '../../domain/kernel/event.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import {
  CommandHandler,
  type CommandContext,
  ConcurrencyExhaustedError,
  IdempotencyKeyReusedError,
} from '../../application/kernel/command-handler.js';
import { ReservationConflictError } from '../../application/ports/event-store.js';
import { newId } from '../../application/kernel/ids.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { ManualClock } from '../../infrastructure/clock.js';

// A tiny "named counter" aggregate: created with a unique name, incremented, renamed.
const CounterCreated = defineEvent('CounterCreated', z.object({ name: z.string() }));
const CounterIncremented = defineEvent('CounterIncremented', z.object({ by: z.number().int() }));
const CounterRenamed = defineEvent('CounterRenamed', z.object({ from: z.string(), to: z.string() }));
type CounterEvent =
  EventOf<typeof CounterCreated> | EventOf<typeof CounterIncremented> | EventOf<typeof CounterRenamed>;
type CounterCommand =
  | { type: 'create'; name: string }
  | { type: 'increment'; by: number }
  | { type: 'rename'; to: string }
  | { type: 'touch' };
interface CounterState {
  name: string | null;
  value: number;
}

const counter: Decider<CounterState, CounterCommand, CounterEvent> = {
  initialState: () => ({ name: null, value: 0 }),
  evolve(state, event) {
    switch (event.type) {
      case 'CounterCreated':
        return { ...state, name: event.data.name };
      case 'CounterIncremented':
        return { ...state, value: state.value + event.data.by };
      case 'CounterRenamed':
        return { ...state, name: event.data.to };
    }
  },
  decide(command, state) {
    if (command.type === 'create') {
      if (state.name !== null) throw new DomainError('conflict', 'counter_exists', 'Counter already exists');
      return [CounterCreated({ name: command.name })];
    }
    if (state.name === null) throw new DomainError('not_found', 'counter_not_found', 'No such counter');
    if (command.type === 'increment') return [CounterIncremented({ by: command.by })];
    if (command.type === 'rename') return [CounterRenamed({ from: state.name, to: command.to })];
    return [];
  },
};

const uniqueNames = (events: readonly CounterEvent[]) => ({
  reserve: events.flatMap((e) =>
    e.type === 'CounterCreated'
      ? [{ key: `counter-name:${e.data.name}` }]
      : e.type === 'CounterRenamed'
        ? [{ key: `counter-name:${e.data.to}` }]
        : [],
  ),
  release: events.flatMap((e) => (e.type === 'CounterRenamed' ? [`counter-name:${e.data.from}`] : [])),
});

const ctx: CommandContext = {
  actor: { kind: 'user', id: 'u-1' },
  correlationId: 'corr-1',
  causationId: 'cause-1',
};

describe('CommandHandler', () => {
  let dir: string;
  let store: SqliteEventStore;
  let handler: CommandHandler;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-ch-'));
    const registry = new EventRegistry([CounterCreated, CounterIncremented, CounterRenamed]);
    store = SqliteEventStore.open({ file: join(dir, 'events.db'), registry, clock: new ManualClock() });
    handler = new CommandHandler(store, new ManualClock('2026-03-01T12:00:00Z'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a stream, returns the new state and position, and records the context in metadata', async () => {
    const id = `counter-${newId()}`;
    const result = await handler.handle(counter, id, { type: 'create', name: 'a' }, ctx);
    expect(result.state).to.deep.equal({ name: 'a', value: 0 });
    expect(result.revision).to.equal(0);
    expect(result.deduplicated).to.equal(false);
    expect(result.position).to.be.a('number');
    const [event] = await store.readStream(id);
    expect(event!.metadata).to.include({ correlationId: 'corr-1', causationId: 'cause-1', schemaVersion: 1 });
    expect(event!.metadata.actor).to.deep.equal({ kind: 'user', id: 'u-1' });
  });

  it('appends nothing when the decider decides nothing', async () => {
    const id = `counter-${newId()}`;
    await handler.handle(counter, id, { type: 'create', name: 'b' }, ctx);
    const result = await handler.handle(counter, id, { type: 'touch' }, ctx);
    expect(result.position).to.equal(null);
    expect(result.revision).to.equal(0);
    expect(await store.readStream(id)).to.have.length(1);
  });

  it('propagates domain refusals without appending', async () => {
    const id = `counter-${newId()}`;
    try {
      await handler.handle(counter, id, { type: 'increment', by: 1 }, ctx);
      expect.fail('expected a refusal');
    } catch (err) {
      expect(err).to.be.instanceOf(DomainError);
      expect((err as DomainError).code).to.equal('counter_not_found');
    }
    expect(await store.readStream(id)).to.have.length(0);
  });

  it('retries on revision conflicts so concurrent commands on one stream all apply', async () => {
    const id = `counter-${newId()}`;
    await handler.handle(counter, id, { type: 'create', name: 'c' }, ctx);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        handler.handle(counter, id, { type: 'increment', by: 1 }, ctx, { maxAttempts: 50 }),
      ),
    );
    const { state } = await handler.load(counter, id);
    expect(state.value).to.equal(20);
  });

  it('remembers folded states, yet sees what another process appended and keeps deciding correctly', async () => {
    const id = `counter-${newId()}`;
    await handler.handle(counter, id, { type: 'create', name: 'shared' }, ctx);
    await handler.handle(counter, id, { type: 'increment', by: 2 }, ctx);
    // Another process (its own handler, with its own memory) appends to the same stream.
    const other = new CommandHandler(store, new ManualClock('2026-03-01T12:00:00Z'));
    await other.handle(counter, id, { type: 'increment', by: 5 }, ctx);
    await other.handle(counter, id, { type: 'rename', to: 'renamed' }, ctx);
    // The first handler's remembered state is behind: a load folds the tail onto it.
    expect((await handler.load(counter, id)).state).to.deep.equal({ name: 'renamed', value: 7 });
    // A command decided on a stale memory is retried on a conflict, never lost or applied twice.
    await other.handle(counter, id, { type: 'increment', by: 1 }, ctx);
    const result = await handler.handle(counter, id, { type: 'increment', by: 10 }, ctx);
    expect(result.state.value).to.equal(18);
    expect(result.revision).to.equal(5);
    const all = await store.readStream(id);
    expect(all.map((e) => e.type)).to.deep.equal([
      'CounterCreated',
      'CounterIncremented',
      'CounterIncremented',
      'CounterRenamed',
      'CounterIncremented',
      'CounterIncremented',
    ]);
    // A fresh handler (no memory) folds the whole stream to the same state.
    const fresh = new CommandHandler(store, new ManualClock('2026-03-01T12:00:00Z'));
    expect((await fresh.load(counter, id)).state).to.deep.equal((await handler.load(counter, id)).state);
  });

  it('records a reason given with the command in the events’ metadata', async () => {
    const id = `counter-${newId()}`;
    await handler.handle(counter, id, { type: 'create', name: 'why' }, { ...ctx, reason: 'customer asked' });
    const [event] = await store.readStream(id);
    expect(event!.metadata.reason).to.equal('customer asked');
  });

  it('gives up after the bounded number of attempts', async () => {
    const id = `counter-${newId()}`;
    await handler.handle(counter, id, { type: 'create', name: 'd' }, ctx);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        handler.handle(counter, id, { type: 'increment', by: 1 }, ctx, { maxAttempts: 1 }),
      ),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures.length).to.be.greaterThan(0);
    for (const f of failures)
      expect((f as PromiseRejectedResult).reason).to.be.instanceOf(ConcurrencyExhaustedError);
    const { state } = await handler.load(counter, id);
    expect(state.value).to.equal(results.length - failures.length);
  });

  it('reserves unique keys atomically with the append, and releases them on rename', async () => {
    const first = `counter-${newId()}`;
    const second = `counter-${newId()}`;
    await handler.handle(counter, first, { type: 'create', name: 'shared' }, ctx, {
      reservations: uniqueNames,
    });
    try {
      await handler.handle(counter, second, { type: 'create', name: 'shared' }, ctx, {
        reservations: uniqueNames,
      });
      expect.fail('expected a reservation conflict');
    } catch (err) {
      expect(err).to.be.instanceOf(ReservationConflictError);
    }
    expect(await store.readStream(second)).to.have.length(0);

    await handler.handle(counter, first, { type: 'rename', to: 'other' }, ctx, { reservations: uniqueNames });
    await handler.handle(counter, second, { type: 'create', name: 'shared' }, ctx, {
      reservations: uniqueNames,
    });
    expect((await store.getReservation('counter-name:shared'))!.streamId).to.equal(second);
    expect((await store.getReservation('counter-name:other'))!.streamId).to.equal(first);
  });

  it('lets exactly one of many concurrent creators win a unique key', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'race' }, ctx, {
          reservations: uniqueNames,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
  });

  describe('idempotency keys', () => {
    const idem = (request: unknown) => ({ key: 'key-1', scope: 'provider-a', request });

    it('returns the first result for a repeat with the same key and request', async () => {
      const first = await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'i' }, ctx, {
        idempotency: idem({ name: 'i' }),
      });
      const again = await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'i' }, ctx, {
        idempotency: idem({ name: 'i' }),
      });
      expect(again.deduplicated).to.equal(true);
      expect(again.streamId).to.equal(first.streamId);
      expect(again.position).to.equal(first.position);
      expect(again.state).to.deep.equal(first.state);
      expect(await store.readStream(again.streamId)).to.have.length(1);
    });

    it('refuses the same key with a different request', async () => {
      await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'j' }, ctx, {
        idempotency: idem({ name: 'j' }),
      });
      try {
        await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'k' }, ctx, {
          idempotency: idem({ name: 'k' }),
        });
        expect.fail('expected a refusal');
      } catch (err) {
        expect(err).to.be.instanceOf(IdempotencyKeyReusedError);
      }
    });

    it('keeps keys of different scopes apart', async () => {
      const a = await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'l' }, ctx, {
        idempotency: { key: 'same', scope: 'provider-a', request: 1 },
      });
      const b = await handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'm' }, ctx, {
        idempotency: { key: 'same', scope: 'provider-b', request: 1 },
      });
      expect(b.deduplicated).to.equal(false);
      expect(b.streamId).to.not.equal(a.streamId);
    });

    it('creates once under concurrent repeats', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          handler.handle(counter, `counter-${newId()}`, { type: 'create', name: 'n' }, ctx, {
            idempotency: idem({ name: 'n' }),
          }),
        ),
      );
      const streams = new Set(results.map((r) => r.streamId));
      expect(streams.size).to.equal(1);
      expect(results.filter((r) => !r.deduplicated)).to.have.length(1);
      const all = await store.readAll({ after: 0, maxCount: 1000, filter: { types: ['CounterCreated'] } });
      expect(all.filter((e) => (e.data as { name: string }).name === 'n')).to.have.length(1);
    });
  });
});
