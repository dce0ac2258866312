import type { EventStore } from '../application/ports/event-store.js';
import { type Logger, silentLogger } from '../application/ports/logger.js';
import type {
  Doc,
  FindOptions,
  Page,
  ReadCollection,
  ReadModelStore,
  SyncReadCollection,
  Where,
} from '../application/ports/read-model-store.js';
import type { Views } from '../application/ports/views.js';
import type { BuildProgress } from './generation-build.js';
import { physicalCollectionName, validateDefinitions } from './generations.js';
import type { ProjectionDefinition } from './projection.js';
import { type ProjectionState, ProjectionWorker } from './projection-worker.js';

export type { BuildProgress } from './generation-build.js';
export type { ProjectionState } from './projection-worker.js';

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly projections: readonly ProjectionDefinition[];
  readonly logger?: Logger;
  /**
   * Events per read during a rebuild (default 5,000: fewer, larger commits; smaller batches measurably
   * slow rebuilds down); also the largest live batch.
   */
  readonly batchSize?: number;
  /** Least time between checkpoint-only writes of an otherwise idle projection (default 1,000 ms). */
  readonly checkpointIntervalMs?: number;
  /** How long view() trusts its cached generation before re-reading it (default 1,000 ms). */
  readonly pointerTtlMs?: number;
  /** Documents a rebuild keeps in memory across batches (default 100,000). */
  readonly rebuildCacheLimit?: number;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  /** Log position the serving read models have applied (or checkpointed past). */
  readonly position: number;
  readonly head: number;
  /** head - position */
  readonly lag: number;
  readonly state: ProjectionState;
  readonly error?: string;
}

interface Waiter {
  check(): void;
  finish(result: boolean): void;
}

const EMPTY_PAGE: Page<never> = Object.freeze({ items: [], nextCursor: null }) as Page<never>;

/**
 * Runs every projection (DESIGN.md "Projections") and serves their read models to the query side.
 * Each projection is handled by its own worker, so one failing projection never stops the others.
 */
export class ProjectionRunner implements Views {
  private readonly workers = new Map<string, ProjectionWorker>();
  private readonly waiters = new Set<Waiter>();
  private readonly store: EventStore;
  private readonly readModels: ReadModelStore;

  constructor(options: ProjectionRunnerOptions) {
    validateDefinitions(options.projections);
    this.store = options.store;
    this.readModels = options.readModels;
    const logger = (options.logger ?? silentLogger).child({ component: 'projections' });
    const batchSize = options.batchSize ?? 5000;
    for (const definition of options.projections) {
      this.workers.set(
        definition.name,
        new ProjectionWorker({
          definition,
          store: options.store,
          readModels: options.readModels,
          logger,
          batchSize,
          liveBatchSize: batchSize,
          checkpointIntervalMs: options.checkpointIntervalMs ?? 1000,
          pointerTtlMs: options.pointerTtlMs ?? 1000,
          cacheLimit: options.rebuildCacheLimit ?? 100_000,
          onChange: () => this.checkWaiters(),
        }),
      );
    }
  }

  /** Names of the projections this runner knows, in definition order. */
  names(): string[] {
    return [...this.workers.keys()];
  }

  /**
   * Starts every projection: serving generations go live from their checkpoints; projections never
   * built, or whose version moved, start building in the background. Does not wait for catch-up.
   */
  async start(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.start()));
  }

  /** Stops live processing and background builds; pending waitFor calls resolve false. */
  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    for (const waiter of [...this.waiters]) waiter.finish(false);
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    return [...this.workers.values()].map((w) => {
      w.observeHead(head);
      const error = w.error;
      return {
        name: w.name,
        version: w.definition.version,
        position: w.position,
        head,
        lag: Math.max(0, head - w.position),
        state: w.state,
        ...(error !== undefined ? { error } : {}),
      };
    });
  }

  /** Resolves once no rebuild is queued or running (e.g. the first build after start). */
  async settled(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.settled()));
  }

  /**
   * Rebuilds one projection from position 0 into fresh collections, then swaps them in. Reads keep
   * being served by the current generation meanwhile. Works whether or not the runner is started.
   */
  rebuild(name: string, onProgress?: (p: BuildProgress) => void): Promise<void> {
    return this.worker(name).rebuild(onProgress);
  }

  view<T extends Doc = Doc>(projection: string, collection: string): ReadCollection<T> {
    const worker = this.declared(projection, collection);
    const read = <R>(fn: (c: ReadCollection<T>) => Promise<R>, empty: R) =>
      this.readServing(worker, collection, fn, empty);
    return {
      get: (id: string) => read((c) => c.get(id), null),
      find: (options?: FindOptions) => read((c) => c.find(options), EMPTY_PAGE as Page<T>),
      count: (where?: Where) => read((c) => c.count(where), 0),
    };
  }

  /**
   * The serving generation's collection for synchronous reads, when the store offers them and the
   * serving generation is known without a re-read; otherwise undefined and the caller uses view().
   * A read that fails is not retried here (view() retries on a generation another process swapped
   * in), so a caller that meets an error should ask view() before reporting it.
   */
  viewSync<T extends Doc = Doc>(projection: string, collection: string): SyncReadCollection<T> | undefined {
    const worker = this.declared(projection, collection);
    if (this.readModels.collectionSync === undefined) return undefined;
    const pointer = worker.servingPointerNow();
    if (!pointer || !pointer.collections.includes(collection)) return undefined;
    return this.readModels.collectionSync<T>(
      physicalCollectionName(worker.name, collection, pointer.generation),
    );
  }

  waitFor(
    position: number,
    options: { timeoutMs?: number; projections?: readonly string[] } = {},
  ): Promise<boolean> {
    let workers: ProjectionWorker[];
    try {
      workers = (options.projections ?? this.names()).map((n) => this.worker(n));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    // A failed projection will not get there; answering at once spares the caller the timeout.
    const verdict = (): boolean | undefined => {
      if (workers.every((w) => w.position >= position)) return true;
      if (workers.some((w) => w.state === 'failed')) return false;
      return undefined;
    };
    const now = verdict();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        check: () => {
          const v = verdict();
          if (v !== undefined) waiter.finish(v);
        },
        finish: (result) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(result);
        },
      };
      const timer = setTimeout(() => waiter.finish(false), options.timeoutMs ?? 2000);
      this.waiters.add(waiter);
    });
  }

  private checkWaiters(): void {
    for (const waiter of [...this.waiters]) waiter.check();
  }

  /** The projection's worker, once `collection` is known to be one the projection declares. */
  private declared(projection: string, collection: string): ProjectionWorker {
    const worker = this.worker(projection);
    if (!Object.hasOwn(worker.definition.collections, collection)) {
      throw new Error(
        `Projection ${projection} has no collection "${collection}" (declared: ${Object.keys(worker.definition.collections).join(', ')})`,
      );
    }
    return worker;
  }

  private worker(name: string): ProjectionWorker {
    const worker = this.workers.get(name);
    if (!worker)
      throw new Error(
        `Unknown projection "${name}". Known projections: ${this.names().join(', ') || '(none)'}`,
      );
    return worker;
  }

  /**
   * Reads from the generation currently serving. If the read fails and another process has swapped
   * generations meanwhile (so this one may have been dropped), retries once on the new generation.
   */
  private async readServing<T extends Doc, R>(
    worker: ProjectionWorker,
    logical: string,
    fn: (c: ReadCollection<T>) => Promise<R>,
    empty: R,
  ): Promise<R> {
    const attempt = async (): Promise<R> => {
      const pointer = await worker.servingPointer();
      if (!pointer || !pointer.collections.includes(logical)) return empty;
      return fn(
        this.readModels.collection<T>(physicalCollectionName(worker.name, logical, pointer.generation)),
      );
    };
    try {
      return await attempt();
    } catch (err) {
      if (!(await worker.refreshPointer())) throw err;
      return attempt();
    }
  }
}
