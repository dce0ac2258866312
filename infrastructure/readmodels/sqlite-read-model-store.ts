/**
 * The embedded ReadModelStore: JSON documents in one SQLite table per collection,
 * `rm_<name>(id TEXT PRIMARY KEY, doc TEXT)`, with indexes as expression indexes on
 * `json_extract(doc, '$.field')` (non-unique ones end with `id`, so (field, id) order is index order).
 *
 * Projections call `write()` with large batches during a rebuild, so the write path does no schema
 * lookups: each collection's prepared statements are built once (on open or ensureCollection) and
 * the whole batch plus the checkpoint compare-and-set run in one transaction.
 *
 * Durability follows what a write is. A projection batch carries its checkpoint and commits in WAL
 * mode with synchronous=NORMAL: it survives a process crash, and a power loss can only lose the last
 * batches together with their checkpoints, which the projection then applies again from the event
 * store (whose commits are fsynced, so a read model never runs ahead of the events). Nine
 * projections follow every append, so an fsync per batch would cost more than the batches do. A
 * write without a checkpoint is state of record that no log can rebuild (signing keys, for one):
 * it commits with synchronous=FULL, which also syncs every batch before it.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  type Change,
  type Checkpoint,
  CheckpointConflictError,
  type CheckpointUpdate,
  type CollectionSpec,
  type Doc,
  type FindOptions,
  type IndexSpec,
  InvalidQueryError,
  type Page,
  type ReadCollection,
  type ReadModelStore,
  type SyncReadCollection,
  UniqueIndexViolationError,
  UnknownCollectionError,
  type Where,
} from '../../application/ports/read-model-store.js';
import { assertCollectionName, assertFieldName, normalizeFind, pageFrom } from './query.js';
import { openSqlite } from '../sqlite/open.js';
import { countQuery, fieldExpr, findQueries, limited, type SqlParam } from './sqlite-find.js';

interface IndexInfo {
  readonly name: string;
  readonly fields: readonly string[];
  readonly unique: boolean;
}

interface CollectionState {
  readonly name: string;
  readonly table: string;
  readonly indexes: readonly IndexInfo[];
  readonly upsert: Database.Statement<[string, string]>;
  readonly remove: Database.Statement<[string]>;
  readonly get: Database.Statement<[string], string>;
  /** Prepared find/count statements by SQL text, oldest first (bounded). */
  readonly queries: Map<string, Database.Statement<SqlParam[]>>;
}

const QUERY_CACHE_SIZE = 128;
/** Most of the file mapped for reads (address space only; pages come from the OS file cache). */
const MMAP_BYTES = 1024 * 1024 * 1024;

export class SqliteReadModelStore implements ReadModelStore {
  private readonly collections = new Map<string, CollectionState>();
  /** The handles collection() gives out, by collection name (they look the collection up per call). */
  private readonly handles = new Map<string, ReadCollection>();
  /** The handles collectionSync() gives out, likewise. */
  private readonly syncHandles = new Map<string, SyncReadCollection>();
  /** Index name -> (collection, fields), to name the fields of a violated unique index. */
  private readonly indexOwners = new Map<string, { collection: string; fields: readonly string[] }>();
  private readonly readCheckpoint: Database.Statement<[string], { position: number; state: string }>;
  private readonly writeCheckpoint: Database.Statement<[string, number, string]>;
  private readonly removeCheckpoint: Database.Statement<[string]>;
  private readonly saveSpec: Database.Statement<[string, string]>;
  private readonly readSpec: Database.Statement<[string], string>;
  private readonly applyTx: (changes: readonly Change[], checkpoint: CheckpointUpdate | undefined) => void;

  private constructor(private readonly db: Database.Database) {
    // Reads go through a memory map of the file: a page the connection's cache lacks (queries for
    // random users touch pages all over a large file) is then a memory access, not a read() call
    // and a copy; that halves the cost of such a query. Writes still go through the WAL.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS _collections (name TEXT PRIMARY KEY, spec TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _checkpoints (
        name TEXT PRIMARY KEY, position INTEGER NOT NULL, state TEXT NOT NULL
      );
    `);
    this.readCheckpoint = db.prepare('SELECT position, state FROM _checkpoints WHERE name = ?');
    this.writeCheckpoint = db.prepare(
      `INSERT INTO _checkpoints (name, position, state) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, state = excluded.state`,
    );
    this.removeCheckpoint = db.prepare('DELETE FROM _checkpoints WHERE name = ?');
    this.saveSpec = db.prepare(
      'INSERT INTO _collections (name, spec) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec',
    );
    this.readSpec = db.prepare<[string], string>('SELECT spec FROM _collections WHERE name = ?').pluck();
    this.applyTx = db.transaction((changes, checkpoint) => this.apply(changes, checkpoint)).immediate;

    const rows = db.prepare('SELECT name, spec FROM _collections').all() as Array<{
      name: string;
      spec: string;
    }>;
    for (const row of rows) this.register(row.name, JSON.parse(row.spec) as IndexSpec[]);
  }

  /** Opens (creating if needed) the database file; its directory is created too. */
  static open(options: { file: string }): SqliteReadModelStore {
    // Rebuilds touch indexes all over the file; a larger page cache keeps them off the disk.
    return openSqlite(options.file, (db) => new SqliteReadModelStore(db), {
      cacheSizeKiB: 65536,
      synchronous: 'NORMAL',
    });
  }

  async ensureCollection(name: string, spec: CollectionSpec = {}): Promise<void> {
    assertCollectionName(name);
    const requested = (spec.indexes ?? []).map(validateIndexSpec);
    const existing = this.lookup(name)?.indexes ?? [];
    const merged = [...existing];
    for (const index of requested) {
      if (!merged.some((m) => m.name === indexName(name, index))) {
        merged.push({ name: indexName(name, index), fields: index.fields, unique: index.unique === true });
      }
    }
    const table = tableName(name);
    try {
      this.db
        .transaction(() => {
          this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
          for (const index of merged) {
            const columns = index.fields.map(fieldExpr);
            if (!index.unique && !index.fields.includes('id')) columns.push('id');
            this.db.exec(
              `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${index.name} ON ${table} (${columns.join(', ')})`,
            );
          }
          this.saveSpec.run(
            name,
            JSON.stringify(merged.map((i) => ({ fields: i.fields, unique: i.unique }))),
          );
        })
        .immediate();
    } catch (error) {
      throw this.translate(error, name, merged);
    }
    this.register(
      name,
      merged.map((i) => ({ fields: i.fields, unique: i.unique })),
    );
  }

  async dropCollection(name: string): Promise<void> {
    assertCollectionName(name);
    this.db
      .transaction(() => {
        this.db.exec(`DROP TABLE IF EXISTS ${tableName(name)}`);
        this.db.prepare('DELETE FROM _collections WHERE name = ?').run(name);
      })
      .immediate();
    this.unregister(name);
  }

  collection<T extends Doc = Doc>(name: string): ReadCollection<T> {
    // Readers ask for a collection on every query: one handle per name, validated once.
    let handle = this.handles.get(name);
    if (handle === undefined) {
      assertCollectionName(name);
      // better-sqlite3 reads synchronously: the promises only adapt the answers to the port.
      handle = {
        get: async (id) => this.get(name, id),
        find: async (options) => this.find(name, options),
        count: async (where) => this.count(name, where),
      };
      this.handles.set(name, handle);
    }
    return handle as ReadCollection<T>;
  }

  collectionSync<T extends Doc = Doc>(name: string): SyncReadCollection<T> {
    let handle = this.syncHandles.get(name);
    if (handle === undefined) {
      assertCollectionName(name);
      handle = {
        get: (id) => this.get(name, id),
        find: (options) => this.find(name, options),
        count: (where) => this.count(name, where),
      };
      this.syncHandles.set(name, handle);
    }
    return handle as SyncReadCollection<T>;
  }

  async write(changes: readonly Change[], checkpoint?: CheckpointUpdate): Promise<void> {
    if (checkpoint !== undefined) validateCheckpoint(checkpoint);
    try {
      if (checkpoint !== undefined) {
        this.applyTx(changes, checkpoint);
        return;
      }
      this.db.pragma('synchronous = FULL');
      try {
        this.applyTx(changes, checkpoint);
      } finally {
        this.db.pragma('synchronous = NORMAL');
      }
    } catch (error) {
      throw this.translate(error);
    }
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    const row = this.readCheckpoint.get(name);
    if (row === undefined) return null;
    return { name, position: row.position, state: JSON.parse(row.state) as Record<string, unknown> };
  }

  async deleteCheckpoint(name: string): Promise<void> {
    this.removeCheckpoint.run(name);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.collections.clear();
    this.db.close();
  }

  /** The transaction body of write(): checkpoint check first, so a stale writer changes nothing. */
  private apply(changes: readonly Change[], checkpoint: CheckpointUpdate | undefined): void {
    if (checkpoint !== undefined) {
      const actual = this.readCheckpoint.get(checkpoint.name)?.position ?? null;
      if (actual !== checkpoint.expectedPosition) {
        throw new CheckpointConflictError(checkpoint.name, checkpoint.expectedPosition, actual);
      }
    }
    for (const change of changes) {
      const state = this.lookup(change.collection);
      if (state === undefined) throw new UnknownCollectionError(String(change.collection));
      if (change.op === 'upsert') {
        state.upsert.run(change.doc.id, serializeDoc(change.doc));
      } else if (change.op === 'delete') {
        if (typeof change.id !== 'string') throw new InvalidQueryError('A delete change needs a string id');
        state.remove.run(change.id);
      } else {
        throw new InvalidQueryError(`Unknown change op ${JSON.stringify((change as { op: unknown }).op)}`);
      }
    }
    if (checkpoint !== undefined) {
      // A checkpoint written without state stores an empty state (it does not keep the old one).
      this.writeCheckpoint.run(checkpoint.name, checkpoint.position, JSON.stringify(checkpoint.state ?? {}));
    }
  }

  private get<T extends Doc>(name: string, id: string): T | null {
    const state = this.lookup(name);
    if (state === undefined || typeof id !== 'string') return null;
    const doc = state.get.get(id);
    return doc === undefined ? null : (JSON.parse(doc) as T);
  }

  private find<T extends Doc>(name: string, options: FindOptions | undefined): Page<T> {
    const n = normalizeFind(options);
    const state = this.lookup(name);
    // A collection that was never created reads as empty, like a fresh MongoDB collection.
    if (state === undefined) return { items: [], nextCursor: null };
    const sortFieldUnique = state.indexes.some(
      (i) => i.unique && i.fields.length === 1 && i.fields[0] === n.sort.field,
    );
    const rows: T[] = [];
    for (const segment of findQueries(state.table, n, { sortFieldUnique })) {
      const wanted = n.limit + 1 - rows.length;
      if (wanted <= 0) break;
      const docs = this.statement(state, limited(segment.sql, wanted)).all(
        ...segment.params,
      ) as unknown as string[];
      for (const doc of docs) rows.push(JSON.parse(doc) as T);
    }
    return pageFrom(rows, n);
  }

  private count(name: string, where: Where | undefined): number {
    const n = normalizeFind({ where: where ?? {} });
    const state = this.lookup(name);
    if (state === undefined) return 0;
    const query = countQuery(state.table, n.where);
    return this.statement(state, query.sql).get(...query.params) as unknown as number;
  }

  /**
   * The collection's state, loading it from `_collections` when this process has not seen it yet
   * (another process, such as a rebuild from the CLI, may have created it). Only misses hit the
   * database, so the write path stays free of schema queries.
   */
  private lookup(name: string): CollectionState | undefined {
    const known = this.collections.get(name);
    if (known !== undefined) return known;
    const spec = this.readSpec.get(name);
    if (spec === undefined) return undefined;
    this.register(name, JSON.parse(spec) as IndexSpec[]);
    return this.collections.get(name);
  }

  private statement(state: CollectionState, sql: string): Database.Statement<SqlParam[]> {
    let stmt = state.queries.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare<SqlParam[]>(sql).pluck();
      if (state.queries.size >= QUERY_CACHE_SIZE) {
        const oldest = state.queries.keys().next().value;
        if (oldest !== undefined) state.queries.delete(oldest);
      }
    } else {
      state.queries.delete(sql);
    }
    state.queries.set(sql, stmt);
    return stmt;
  }

  private register(name: string, specs: readonly IndexSpec[]): void {
    this.unregister(name);
    const table = tableName(name);
    const indexes = specs.map((s) => ({
      name: indexName(name, s),
      fields: s.fields,
      unique: s.unique === true,
    }));
    for (const index of indexes) this.indexOwners.set(index.name, { collection: name, fields: index.fields });
    this.collections.set(name, {
      name,
      table,
      indexes,
      upsert: this.db.prepare(
        `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      ),
      remove: this.db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      get: this.db.prepare<[string], string>(`SELECT doc FROM ${table} WHERE id = ?`).pluck(),
      queries: new Map(),
    });
  }

  private unregister(name: string): void {
    const state = this.collections.get(name);
    if (state === undefined) return;
    for (const index of state.indexes) this.indexOwners.delete(index.name);
    this.collections.delete(name);
  }

  /** Maps SQLite's unique-constraint error to the port's error naming the collection and fields. */
  private translate(error: unknown, collection?: string, pending: readonly IndexInfo[] = []): unknown {
    if (!(error instanceof Database.SqliteError) || error.code !== 'SQLITE_CONSTRAINT_UNIQUE') return error;
    const name = /index '([^']+)'/.exec(error.message)?.[1];
    if (name === undefined) return error;
    const created = pending.find((i) => i.name === name);
    if (created !== undefined && collection !== undefined) {
      return new UniqueIndexViolationError(collection, created.fields);
    }
    const owner = this.indexOwners.get(name);
    return owner === undefined ? error : new UniqueIndexViolationError(owner.collection, owner.fields);
  }
}

function tableName(collection: string): string {
  return `rm_${collection}`;
}

/** Deterministic, so reopening or re-ensuring finds the same index rather than adding a twin. */
function indexName(collection: string, spec: IndexSpec): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([spec.fields, spec.unique === true]))
    .digest('hex')
    .slice(0, 12);
  return `rm_${collection}__${spec.unique === true ? 'u' : 'i'}_${hash}`;
}

function validateIndexSpec(spec: IndexSpec): IndexSpec {
  if (!Array.isArray(spec.fields) || spec.fields.length === 0) {
    throw new InvalidQueryError('An index needs at least one field');
  }
  for (const field of spec.fields) assertFieldName(field, 'index field');
  if (new Set(spec.fields).size !== spec.fields.length) {
    throw new InvalidQueryError(`Index fields repeat: ${spec.fields.join(', ')}`);
  }
  return spec;
}

function validateCheckpoint(checkpoint: CheckpointUpdate): void {
  if (typeof checkpoint.name !== 'string' || checkpoint.name.length === 0) {
    throw new TypeError('A checkpoint needs a non-empty name');
  }
  if (!Number.isSafeInteger(checkpoint.position)) {
    throw new TypeError(`Checkpoint ${checkpoint.name}: position must be an integer`);
  }
  const expected = checkpoint.expectedPosition;
  if (expected !== null && !Number.isSafeInteger(expected)) {
    throw new TypeError(`Checkpoint ${checkpoint.name}: expectedPosition must be an integer or null`);
  }
}

/**
 * Documents are stored as their JSON text. Top-level names starting with `_` are reserved for the
 * stores' own bookkeeping (MongoDB's `_id`, position guards), so they are rejected here too.
 */
function serializeDoc(doc: Doc): string {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidQueryError('A read-model document must be an object');
  }
  if (typeof doc.id !== 'string' || doc.id.length === 0) {
    throw new InvalidQueryError('A read-model document needs a non-empty string id');
  }
  for (const field in doc) {
    if (field.startsWith('_')) {
      throw new InvalidQueryError(
        `Document ${doc.id}: field names starting with "_" are reserved (${field})`,
      );
    }
  }
  return JSON.stringify(doc);
}
