import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { seedPayments } from './seed-payments.js';

/** 100,000 rows from 125,000 events: each transaction's capture and seven partial refunds. */
const TRANSACTIONS = 12_500;
const REFUNDS = 7;
/** Growth of the heap (after GC) allowed while exporting; the output is many times larger. */
const HEAP_CEILING = 24 * 1024 * 1024;
const RSS_CEILING = 64 * 1024 * 1024;

/**
 * The export streams: 100,000 rows go out while the heap of the exporting process (a child with
 * --expose-gc, so the heap is measured after collection) stays under a fixed ceiling, far below the
 * size of what it wrote.
 */
describe('Auditor export streaming', function () {
  this.timeout(90_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-stream-'));
    const store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry(paymentEvents),
    });
    await seedPayments(store, { transactions: TRANSACTIONS, refundsOf: () => REFUNDS });
    await store.close();
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports 100,000 rows in constant memory', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(import.meta.dirname, 'stream-memory-probe.ts'),
        dir,
        '2000-01-01T00:00:00Z',
        '2100-01-01T00:00:00Z',
      ],
      { maxBuffer: 1 << 20 },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      rows: number;
      bytes: number;
      heapGrowth: number;
      rssGrowth: number;
    };
    expect(report.rows).to.equal(100_000);
    expect(report.bytes).to.be.greaterThan(50 * 1024 * 1024);
    expect(report.heapGrowth, `heap grew by ${report.heapGrowth} bytes`).to.be.lessThan(HEAP_CEILING);
    expect(report.rssGrowth, `RSS grew by ${report.rssGrowth} bytes`).to.be.lessThan(RSS_CEILING);
  });
});
