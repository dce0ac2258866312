import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { itemAdded, testRegistry } from '../fixtures/test-events.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const writerScript = path.join(repoRoot, 'tests/fixtures/sqlite-crash-writer.ts');

interface Ack {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly sku: string;
}

/**
 * Runs the writer child on `file`, SIGKILLs it once `killAfter` appends were acknowledged, and
 * returns every acknowledgement it printed (including any that arrived after the kill was sent).
 */
function runAndKill(file: string, writers: number, killAfter: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, file, String(writers)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer produced ${acks.length} acks before the time limit; stderr: ${stderr}`));
    }, 12_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      // The last piece may be a line cut short by the kill; it is not an acknowledgement.
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, streamId, revision, position, sku] = line.split(' ');
        if (tag !== 'ACK' || !streamId || !sku) throw new Error(`unexpected output: ${line}`);
        acks.push({ streamId, revision: Number(revision), position: Number(position), sku });
      }
      if (!killed && acks.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (_code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL')
        reject(new Error(`writer exited on its own (${String(signal)}); stderr: ${stderr}`));
      else resolve(acks);
    });
  });
}

describe('SqliteEventStore crash safety', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-es-crash-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged append across SIGKILL mid-burst, gap-free, and keeps accepting appends', async () => {
    const file = path.join(dir, 'events.db');
    const acks: Ack[] = [];
    // Two crashes: the second child continues the streams the first one left behind.
    for (const killAfter of [300, 500]) {
      const round = await runAndKill(file, 24, killAfter);
      expect(round.length).to.be.at.least(killAfter);
      acks.push(...round);
    }

    const store = SqliteEventStore.open({ file, registry: testRegistry() });
    try {
      const head = await store.headPosition();
      const log = await store.readAll({ after: 0, maxCount: head + 10 });
      expect(log.map((e) => e.globalPosition)).to.deep.equal(Array.from({ length: head }, (_, i) => i + 1));
      expect(head).to.be.at.least(acks.length);

      for (const ack of acks) {
        const event = log[ack.position - 1]!;
        expect({ streamId: event.streamId, revision: event.revision, data: event.data }).to.deep.equal({
          streamId: ack.streamId,
          revision: ack.revision,
          data: { sku: ack.sku, quantity: ack.revision + 1 },
        });
      }
      const byStream = new Map<string, number[]>();
      for (const e of log) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.revision]);
      for (const revisions of byStream.values()) {
        expect(revisions).to.deep.equal(revisions.map((_, i) => i));
      }

      const last = log.at(-1)!;
      const next = await store.append(last.streamId, [itemAdded('after-crash')], {
        expectedRevision: last.revision,
      });
      expect(next.position).to.equal(head + 1);
      const fresh = await store.append('after-crash', [itemAdded('new')], { expectedRevision: 'no_stream' });
      expect(fresh.position).to.equal(head + 2);
    } finally {
      await store.close();
    }
  });
});
