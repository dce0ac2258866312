import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import {
  ProgressBar,
  formatCount,
  formatEta,
  renderProgressLine,
} from '../../infrastructure/cli/progress.js';
import { rebuildCommand } from '../../infrastructure/cli/rebuild-command.js';
import { defineProjection } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { itemAdded, itemRemoved, testRegistry } from '../fixtures/test-events.js';

/** Collects what a command writes; `isTTY` decides between redrawn bar and plain lines. */
class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('progress bar', () => {
  it('renders name, bar, percentage, counts, rate and ETA', () => {
    expect(
      renderProgressLine({ name: 'carts', done: 520_000, total: 1_000_000, ratePerSec: 85_000, width: 10 }),
    ).to.equal('carts [#####.....] 52% 520,000/1,000,000 events 85,000 ev/s ETA 6s');
    expect(renderProgressLine({ name: 'x', done: 0, total: 300, ratePerSec: 0, width: 4 })).to.equal(
      'x [....] 0% 0/300 events 0 ev/s ETA --',
    );
    expect(renderProgressLine({ name: 'x', done: 300, total: 300, ratePerSec: 12.4, width: 4 })).to.equal(
      'x [####] 100% 300/300 events 12 ev/s ETA 0s',
    );
    // An empty log counts as complete.
    expect(renderProgressLine({ name: 'x', done: 0, total: 0, ratePerSec: 0, width: 2 })).to.equal(
      'x [##] 100% 0/0 events 0 ev/s ETA 0s',
    );
  });

  it('formats counts and durations independently of the locale', () => {
    expect([0, 999, 1000, 1234567, -4200].map(formatCount)).to.deep.equal([
      '0',
      '999',
      '1,000',
      '1,234,567',
      '-4,200',
    ]);
    expect([0, 5.2, 59, 60, 65, 3599, 3600, 7380].map(formatEta)).to.deep.equal([
      '0s',
      '6s',
      '59s',
      '1m00s',
      '1m05s',
      '59m59s',
      '1h00m',
      '2h03m',
    ]);
  });

  it('redraws one line in place on a TTY, at most every redrawMs, always at the end', () => {
    let now = 0;
    const out = new Capture(true);
    const bar = new ProgressBar(out, 'p', { now: () => now, width: 4, redrawMs: 100 });
    bar.update(0, 100);
    now = 50;
    bar.update(10, 100); // too soon: skipped
    now = 1000;
    bar.update(50, 100);
    now = 1100;
    bar.update(100, 100);
    bar.finish('p: done');
    const frames = out.text.split('\r').filter(Boolean);
    expect(frames).to.deep.equal([
      'p [....] 0% 0/100 events 0 ev/s ETA --\x1b[K',
      'p [##..] 50% 50/100 events 50 ev/s ETA 1s\x1b[K',
      'p [####] 100% 100/100 events 91 ev/s ETA 0s\x1b[K',
      'p [####] 100% 100/100 events 91 ev/s ETA 0s\x1b[K\np: done\n',
    ]);
  });

  it('prints a line per 10% step when not on a TTY', () => {
    let now = 0;
    const out = new Capture(false);
    const bar = new ProgressBar(out, 'p', { now: () => now, width: 4 });
    for (let done = 0; done <= 1000; done += 25) {
      now += 10;
      bar.update(done, 1000);
    }
    bar.finish('p: done');
    const lines = out.text.trimEnd().split('\n');
    expect(lines).to.have.length(12);
    expect(lines.slice(0, 11).map((l) => /\] (\d+)%/.exec(l)?.[1])).to.deep.equal([
      '0',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    expect(out.text).not.to.contain('\r');
    expect(lines[11]).to.equal('p: done');
  });
});

describe('rebuild command', () => {
  let dir: string;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;

  const counts = defineProjection({
    name: 'counts',
    version: 1,
    handles: ['TestItemAdded', 'TestItemRemoved'],
    collections: { streams: {} },
    async apply(event, tx) {
      const doc = await tx.get<{ id: string; n: number }>('streams', event.streamId);
      tx.upsert('streams', { id: event.streamId, n: (doc?.n ?? 0) + 1 });
    },
  });
  const removals = defineProjection({
    name: 'removals',
    version: 1,
    handles: ['TestItemRemoved'],
    collections: { skus: {} },
    apply: (event, tx) => tx.upsert('skus', { id: (event.data as { sku: string }).sku }),
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-'));
    store = SqliteEventStore.open({ file: path.join(dir, 'events.db'), registry: testRegistry() });
    readModels = SqliteReadModelStore.open({ file: path.join(dir, 'read.db') });
    for (let i = 0; i < 40; i++) {
      await store.append(`s-${i % 4}`, [itemAdded(`k${i}`), itemRemoved(`k${i}`)], {
        expectedRevision: 'any',
      });
    }
    runner = new ProjectionRunner({ store, readModels, projections: [counts, removals], batchSize: 8 });
  });
  afterEach(async () => {
    await runner.stop();
    await store.close();
    await readModels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds every projection when none is named, with a bar and a summary each', async () => {
    const out = new Capture(false);
    await rebuildCommand(runner, [], out);
    expect((await runner.view<{ id: string; n: number }>('counts', 'streams').get('s-1'))?.n).to.equal(20);
    expect(await runner.view('removals', 'skus').count()).to.equal(40);
    const lines = out.text.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('counts ['))).to.have.length.greaterThan(2);
    expect(lines.find((l) => l.startsWith('counts [')) ?? '').to.match(/\/80 events/);
    expect(lines.filter((l) => /100% 80\/80 events/.test(l))).to.have.length(2);
    const summaries = lines.filter((l) => / rebuilt in /.test(l));
    expect(summaries).to.have.length(2);
    expect(summaries[0]).to.match(
      /^counts: rebuilt in \d+\.\ds, 80 events applied \([\d,]+ ev\/s\), now at position 80$/,
    );
    expect(summaries[1]).to.match(/^removals: rebuilt in \d+\.\ds, 40 events applied /);
    expect((await runner.status()).map((s) => s.lag)).to.deep.equal([0, 0]);
  });

  it('rebuilds only the named projection, redrawing on a TTY', async () => {
    await rebuildCommand(runner, ['counts'], new Capture(false));
    const out = new Capture(true);
    await rebuildCommand(runner, ['removals'], out);
    expect(out.text).to.match(/^\rremovals \[/);
    expect(out.text).to.contain('\n');
    expect(out.text).not.to.contain('counts');
    expect(out.text.trimEnd().split('\n').at(-1)).to.match(/^removals: rebuilt in /);
  });

  it('refuses unknown names before rebuilding anything, listing the known ones', async () => {
    const out = new Capture(false);
    let error: Error | undefined;
    await rebuildCommand(runner, ['counts', 'nope', 'zilch'], out).catch((e: Error) => (error = e));
    expect(error?.message).to.equal(
      'Unknown projections "nope", "zilch". Known projections: counts, removals',
    );
    expect(out.text).to.equal('');
    expect(await runner.view('counts', 'streams').count()).to.equal(0);
  });

  it('reports a failing rebuild and stops with its error', async () => {
    const failing = new ProjectionRunner({
      store,
      readModels,
      projections: [
        defineProjection({
          name: 'broken',
          version: 1,
          handles: ['TestItemRemoved'],
          collections: { x: {} },
          apply: () => {
            throw new Error('boom');
          },
        }),
      ],
    });
    const out = new Capture(true);
    let error: Error | undefined;
    await rebuildCommand(failing, [], out).catch((e: Error) => (error = e));
    expect(error?.message).to.contain('boom');
    expect(out.text).to.match(
      /broken: rebuild failed: Projection broken failed on TestItemRemoved at position 2 .*boom\n$/,
    );
  });
});
