/**
 * Read models: JSON documents in named collections, queried by key or by indexed fields.
 * Kept deliberately narrow (key lookups and simple filtered, sorted, paginated listings) so the
 * SQLite and MongoDB adapters stay equivalent.
 */

export type Scalar = string | number | boolean | null;

/** Every document has a string `id`; other fields are JSON. Field names must not start with `_`. */
export type Doc = { readonly id: string } & { readonly [field: string]: unknown };

export interface IndexSpec {
  /** Top-level field names (or dotted paths into nested objects), in index order. */
  readonly fields: readonly string[];
  readonly unique?: boolean;
}

export interface CollectionSpec {
  readonly indexes?: readonly IndexSpec[];
}

/** Equality, `$in`, or a range on a field. Fields used in `where` and `sort` should be indexed. */
export type Condition =
  | Scalar
  | { readonly $in: readonly Scalar[] }
  | { readonly $gt?: Scalar; readonly $gte?: Scalar; readonly $lt?: Scalar; readonly $lte?: Scalar };

export type Where = Readonly<Record<string, Condition>>;

export interface FindOptions {
  readonly where?: Where;
  /** Ties are broken by `id` in the same direction, so pages are stable. Default: by id ascending. */
  readonly sort?: { readonly field: string; readonly direction: 'asc' | 'desc' };
  /** 1..1000, default 50. */
  readonly limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface ReadCollection<T extends Doc = Doc> {
  get(id: string): Promise<T | null>;
  find(options?: FindOptions): Promise<Page<T>>;
  count(where?: Where): Promise<number>;
}

/**
 * A collection read without a promise: the same answers as {@link ReadCollection}, returned (or
 * thrown) directly. Only stores whose driver reads synchronously offer it (embedded SQLite); a hot
 * path then answers without yielding to the event loop, and uses ReadCollection where it is missing.
 */
export interface SyncReadCollection<T extends Doc = Doc> {
  get(id: string): T | null;
  find(options?: FindOptions): Page<T>;
  count(where?: Where): number;
}

export type Change =
  | { readonly collection: string; readonly op: 'upsert'; readonly doc: Doc }
  | { readonly collection: string; readonly op: 'delete'; readonly id: string };

/** A projection's progress, committed together with the changes it made. */
export interface Checkpoint {
  readonly name: string;
  readonly position: number;
  readonly state: Readonly<Record<string, unknown>>;
}

export interface CheckpointUpdate {
  readonly name: string;
  /** The position the projection had reached before these changes; the write fails if it moved. */
  readonly expectedPosition: number | null;
  readonly position: number;
  readonly state?: Readonly<Record<string, unknown>>;
}

export interface ReadModelStore {
  /** Creates the collection and its indexes if missing (idempotent). Names: [a-z0-9_], max 64 chars. */
  ensureCollection(name: string, spec?: CollectionSpec): Promise<void>;
  dropCollection(name: string): Promise<void>;
  collection<T extends Doc = Doc>(name: string): ReadCollection<T>;
  /**
   * Optional: the same collection read synchronously, for stores whose reads never wait (SQLite).
   * Absent where reads are asynchronous by nature (MongoDB); callers then use collection(). When
   * present, every answer equals what collection(name) would resolve to at the same moment, and the
   * same errors are thrown rather than rejected.
   */
  collectionSync?<T extends Doc = Doc>(name: string): SyncReadCollection<T>;
  /**
   * Applies changes in order, atomically with the checkpoint update when one is given: either all
   * changes and the new checkpoint are stored, or none (SQLite: one transaction; MongoDB: per-document
   * last-applied-position guards plus a compare-and-set on the checkpoint, so a retry is harmless).
   * Throws UniqueIndexViolationError or CheckpointConflictError.
   */
  write(changes: readonly Change[], checkpoint?: CheckpointUpdate): Promise<void>;
  getCheckpoint(name: string): Promise<Checkpoint | null>;
  deleteCheckpoint(name: string): Promise<void>;
  close(): Promise<void>;
}

export class UniqueIndexViolationError extends Error {
  constructor(
    readonly collection: string,
    readonly fields: readonly string[],
  ) {
    super(`Unique index on ${collection}(${fields.join(', ')}) violated`);
    this.name = 'UniqueIndexViolationError';
  }
}

/** A change targets a collection that ensureCollection never created; nothing of the batch is written. */
export class UnknownCollectionError extends Error {
  constructor(readonly collection: string) {
    super(`Unknown read-model collection "${collection}": call ensureCollection first`);
    this.name = 'UnknownCollectionError';
  }
}

export class CheckpointConflictError extends Error {
  constructor(
    readonly checkpoint: string,
    readonly expected: number | null,
    readonly actual: number | null,
  ) {
    super(`Checkpoint ${checkpoint}: expected position ${String(expected)}, found ${String(actual)}`);
    this.name = 'CheckpointConflictError';
  }
}

export class InvalidQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryError';
  }
}
