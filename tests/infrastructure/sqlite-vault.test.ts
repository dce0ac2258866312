import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { VaultMasterKeyError } from '../../application/ports/personal-data-vault.js';
import { openSqliteVault } from '../../infrastructure/vault/sqlite-vault.js';
import { LruCache } from '../../infrastructure/vault/lru.js';
import { personalDataVaultContract } from '../contracts/personal-data-vault.contract.js';

personalDataVaultContract('SQLite vault', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-vault-'));
  return {
    open: (masterKey) => openSqliteVault({ file: join(dir, 'vault.db'), masterKey }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite vault storage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-vault-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores data keys only wrapped, and overwrites a destroyed key on disk', async () => {
    const file = join(dir, 'vault.db');
    const vault = await openSqliteVault({ file, masterKey: randomBytes(32) });
    const subject = randomUUID();
    await vault.encrypt(subject, 'x');
    const observer = new Database(file, { readonly: true });
    const wrapped = observer
      .prepare('SELECT wrapped FROM vault_keys WHERE subject_id = ?')
      .pluck()
      .get(subject);
    observer.close();
    expect(wrapped)
      .to.be.a('string')
      .and.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    await vault.destroy(subject);
    // Checked while the vault is still open, so the write-ahead log is still there too.
    const needle = Buffer.from(wrapped as string, 'utf8');
    try {
      for (const name of readdirSync(dir)) {
        expect(readFileSync(join(dir, name)).includes(needle), name).to.equal(false);
      }
    } finally {
      await vault.close();
    }
  });

  it('reports a wrong master key even when the key check row is intact but a key was swapped in', async () => {
    const file = join(dir, 'vault.db');
    const master = randomBytes(32);
    const first = await openSqliteVault({ file, masterKey: master });
    const subject = randomUUID();
    const sealed = await first.encrypt(subject, 'x');
    await first.close();
    // A key row wrapped under some other master key (e.g. restored from another installation).
    const otherFile = join(dir, 'other.db');
    const other = await openSqliteVault({ file: otherFile, masterKey: randomBytes(32) });
    await other.encrypt(subject, 'y');
    await other.close();
    const source = new Database(otherFile, { readonly: true });
    const row = source
      .prepare('SELECT key_id, wrapped FROM vault_keys WHERE subject_id = ?')
      .get(subject) as {
      key_id: string;
      wrapped: string;
    };
    source.close();
    const db = new Database(file);
    db.prepare('UPDATE vault_keys SET key_id = ?, wrapped = ? WHERE subject_id = ?').run(
      sealed.split('.')[1],
      row.wrapped,
      subject,
    );
    db.close();

    const reopened = await openSqliteVault({ file, masterKey: master });
    try {
      let error: unknown;
      await reopened.decrypt(subject, sealed).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(VaultMasterKeyError);
    } finally {
      await reopened.close();
    }
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry and expires old ones', () => {
    let now = 0;
    const cache = new LruCache<string, number>(2, 100, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).to.equal(1);
    cache.set('c', 3);
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')).to.equal(1);
    expect(cache.size).to.equal(2);
    now = 100;
    expect(cache.get('c')).to.equal(undefined);
    const off = new LruCache<string, number>(0);
    off.set('a', 1);
    expect(off.get('a')).to.equal(undefined);
  });
});
