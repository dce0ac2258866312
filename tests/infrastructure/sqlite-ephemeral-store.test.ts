import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ManualClock } from '../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { ephemeralStoreContract } from '../contracts/ephemeral-store.contract.js';

function tempFile(): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ephemeral-'));
  return { dir, file: join(dir, 'ephemeral.db') };
}

ephemeralStoreContract('SqliteEphemeralStore', async (clock) => {
  const { dir, file } = tempFile();
  const store = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEphemeralStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    ({ dir, file } = tempFile());
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries, consumption and counters across reopening', async () => {
    const clock = new ManualClock();
    const first = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
    await first.set('oidc', 'code', { sub: 'u1' }, { ttlSeconds: 60, tags: { grantId: 'g' } });
    await first.consume('oidc', 'code');
    await first.increment('otp', 'attempts', 60, 2);
    await first.close();

    const second = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
    try {
      expect(await second.consume('oidc', 'code')).to.equal(false);
      expect((await second.findByTag('oidc', 'grantId', 'g')).map((e) => e.value)).to.deep.equal([
        { sub: 'u1' },
      ]);
      expect(await second.increment('otp', 'attempts', 60)).to.equal(3);
    } finally {
      await second.close();
    }
  });

  it('purges expired entries in the background', async () => {
    const clock = new ManualClock();
    const store = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 10 });
    const observer = new Database(file, { readonly: true });
    try {
      await store.set('s', 'old', 1, { ttlSeconds: 1, tags: { t: 'x' } });
      await store.set('s', 'new', 2, { ttlSeconds: 100, tags: { t: 'x' } });
      clock.advance(2_000);
      const rows = (): number =>
        observer.prepare('SELECT count(*) FROM ephemeral_entries').pluck().get() as number;
      const deadline = Date.now() + 5_000;
      while (rows() > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(rows()).to.equal(1);
      expect(observer.prepare('SELECT key FROM ephemeral_tags').pluck().all()).to.deep.equal(['new']);
      expect((await store.get('s', 'new'))?.value).to.equal(2);
      expect(await store.purgeExpired()).to.equal(0);
    } finally {
      observer.close();
      await store.close();
    }
  });

  it('restarts a counter over an entry that does not hold a number', async () => {
    const store = SqliteEphemeralStore.open({ file, clock: new ManualClock(), purgeIntervalMs: 0 });
    try {
      await store.set('s', 'k', 'text', { ttlSeconds: 100 });
      expect(await store.increment('s', 'k', 10, 4)).to.equal(4);
      expect(await store.increment('s', 'k', 10)).to.equal(5);
    } finally {
      await store.close();
    }
  });

  it('rejects a negative purge interval and non-finite increments', async () => {
    expect(() => SqliteEphemeralStore.open({ file, purgeIntervalMs: -1 })).to.throw(RangeError);
    const store = SqliteEphemeralStore.open({ file, purgeIntervalMs: 0 });
    try {
      let error: unknown;
      await store.increment('s', 'k', 10, Number.NaN).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(RangeError);
    } finally {
      await store.close();
    }
  });
});
