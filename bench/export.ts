/**
 * Auditor export throughput: exporting a log of payment transaction events as NDJSON (hash chain,
 * summaries of earlier events, signed manifest) against the raw limit of the same run: reading the
 * same events through the EventStore port and writing each as a JSON line. Both write to a sink that
 * only counts bytes, so the disk is not what is measured.
 *
 *   npm run bench:export                 1,000,000 events (seeding them takes a few minutes)
 *   BENCH_EVENTS=100000 npm run bench:export      a quicker run
 *   BENCH_DIR=/tmp/export-bench npm run bench:export   seed there once and reuse it on later runs
 *   BENCH_ROUNDS=2                       measurements per side, alternating (default 2; best counts)
 *   BENCH_ROUNDS=0 BENCH_DIR=…           seed only
 *   BENCH_NODE_FLAGS="…"                 V8 flags of the measuring processes (default below)
 *
 * Each measurement runs in a fresh child process (`node --import tsx`, as `npm start` runs), so its
 * peak RSS (getrusage maxrss, the whole process) is the export's own and not the seeding's. Both
 * sides run with the same modest heap limits (young generation 4 MB per semi-space, old generation
 * 64 MB): with V8's defaults the young generation alone may take 48 MB and garbage is collected
 * lazily, so RSS would show V8's slack rather than the live set. The export finishing under those
 * limits is itself the check that it streams. About 100 MB of the RSS is the process before any
 * work (Node, tsx's loader thread, the modules): `startRssMB` reports it. Each side also reports
 * the peaks of its memory figures, sampled once per page (`exportMemoryMB`, `baselineMemoryMB`:
 * rss, V8 heapUsed and heapTotal, external, arrayBuffers, and the anonymous and file-backed parts of
 * the RSS), which show where the memory above that start goes; BENCH_TRACE=1 makes each child
 * print its V8 heap spaces at the end as well. `ratio` compares wall-clock rates (the best round of
 * each side); `cpuRatio` compares the CPU time each side took (the least of its rounds), which moves
 * far less when other processes share the machine.
 *
 * Last line:
 * {"bench":"export","value":<events/s>,"unit":"events/s","baseline":<events/s>,"ratio":…,"rowsPerSec":…,"peakRssMB":…,…}
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { promisify } from 'node:util';
import { AuditExporter } from '../application/audit/audit-exporter.js';
import type { NewEvent } from '../application/ports/event-store.js';
import type { ManifestSigner } from '../application/ports/manifest-signer.js';
import { EventRegistry } from '../domain/kernel/registry.js';
import { paymentEvents } from '../domain/payment/events.js';
import { SystemClock } from '../infrastructure/clock.js';
import { JwsManifestSigner } from '../infrastructure/audit/jws-manifest.js';
import { SqliteEventStore } from '../infrastructure/eventstore/sqlite-event-store.js';
import { SigningKeyStore } from '../infrastructure/oidc/signing-keys.js';
import { SqliteReadModelStore } from '../infrastructure/readmodels/sqlite-read-model-store.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PAGE = 1000;
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=4 --max-old-space-size=64')
  .split(' ')
  .filter((f) => f !== '');
const PERIOD = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };

const provider = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
const metadata = {
  correlationId: 'bench',
  causationId: null,
  actor: { kind: 'client' as const, id: 'bench-client' },
};

/**
 * One transaction's events, in a realistic mix: every fifth one declined before it is paid, every
 * third one partly refunded, every eleventh refunded in full as well.
 */
function transactionEvents(n: number): NewEvent[] {
  const transactionId = randomUUID();
  const amount = { amount: 4900 + (n % 50) * 100, currency: n % 7 === 0 ? 'SEK' : 'NOK' };
  const card = {
    kind: 'card' as const,
    reference: `tok_${'abcdefghijklmnop'.slice(n % 8, (n % 8) + 8)}abcdefgh visa **** 4242 12/2030`,
  };
  const events: NewEvent[] = [
    {
      type: 'TransactionCreated',
      data: {
        transactionId,
        providerId: provider,
        orderId: `order-${n}`,
        sub: randomUUID(),
        description: 'Film rental, 48 hours',
        amount,
        vatRate: 2500,
        products: [{ sku: 'film-rental-48h', name: 'Film rental', price: amount, vatRate: 2500 }],
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: 'bench-client',
        expiresAt: null,
      },
      metadata,
    },
  ];
  if (n % 5 === 0) {
    events.push(
      { type: 'PaymentAttemptStarted', data: { transactionId, attemptId: `d${n}`, method: card }, metadata },
      {
        type: 'PaymentFailed',
        data: { transactionId, attemptId: `d${n}`, amount, code: 'card_declined', message: 'Declined' },
        metadata,
      },
    );
  }
  events.push(
    { type: 'PaymentAttemptStarted', data: { transactionId, attemptId: `a${n}`, method: card }, metadata },
    { type: 'PaymentCaptured', data: { transactionId, attemptId: `a${n}`, amount }, metadata },
  );
  const refunds = n % 11 === 0 ? [1000, amount.amount - 1000] : n % 3 === 0 ? [1000] : [];
  refunds.forEach((value, r) =>
    events.push({
      type: 'RefundIssued',
      data: {
        transactionId,
        refundId: `r${n}-${r}`,
        amount: { amount: value, currency: amount.currency },
        reason: 'goodwill',
        issuer: { kind: 'provider', id: 'bench-client' },
      },
      metadata,
    }),
  );
  return events;
}

function openStore(dir: string): SqliteEventStore {
  return SqliteEventStore.open({
    file: path.join(dir, 'events.db'),
    registry: new EventRegistry(paymentEvents),
  });
}

async function seed(dir: string): Promise<number> {
  const store = openStore(dir);
  try {
    const have = await store.headPosition();
    if (have >= EVENTS) {
      console.log(`reusing ${have.toLocaleString('en-US')} events in ${dir}`);
      return have;
    }
    if (have > 0)
      throw new Error(`${dir} holds ${have} events, fewer than BENCH_EVENTS; use an empty directory`);
    const started = Date.now();
    let written = 0;
    let n = 0;
    let lastReport = 0;
    while (written < EVENTS) {
      const appends: Promise<unknown>[] = [];
      for (let k = 0; k < 1000 && written < EVENTS; k++, n++) {
        const events = transactionEvents(n).slice(0, EVENTS - written);
        written += events.length;
        appends.push(
          store.append(`payment-${(events[0]!.data as { transactionId: string }).transactionId}`, events, {
            expectedRevision: 'no_stream',
          }),
        );
      }
      await Promise.all(appends);
      if (written - lastReport >= 100_000) {
        lastReport = written;
        process.stdout.write(`\rseeding ${written.toLocaleString('en-US')} events`);
      }
    }
    console.log(
      `\rseeded ${written.toLocaleString('en-US')} events (${n.toLocaleString('en-US')} transactions) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    return written;
  } finally {
    await store.close();
  }
}

/** The largest value each memory figure reached while the work ran, in MB (sampled once per page). */
interface MemoryPeaks {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Anonymous (malloc, V8) and file-backed resident memory, from /proc/self/status (Linux). */
  rssAnon: number;
  rssFile: number;
}

/** Samples process.memoryUsage() and /proc/self/status, keeping each figure's peak. */
class MemorySampler {
  readonly peaks: MemoryPeaks = {
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
    rssAnon: 0,
    rssFile: 0,
  };

  sample(): void {
    const m = process.memoryUsage();
    const p = this.peaks;
    p.rss = Math.max(p.rss, m.rss / 1048576);
    p.heapUsed = Math.max(p.heapUsed, m.heapUsed / 1048576);
    p.heapTotal = Math.max(p.heapTotal, m.heapTotal / 1048576);
    p.external = Math.max(p.external, m.external / 1048576);
    p.arrayBuffers = Math.max(p.arrayBuffers, m.arrayBuffers / 1048576);
    let status = '';
    try {
      status = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      return;
    }
    const kB = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
    p.rssAnon = Math.max(p.rssAnon, kB('RssAnon'));
    p.rssFile = Math.max(p.rssFile, kB('RssFile'));
  }

  rounded(): MemoryPeaks {
    const out = { ...this.peaks };
    for (const k of Object.keys(out) as (keyof MemoryPeaks)[]) out[k] = Number(out[k].toFixed(1));
    return out;
  }
}

interface Measurement {
  readonly kind: 'raw' | 'export';
  readonly events: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU time (user + system, all threads) the work took: less sensitive to other load than `seconds`. */
  readonly cpuSeconds: number;
  readonly maxRssMB: number;
  /** RSS once the modules are loaded and the store is open, before any work. */
  readonly startRssMB: number;
  /** Peaks of the memory figures during the work. */
  readonly memory: MemoryPeaks;
}

/** Child side: one measurement, reported as a JSON line. */
async function measure(kind: 'raw' | 'export', dir: string): Promise<void> {
  const store = openStore(dir);
  const head = await store.headPosition();
  const startRssMB = process.memoryUsage.rss() / 1048576;
  const sampler = new MemorySampler();
  sampler.sample();
  const start = { ...sampler.peaks };
  let bytes = 0;
  let rows = 0;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  if (kind === 'raw') {
    for (let after = 0; ;) {
      const page = await store.readAll({ after, maxCount: PAGE });
      if (page.length === 0) break;
      let chunk = '';
      for (const event of page) chunk += `${JSON.stringify(event)}\n`;
      bytes += Buffer.byteLength(chunk);
      rows += page.length;
      sampler.sample();
      after = page[page.length - 1]!.globalPosition;
    }
  } else {
    const readModels = SqliteReadModelStore.open({ file: path.join(dir, 'keys.db') });
    const keys = await SigningKeyStore.open({
      store: readModels,
      clock: new SystemClock(),
      maxTokenLifetimeSeconds: 3600,
    });
    await keys.ensureCurrent();
    const signer: ManifestSigner = new JwsManifestSigner(keys);
    const run = new AuditExporter(store, signer, new SystemClock()).export(PERIOD, 'ndjson', {
      pageSize: PAGE,
    });
    for (;;) {
      const next = await run.next();
      if (next.done) {
        rows = next.value.manifest.count;
        break;
      }
      bytes += Buffer.byteLength(next.value);
      sampler.sample();
    }
    await readModels.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  await store.close();
  const result: Measurement = {
    kind,
    events: head,
    rows,
    bytes,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    startRssMB,
    memory: sampler.rounded(),
  };
  if (process.env.BENCH_TRACE) {
    const spaces = Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .map((s) => [
          s.space_name,
          `${(s.space_used_size / 1048576).toFixed(1)}/${(s.space_size / 1048576).toFixed(1)}`,
        ]),
    );
    process.stderr.write(
      `start ${JSON.stringify(start)}\nend spaces (used/size MB) ${JSON.stringify(spaces)}\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The least CPU time of several measurements of the same work. */
function minCpu(ms: readonly Measurement[]): number {
  return Math.min(...ms.map((m) => m.cpuSeconds));
}

/** Each memory figure's peak over several measurements. */
function peakMemory(ms: readonly Measurement[]): MemoryPeaks {
  const out = { ...ms[0]!.memory };
  for (const m of ms)
    for (const k of Object.keys(out) as (keyof MemoryPeaks)[]) out[k] = Math.max(out[k], m.memory[k]);
  return out;
}

async function inChild(kind: 'raw' | 'export', dir: string): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', import.meta.filename, 'measure', kind, dir],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measurement;
}

async function main(): Promise<void> {
  const keep = process.env.BENCH_DIR;
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-export-'));
  fs.mkdirSync(dir, { recursive: true });
  try {
    const events = await seed(dir);
    if (ROUNDS < 1) return;
    const raw: Measurement[] = [];
    const exported: Measurement[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await inChild('raw', dir);
      const e = await inChild('export', dir);
      raw.push(r);
      exported.push(e);
      console.log(
        `  round ${round}: raw ${Math.round(r.events / r.seconds).toLocaleString('en-US')} events/s (${r.maxRssMB.toFixed(0)} MB), ` +
          `export ${Math.round(e.events / e.seconds).toLocaleString('en-US')} events/s, ${Math.round(e.rows / e.seconds).toLocaleString('en-US')} rows/s (${e.maxRssMB.toFixed(0)} MB)`,
      );
    }
    const best = (ms: Measurement[]) => ms.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const r = best(raw);
    const e = best(exported);
    const value = e.events / e.seconds;
    const baseline = r.events / r.seconds;
    const peakRssMB = Math.max(...exported.map((m) => m.maxRssMB));
    console.log(
      `export: ${e.rows.toLocaleString('en-US')} rows from ${events.toLocaleString('en-US')} events in ${e.seconds.toFixed(1)}s; raw read + JSON in ${r.seconds.toFixed(1)}s`,
    );
    console.log(
      JSON.stringify({
        bench: 'export',
        value: Math.round(value),
        unit: 'events/s',
        baseline: Math.round(baseline),
        ratio: Number((value / baseline).toFixed(3)),
        rows: e.rows,
        rowsPerSec: Math.round(e.rows / e.seconds),
        peakRssMB: Number(peakRssMB.toFixed(1)),
        baselinePeakRssMB: Number(Math.max(...raw.map((m) => m.maxRssMB)).toFixed(1)),
        cpuRatio: Number((minCpu(raw) / minCpu(exported)).toFixed(3)),
        startRssMB: Number(e.startRssMB.toFixed(1)),
        exportMemoryMB: peakMemory(exported),
        baselineMemoryMB: peakMemory(raw),
        nodeFlags: NODE_FLAGS.join(' '),
        events,
        exportMB: Number((e.bytes / 1048576).toFixed(1)),
        rounds: ROUNDS,
      }),
    );
  } finally {
    if (keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, kind, dir] = process.argv.slice(2);
if (mode === 'measure' && (kind === 'raw' || kind === 'export') && dir !== undefined)
  await measure(kind, dir);
else await main();
