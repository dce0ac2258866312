import type { DomainEvent, RecordedEvent } from '../domain/kernel/event.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * Which streams concern which user (collection `streams`, one document per user and stream, id
 * `<userId>:<streamId>`), so customer support can replay one person's history across aggregates by
 * reading just those streams. A stream is linked by the first event that names its user; the
 * aggregates record the user on the event that opens the stream, so later events need no link.
 */
export type SupportStreamDoc = {
  readonly id: string;
  readonly userId: string;
  readonly streamId: string;
  /** The stream's category, the part of its id before the first "-" (`user`, `right`, `payment`…). */
  readonly category: string;
  /** Global position of the event that linked the stream to the user. */
  readonly firstPosition: number;
  readonly linkedAt: string;
};

export const SUPPORT_STREAMS_PROJECTION = 'support_user_streams';
export const SUPPORT_STREAMS_COLLECTION = 'streams';

export function supportStreamDocId(userId: string, streamId: string): string {
  return `${userId}:${streamId}`;
}

/** Reads the user an event names, or null. */
type UserOf = (data: unknown) => string | null;

const field =
  (name: string): UserOf =>
  (data) => {
    const value = (data as Record<string, unknown> | null)?.[name];
    return typeof value === 'string' ? value : null;
  };

/**
 * The events that link a stream to a user, and where each names the user. A new aggregate that
 * belongs to users adds the event opening its streams here (and bumps the projection's version).
 */
export const USER_LINKS: Readonly<Record<string, UserOf>> = {
  UserRegistered: field('userId'),
  ConsentGranted: field('sub'),
  ConsentDenied: field('sub'),
  RightGranted: field('sub'),
  SubscriptionStarted: field('sub'),
  TransactionCreated: field('sub'),
  PaymentMethodSaved: field('sub'),
  // A charging agreement may be created for whoever signs in (sub null); it is the user's once confirmed.
  AgreementCreated: field('sub'),
  AgreementConfirmed: field('sub'),
};

function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

async function link(event: RecordedEvent, tx: ProjectionTx): Promise<void> {
  const userId = USER_LINKS[event.type]?.(event.data) ?? null;
  if (userId === null) return;
  const id = supportStreamDocId(userId, event.streamId);
  if (await tx.get(SUPPORT_STREAMS_COLLECTION, id)) return;
  const doc: SupportStreamDoc = {
    id,
    userId,
    streamId: event.streamId,
    category: categoryOf(event.streamId),
    firstPosition: event.globalPosition,
    linkedAt: event.occurredAt,
  };
  tx.upsert(SUPPORT_STREAMS_COLLECTION, doc);
}

export const supportStreamsProjection = defineProjection<DomainEvent>({
  name: SUPPORT_STREAMS_PROJECTION,
  version: 1,
  handles: Object.keys(USER_LINKS),
  collections: {
    [SUPPORT_STREAMS_COLLECTION]: { indexes: [{ fields: ['userId', 'firstPosition'] }] },
  },
  apply: link,
});
