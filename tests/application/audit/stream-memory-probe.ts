/**
 * Child process of audit-streaming.test.ts: exports a period of the store in argv[2] as NDJSON to a
 * byte-counting sink and reports, as one JSON line, how the heap (measured after a forced garbage
 * collection) and the RSS grew while it ran. Run with `node --expose-gc --import tsx`.
 */
import { join } from 'node:path';
import { AuditExporter } from '../../../application/audit/audit-exporter.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import { SystemClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { fakeManifestSigner } from './fake-signer.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const [dir, from, to] = process.argv.slice(2) as [string, string, string];
const store = SqliteEventStore.open({
  file: join(dir, 'events.db'),
  registry: new EventRegistry(paymentEvents),
});
const exporter = new AuditExporter(store, fakeManifestSigner(), new SystemClock());

const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
let bytes = 0;
let chunks = 0;
let baseHeap = 0;
let baseRss = 0;
let peakHeap = 0;
let peakRss = 0;
const run = exporter.export({ from: new Date(from), to: new Date(to) }, 'ndjson');
let rows: number;
for (;;) {
  const next = await run.next();
  if (next.done) {
    rows = next.value.manifest.count;
    break;
  }
  bytes += Buffer.byteLength(next.value);
  chunks += 1;
  if (chunks === 2) {
    baseHeap = heap();
    baseRss = process.memoryUsage().rss;
  } else if (chunks > 2 && chunks % 10 === 0) {
    peakHeap = Math.max(peakHeap, heap());
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}
await store.close();
process.stdout.write(
  `${JSON.stringify({ rows, bytes, chunks, heapGrowth: peakHeap - baseHeap, rssGrowth: peakRss - baseRss, peakRss })}\n`,
);
