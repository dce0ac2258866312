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
    readStream: new ByLimit((limit) =>
      db
        .prepare<[string, number], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision${limitClause(limit)}`,
        )
        .raw(),
    ),
    readAll: new ByLimit((limit) =>
      db
        .prepare<[number], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position${limitClause(limit)}`,
        )
        .raw(),
    ),
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
 * ` LIMIT n` with the limit written in, or nothing for null. SQLite's planner looks at the value
 * bound to `LIMIT ?`, so every binding expires such a statement and it is compiled again on its next
 * run; with the limit as a literal a prepared statement stays reusable. The limit is a validated
 * whole number (never caller text).
 */
export function limitClause(limit: number | null): string {
  if (limit === null) return '';
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`Invalid row limit ${String(limit)}`);
  return ` LIMIT ${limit}`;
}

/** Distinct limits kept per statement; callers use a few (their batch sizes). */
const LIMITS_KEPT = 32;

/**
 * One statement prepared per distinct row limit (see {@link limitClause}), on first use, and kept;
 * past LIMITS_KEPT distinct limits the oldest is dropped.
 */
export class ByLimit<P extends unknown[], R> {
  private readonly statements = new Map<number | null, Database.Statement<P, R>>();

  constructor(private readonly prepare: (limit: number | null) => Database.Statement<P, R>) {}

  /** The statement reading at most `limit` rows (null: all of them). */
  get(limit: number | null): Database.Statement<P, R> {
    let statement = this.statements.get(limit);
    if (statement === undefined) {
      statement = this.prepare(limit);
      if (this.statements.size >= LIMITS_KEPT) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(limit, statement);
    }
    return statement;
  }
}

/**
 * Statement for a filtered read of the global log, at most `limit` rows. The number of types and
 * prefixes varies, so the SQL text is built from the filter's shape (and the limit, see
 * {@link limitClause}) and cached by the caller under `key`. A count of null leaves that condition
 * out; a count of 0 is an empty list, which matches nothing.
 */
export function filteredReadSql(
  typeCount: number | null,
  prefixCount: number | null,
  limit: number,
): { key: string; sql: string } {
  const where = ['position > ?'];
  if (typeCount !== null) where.push(`type IN (${Array.from({ length: typeCount }, () => '?').join(', ')})`);
  if (prefixCount !== null) {
    const anyPrefix = Array.from({ length: prefixCount }, () => 'substr(stream_id, 1, ?) = ?').join(' OR ');
    where.push(`(${anyPrefix || '0'})`);
  }
  return {
    key: `${typeCount ?? '-'}:${prefixCount ?? '-'}:${limit}`,
    sql: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position${limitClause(limit)}`,
  };
}
