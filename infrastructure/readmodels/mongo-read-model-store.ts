/**
 * ReadModelStore on MongoDB (distributed mode).
 *
 * Collection `<name>` is stored as `rm_<name>`, each document with `_id` = its id. Index specs
 * are remembered in `_collections`, projection checkpoints in `_checkpoints` (`_id` = name).
 *
 * Writes assume no multi-document transactions (a standalone server has none), so a checkpointed
 * write() is made safe to interrupt and to repeat instead of atomic:
 *  1. the checkpoint's expected position is checked first, so a writer that is already stale
 *     writes nothing;
 *  2. the changes are applied in order, as one ordered bulkWrite per run of consecutive changes
 *     to the same collection. Each upsert and delete is guarded by the position stamped on the
 *     document (`_pos`): a document already stamped at or beyond this batch's position (by a
 *     newer writer, or by an earlier attempt at this same batch) is left alone, while several
 *     changes to one document within a single write() all apply;
 *  3. the checkpoint is compare-and-set on its expected position.
 * A crash between 2 and 3 leaves the checkpoint behind the documents. The projection runner then
 * redelivers the same events; the guard keeps every document that already holds their effect,
 * so a projection that reads a document, adds to it and writes it back does not count twice, and
 * documents the interrupted attempt did not reach are written normally. When a write fails
 * instead (unique index violation, lost checkpoint race), the documents it had already changed are
 * put back from before-images taken at its start, so callers see all or nothing.
 *
 * Limits of the guard: a delete leaves no stamp behind, so a stale concurrent writer (which needs
 * two runners of one projection) can re-create a document deleted by a newer one; and resetting a
 * checkpoint to replay into the same collections would skip documents stamped by the first run
 * (rebuilds go into fresh collections, which is how the projection runner does them).
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db, MongoClient } from 'mongodb';
import {
  CheckpointConflictError,
  InvalidQueryError,
  UniqueIndexViolationError,
  UnknownCollectionError,
  type Change,
  type Checkpoint,
  type CheckpointUpdate,
  type CollectionSpec,
  type Doc,
  type FindOptions,
  type Page,
  type ReadCollection,
  type ReadModelStore,
  type Where,
} from '../../application/ports/read-model-store.js';
import { connectMongo } from '../mongo/connect.js';
import {
  afterFilter,
  allOf,
  deleteOperation,
  duplicateKeyError,
  duplicateKeyFields,
  fromStored,
  indexDefinition,
  indexName,
  sortSpec,
  toStored,
  upsertOperation,
  whereToFilter,
  type StoredDoc,
  type WriteGuard,
} from '../mongo/read-model-mapping.js';
import { assertCollectionName, normalizeFind, pageFrom } from './query.js';

const COLLECTIONS = '_collections';
const CHECKPOINTS = '_checkpoints';

interface CheckpointDoc {
  _id: string;
  position: number;
  state: Record<string, unknown>;
}

interface CollectionMeta {
  _id: string;
  indexes: { fields: string[]; unique: boolean }[];
}

/** Physical collection name of a read-model collection. */
export function storedCollectionName(name: string): string {
  return `rm_${name}`;
}

/** Splits changes into runs of consecutive changes to one collection, keeping their order. */
export function changeRuns(changes: readonly Change[]): { collection: string; changes: Change[] }[] {
  const runs: { collection: string; changes: Change[] }[] = [];
  for (const change of changes) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.collection === change.collection) last.changes.push(change);
    else runs.push({ collection: change.collection, changes: [change] });
  }
  return runs;
}

class MongoReadCollection<T extends Doc> implements ReadCollection<T> {
  constructor(private readonly docs: Collection<StoredDoc>) {}

  async get(id: string): Promise<T | null> {
    if (typeof id !== 'string') return null;
    const stored = await this.docs.findOne({ _id: id });
    return stored === null ? null : fromStored<T>(stored);
  }

  async find(options?: FindOptions): Promise<Page<T>> {
    const n = normalizeFind(options);
    const filter = allOf(
      whereToFilter(n.where),
      n.after === null ? {} : afterFilter(n.sort.field, n.sort.direction, n.after),
    );
    const rows = await this.docs
      .find(filter)
      .sort(sortSpec(n.sort.field, n.sort.direction))
      .limit(n.limit + 1)
      .toArray();
    return pageFrom(
      rows.map((row) => fromStored<T>(row)),
      n,
    );
  }

  async count(where?: Where): Promise<number> {
    const n = normalizeFind(where === undefined ? undefined : { where });
    return this.docs.countDocuments(whereToFilter(n.where));
  }
}

/** True when every failure in a bulk insert is a duplicate key (the document is already there). */
function onlyDuplicateKeys(error: unknown): boolean {
  const writeErrors: unknown = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (writeErrors === undefined) return duplicateKeyError(error) !== null;
  const list: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.every((w) => (w as { code?: unknown }).code === 11000);
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

export class MongoReadModelStore implements ReadModelStore {
  /** Collections known to have been created with ensureCollection. */
  private readonly known = new Set<string>();

  /**
   * @param db the database holding the read models
   * @param ownedClient closed by close(); omit when the caller shares the client and closes it
   */
  constructor(
    private readonly db: Db,
    private readonly ownedClient: MongoClient | null = null,
  ) {}

  /** Connects to `url`; the database is `dbName`, else the URL's path, else `tessera`. */
  static async connect(options: { url: string; dbName?: string }): Promise<MongoReadModelStore> {
    const { client, db } = await connectMongo(options);
    return new MongoReadModelStore(db, client);
  }

  private docs(name: string): Collection<StoredDoc> {
    assertCollectionName(name);
    return this.db.collection<StoredDoc>(storedCollectionName(name));
  }

  private get checkpoints(): Collection<CheckpointDoc> {
    return this.db.collection<CheckpointDoc>(CHECKPOINTS);
  }

  async ensureCollection(name: string, spec?: CollectionSpec): Promise<void> {
    const docs = this.docs(name);
    const requested = spec?.indexes ?? [];
    const definitions = requested.map(indexDefinition);
    try {
      await this.db.createCollection(docs.collectionName);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 48) throw error; // NamespaceExists
    }
    for (const definition of definitions) {
      if (definition !== null) await docs.createIndex(definition.key, definition.options);
    }
    // Indexes are only ever added, so the remembered spec is the union of every request.
    const meta = this.db.collection<CollectionMeta>(COLLECTIONS);
    const indexes = (await meta.findOne({ _id: name }))?.indexes ?? [];
    for (const index of requested) {
      const entry = { fields: [...index.fields], unique: index.unique === true };
      if (!indexes.some((i) => indexName(i) === indexName(entry))) indexes.push(entry);
    }
    await meta.updateOne({ _id: name }, { $set: { indexes } }, { upsert: true });
    this.known.add(name);
  }

  async dropCollection(name: string): Promise<void> {
    await this.docs(name).drop();
    await this.db.collection<CollectionMeta>(COLLECTIONS).deleteOne({ _id: name });
    this.known.delete(name);
  }

  collection<T extends Doc = Doc>(name: string): ReadCollection<T> {
    return new MongoReadCollection<T>(this.docs(name));
  }

  async write(changes: readonly Change[], checkpoint?: CheckpointUpdate): Promise<void> {
    if (checkpoint !== undefined) validateCheckpoint(checkpoint);
    if (changes.length === 0 && checkpoint === undefined) return;
    const runs = changeRuns(changes);
    for (const run of runs) assertCollectionName(run.collection);
    const writeId = randomUUID();
    const guard: WriteGuard | null =
      checkpoint === undefined
        ? null
        : { position: checkpoint.position, expectedPosition: checkpoint.expectedPosition, writeId };
    // Encode everything before touching the database, so a bad document fails the whole write.
    const operations = runs.map((run) => ({
      collection: run.collection,
      operations: run.changes.map((change) => {
        if (change.op === 'upsert') {
          return upsertOperation(toStored(change.doc, { position: checkpoint?.position, writeId }), guard);
        }
        if (change.op === 'delete' && typeof change.id === 'string') return deleteOperation(change.id, guard);
        throw new InvalidQueryError(`Invalid change: ${JSON.stringify(change)}`);
      }),
    }));

    await this.assertKnown(runs.map((run) => run.collection));
    // A checkpoint-only write needs no early check: the compare-and-set below is the whole write.
    if (checkpoint !== undefined && changes.length > 0) {
      await this.assertCheckpointAt(checkpoint.name, checkpoint.expectedPosition);
    }
    const beforeImages = await this.captureBeforeImages(runs);
    let current = '';
    try {
      for (const run of operations) {
        current = run.collection;
        if (run.operations.length > 0)
          await this.docs(run.collection).bulkWrite(run.operations, { ordered: true });
      }
      current = '';
      if (checkpoint !== undefined) await this.compareAndSetCheckpoint(checkpoint);
    } catch (error) {
      await this.restore(beforeImages, writeId);
      throw this.translateError(error, current);
    }
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    const doc = await this.checkpoints.findOne({ _id: name });
    return doc === null ? null : { name, position: doc.position, state: doc.state ?? {} };
  }

  async deleteCheckpoint(name: string): Promise<void> {
    await this.checkpoints.deleteOne({ _id: name });
  }

  async close(): Promise<void> {
    await this.ownedClient?.close();
  }

  /**
   * Writes go only to collections created with ensureCollection (as in the SQLite adapter), so a
   * misspelt name fails instead of silently creating an unindexed collection.
   */
  private async assertKnown(names: readonly string[]): Promise<void> {
    const unknown = [...new Set(names)].filter((name) => !this.known.has(name));
    if (unknown.length === 0) return;
    const found = await this.db
      .collection<CollectionMeta>(COLLECTIONS)
      .find({ _id: { $in: unknown } }, { projection: { _id: 1 } })
      .toArray();
    for (const doc of found) this.known.add(doc._id);
    const missing = unknown.find((name) => !this.known.has(name));
    if (missing !== undefined) throw new UnknownCollectionError(missing);
  }

  private async currentPosition(name: string): Promise<number | null> {
    const doc = await this.checkpoints.findOne({ _id: name }, { projection: { position: 1 } });
    return doc === null ? null : doc.position;
  }

  private async assertCheckpointAt(name: string, expected: number | null): Promise<void> {
    const actual = await this.currentPosition(name);
    if (actual !== expected) throw new CheckpointConflictError(name, expected, actual);
  }

  private async compareAndSetCheckpoint(update: CheckpointUpdate): Promise<void> {
    const state = JSON.parse(JSON.stringify(update.state ?? {})) as Record<string, unknown>;
    if (update.expectedPosition === null) {
      try {
        await this.checkpoints.insertOne({ _id: update.name, position: update.position, state });
        return;
      } catch (error) {
        if (duplicateKeyError(error) === null) throw error;
      }
    } else {
      const result = await this.checkpoints.replaceOne(
        { _id: update.name, position: update.expectedPosition },
        { position: update.position, state },
      );
      if (result.matchedCount === 1) return;
    }
    const actual = await this.currentPosition(update.name);
    throw new CheckpointConflictError(update.name, update.expectedPosition, actual);
  }

  /** The stored documents a write is about to change (null where missing), per collection. */
  private async captureBeforeImages(
    runs: readonly { collection: string; changes: readonly Change[] }[],
  ): Promise<Map<string, Map<string, StoredDoc | null>>> {
    const ids = new Map<string, Set<string>>();
    for (const run of runs) {
      const set = ids.get(run.collection) ?? new Set<string>();
      for (const change of run.changes) set.add(change.op === 'upsert' ? change.doc.id : change.id);
      ids.set(run.collection, set);
    }
    const images = new Map<string, Map<string, StoredDoc | null>>();
    for (const [collection, set] of ids) {
      const found = await this.docs(collection)
        .find({ _id: { $in: [...set] } })
        .toArray();
      const byId = new Map<string, StoredDoc | null>([...set].map((id) => [id, null]));
      for (const doc of found) byId.set(doc._id, doc);
      images.set(collection, byId);
    }
    return images;
  }

  /**
   * Puts back the documents this write changed, in two steps per collection: remove every
   * document still carrying this write's id (so a newer writer's documents are never undone),
   * then re-insert the before-images, skipping any whose id is present (documents this write
   * never reached). Removing first means the before-images, which were consistent with each
   * other, cannot collide on a unique index with values this write had moved around. Best
   * effort: the original error is what the caller needs to see.
   */
  private async restore(images: Map<string, Map<string, StoredDoc | null>>, writeId: string): Promise<void> {
    try {
      for (const [collection, byId] of images) {
        const docs = this.docs(collection);
        await docs.deleteMany({ _id: { $in: [...byId.keys()] }, _w: writeId });
        const befores = [...byId.values()].filter((doc): doc is StoredDoc => doc !== null);
        if (befores.length === 0) continue;
        try {
          await docs.insertMany(befores, { ordered: false });
        } catch (error) {
          if (!onlyDuplicateKeys(error)) throw error;
        }
      }
    } catch {
      // The server failed again while undoing; the caller gets the error that started it.
    }
  }

  private translateError(error: unknown, collection: string): unknown {
    const duplicate = collection === '' ? null : duplicateKeyError(error);
    if (duplicate === null) return error;
    const fields = duplicateKeyFields(duplicate);
    if (fields === null || (fields.length === 1 && fields[0] === 'id')) return error;
    return new UniqueIndexViolationError(collection, fields);
  }
}
