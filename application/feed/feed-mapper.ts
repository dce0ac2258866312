import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { EventFilter } from '../ports/event-store.js';
import type { ProviderMessage } from '../ports/provider-feed-store.js';

export type { ProviderMessage } from '../ports/provider-feed-store.js';

/**
 * Turns one log event into the message its provider receives, or null when providers are not told
 * about it. The mapper decides what is public: `data` must hold nothing the provider may not see.
 * It may be async (e.g. to look up the provider of an aggregate whose events do not carry it), and
 * must be deterministic: after a crash the same event is mapped again and must give the same
 * message.
 */
export type FeedMapper = (event: RecordedEvent) => ProviderMessage | null | Promise<ProviderMessage | null>;

/** A mapper together with the events it can map, so the feed reads only those from the log. */
export interface FeedSource {
  readonly mapper: FeedMapper;
  /** Restricts what the feed's process managers read (types and/or stream prefixes). */
  readonly filter?: EventFilter;
}

/** Builds a message for `event`, copying its id, position and time. */
export function providerMessage(
  event: RecordedEvent,
  content: Pick<ProviderMessage, 'providerId' | 'type' | 'subject' | 'data'>,
): ProviderMessage {
  return {
    providerId: content.providerId,
    type: content.type,
    subject: content.subject,
    data: content.data,
    occurredAt: event.occurredAt,
    eventId: event.eventId,
    position: event.globalPosition,
  };
}

/**
 * Combines the sources of several aggregates (rights, subscriptions, …) into one: an event goes to
 * the first mapper that returns a message. The filter is the union of theirs; if any source reads
 * everything, so does the result.
 */
export function combineSources(...sources: readonly FeedSource[]): FeedSource {
  const mapper: FeedMapper = async (event) => {
    for (const source of sources) {
      const message = await source.mapper(event);
      if (message) return message;
    }
    return null;
  };
  if (sources.length === 0 || sources.some((s) => !s.filter)) return { mapper };
  const types = sources.flatMap((s) => s.filter?.types ?? []);
  const prefixes = sources.flatMap((s) => s.filter?.streamPrefixes ?? []);
  const onlyTypes = sources.every((s) => s.filter?.types && !s.filter.streamPrefixes);
  const onlyPrefixes = sources.every((s) => s.filter?.streamPrefixes && !s.filter.types);
  if (onlyTypes) return { mapper, filter: { types } };
  if (onlyPrefixes) return { mapper, filter: { streamPrefixes: prefixes } };
  // Mixed kinds of filter cannot be expressed as one (a filter's parts are ANDed): read everything.
  return { mapper };
}
