/**
 * A process manager: follows the log from its own checkpoint and hands every event to a handler
 * that causes side effects (queueing messages for providers, scheduling webhooks).
 *
 * It lives in application/, not projections/: projections may depend only on domain/ and the
 * read-model port, and what they write is rebuilt from position 0 whenever their version moves.
 * A process manager's effects must never be repeated by such a rebuild, so it keeps its checkpoint
 * in its own store (CheckpointStore), apart from every projection's.
 *
 * Order of writes per batch: the handler's writes first, then the checkpoint. A crash in between
 * makes the next run hand the same events to the handler again, so handlers must be idempotent per
 * event (the feed store deduplicates by event id); no event is ever skipped.
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
  /** Runs after each stored checkpoint (e.g. to forget what is now safely behind it). */
  readonly afterCheckpoint?: (position: number) => Promise<void>;
  readonly filter?: EventFilter;
  /** Largest batch handed to `handle` (default 500). */
  readonly batchSize?: number;
  /** Wait before resubscribing after a failure (default 5,000 ms). */
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
}

interface Waiter {
  readonly position: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class ProcessManager {
  readonly name: string;
  private committed = 0;
  private subscription: Subscription | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private lastError: string | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly logger: Logger;

  constructor(private readonly options: ProcessManagerOptions) {
    this.name = options.name;
    this.logger = (options.logger ?? silentLogger).child({ component: 'process-manager', name: this.name });
  }

  /** Log position up to which every event has been handled and checkpointed. */
  get position(): number {
    return this.committed;
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

  /** Stops delivery; resolves when no handler call is running any more. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
    for (const waiter of [...this.waiters]) this.finish(waiter, false);
  }

  /** Resolves true once everything up to `position` is checkpointed, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.committed >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => this.finish(waiter, false), timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private async subscribe(): Promise<void> {
    try {
      this.committed = Math.max(this.committed, await this.options.checkpoints.getCheckpoint(this.name));
      if (!this.running) return;
      const subscription = this.options.store.subscribe({
        after: this.committed,
        ...(this.options.filter ? { filter: this.options.filter } : {}),
        batchSize: this.options.batchSize ?? 500,
        handle: async (events) => {
          if (events.length === 0) return;
          await this.options.handle(events);
          await this.commit(events[events.length - 1]!.globalPosition);
        },
        onCheckpoint: (position) => this.commit(position),
      });
      this.subscription = subscription;
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

  private async commit(position: number): Promise<void> {
    if (position <= this.committed) return;
    await this.options.checkpoints.saveCheckpoint(this.name, position);
    this.committed = position;
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

  private finish(waiter: Waiter, reached: boolean): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve(reached);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
