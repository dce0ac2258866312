import type { EventStore } from '../application/ports/event-store.js';
import type { Logger } from '../application/ports/logger.js';
import { CheckpointConflictError, type ReadModelStore } from '../application/ports/read-model-store.js';
import { type BuildProgress, BuildAbortedError, GenerationBuild } from './generation-build.js';
import {
  type ActivePointer,
  generationCheckpointName,
  parsePointer,
  physicalCollectionName,
  pointerCheckpointName,
  pointerState,
} from './generations.js';
import { LiveRun, messageOf } from './live-run.js';
import type { ProjectionDefinition } from './projection.js';

export type ProjectionState = 'starting' | 'catching_up' | 'live' | 'rebuilding' | 'failed';

export interface WorkerOptions {
  readonly definition: ProjectionDefinition;
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly logger: Logger;
  /** Events per `readAll` during a rebuild. */
  readonly batchSize: number;
  /** Largest batch the live subscription delivers. */
  readonly liveBatchSize: number;
  /** Least time between checkpoint-only writes (progress past events the projection ignores). */
  readonly checkpointIntervalMs: number;
  /** How long view() trusts the cached pointer before re-reading it (another process may have swapped). */
  readonly pointerTtlMs: number;
  /** Documents a rebuild keeps in memory across batches. */
  readonly cacheLimit: number;
  /** Called whenever the applied position or the state changes. */
  readonly onChange: () => void;
}

/** Runs lifecycle steps one at a time (start, stop, swap, resume after a conflict). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const noop = (): void => undefined;

/**
 * Keeps one projection's read models up to date: applies the log live on the serving generation,
 * builds a new generation when the definition's version moved or a rebuild is asked for, and swaps
 * it in once it has caught up (see generations.ts for the layout).
 */
export class ProjectionWorker {
  readonly definition: ProjectionDefinition;
  private pointer: ActivePointer | null = null;
  private pointerLoadedAt = Number.NEGATIVE_INFINITY;
  /** Bumped on every pointer change, so a slow re-read cannot overwrite a newer swap. */
  private pointerEpoch = 0;
  /** Pointer re-reads under way (the generation they find may not be ensured yet). */
  private refreshing = 0;
  /** Applied position of the serving generation (in memory; may be ahead of its stored checkpoint). */
  private applied = 0;
  private live: LiveRun | null = null;
  /** Generation whose collections this process has ensured (the store may need that to see them). */
  private ensuredGeneration: number | null = null;
  private caughtUp = false;
  private building = false;
  private failure: string | null = null;
  private running = false;
  private stopping = false;
  private readonly lock = new Mutex();
  private builds: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly options: WorkerOptions) {
    this.definition = options.definition;
    this.logger = options.logger.child({ projection: options.definition.name });
  }

  get name(): string {
    return this.definition.name;
  }

  /** Log position the serving generation has applied (or checkpointed past). */
  get position(): number {
    return this.applied;
  }

  get state(): ProjectionState {
    if (this.failure !== null) return 'failed';
    if (this.building) return 'rebuilding';
    if (this.live) return this.caughtUp ? 'live' : 'catching_up';
    return 'starting';
  }

  get error(): string | undefined {
    return this.failure ?? undefined;
  }

  /** Marks the live run as caught up once the head is known to be reached (used by status()). */
  observeHead(head: number): void {
    if (this.live && !this.caughtUp && this.applied >= head) this.caughtUp = true;
  }

  /** Never rejects: a projection that cannot start is reported as failed, and the others still start. */
  async start(): Promise<void> {
    await this.lock.run(async () => {
      if (this.running) return;
      this.running = true;
      try {
        await this.reloadPointer();
        await this.activate();
      } catch (err) {
        this.fail(err);
      }
    });
  }

  /** Stops the live subscription and any build (an interrupted version-bump build resumes on the next start). */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      await this.builds;
      await this.lock.run(async () => {
        this.running = false;
        await this.stopLive(true);
      });
    } finally {
      this.stopping = false;
      this.options.onChange();
    }
  }

  /** Builds a fresh generation from position 0 and swaps it in; rejects if the build fails. */
  rebuild(onProgress?: (p: BuildProgress) => void): Promise<void> {
    const task = this.builds.then(() => this.runBuild(true, onProgress));
    this.builds = task.then(noop, noop);
    return task;
  }

  /** Resolves once no build is queued or running. */
  async settled(): Promise<void> {
    await this.builds;
  }

  /** The generation serving reads, re-read from the store when the cached copy is older than the TTL. */
  async servingPointer(): Promise<ActivePointer | null> {
    if (Date.now() - this.pointerLoadedAt > this.options.pointerTtlMs) await this.refreshPointer();
    return this.pointer;
  }

  /**
   * The serving pointer as servingPointer() would resolve it, without waiting: undefined when that
   * would first re-read it (the cached copy is older than the TTL, or a re-read is under way).
   */
  servingPointerNow(): ActivePointer | null | undefined {
    if (this.refreshing > 0 || Date.now() - this.pointerLoadedAt > this.options.pointerTtlMs)
      return undefined;
    return this.pointer;
  }

  /**
   * Re-reads the pointer; when another process swapped generations, follows it (live processing moves
   * to the new generation). Returns true when the serving generation changed.
   */
  async refreshPointer(): Promise<boolean> {
    const before = this.pointer?.generation;
    this.refreshing++;
    let pointer: ActivePointer | null;
    try {
      await this.reloadPointer();
      pointer = this.pointer;
      // Collections another process created may be unknown to this store connection until ensured.
      // (Only with this definition's specs: a generation of another version keeps the indexes it was built with.)
      if (
        pointer &&
        pointer.version === this.definition.version &&
        pointer.generation !== this.ensuredGeneration
      ) {
        await this.ensureGeneration(pointer.generation);
      }
    } finally {
      this.refreshing--;
    }
    const changed = pointer?.generation !== before;
    if (changed && this.running) {
      this.logger.info({ from: before, to: pointer?.generation }, 'another process swapped the read models');
      void this.lock
        .run(async () => {
          if (!this.running || this.building || this.live?.generation === this.pointer?.generation) return;
          await this.stopLive(false);
          await this.activate();
        })
        .catch((err: unknown) => this.fail(err));
    }
    return changed;
  }

  // ---- lifecycle (called under the lock) ----

  private async reloadPointer(): Promise<void> {
    const epoch = this.pointerEpoch;
    const checkpoint = await this.options.readModels.getCheckpoint(pointerCheckpointName(this.name));
    if (epoch !== this.pointerEpoch) return;
    this.pointer = parsePointer(this.name, checkpoint);
    this.pointerLoadedAt = Date.now();
    this.pointerEpoch++;
  }

  /**
   * Serves the current pointer's generation live, or queues the build it needs. Live must be stopped.
   * `justBuilt` turns a missing checkpoint into an error rather than another build (no rebuild loops).
   */
  private async activate(justBuilt = false): Promise<void> {
    const { definition, readModels } = this.options;
    const pointer = this.pointer;
    if (!pointer || pointer.version < definition.version) {
      this.queueBuild();
      return;
    }
    if (pointer.version > definition.version) {
      this.fail(
        new Error(
          `Read models were built by version ${pointer.version} of projection ${this.name}, newer than this code (version ${definition.version}); serving them without applying new events`,
        ),
      );
      return;
    }
    const checkpoint = await readModels.getCheckpoint(
      generationCheckpointName(this.name, pointer.generation),
    );
    if (!checkpoint) {
      if (justBuilt)
        throw new Error(`Projection ${this.name}: generation ${pointer.generation} lost its checkpoint`);
      this.logger.warn(
        { generation: pointer.generation },
        'serving generation has no checkpoint; rebuilding',
      );
      this.queueBuild();
      return;
    }
    await this.ensureGeneration(pointer.generation);
    this.applied = checkpoint.position;
    this.startLive(pointer.generation, checkpoint.position);
  }

  /** Creates (if missing) and registers the generation's collections with the store. */
  private async ensureGeneration(generation: number): Promise<void> {
    for (const [logical, spec] of Object.entries(this.definition.collections)) {
      await this.options.readModels.ensureCollection(
        physicalCollectionName(this.name, logical, generation),
        spec,
      );
    }
    this.ensuredGeneration = generation;
  }

  /** Starts a build in the background (version bump or first start); failures are recorded in the state. */
  private queueBuild(): void {
    const task = this.builds.then(() => this.runBuild(false));
    this.builds = task.then(noop, noop);
  }

  private async runBuild(fresh: boolean, onProgress?: (p: BuildProgress) => void): Promise<void> {
    if (this.stopping) throw new BuildAbortedError(this.name);
    this.building = true;
    this.failure = null;
    this.options.onChange();
    const started = Date.now();
    try {
      await this.reloadPointer();
      const from = this.pointer;
      const build = await GenerationBuild.open({
        definition: this.definition,
        store: this.options.store,
        readModels: this.options.readModels,
        generation: (from?.generation ?? 0) + 1,
        batchSize: this.options.batchSize,
        cacheLimit: this.options.cacheLimit,
        fresh,
      });
      this.logger.info(
        { generation: build.generation, from: from?.generation ?? null, resumeAt: build.startPosition },
        'building read models',
      );
      await build.catchUp(() => this.stopping, onProgress);
      await this.lock.run(async () => {
        if (this.stopping) throw new BuildAbortedError(this.name);
        // Nothing else writes this projection while the last events are applied and the pointer moves.
        await this.stopLive(false);
        await build.catchUp(() => false, onProgress);
        await this.swap(build);
        if (this.running) await this.activate(true);
      });
      this.logger.info(
        {
          generation: build.generation,
          position: build.position,
          events: build.events,
          ms: Date.now() - started,
        },
        'read models rebuilt and swapped in',
      );
    } catch (err) {
      if (err instanceof BuildAbortedError) {
        this.logger.info({}, 'build stopped');
      } else {
        this.fail(err);
      }
      throw err;
    } finally {
      this.building = false;
      this.options.onChange();
    }
  }

  /** Makes the built generation the serving one, then retires the previous generation. */
  private async swap(build: GenerationBuild): Promise<void> {
    const { definition, readModels } = this.options;
    const previous = this.pointer;
    const next: ActivePointer = {
      generation: build.generation,
      version: definition.version,
      position: build.position,
      collections: Object.keys(definition.collections),
    };
    try {
      await readModels.write([], {
        name: pointerCheckpointName(this.name),
        expectedPosition: previous ? previous.position : null,
        position: next.position,
        state: pointerState(next),
      });
      this.pointer = next;
      this.pointerLoadedAt = Date.now();
      this.pointerEpoch++;
    } catch (err) {
      if (!(err instanceof CheckpointConflictError)) throw err;
      // Another process swapped first; fine if it swapped in this very generation (it helped build it).
      await this.reloadPointer();
      if (this.pointer?.generation !== next.generation) {
        throw new Error(
          `Projection ${this.name}: another process switched to generation ${String(this.pointer?.generation)} during the rebuild; run it again`,
          { cause: err },
        );
      }
    }
    this.ensuredGeneration = next.generation; // GenerationBuild.open ensured its collections
    this.applied = Math.max(this.applied, next.position);
    this.options.onChange();
    if (previous && previous.generation !== next.generation) await this.retire(previous);
  }

  /** Deletes a generation's checkpoint first (so a process still writing to it gets a conflict), then its collections. */
  private async retire(old: ActivePointer): Promise<void> {
    const { readModels } = this.options;
    await readModels.deleteCheckpoint(generationCheckpointName(this.name, old.generation));
    const logicals = new Set([...old.collections, ...Object.keys(this.definition.collections)]);
    for (const logical of logicals) {
      try {
        await readModels.dropCollection(physicalCollectionName(this.name, logical, old.generation));
      } catch (err) {
        this.logger.warn(
          { generation: old.generation, collection: logical, err: messageOf(err) },
          'could not drop',
        );
      }
    }
  }

  // ---- live processing ----

  private startLive(generation: number, position: number): void {
    const run: LiveRun = new LiveRun({
      definition: this.definition,
      store: this.options.store,
      readModels: this.options.readModels,
      logger: this.logger,
      generation,
      position,
      batchSize: this.options.liveBatchSize,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      events: {
        advanced: (p) => {
          if (this.live === run) this.advance(p);
        },
        caughtUp: () => {
          if (this.live !== run || this.caughtUp) return;
          this.caughtUp = true;
          this.options.onChange();
        },
        superseded: (reason, fields) => this.resumeFromStore(run, reason, fields),
        failed: (err) => {
          if (this.live === run) this.live = null;
          this.fail(err);
        },
      },
    });
    this.live = run;
    this.caughtUp = false;
    this.failure = null;
    try {
      run.start();
    } catch (err) {
      this.live = null;
      this.fail(err);
      return;
    }
    this.options.onChange();
  }

  /** Stops the live run; with `persist`, first records progress made past events this projection ignores. */
  private async stopLive(persist: boolean): Promise<void> {
    const run = this.live;
    if (!run) return;
    this.live = null;
    await run.stop(persist);
  }

  /** After another process moved things: restarts live processing, under the lock, from what is stored. */
  private resumeFromStore(run: LiveRun, reason: string, fields: Record<string, unknown>): void {
    this.logger.info(fields, reason);
    void this.lock
      .run(async () => {
        if (this.live !== run) return;
        await this.stopLive(false);
        await this.reloadPointer();
        await this.activate();
      })
      .catch((e: unknown) => this.fail(e));
  }

  private advance(position: number): void {
    if (position > this.applied) {
      this.applied = position;
      this.options.onChange();
    }
  }

  private fail(err: unknown): void {
    this.failure = messageOf(err);
    this.logger.error({ err: this.failure }, 'projection failed');
    this.options.onChange();
  }
}
