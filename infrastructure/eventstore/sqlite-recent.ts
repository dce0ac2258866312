import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { EventFilter } from '../../application/ports/event-store.js';

/** Events kept; the window is cut back to this size once it has grown to twice as many. */
const KEEP = 4096;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Whether an event passes a subscription filter, exactly as the store's filtered SQL read decides. */
export function matches(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  if (filter.streamPrefixes !== undefined && !filter.streamPrefixes.some((p) => event.streamId.startsWith(p)))
    return false;
  return true;
}

/**
 * The events this process committed last, as the contiguous stretch of the log that ends at its
 * last commit. Live subscriptions read the tail of the log right after each commit; serving that
 * tail from here spares every subscriber the SQL read, the JSON parsing and the schema validation
 * of events that were validated by the same registry moments before, when they were appended.
 *
 * Only a stretch known to be complete is served: a commit that does not continue the stretch
 * (another process appended in between) starts it afresh, and a read is served only while the log
 * head is still this stretch's end. The events are frozen, since every subscriber (and the
 * appender) now shares the same objects.
 */
export class RecentEvents {
  private events: RecordedEvent[] = [];

  /** Records the events of one commit, in position order. */
  add(committed: readonly RecordedEvent[]): void {
    if (committed.length === 0) return;
    const last = this.events.at(-1);
    if (last !== undefined && committed[0]!.globalPosition !== last.globalPosition + 1) this.events = [];
    for (const e of committed) this.events.push(deepFreeze(e));
    if (this.events.length > 2 * KEEP) this.events = this.events.slice(-KEEP);
  }

  /** Forgets everything (e.g. after a failed commit, whose outcome is not known here). */
  clear(): void {
    this.events = [];
  }

  /**
   * Up to `limit` events matching `filter` after `after`, if the stretch covers everything from
   * there to `head`; null when the store must be read.
   */
  read(
    after: number,
    limit: number,
    filter: EventFilter | undefined,
    head: number,
  ): { events: RecordedEvent[]; scannedTo: number; caughtUp: boolean } | null {
    const events = this.events;
    const first = events[0];
    if (first === undefined || events.at(-1)!.globalPosition !== head) return null;
    if (after < first.globalPosition - 1 || after > head) return null;
    const found: RecordedEvent[] = [];
    for (let i = after - first.globalPosition + 1; i < events.length; i++) {
      const e = events[i]!;
      if (!matches(e, filter)) continue;
      found.push(e);
      if (found.length === limit) return { events: found, scannedTo: e.globalPosition, caughtUp: false };
    }
    return { events: found, scannedTo: head, caughtUp: true };
  }
}
