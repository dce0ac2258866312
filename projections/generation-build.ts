import type { EventStore } from '../application/ports/event-store.js';
import {
  type Change,
  type Checkpoint,
  CheckpointConflictError,
  type Doc,
  type ReadModelStore,
} from '../application/ports/read-model-store.js';
import { type ProjectionLayout, BatchTx, applyEvents, layoutFor } from './batch-tx.js';
import { generationCheckpointName, physicalCollectionName } from './generations.js';
import type { ProjectionDefinition } from './projection.js';

/** Reported after every committed batch of a rebuild. */
export interface BuildProgress {
  /** Log position the new generation has applied up to. */
  readonly position: number;
  /** Head of the log as last seen (never below `position`). */
  readonly head: number;
  /** Events applied by this build so far. */
  readonly events: number;
}

/** The build was stopped (the runner is shutting down); its generation stays resumable. */
export class BuildAbortedError extends Error {
  constructor(readonly projection: string) {
    super(`Rebuild of projection ${projection} was stopped`);
    this.name = 'BuildAbortedError';
  }
}

/**
 * Documents a rebuild has written, so `tx.get` rarely needs the store. A generation being built has
 * exactly one writer (this build; every write is guarded by the generation's checkpoint), so what it
 * wrote is what the store holds. While the build started from empty collections and the cache never
 * overflowed, the cache is *complete*: a miss means the document does not exist, without a store read.
 */
class DocCache {
  private readonly byCollection = new Map<string, Map<string, Doc | null>>();
  private size = 0;

  constructor(
    private readonly limit: number,
    public complete: boolean,
  ) {}

  get(logical: string, id: string): Doc | null | undefined {
    return this.byCollection.get(logical)?.get(id);
  }

  set(logical: string, id: string, doc: Doc | null): void {
    let docs = this.byCollection.get(logical);
    if (!docs) {
      docs = new Map();
      this.byCollection.set(logical, docs);
    }
    // Re-inserting moves the entry to the end, so eviction drops the least recently written first.
    if (docs.delete(id)) this.size--;
    docs.set(id, doc);
    this.size++;
    if (this.size > this.limit) this.evict();
  }

  clear(): void {
    this.byCollection.clear();
    this.size = 0;
    this.complete = false;
  }

  private evict(): void {
    this.complete = false;
    for (const docs of this.byCollection.values()) {
      let drop = Math.ceil(docs.size / 5);
      for (const id of docs.keys()) {
        if (drop-- <= 0) break;
        docs.delete(id);
        this.size--;
      }
    }
  }
}

export interface GenerationBuildOptions {
  readonly definition: ProjectionDefinition;
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly generation: number;
  readonly batchSize: number;
  /** Documents kept in memory across batches. */
  readonly cacheLimit: number;
  /** Discard any earlier, unfinished build of this generation instead of resuming it. */
  readonly fresh: boolean;
}

/**
 * Fills one generation of a projection from the log, reading with `readAll` in large batches (not
 * through a subscription) and committing each batch's changes together with the generation's
 * checkpoint. A build interrupted by a crash resumes from that checkpoint.
 */
export class GenerationBuild {
  readonly generation: number;
  /** Position the build started from (above 0 when it resumed an interrupted build). */
  readonly startPosition: number;
  /** Log position applied so far. */
  position: number;
  /** Events applied by this build. */
  events = 0;
  private committed: number | null;
  private head = 0;
  private readonly layout: ProjectionLayout;
  private readonly cache: DocCache;
  private readonly checkpointName: string;

  private constructor(
    private readonly options: GenerationBuildOptions,
    resumeFrom: Checkpoint | null,
  ) {
    const { definition, generation } = options;
    this.generation = generation;
    this.position = resumeFrom?.position ?? 0;
    this.startPosition = this.position;
    this.committed = resumeFrom ? resumeFrom.position : null;
    this.layout = layoutFor(definition, (logical) =>
      physicalCollectionName(definition.name, logical, generation),
    );
    this.cache = new DocCache(options.cacheLimit, resumeFrom === null);
    this.checkpointName = generationCheckpointName(definition.name, generation);
  }

  /** Prepares the generation's collections (empty ones unless an unfinished build is resumed). */
  static async open(options: GenerationBuildOptions): Promise<GenerationBuild> {
    const { definition, readModels, generation } = options;
    const checkpointName = generationCheckpointName(definition.name, generation);
    let resumeFrom = options.fresh ? null : await readModels.getCheckpoint(checkpointName);
    if (resumeFrom && resumeFrom.state.version !== definition.version) resumeFrom = null;
    if (!resumeFrom) {
      await readModels.deleteCheckpoint(checkpointName);
      for (const logical of Object.keys(definition.collections)) {
        await readModels.dropCollection(physicalCollectionName(definition.name, logical, generation));
      }
    }
    for (const [logical, spec] of Object.entries(definition.collections)) {
      await readModels.ensureCollection(physicalCollectionName(definition.name, logical, generation), spec);
    }
    return new GenerationBuild(options, resumeFrom);
  }

  /**
   * Applies the log until no matching event is left after the position. The head is read before
   * each `readAll`, so an empty result proves that everything up to that head has been applied.
   */
  async catchUp(shouldStop: () => boolean, onProgress?: (p: BuildProgress) => void): Promise<void> {
    const { definition, store, batchSize } = this.options;
    const filter = { types: definition.handles };
    for (;;) {
      if (shouldStop()) throw new BuildAbortedError(definition.name);
      this.head = Math.max(this.head, await store.headPosition());
      const events = await store.readAll({ after: this.position, maxCount: batchSize, filter });
      if (events.length === 0) {
        // Also stores the checkpoint of a generation built from an empty log, so it can be served.
        if (this.head > this.position || this.committed === null) {
          await this.commit([], Math.max(this.head, this.position), null);
          continue;
        }
        onProgress?.(this.progress());
        return;
      }
      const tx = new BatchTx(definition.name, this.layout, this.load);
      await applyEvents(definition, events, tx);
      if (await this.commit(tx.changes(), events[events.length - 1]!.globalPosition, tx)) {
        this.events += events.length;
      }
      onProgress?.(this.progress());
    }
  }

  private progress(): BuildProgress {
    return { position: this.position, head: Math.max(this.head, this.position), events: this.events };
  }

  private readonly load = (logical: string, id: string): Promise<Doc | null> => {
    const cached = this.cache.get(logical, id);
    if (cached !== undefined) return Promise.resolve(cached);
    if (this.cache.complete) return Promise.resolve(null);
    const physical = this.layout.get(logical)!.physical;
    return this.options.readModels
      .collection(physical)
      .get(id)
      .then((doc) => {
        this.cache.set(logical, id, doc);
        return doc;
      });
  };

  /**
   * Commits one batch with the checkpoint. If another process moved the checkpoint (it is building the
   * same generation), continues from the stored position instead; returns false in that case.
   */
  private async commit(changes: Change[], position: number, tx: BatchTx | null): Promise<boolean> {
    const { definition, readModels } = this.options;
    try {
      await readModels.write(changes, {
        name: this.checkpointName,
        expectedPosition: this.committed,
        position,
        state: { version: definition.version },
      });
    } catch (err) {
      if (!(err instanceof CheckpointConflictError)) throw err;
      const stored = await readModels.getCheckpoint(this.checkpointName);
      this.committed = stored ? stored.position : null;
      this.position = stored?.position ?? 0;
      this.cache.clear();
      return false;
    }
    this.committed = position;
    this.position = position;
    if (tx) for (const [logical, id, doc] of tx.written()) this.cache.set(logical, id, doc);
    return true;
  }
}
