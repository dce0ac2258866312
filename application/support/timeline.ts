import { inject, injectable } from 'inversify';
import type { Actor, RecordedEvent } from '../../domain/kernel/event.js';
import { CatalogNames } from './names.js';
import {
  type NameLookup,
  sourceFor,
  TIMELINE_SOURCES,
  type TimelineKind,
  type TimelineSource,
} from './timeline-sources.js';
import { UserStreams } from './user-streams.js';
import { actorText } from './wording.js';

export interface TimelineQuery {
  /** Only entries of these kinds (all when absent or empty). */
  readonly kinds?: readonly TimelineKind[];
  /** ISO 8601; entries at or after it. */
  readonly from?: string;
  /** ISO 8601; entries before it. */
  readonly to?: string;
  /** The previous page's `nextCursor`: a global log position; entries after it. */
  readonly cursor?: number;
  /** 1..500, default 100. */
  readonly limit?: number;
}

export interface TimelineEntry {
  /** Global log position: the timeline's order and its cursor. */
  readonly position: number;
  readonly at: string;
  readonly type: string;
  readonly kind: TimelineKind;
  readonly streamId: string;
  /** The aggregate's id: the stream id without its category. */
  readonly aggregateId: string;
  readonly actor: Actor & { readonly label: string };
  readonly description: string;
  /** The reason recorded with the change (support actions always have one). */
  readonly reason: string | null;
  readonly correlationId: string;
}

export interface TimelinePage {
  readonly sub: string;
  readonly entries: readonly TimelineEntry[];
  /** Pass as `cursor` for the next (later) entries; null on the last page. */
  readonly nextCursor: number | null;
}

export const DEFAULT_TIMELINE_LIMIT = 100;
export const MAX_TIMELINE_LIMIT = 500;

interface Candidate {
  readonly event: RecordedEvent;
  readonly earlier: readonly RecordedEvent[];
  readonly source: TimelineSource;
  readonly kind: TimelineKind;
}

function aggregateIdOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(dash + 1);
}

/**
 * One person's account history: every event of every stream that concerns them (account, sign-ins,
 * consents, rights, subscriptions, payments, payment methods), oldest to newest in log order, each
 * told in plain words with who did it and when. Reads the streams from the log on every call.
 */
@injectable()
export class AccountTimeline {
  constructor(
    @inject(UserStreams) private readonly streams: Pick<UserStreams, 'read'>,
    @inject(CatalogNames) private readonly names: Pick<CatalogNames, 'lookup'>,
  ) {}

  /** Sources are the ones in TIMELINE_SOURCES; tests and new aggregates may pass their own list. */
  sources: readonly TimelineSource[] = TIMELINE_SOURCES;

  async page(sub: string, query: TimelineQuery = {}): Promise<TimelinePage> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_TIMELINE_LIMIT, 1), MAX_TIMELINE_LIMIT);
    const kinds = query.kinds && query.kinds.length > 0 ? new Set(query.kinds) : null;
    const from = query.from === undefined ? -Infinity : Date.parse(query.from);
    const to = query.to === undefined ? Infinity : Date.parse(query.to);
    const after = query.cursor ?? 0;

    const candidates: Candidate[] = [];
    for (const stream of await this.streams.read(sub)) {
      const source = sourceFor(stream.streamId, this.sources);
      if (source === null) continue;
      stream.events.forEach((event, index) => {
        if (event.globalPosition <= after) return;
        const at = Date.parse(event.occurredAt);
        if (at < from || at >= to) return;
        const kind = source.kindOf(event);
        if (kinds !== null && !kinds.has(kind)) return;
        candidates.push({ event, earlier: stream.events.slice(0, index), source, kind });
      });
    }
    candidates.sort((a, b) => a.event.globalPosition - b.event.globalPosition);
    const page = candidates.slice(0, limit);
    const names = this.names.lookup();
    const entries = await Promise.all(page.map((c) => this.entry(c, names)));
    const more = candidates.length > limit;
    return { sub, entries, nextCursor: more ? page.at(-1)!.event.globalPosition : null };
  }

  private async entry(c: Candidate, names: NameLookup): Promise<TimelineEntry> {
    const { event } = c;
    const actor = event.metadata.actor;
    const clientName = actor.kind === 'client' ? await names.client(actor.id) : null;
    return {
      position: event.globalPosition,
      at: event.occurredAt,
      type: event.type,
      kind: c.kind,
      streamId: event.streamId,
      aggregateId: aggregateIdOf(event.streamId),
      actor: { kind: actor.kind, id: actor.id, label: actorText(actor, { clientName }) },
      description: await c.source.describe(event, c.earlier, names),
      reason: event.metadata.reason ?? null,
      correlationId: event.metadata.correlationId,
    };
  }
}
