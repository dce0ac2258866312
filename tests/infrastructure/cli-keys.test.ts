import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../infrastructure/clock.js';
import { keysCommand, KeysUsageError } from '../../infrastructure/cli/keys-command.js';
import { openTesseraSigningKeys } from '../../infrastructure/oidc/tessera-keys.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { Secrets } from '../../infrastructure/secrets.js';

describe('CLI: keys list / rotate / prune', function () {
  this.timeout(30_000);
  let dir: string;
  let readModels: SqliteReadModelStore;
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  const out = {
    text: '',
    write(chunk: string) {
      this.text += chunk;
    },
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    out.text = '';
  });
  afterEach(async () => {
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rotates the current key, keeps the old one published until its tokens expire, then prunes it', async () => {
    const keys = await openTesseraSigningKeys({
      readModels,
      clock,
      secrets: Secrets.fromString('k'.repeat(40)),
    });
    const [first] = await keys.ensureCurrent();

    await keysCommand(keys, ['rotate'], out);
    expect(out.text)
      .to.include('New current key')
      .and.include('Running servers sign with it within a minute');
    const listed = await keys.list();
    expect(listed.map((k) => k.status)).to.deep.equal(['current', 'retiring']);
    expect(listed[1]!.kid).to.equal(first!.kid);

    out.text = '';
    await keysCommand(keys, ['list'], out);
    expect(out.text.trim().split('\n')).to.have.length(2);
    expect(out.text).to.include(first!.kid).and.include('published until');

    await keysCommand(keys, ['prune'], out);
    expect(out.text).to.include('Deleted 0');
    clock.advance(2 * 3600_000);
    await keysCommand(keys, ['prune'], out);
    expect(out.text).to.include('Deleted 1');
    expect((await keys.list()).map((k) => k.status)).to.deep.equal(['current']);
  });

  it('refuses unknown actions and extra arguments with the usage text', async () => {
    const keys = await openTesseraSigningKeys({
      readModels,
      clock,
      secrets: Secrets.fromString('k'.repeat(40)),
    });
    for (const args of [[], ['spin'], ['list', 'extra']]) {
      try {
        await keysCommand(keys, args, out);
        expect.fail(`expected a usage error for ${JSON.stringify(args)}`);
      } catch (err) {
        expect(err).to.be.instanceOf(KeysUsageError);
        expect((err as Error).message).to.include('tessera keys rotate');
      }
    }
  });
});
