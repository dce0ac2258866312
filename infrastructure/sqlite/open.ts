import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opens (creating if needed, with its directory) one of the embedded SQLite files, with the settings
 * every embedded store relies on: WAL, synchronous=FULL (a COMMIT fsyncs, so an acknowledged write
 * survives power loss, and a projection checkpoint never runs ahead of the events it covers), and a
 * busy timeout, since another process (the CLI beside a server) may hold the write lock briefly.
 * `synchronous: 'NORMAL'` keeps every commit across a process crash (WAL) and may lose the last ones
 * only on power loss or an OS crash; it is for data that is short-lived by nature.
 * `init` runs on the new connection; if it throws, the connection is closed.
 */
export function openSqlite<T>(
  file: string,
  init: (db: Database.Database) => T,
  options: { cacheSizeKiB?: number; synchronous?: 'FULL' | 'NORMAL' } = {},
): T {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    if (options.cacheSizeKiB !== undefined) db.pragma(`cache_size = -${Math.floor(options.cacheSizeKiB)}`);
    return init(db);
  } catch (error) {
    db.close();
    throw error;
  }
}
