import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../application/ports/logger.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SigningKeyRotation } from '../../../infrastructure/oidc/key-rotation.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';

const DAY = 24 * 3600 * 1000;

describe('SigningKeyRotation', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteReadModelStore;
  let clock: ManualClock;
  let keys: SigningKeyStore;
  let rebuilds: number;

  const rotation = (rotateAfterDays: number, onKeysChanged = async () => void (rebuilds += 1)) =>
    new SigningKeyRotation({ keys, clock, rotateAfterDays, onKeysChanged, logger: silentLogger });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-key-rotation-'));
    store = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    clock = new ManualClock('2026-03-01T12:00:00.000Z');
    keys = await SigningKeyStore.open({ store, clock, maxTokenLifetimeSeconds: 3600 });
    await keys.ensureCurrent();
    rebuilds = 0;
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a young key alone and rebuilds nothing', async () => {
    const r = rotation(90);
    await r.prime();
    clock.advance(89 * DAY);
    expect(await r.check()).to.deep.equal({ pruned: 0, rotated: false, changed: false });
    expect(rebuilds).to.equal(0);
    expect(await keys.list()).to.have.length(1);
  });

  it('replaces the key once it reaches the rotation age, keeps the old one published, and rebuilds', async () => {
    const r = rotation(90);
    await r.prime();
    const [before] = await keys.list();
    clock.advance(90 * DAY);
    expect(await r.check()).to.deep.equal({ pruned: 0, rotated: true, changed: true });
    expect(rebuilds).to.equal(1);
    const after = await keys.list();
    expect(after.map((k) => k.status)).to.deep.equal(['current', 'retiring']);
    expect(after[1]!.kid).to.equal(before!.kid);
    expect((await keys.jwks()).keys.map((k) => k.kid)).to.include(before!.kid);

    // Once every token the old key signed has expired, it is pruned and the provider rebuilt again.
    clock.advance(3601 * 1000);
    expect(await r.check()).to.deep.equal({ pruned: 1, rotated: false, changed: true });
    expect(rebuilds).to.equal(2);
    expect((await keys.list()).map((k) => k.kid)).to.not.include(before!.kid);
  });

  it('notices keys rotated elsewhere (the keys command, another process) and rebuilds', async () => {
    const r = rotation(0);
    await r.prime();
    await keys.rotate();
    expect(await r.check()).to.deep.equal({ pruned: 0, rotated: false, changed: true });
    expect(rebuilds).to.equal(1);
    expect(await r.check()).to.deep.equal({ pruned: 0, rotated: false, changed: false });
  });

  it('never rotates with a rotation age of 0', async () => {
    const r = rotation(0);
    await r.prime();
    clock.advance(3650 * DAY);
    expect((await r.check()).rotated).to.equal(false);
  });

  it('retries the rebuild at the next check when it failed', async () => {
    let fail = true;
    const r = rotation(0, async () => {
      if (fail) throw new Error('provider could not be built');
      rebuilds += 1;
    });
    await r.prime();
    await keys.rotate();
    let error: unknown;
    await r.check().catch((err: unknown) => (error = err));
    expect(String(error)).to.include('provider could not be built');
    fail = false;
    expect((await r.check()).changed).to.equal(true);
    expect(rebuilds).to.equal(1);
  });

  it('refuses a negative or fractional rotation age', () => {
    expect(() => rotation(-1)).to.throw(RangeError);
    expect(() => rotation(1.5)).to.throw(RangeError);
  });
});
