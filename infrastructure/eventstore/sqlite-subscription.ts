import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { EventFilter, SubscribeOptions, Subscription } from '../../application/ports/event-store.js';

/** What a catch-up subscription needs from the store it follows. */
export interface LogSource {
  /**
   * Up to `limit` events matching `filter` with a position above `after`. `scannedTo` is the
   * position up to which every matching event is in `events`; `caughtUp` says the read reached the
   * head of the log.
   */
  readBatch(
    after: number,
    limit: number,
    filter: EventFilter | undefined,
  ): { events: RecordedEvent[]; scannedTo: number; caughtUp: boolean };
  /** A counter that moves whenever this process commits an append. */
  commitCount(): number;
  /**
   * Resolves after the next local commit (at once if commitCount() has moved past `seen`) or after
   * `timeoutMs`, whichever comes first. `cancel` resolves it early.
   */
  waitForCommit(seen: number, timeoutMs: number): { promise: Promise<void>; cancel(): void };
}

export const DEFAULT_BATCH_SIZE = 500;

/**
 * Replays the log from a position, then follows it. Local appends wake the subscription right after
 * their commit; a slow poll picks up appends made by other processes on the same file. Handler calls
 * are strictly serial: the next batch is read only after the previous `handle` settled.
 *
 * Progress past events the filter leaves out is reported as soon as the subscription has caught up
 * with a commit, not held back: whoever waits for a position (a purchase waiting for the catalog
 * read model, a read-after-write) gets it without delay. Subscribers that store progress durably
 * limit those writes themselves (LiveRun, ProcessManager), so a report is an in-memory step.
 */
export class CatchUpSubscription implements Subscription {
  readonly done: Promise<void>;
  private stopped = false;
  private cancelWait: (() => void) | null = null;

  constructor(
    private readonly source: LogSource,
    private readonly options: SubscribeOptions,
    private readonly pollMs: number,
    onEnd: (subscription: CatchUpSubscription) => void,
  ) {
    if (!Number.isSafeInteger(options.after) || options.after < 0) {
      throw new TypeError(`Subscription start position must be a non-negative integer, got ${options.after}`);
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`Subscription batch size must be a positive integer, got ${batchSize}`);
    }
    this.done = this.run(batchSize).finally(() => onEnd(this));
    // The rejection is reported through `done`; callers that never look at it must not crash the process.
    this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    await this.done.catch(() => undefined);
  }

  private async run(batchSize: number): Promise<void> {
    const { filter, handle, onCheckpoint } = this.options;
    let position = this.options.after;
    let reported = -1;
    while (!this.stopped) {
      const seen = this.source.commitCount();
      const { events, scannedTo, caughtUp } = this.source.readBatch(position, batchSize, filter);
      if (events.length > 0) {
        await handle(events);
        position = events[events.length - 1]!.globalPosition;
        if (this.stopped) break;
      }
      if (!caughtUp) continue;
      position = Math.max(position, scannedTo);
      if (onCheckpoint && position > reported) {
        await onCheckpoint(position);
        reported = position;
        if (this.stopped) break;
      }
      const wait = this.source.waitForCommit(seen, this.pollMs);
      this.cancelWait = wait.cancel;
      await wait.promise;
      this.cancelWait = null;
    }
  }
}
