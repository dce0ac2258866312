/**
 * A process manager: follows the log from its own checkpoint and hands every event to a handler
 * that causes side effects (queueing messages for providers, scheduling webhooks, granting rights).
 *
 * It lives in application/, not projections/: projections may depend only on domain/ and the
 * read-model port, and what they write is rebuilt from position 0 whenever their version moves.
 * A process manager's effects must never be repeated by such a rebuild, so it keeps its checkpoint
 * in its own store (CheckpointStore), apart from every projection's.
 *
 * Order of writes: the handler's writes first, then the checkpoint. A crash in between makes the
 * next run hand the same events to the handler again, so handlers must be idempotent per event (the
 * feed store deduplicates by event id, purchased rights have ids derived from the transaction); no
 * event is ever skipped.
 *
 * Because a lost checkpoint only means handing some events over again, the checkpoint is not stored
 * after every batch: at most once per `checkpointIntervalMs` (trailing, so the last batch of a burst
 * is stored too), at once when someone waits for a position (`waitFor`) and on `stop()`. Each store
 * is a durable write (an fsync in the embedded store), which under load would otherwise cost as much
 * as the work the batch did. A crash replays at most the events handled in the last interval.
 */
import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { EventFilter, EventStore, Subscription } from '../ports/event-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { CheckpointStore } from '../ports/provider-feed-store.js';

export interface ProcessManagerOptions {
  /** Names the checkpoint; must be unique among process managers sharing a store. */
  readonly name: string;
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  /** Idempotent per event; a rejection is retried (from the checkpoint) after `retryDelayMs`. */
  readonly handle: (events: readonly RecordedEvent[]) => Promise<void>;
  /**
   * Runs after each stored checkpoint with the stored position (e.g. to forget what is now safely
   * behind it). Never sees a position that is handled but not yet stored.
   */
  readonly afterCheckpoint?: (position: number) => Promise<void>;
  readonly filter?: EventFilter;
  /** Largest batch handed to `handle` (default 500). */
  readonly batchSize?: number;
  /** Wait before resubscribing after a failure (default 5,000 ms). */
  readonly retryDelayMs?: number;
  /**
   * Least time between two checkpoint writes while nobody waits (default 1,000 ms); 0 stores the
   * checkpoint after every batch.
   */
  readonly checkpointIntervalMs?: number;
  readonly logger?: Logger;
}

/** See ProcessManagerOptions.checkpointIntervalMs. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

interface Waiter {
  readonly position: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class ProcessManager {
  readonly name: string;
  /** Stored checkpoint: a restart resumes after it. */
  private committed = 0;
  /** Every event up to here was handled (the handler resolved); stored later, see `flush`. */
  private handled = 0;
  private lastSaveAt = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Checkpoint writes run one after the other, in position order. */
  private flushChain: Promise<void> = Promise.resolve();
  private subscription: Subscription | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private lastError: string | null = null;
  private readonly waiters = new Set<Waiter>();
  /** Waiting for a position to be handled, stored or not (see waitForHandled). */
  private readonly handledWaiters = new Set<Waiter>();
  private readonly logger: Logger;
  private readonly interval: number;

  constructor(private readonly options: ProcessManagerOptions) {
    this.name = options.name;
    this.logger = (options.logger ?? silentLogger).child({ component: 'process-manager', name: this.name });
    this.interval = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  }

  /** Log position up to which every event has been handled and checkpointed. */
  get position(): number {
    return this.committed;
  }

  /** Log position up to which every event has been handled (the checkpoint may lag behind it). */
  get handledPosition(): number {
    return this.handled;
  }

  /** The last failure's message while retrying, else null. */
  get error(): string | null {
    return this.lastError;
  }

  /** Reads the checkpoint and subscribes from it; resolves once subscribed (not caught up). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.subscribe();
  }

  /**
   * Stops delivery; resolves when no handler call is running any more and what was handled is
   * checkpointed (a failing checkpoint write is logged: the next start hands those events over again).
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
    this.cancelFlushTimer();
    try {
      await this.flush();
    } catch (err) {
      this.logger.warn({ err: messageOf(err), position: this.handled }, 'checkpoint not stored at stop');
    }
    for (const waiter of [...this.waiters]) this.finish(waiter, false);
    for (const waiter of [...this.handledWaiters]) this.finishHandled(waiter, false);
  }

  /**
   * Resolves true once everything up to `position` is handled (its effects are written), false after
   * `timeoutMs`. Unlike waitFor it does not hurry the checkpoint: for a caller that needs the
   * effects, not the promise that they will not be repeated.
   */
  waitForHandled(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.handled >= position) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => this.finishHandled(waiter, false), timeoutMs),
      };
      this.handledWaiters.add(waiter);
    });
  }

  /** Resolves true once everything up to `position` is checkpointed, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.committed >= position) return Promise.resolve(true);
    const reached = new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => this.finish(waiter, false), timeoutMs),
      };
      this.waiters.add(waiter);
    });
    // Handled already, only not stored yet: store it now rather than at the next interval.
    if (this.handled >= position) this.flushSoon();
    return reached;
  }

  private async subscribe(): Promise<void> {
    try {
      this.committed = Math.max(this.committed, await this.options.checkpoints.getCheckpoint(this.name));
      this.handled = Math.max(this.handled, this.committed);
      if (!this.running) return;
      const subscription = this.options.store.subscribe({
        // Events handled but not yet checkpointed need not be handed over again by this instance.
        after: this.handled,
        ...(this.options.filter ? { filter: this.options.filter } : {}),
        batchSize: this.options.batchSize ?? 500,
        handle: async (events) => {
          if (events.length === 0) return;
          await this.options.handle(events);
          await this.advance(events[events.length - 1]!.globalPosition);
        },
        onCheckpoint: (position) => this.advance(position),
      });
      this.subscription = subscription;
      // Handled before a failure (e.g. of the checkpoint write itself) but not stored yet.
      if (this.handled > this.committed) this.flushSoon();
      subscription.done.then(
        () => undefined,
        (err: unknown) => {
          if (this.subscription === subscription) this.retryLater(err);
        },
      );
    } catch (err) {
      this.retryLater(err);
    }
  }

  /**
   * Everything up to `position` is handled. The checkpoint is stored now when someone waits for it
   * or the interval has passed (a failure then fails the subscription, which resubscribes), else
   * later by a timer.
   */
  private async advance(position: number): Promise<void> {
    if (position <= this.handled) return;
    this.handled = position;
    for (const waiter of [...this.handledWaiters])
      if (position >= waiter.position) this.finishHandled(waiter, true);
    if (
      this.interval <= 0 ||
      Date.now() - this.lastSaveAt >= this.interval ||
      this.someoneWaitsFor(position)
    ) {
      this.cancelFlushTimer();
      await this.flush();
    } else {
      this.scheduleFlush(this.interval - (Date.now() - this.lastSaveAt));
    }
  }

  private someoneWaitsFor(position: number): boolean {
    for (const waiter of this.waiters) if (waiter.position <= position) return true;
    return false;
  }

  /** Stores the handled position, after any write already under way. */
  private flush(): Promise<void> {
    const run = this.flushChain.then(() => this.store());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** A flush nobody awaits: a failure is logged and tried again after the interval. */
  private flushSoon(): void {
    this.cancelFlushTimer();
    this.flush().catch((err: unknown) => {
      this.logger.warn({ err: messageOf(err), position: this.handled }, 'checkpoint not stored; retrying');
      if (this.running) this.scheduleFlush(Math.max(this.interval, 100));
    });
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = null;
        this.flushSoon();
      },
      Math.max(0, delayMs),
    );
    this.flushTimer.unref();
  }

  private cancelFlushTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private async store(): Promise<void> {
    const position = this.handled;
    if (position <= this.committed) return;
    await this.options.checkpoints.saveCheckpoint(this.name, position);
    this.lastSaveAt = Date.now();
    this.committed = Math.max(this.committed, position);
    this.lastError = null;
    for (const waiter of [...this.waiters]) if (position >= waiter.position) this.finish(waiter, true);
    if (this.options.afterCheckpoint) {
      try {
        await this.options.afterCheckpoint(position);
      } catch (err) {
        this.logger.warn({ err: messageOf(err), position }, 'after-checkpoint step failed');
      }
    }
  }

  private retryLater(err: unknown): void {
    this.subscription = null;
    this.lastError = messageOf(err);
    this.logger.error({ err: this.lastError, position: this.committed }, 'process manager failed; retrying');
    if (!this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) void this.subscribe();
    }, this.options.retryDelayMs ?? 5000);
    this.retryTimer.unref();
  }

  private finishHandled(waiter: Waiter, reached: boolean): void {
    clearTimeout(waiter.timer);
    this.handledWaiters.delete(waiter);
    waiter.resolve(reached);
  }

  private finish(waiter: Waiter, reached: boolean): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve(reached);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
