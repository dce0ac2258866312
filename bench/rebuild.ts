/**
 * Rebuild throughput: how fast the projection runner rebuilds a realistic read model from a
 * 1,000,000-event SQLite log, against the raw limit of reading those rows with better-sqlite3 and
 * JSON-parsing their data and metadata (measured in the same run).
 *
 *   npm run bench:rebuild            (BENCH_EVENTS=200000 for a quicker run)
 *
 * Last line: {"bench":"rebuild","value":<events/s>,"unit":"events/s","baseline":<rows/s>,"ratio":..., ...}
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineEvent } from '../domain/kernel/event.js';
import { EventRegistry } from '../domain/kernel/registry.js';
import type { NewEvent } from '../application/ports/event-store.js';
import { SqliteEventStore } from '../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../infrastructure/readmodels/sqlite-read-model-store.js';
import { defineProjection } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const STREAMS = 10_000;
const EVENTS_PER_APPEND = 10;
const BATCH_SIZE = Number(process.env.BENCH_BATCH ?? 5000);

const Money = z.object({ amount: z.number().int(), currency: z.string().length(3) });
const LineAdded = defineEvent(
  'BenchLineAdded',
  z.object({
    customerId: z.string(),
    sku: z.string(),
    quantity: z.number().int().positive(),
    unitPrice: Money,
  }),
);
const LineRemoved = defineEvent(
  'BenchLineRemoved',
  z.object({ sku: z.string(), quantity: z.number().int().positive() }),
);

type Summary = {
  readonly id: string;
  readonly customerId: string | null;
  readonly lines: number;
  readonly quantity: number;
  readonly totalMinor: number;
  readonly currency: string;
  readonly lastSku: string;
  readonly updatedAt: string;
  readonly revision: number;
};

/** Per-cart summary, one document per stream, read through the tx and replaced on every event. */
const summaries = defineProjection({
  name: 'bench_carts',
  version: 1,
  handles: [LineAdded.type, LineRemoved.type],
  collections: { summaries: { indexes: [{ fields: ['customerId'] }] } },
  async apply(event, tx) {
    const doc = await tx.get<Summary>('summaries', event.streamId);
    if (event.type === LineAdded.type) {
      const d = event.data as z.infer<typeof LineAdded.schema>;
      tx.upsert('summaries', {
        id: event.streamId,
        customerId: d.customerId,
        lines: (doc?.lines ?? 0) + 1,
        quantity: (doc?.quantity ?? 0) + d.quantity,
        totalMinor: (doc?.totalMinor ?? 0) + d.quantity * d.unitPrice.amount,
        currency: d.unitPrice.currency,
        lastSku: d.sku,
        updatedAt: event.occurredAt,
        revision: event.revision,
      } satisfies Summary);
    } else {
      const d = event.data as z.infer<typeof LineRemoved.schema>;
      tx.upsert('summaries', {
        id: event.streamId,
        customerId: doc?.customerId ?? null,
        lines: Math.max(0, (doc?.lines ?? 0) - 1),
        quantity: Math.max(0, (doc?.quantity ?? 0) - d.quantity),
        totalMinor: doc?.totalMinor ?? 0,
        currency: doc?.currency ?? 'NOK',
        lastSku: d.sku,
        updatedAt: event.occurredAt,
        revision: event.revision,
      } satisfies Summary);
    }
  },
});

function eventsFor(stream: number, round: number): NewEvent[] {
  const metadata = {
    correlationId: randomUUID(),
    causationId: null,
    actor: { kind: 'user' as const, id: `u${stream}` },
  };
  return Array.from({ length: EVENTS_PER_APPEND }, (_, i) =>
    (round + i) % 5 === 4
      ? { type: LineRemoved.type, data: { sku: `sku-${(round + i - 1) % 97}`, quantity: 1 }, metadata }
      : {
          type: LineAdded.type,
          data: {
            customerId: `customer-${stream % 2500}`,
            sku: `sku-${(round + i) % 97}`,
            quantity: 1 + ((stream + i) % 3),
            unitPrice: { amount: 1990 + ((round * 7 + i) % 50) * 10, currency: 'NOK' },
          },
          metadata,
        },
  );
}

async function seed(store: SqliteEventStore): Promise<void> {
  const appends = EVENTS / EVENTS_PER_APPEND;
  const started = Date.now();
  let done = 0;
  while (done < appends) {
    const chunk: Array<Promise<unknown>> = [];
    for (let k = 0; k < 1000 && done < appends; k++, done++) {
      const stream = done % STREAMS;
      const round = Math.floor(done / STREAMS);
      chunk.push(store.append(`cart-${stream}`, eventsFor(stream, round), { expectedRevision: 'any' }));
    }
    await Promise.all(chunk);
    if (done % 20_000 === 0) {
      process.stdout.write(`\rseeding ${(done * EVENTS_PER_APPEND).toLocaleString('en-US')} events`);
    }
  }
  process.stdout.write(
    `\rseeded ${EVENTS.toLocaleString('en-US')} events in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
}

/** The raw limit: read every row in position order and JSON-parse data and metadata. */
function rawRead(file: string): { rows: number; seconds: number } {
  const db = new Database(file, { readonly: true });
  try {
    const stmt = db
      .prepare<[number, number], unknown[]>(
        'SELECT position, stream_id, revision, event_id, type, schema_version, occurred_at, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
      )
      .raw();
    const started = process.hrtime.bigint();
    let after = 0;
    let rows = 0;
    let checksum = 0;
    for (;;) {
      const batch = stmt.all(after, BATCH_SIZE);
      if (batch.length === 0) break;
      for (const row of batch) {
        const data = JSON.parse(row[7] as string) as { quantity?: number };
        const metadata = JSON.parse(row[8] as string) as { actor: { id: string } };
        checksum += (data.quantity ?? 0) + metadata.actor.id.length;
      }
      rows += batch.length;
      after = batch[batch.length - 1]![0] as number;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (checksum === 0) throw new Error('nothing read');
    return { rows, seconds };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-rebuild-'));
  const eventsFile = path.join(dir, 'events.db');
  const registry = new EventRegistry([LineAdded, LineRemoved]);
  const store = SqliteEventStore.open({ file: eventsFile, registry });
  const readModels = SqliteReadModelStore.open({ file: path.join(dir, 'read.db') });
  try {
    await seed(store);

    const baseline1 = rawRead(eventsFile);
    console.log(`raw read: ${Math.round(baseline1.rows / baseline1.seconds).toLocaleString('en-US')} rows/s`);

    const runner = new ProjectionRunner({
      store,
      readModels,
      projections: [summaries],
      batchSize: BATCH_SIZE,
    });
    let lastReport = 0;
    const started = process.hrtime.bigint();
    await runner.rebuild(summaries.name, (p) => {
      if (p.events - lastReport >= 100_000) {
        lastReport = p.events;
        console.log(`rebuild: ${p.events.toLocaleString('en-US')} events, position ${p.position}/${p.head}`);
      }
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const value = EVENTS / seconds;
    console.log(`rebuild: ${Math.round(value).toLocaleString('en-US')} events/s (${seconds.toFixed(2)}s)`);

    const docs = await runner.view<Summary>(summaries.name, 'summaries').count();
    if (docs !== STREAMS) throw new Error(`expected ${STREAMS} summaries, found ${docs}`);

    const baseline2 = rawRead(eventsFile);
    console.log(
      `raw read again: ${Math.round(baseline2.rows / baseline2.seconds).toLocaleString('en-US')} rows/s`,
    );
    const baseline = Math.max(baseline1.rows / baseline1.seconds, baseline2.rows / baseline2.seconds);
    await runner.stop();

    console.log(
      JSON.stringify({
        bench: 'rebuild',
        value: Math.round(value),
        unit: 'events/s',
        baseline: Math.round(baseline),
        ratio: Number((value / baseline).toFixed(3)),
        events: EVENTS,
        streams: STREAMS,
        batchSize: BATCH_SIZE,
        seconds: Number(seconds.toFixed(2)),
        documents: docs,
      }),
    );
  } finally {
    await store.close();
    await readModels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
