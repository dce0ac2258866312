import type Database from 'better-sqlite3';
import type { PersonalDataVault } from '../../application/ports/personal-data-vault.js';
import { openSqlite } from '../sqlite/open.js';
import { type KeyRepository, KeyVault, type KeyVaultOptions, type StoredKey } from './key-vault.js';

interface KeyRow {
  subject_id: string;
  key_id: string;
  wrapped: string | null;
  created_at: string;
  destroyed_at: string | null;
}

const toStoredKey = (row: KeyRow): StoredKey => ({
  subjectId: row.subject_id,
  keyId: row.key_id,
  wrapped: row.wrapped,
  createdAt: row.created_at,
  destroyedAt: row.destroyed_at,
});

/**
 * Subject keys in their own SQLite file (`vault.db`), apart from the event log. `secure_delete`
 * overwrites a destroyed key's bytes instead of leaving them in free pages, and a destroy truncates
 * the write-ahead log so no earlier copy of the page survives there either.
 */
class SqliteKeyRepository implements KeyRepository {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    db.pragma('secure_delete = ON');
    db.exec(`
      CREATE TABLE IF NOT EXISTS vault_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS vault_keys (
        subject_id   TEXT PRIMARY KEY,
        key_id       TEXT NOT NULL,
        wrapped      TEXT,
        created_at   TEXT NOT NULL,
        destroyed_at TEXT
      ) STRICT;
    `);
    this.statements = {
      insertMeta: db.prepare(`INSERT OR IGNORE INTO vault_meta (name, value) VALUES (?, ?)`),
      getMeta: db.prepare(`SELECT value FROM vault_meta WHERE name = ?`).pluck(),
      get: db.prepare(`SELECT * FROM vault_keys WHERE subject_id = ?`),
      insert: db.prepare(
        `INSERT OR IGNORE INTO vault_keys (subject_id, key_id, wrapped, created_at, destroyed_at)
         VALUES (@subjectId, @keyId, @wrapped, @createdAt, @destroyedAt)`,
      ),
      destroy: db.prepare(
        `INSERT INTO vault_keys (subject_id, key_id, wrapped, created_at, destroyed_at) VALUES (?, '', NULL, ?, ?)
         ON CONFLICT (subject_id) DO UPDATE
         SET wrapped = NULL, destroyed_at = COALESCE(destroyed_at, excluded.destroyed_at)`,
      ),
    };
  }

  async ensureCheckValue(checkValue: string): Promise<string> {
    this.statements.insertMeta.run('master_key_check', checkValue);
    return this.statements.getMeta.get('master_key_check') as string;
  }

  async get(subjectId: string): Promise<StoredKey | null> {
    const row = this.statements.get.get(subjectId) as KeyRow | undefined;
    return row ? toStoredKey(row) : null;
  }

  async insertIfAbsent(record: StoredKey): Promise<StoredKey> {
    this.statements.insert.run(record);
    return (await this.get(record.subjectId))!;
  }

  async destroy(subjectId: string, at: string): Promise<void> {
    this.statements.destroy.run(subjectId, at, at);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export interface SqliteVaultOptions extends KeyVaultOptions {
  /** The key file, e.g. `<DATA_DIR>/vault.db`. */
  readonly file: string;
}

/** The embedded PersonalDataVault. Throws VaultMasterKeyError if the file was made under another master key. */
export async function openSqliteVault(options: SqliteVaultOptions): Promise<PersonalDataVault> {
  const repository = openSqlite(options.file, (db) => new SqliteKeyRepository(db));
  try {
    return await KeyVault.create(repository, options);
  } catch (err) {
    await repository.close();
    throw err;
  }
}
