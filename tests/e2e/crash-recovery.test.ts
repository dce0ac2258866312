import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventStore } from '../../application/ports/event-store.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts `tessera serve` as a separate process on a free port and resolves with its base URL. */
function startServerProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infrastructure/main.ts', 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      DEMO_SEED: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[0] });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}:\n${stderr}`));
    });
  });
}

interface Product {
  id: string;
  sku: string;
  [field: string]: unknown;
}

async function listAll(server: TestServer, path: string): Promise<Product[]> {
  const items: Product[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const res = await server.request<{ items: Product[]; nextCursor: string | null }>('GET', path + query);
    expect(res.status).to.equal(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

describe('Crash recovery (SIGKILL during a write burst)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged write and leaves every projection equal to a fresh rebuild', async () => {
    const started = await startServerProcess(dataDir);
    child = started.child;
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const post = (path: string, body: unknown) =>
      fetch(started.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const providerRes = await post('/admin/v1/providers', { name: 'Crash Test Media' });
    expect(providerRes.status).to.equal(201);
    const providerId = ((await providerRes.json()) as { id: string }).id;

    // 16 writers add products as fast as they can; the process is killed once 150 were acknowledged.
    const acknowledged: Array<{ id: string; sku: string }> = [];
    let killed = false;
    let next = 0;
    const writer = async () => {
      while (!killed) {
        const sku = `sku-${next++}`;
        try {
          const res = await post(`/admin/v1/providers/${providerId}/products`, {
            sku,
            name: `Product ${sku}`,
            kind: 'one_time',
            price: { amount: 1000 + next, currency: 'NOK' },
            vatRate: 2500,
            timeSpec: 'P30D',
          });
          if (res.status !== 201) continue;
          acknowledged.push({ id: ((await res.json()) as { id: string }).id, sku });
          if (acknowledged.length >= 150 && !killed) {
            killed = true;
            child!.kill('SIGKILL');
          }
        } catch {
          // The connection died with the process: this write was never acknowledged.
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    await new Promise((r) =>
      child!.exitCode !== null || child!.signalCode !== null ? r(null) : child!.once('exit', r),
    );
    expect(child.signalCode).to.equal('SIGKILL');

    const server = await startTestServer({ dataDir });
    try {
      await server.waitUntilReady(30_000);
      const path = `/admin/v1/providers/${providerId}/products`;
      const afterRestart = await listAll(server, path);
      const present = new Map(afterRestart.map((p) => [p.id, p.sku]));
      for (const ack of acknowledged)
        expect(present.get(ack.id), `acknowledged ${ack.sku}`).to.equal(ack.sku);

      // Every ProductAdded in the log is in the read model exactly once.
      const store = server.server.container.get<EventStore>(TOKENS.EventStore);
      const added = await store.readAll({ after: 0, maxCount: 100_000, filter: { types: ['ProductAdded'] } });
      expect(afterRestart).to.have.length(added.length);
      expect(new Set(afterRestart.map((p) => p.sku)).size).to.equal(afterRestart.length);

      const providersBefore = await listAll(server, '/admin/v1/providers');
      await server.server.container.get<ProjectionRunner>(TOKENS.ProjectionRunner).rebuild('catalog');
      expect(await listAll(server, path)).to.deep.equal(afterRestart);
      expect(await listAll(server, '/admin/v1/providers')).to.deep.equal(providersBefore);
    } finally {
      await server.close();
    }
  });
});
