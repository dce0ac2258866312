import { inject, injectable } from 'inversify';
import { rightStreamId } from '../../domain/right/values.js';
import type { EventStore } from '../ports/event-store.js';
import { PORTS } from '../tokens.js';
import { type AccessAnswer, RightQueries, type RightView } from './right-queries.js';

export interface ExplainedEvent {
  readonly type: string;
  readonly occurredAt: string;
  /** Position in the global log. */
  readonly position: number;
  readonly actor: unknown;
  readonly data: unknown;
}

export interface AccessExplanation {
  readonly sub: string;
  readonly sku: string;
  readonly at: string;
  readonly answer: AccessAnswer;
  /** Every right of this user and SKU at the provider, each with the events that made it what it is. */
  readonly rights: ReadonlyArray<{ readonly right: RightView; readonly events: readonly ExplainedEvent[] }>;
}

/**
 * Why an access check answers what it does: the answer, and for every right that could bear on it
 * the chain of events in its stream (granted, extended, suspended, …, with who did it and when).
 * Support and providers use it to settle "why can't I watch this?"; it reads the log, so it is
 * for people, not for the request path of every check.
 */
@injectable()
export class AccessExplainer {
  constructor(
    @inject(RightQueries) private readonly queries: Pick<RightQueries, 'listForUser' | 'access'>,
    @inject(PORTS.EventStore) private readonly store: Pick<EventStore, 'readStream'>,
  ) {}

  /** Explains the answer at `at` (now, for the request path); rights' states are shown for now. */
  async explain(sub: string, providerId: string, sku: string, at: Date): Promise<AccessExplanation> {
    const [answer, rights] = await Promise.all([
      this.queries.access(sub, providerId, sku, at),
      this.queries.listForUser(sub, { providerId, sku }),
    ]);
    const explained = await Promise.all(
      rights.map(async (right) => ({
        right,
        events: (await this.store.readStream(rightStreamId(right.id))).map((e) => ({
          type: e.type,
          occurredAt: e.occurredAt,
          position: e.globalPosition,
          actor: e.metadata.actor,
          data: e.data,
        })),
      })),
    );
    return { sub, sku, at: at.toISOString(), answer, rights: explained };
  }
}
