import type { RecordedEvent } from '../domain/kernel/event.js';
import type { EventStore, Subscription } from '../application/ports/event-store.js';
import type { Logger } from '../application/ports/logger.js';
import {
  type Change,
  type CheckpointUpdate,
  CheckpointConflictError,
  type ReadModelStore,
} from '../application/ports/read-model-store.js';
import { type DocLoader, type ProjectionLayout, BatchTx, applyEvents, layoutFor } from './batch-tx.js';
import { generationCheckpointName, physicalCollectionName } from './generations.js';
import type { ProjectionDefinition } from './projection.js';

/** How a live run reports back to the worker that owns it. */
export interface LiveRunEvents {
  /** Every matching event up to `position` is applied (committed, or checkpointed in memory). */
  advanced(position: number): void;
  /** The subscription reached the head of the log for the first time. */
  caughtUp(): void;
  /** Another process moved this generation's checkpoint or retired it: the run stopped applying. */
  superseded(reason: string, fields: Record<string, unknown>): void;
  /** The run ended with an error (a projection bug, unreadable events, a store failure). */
  failed(err: unknown): void;
}

export interface LiveRunOptions {
  readonly definition: ProjectionDefinition;
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly logger: Logger;
  readonly generation: number;
  /** The generation's stored checkpoint position: the subscription starts after it. */
  readonly position: number;
  readonly batchSize: number;
  /** Least time between checkpoint-only writes. */
  readonly checkpointIntervalMs: number;
  readonly events: LiveRunEvents;
}

const noop = (): void => undefined;

/**
 * One subscription applying the log to one generation: each delivered batch goes through a BatchTx
 * and is committed in one store write together with the generation's checkpoint, so a crash never
 * applies an event twice. Progress past events the projection ignores (onCheckpoint) is kept in memory
 * and written at most every `checkpointIntervalMs`, so an idle projection does not write constantly.
 */
export class LiveRun {
  readonly generation: number;
  /** Position stored in the generation's checkpoint. */
  private committed: number;
  /** Highest position reported by onCheckpoint (may be ahead of `committed`). */
  private reached: number;
  private lastPersistAt = Date.now();
  /** Set once the run is stopped or abandoned: deliveries still in flight are ignored. */
  private closed = false;
  private readonly layout: ProjectionLayout;
  private readonly load: DocLoader;
  private readonly checkpointName: string;
  private subscription: Subscription | null = null;
  private ended: Promise<void> = Promise.resolve();

  constructor(private readonly options: LiveRunOptions) {
    const { definition, generation, readModels } = options;
    this.generation = generation;
    this.committed = options.position;
    this.reached = options.position;
    this.layout = layoutFor(definition, (logical) =>
      physicalCollectionName(definition.name, logical, generation),
    );
    this.load = (logical, id) => readModels.collection(this.layout.get(logical)!.physical).get(id);
    this.checkpointName = generationCheckpointName(definition.name, generation);
  }

  /** Subscribes; throws if the store refuses the subscription. */
  start(): void {
    const { definition, store, batchSize } = this.options;
    this.subscription = store.subscribe({
      after: this.committed,
      filter: { types: definition.handles },
      batchSize,
      handle: (events) => this.handle(events),
      onCheckpoint: (position) => this.checkpoint(position),
    });
    this.ended = this.subscription.done.then(noop, (err: unknown) => this.fail(err));
  }

  /**
   * Stops delivery and waits for the handler to finish. With `persist`, then stores progress made past
   * ignored events, so a restart does not scan them again.
   */
  async stop(persist = false): Promise<void> {
    const wasOpen = !this.closed;
    this.closed = true;
    await this.subscription?.stop();
    await this.ended;
    if (persist && wasOpen && this.reached > this.committed) {
      try {
        await this.options.readModels.write([], this.checkpointUpdate(this.reached));
      } catch (err) {
        this.options.logger.warn({ err: messageOf(err) }, 'could not store the final checkpoint');
      }
    }
  }

  private async handle(events: readonly RecordedEvent[]): Promise<void> {
    if (this.closed || events.length === 0) return;
    const tx = new BatchTx(this.options.definition.name, this.layout, this.load);
    try {
      await applyEvents(this.options.definition, events, tx);
    } catch (err) {
      // Reads go through to this generation's collections; if another process retired it meanwhile,
      // they fail for that reason, and the right answer is to follow, not to fail.
      if (await this.checkpointMoved()) {
        this.supersede('generation retired by another process; resuming', {});
        return;
      }
      throw err;
    }
    const position = events[events.length - 1]!.globalPosition;
    if (await this.commit(tx.changes(), position)) this.options.events.advanced(position);
  }

  private async checkpoint(position: number): Promise<void> {
    if (this.closed) return;
    this.options.events.caughtUp();
    this.reached = Math.max(this.reached, position);
    this.options.events.advanced(position);
    if (position <= this.committed || Date.now() - this.lastPersistAt < this.options.checkpointIntervalMs)
      return;
    try {
      await this.commit([], position);
    } catch (err) {
      // The subscription may not expect this callback to fail, so the run ends here.
      this.fail(err);
      void this.subscription?.stop();
    }
  }

  /** One write for the changes and the checkpoint; false when another process moved the checkpoint. */
  private async commit(changes: Change[], position: number): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.options.readModels.write(changes, this.checkpointUpdate(position));
    } catch (err) {
      if (!(err instanceof CheckpointConflictError)) throw err;
      this.supersede('checkpoint moved by another process; resuming', {
        expected: err.expected,
        found: err.actual,
      });
      return false;
    }
    this.committed = position;
    this.reached = Math.max(this.reached, position);
    this.lastPersistAt = Date.now();
    return true;
  }

  private async checkpointMoved(): Promise<boolean> {
    const stored = await this.options.readModels.getCheckpoint(this.checkpointName);
    return stored?.position !== this.committed;
  }

  private checkpointUpdate(position: number): CheckpointUpdate {
    return {
      name: this.checkpointName,
      expectedPosition: this.committed,
      position,
      state: { version: this.options.definition.version },
    };
  }

  private supersede(reason: string, fields: Record<string, unknown>): void {
    this.closed = true;
    this.options.events.superseded(reason, fields);
  }

  private fail(err: unknown): void {
    if (this.closed) {
      this.options.logger.debug({ err: messageOf(err) }, 'subscription ended after stop');
      return;
    }
    this.closed = true;
    this.options.events.failed(err);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
