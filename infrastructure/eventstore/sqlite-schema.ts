import type Database from 'better-sqlite3';
import { openSqlite } from '../sqlite/open.js';

/**
 * On-disk layout of the embedded event store.
 *
 * `position` is the rowid, so the global log is stored (and scanned) in position order without a
 * separate index. Positions are assigned explicitly by the writer inside its write transaction
 * (head + 1, head + 2, ...), which keeps them gap-free even when an append is rolled back to its
 * savepoint. Data and metadata are JSON text: cheap to write, and JSON.parse is the fastest decoder
 * available to Node.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY,
  stream_id      TEXT    NOT NULL,
  revision       INTEGER NOT NULL,
  event_id       TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  occurred_at    TEXT    NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream_id, revision);
CREATE TABLE IF NOT EXISTS reservations (
  key       TEXT    PRIMARY KEY,
  stream_id TEXT    NOT NULL,
  value     TEXT    NOT NULL,
  position  INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Column order of every event read: statements run in raw mode and return these tuples. */
export type EventRow = [
  position: number,
  streamId: string,
  revision: number,
  eventId: string,
  type: string,
  schemaVersion: number,
  occurredAt: string,
  data: string,
  metadata: string,
];

export const EVENT_COLUMNS =
  'position, stream_id, revision, event_id, type, schema_version, occurred_at, data, metadata';

/** Opens (creating if needed) a database file in WAL mode with durable commits. */
export function openDatabase(file: string): Database.Database {
  return openSqlite(file, (db) => {
    db.exec(SCHEMA);
    return db;
  });
}

/** The fixed statements of the store, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT append_one'),
    releaseSavepoint: db.prepare('RELEASE append_one'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO append_one'),
    head: db.prepare<[], number | null>('SELECT max(position) FROM events').pluck(),
    streamRevision: db
      .prepare<[string], number>(
        'SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
      )
      .pluck(),
    insertEvent: db.prepare<[number, string, number, string, string, number, string, string, string]>(
      `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    readStream: db
      .prepare<[string, number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      )
      .raw(),
    readAll: db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw(),
    reservationHolder: db
      .prepare<[string], string>('SELECT stream_id FROM reservations WHERE key = ?')
      .pluck(),
    reservation: db.prepare<[string], { stream_id: string; value: string; position: number }>(
      'SELECT stream_id, value, position FROM reservations WHERE key = ?',
    ),
    upsertReservation: db.prepare<[string, string, string, number]>(
      `INSERT INTO reservations (key, stream_id, value, position) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET stream_id = excluded.stream_id, value = excluded.value, position = excluded.position`,
    ),
    deleteReservation: db.prepare<[string]>('DELETE FROM reservations WHERE key = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

/**
 * Statement for a filtered read of the global log. The number of types and prefixes varies, so the
 * SQL text is built from the filter's shape and cached by the caller under `key`. A count of null
 * leaves that condition out; a count of 0 is an empty list, which matches nothing.
 */
export function filteredReadSql(
  typeCount: number | null,
  prefixCount: number | null,
): { key: string; sql: string } {
  const where = ['position > ?'];
  if (typeCount !== null) where.push(`type IN (${Array.from({ length: typeCount }, () => '?').join(', ')})`);
  if (prefixCount !== null) {
    const anyPrefix = Array.from({ length: prefixCount }, () => 'substr(stream_id, 1, ?) = ?').join(' OR ');
    where.push(`(${anyPrefix || '0'})`);
  }
  return {
    key: `${typeCount ?? '-'}:${prefixCount ?? '-'}`,
    sql: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`,
  };
}
