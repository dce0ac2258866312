/**
 * What providers hear about rights and subscriptions: every change of a right (`right.granted`,
 * `right.extended`, `right.suspended`, `right.reactivated`, `right.terminated`, `right.used`) and
 * of a subscription (`subscription.started`, `subscription.period_started`, …), each addressed to
 * the provider that owns it, with `{ sub, rightId }` or `{ sub, subscriptionId }` as subject.
 *
 * Only the first event of a stream names the provider and the user; for the others both are read
 * from that first event (cached, since they never change), so a mapping repeated after a crash
 * gives the same message. When the event being mapped is that first event, it is used as it is: no
 * stream is read for a right's own grant.
 */
import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { RightEvent } from '../../domain/right/events.js';
import { rightEvents } from '../../domain/right/events.js';
import { rightStreamId } from '../../domain/right/values.js';
import { SUBSCRIPTION_EVENT_TYPES } from '../../domain/subscription/events.js';
import { subscriptionStreamId } from '../../domain/subscription/values.js';
import type { EventStore } from '../ports/event-store.js';
import { type FeedSource, providerMessage } from './feed-mapper.js';

interface Owner {
  readonly providerId: string;
  readonly sub: string;
}

/** Internal bookkeeping of a subscription that providers need not hear about. */
const SILENT_SUBSCRIPTION_EVENTS = new Set(['SubscriptionRightIssued']);

/** `RightSuspended` → `suspended`, `SubscriptionPeriodStarted` → `period_started`. */
function publicType(prefix: 'right' | 'subscription', eventType: string): string {
  const name = eventType.replace(prefix === 'right' ? /^Right/ : /^Subscription/, '');
  return `${prefix}.${name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

class Owners {
  private readonly cache = new Map<string, Owner>();

  constructor(
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly max = 50_000,
  ) {}

  /** The owner of `streamId`, named by its opening event; `event` is the one being mapped. */
  async of(
    streamId: string,
    event: RecordedEvent,
    first: (event: RecordedEvent) => Owner | null,
  ): Promise<Owner | null> {
    const hit = this.cache.get(streamId);
    if (hit) return hit;
    const opening =
      event.streamId === streamId && event.revision === 0
        ? event
        : (await this.store.readStream(streamId, { maxCount: 1 }))[0];
    const owner = opening ? first(opening) : null;
    if (owner) {
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(streamId, owner);
    }
    return owner;
  }
}

export function rightsFeedSource(store: Pick<EventStore, 'readStream'>): FeedSource {
  const owners = new Owners(store);
  const types = rightEvents.map((d) => d.type);
  return {
    filter: { types },
    mapper: async (event) => {
      if (!types.includes(event.type)) return null;
      const data = event.data as RightEvent['data'] & { rightId: string };
      const owner = await owners.of(rightStreamId(data.rightId), event, (e) => {
        const granted = e.data as { providerId?: string; sub?: string };
        return granted.providerId && granted.sub
          ? { providerId: granted.providerId, sub: granted.sub }
          : null;
      });
      if (!owner) return null;
      return providerMessage(event, {
        providerId: owner.providerId,
        type: publicType('right', event.type),
        subject: { sub: owner.sub, rightId: data.rightId },
        data,
      });
    },
  };
}

export function subscriptionsFeedSource(store: Pick<EventStore, 'readStream'>): FeedSource {
  const owners = new Owners(store);
  const types = SUBSCRIPTION_EVENT_TYPES.filter((t) => !SILENT_SUBSCRIPTION_EVENTS.has(t));
  return {
    filter: { types },
    mapper: async (event) => {
      if (!types.includes(event.type as (typeof types)[number])) return null;
      const data = event.data as { subscriptionId: string };
      const owner = await owners.of(subscriptionStreamId(data.subscriptionId), event, (e) => {
        const started = e.data as { providerId?: string; sub?: string };
        return started.providerId && started.sub
          ? { providerId: started.providerId, sub: started.sub }
          : null;
      });
      if (!owner) return null;
      return providerMessage(event, {
        providerId: owner.providerId,
        type: publicType('subscription', event.type),
        subject: { sub: owner.sub, subscriptionId: data.subscriptionId },
        data,
      });
    },
  };
}
