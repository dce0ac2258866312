import { inject, injectable } from 'inversify';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import { userStreamId } from '../../domain/user/values.js';
import {
  SUPPORT_STREAMS_COLLECTION,
  SUPPORT_STREAMS_PROJECTION,
  type SupportStreamDoc,
} from '../../projections/support-streams.js';
import type { EventStore } from '../ports/event-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';

/** One stream of a user's, read whole from the log. */
export interface UserStream {
  readonly streamId: string;
  readonly events: readonly RecordedEvent[];
}

/**
 * The streams that concern one user (from the `support_user_streams` projection, plus the user's
 * own stream, which is there from the first write) read from the event store itself: support reads
 * the record, not a read model's summary of it.
 */
@injectable()
export class UserStreams {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.EventStore) private readonly store: EventStore,
  ) {}

  /** The ids of the user's streams, in the order they first concerned the user. */
  async streamIds(sub: string): Promise<string[]> {
    const view = this.views.view<SupportStreamDoc>(SUPPORT_STREAMS_PROJECTION, SUPPORT_STREAMS_COLLECTION);
    const ids = new Set<string>([userStreamId(sub)]);
    let cursor: string | undefined;
    do {
      const page = await view.find({
        where: { userId: sub },
        sort: { field: 'firstPosition', direction: 'asc' },
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const doc of page.items) ids.add(doc.streamId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return [...ids];
  }

  /** Every stream of the user with its events (streams without events are left out). */
  async read(sub: string): Promise<UserStream[]> {
    const ids = await this.streamIds(sub);
    const streams = await Promise.all(
      ids.map(async (streamId) => ({ streamId, events: await this.store.readStream(streamId) })),
    );
    return streams.filter((s) => s.events.length > 0);
  }
}
