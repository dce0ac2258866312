/**
 * Append throughput of the embedded event store under many concurrent single-event commands.
 *
 * 64 writers each loop "append one event to my stream at my expected revision" against a temp file
 * with synchronous=FULL, so every acknowledged append is durable. The baseline is the raw limit of
 * the same disk in the same run: better-sqlite3 inserting the same rows into the same table, in
 * transactions of 100, with nothing else to do (ids and JSON prepared in advance).
 *
 * fsync latency on shared machines drifts by tens of percent within seconds, so the two
 * measurements alternate in short rounds and the totals are compared.
 *
 *   npm run bench:append        BENCH_ROUNDS (default 6) x BENCH_ROUND_SECONDS (default 0.5) each
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { defineEvent } from '../domain/kernel/event.js';
import { EventRegistry } from '../domain/kernel/registry.js';
import type { ExpectedRevision, NewEvent } from '../application/ports/event-store.js';
import { SqliteEventStore } from '../infrastructure/eventstore/sqlite-event-store.js';
import { openDatabase } from '../infrastructure/eventstore/sqlite-schema.js';

const WRITERS = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 0.5);
const RAW_TX_SIZE = 100;

const BenchItemAdded = defineEvent(
  'BenchItemAdded',
  z.object({
    sku: z.string().min(1),
    quantity: z.number().int().positive(),
    priceMinor: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
);

/** What one command appends: a small event with per-request metadata. */
function eventFor(writer: number, n: number): NewEvent {
  return {
    type: BenchItemAdded.type,
    data: { sku: `sku-${n % 1000}`, quantity: (n % 5) + 1, priceMinor: 1990, currency: 'NOK' },
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: { kind: 'user', id: `user-${writer}` },
    },
  };
}

interface Run {
  readonly count: number;
  readonly seconds: number;
}

/** The store side: 64 writers, each with its own stream, for one round. */
class StoreWriters {
  private readonly streams = Array.from({ length: WRITERS }, (_, w) => `bench-${w}-${randomUUID()}`);
  private readonly revisions: ExpectedRevision[] = this.streams.map(() => 'no_stream');
  private n = 0;

  constructor(readonly store: SqliteEventStore) {}

  async round(seconds: number): Promise<Run> {
    let stop = false;
    let appends = 0;
    const writer = async (w: number) => {
      while (!stop) {
        const r = await this.store.append(this.streams[w]!, [eventFor(w, this.n++)], {
          expectedRevision: this.revisions[w]!,
        });
        this.revisions[w] = r.nextExpectedRevision;
        appends++;
      }
    };
    const timer = setTimeout(() => (stop = true), seconds * 1000);
    const start = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    clearTimeout(timer);
    return { count: appends, seconds: (performance.now() - start) / 1000 };
  }
}

/** The baseline: the same rows inserted directly, 100 per transaction. */
class RawInserter {
  private readonly insert: Database.Statement;
  private readonly streams = Array.from({ length: WRITERS }, (_, w) => `bench-${w}-${randomUUID()}`);
  private readonly rows = Array.from({ length: 20_000 }, (_, n) => {
    const e = eventFor(n % WRITERS, n);
    return { eventId: randomUUID(), data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) };
  });
  private written = 0;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO events (position, stream_id, revision, event_id, type, schema_version, occurred_at, data, metadata)
       VALUES (?, ?, ?, ?, 'BenchItemAdded', 1, ?, ?, ?)`,
    );
  }

  round(seconds: number): Run {
    const occurredAt = new Date().toISOString();
    const start = performance.now();
    let count = 0;
    while (performance.now() - start < seconds * 1000) {
      this.db.exec('BEGIN IMMEDIATE');
      for (let i = 0; i < RAW_TX_SIZE; i++, count++, this.written++) {
        const n = this.written;
        const row = this.rows[n % this.rows.length]!;
        const stream = this.streams[n % WRITERS]!;
        this.insert.run(
          n + 1,
          stream,
          Math.floor(n / WRITERS),
          row.eventId,
          occurredAt,
          row.data,
          row.metadata,
        );
      }
      this.db.exec('COMMIT');
    }
    return { count, seconds: (performance.now() - start) / 1000 };
  }
}

const rate = (runs: readonly Run[]) =>
  runs.reduce((a, r) => a + r.count, 0) / runs.reduce((a, r) => a + r.seconds, 0);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-append-'));
  const store = SqliteEventStore.open({
    file: path.join(dir, 'store.db'),
    registry: new EventRegistry([BenchItemAdded]),
  });
  const rawDb = openDatabase(path.join(dir, 'raw.db'));
  try {
    console.log(
      `append bench: ${WRITERS} writers, synchronous=FULL, ${ROUNDS} rounds of ${ROUND_SECONDS}s each side`,
    );
    const writers = new StoreWriters(store);
    const raw = new RawInserter(rawDb);
    // Warm-up: JIT, zod, page cache and WAL files on both sides.
    await writers.round(0.3);
    raw.round(0.3);
    const storeRuns: Run[] = [];
    const rawRuns: Run[] = [];
    const commitsBefore = store.stats().commits;
    for (let round = 1; round <= ROUNDS; round++) {
      const r = raw.round(ROUND_SECONDS);
      const s = await writers.round(ROUND_SECONDS);
      rawRuns.push(r);
      storeRuns.push(s);
      console.log(
        `  round ${round}: raw ${Math.round(r.count / r.seconds)} rows/s, store ${Math.round(s.count / s.seconds)} appends/s`,
      );
    }
    const appends = storeRuns.reduce((a, r) => a + r.count, 0);
    const avgBatch = appends / (store.stats().commits - commitsBefore);
    const value = rate(storeRuns);
    const baseline = rate(rawRuns);
    console.log(
      `store ${Math.round(value)} appends/s (avg ${avgBatch.toFixed(1)} per commit), raw ${Math.round(baseline)} rows/s`,
    );
    console.log(
      JSON.stringify({
        bench: 'append',
        value: Math.round(value),
        unit: 'appends/s',
        baseline: Math.round(baseline),
        ratio: Number((value / baseline).toFixed(3)),
        writers: WRITERS,
        events: appends,
        avgBatch: Number(avgBatch.toFixed(1)),
        rawTxSize: RAW_TX_SIZE,
        rounds: ROUNDS,
        roundSeconds: ROUND_SECONDS,
      }),
    );
  } finally {
    await store.close();
    rawDb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
