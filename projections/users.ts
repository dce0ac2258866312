import type { RecordedEvent } from '../domain/kernel/event.js';
import type { UserEvent } from '../domain/user/events.js';
import { userEvents } from '../domain/user/events.js';
import {
  type ActiveUser,
  evolveUser,
  type IdentifierEntry,
  type SignInLock,
  type UserState,
} from '../domain/user/state.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * Read model of an account (collection `users`). It never holds personal data in clear: phones,
 * emails and the name stay sealed exactly as in the events, and the query side opens them with the
 * vault, so an erased account (whose key is gone) reads back without them. Erasure also empties
 * the document of sealed values and hashes. No password hash is kept, only whether there is one.
 */
export type UserDoc = {
  readonly id: string;
  readonly status: 'active' | 'erased';
  /** In the order they were added; `sealed` is the vault-sealed value, `hash` its keyed hash. */
  readonly phones: readonly IdentifierEntry[];
  readonly emails: readonly IdentifierEntry[];
  readonly primaryPhone: string | null;
  readonly primaryEmail: string | null;
  /** Sealed. */
  readonly name: string | null;
  readonly locale: string | null;
  readonly hasPassword: boolean;
  readonly lock: SignInLock | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly erasedAt: string | null;
  readonly revision: number;
};

export const USERS_PROJECTION = 'users';

/** Stands in for the password hash the read model does not keep (evolve only sets or clears it). */
const SOME_PASSWORD = 'set';

function toState(doc: UserDoc): UserState {
  if (doc.status === 'erased') return { status: 'erased', userId: doc.id };
  return {
    status: 'active',
    userId: doc.id,
    phones: doc.phones,
    emails: doc.emails,
    primaryPhone: doc.primaryPhone,
    primaryEmail: doc.primaryEmail,
    name: doc.name,
    locale: doc.locale,
    passwordHash: doc.hasPassword ? SOME_PASSWORD : null,
    lock: doc.lock,
  };
}

function activeFields(state: ActiveUser) {
  return {
    status: 'active' as const,
    phones: state.phones,
    emails: state.emails,
    primaryPhone: state.primaryPhone,
    primaryEmail: state.primaryEmail,
    name: state.name,
    locale: state.locale,
    hasPassword: state.passwordHash !== null,
    lock: state.lock,
  };
}

const erasedFields = {
  status: 'erased' as const,
  phones: [],
  emails: [],
  primaryPhone: null,
  primaryEmail: null,
  name: null,
  locale: null,
  hasPassword: false,
  lock: null,
};

/** The domain's own evolve keeps this read model and the aggregate in step. */
async function applyUserEvent(event: RecordedEvent<UserEvent>, tx: ProjectionTx): Promise<void> {
  const userId = (event.data as { userId: string }).userId;
  const existing = await tx.get<UserDoc>('users', userId);
  if (!existing && event.type !== 'UserRegistered') return;
  const before: UserState = existing ? toState(existing) : { status: 'unregistered' };
  const after = evolveUser(before, { type: event.type, data: event.data } as UserEvent);
  if (after.status === 'unregistered') return;
  const doc: UserDoc = {
    id: userId,
    ...(after.status === 'active' ? activeFields(after) : erasedFields),
    createdAt: existing?.createdAt ?? event.occurredAt,
    updatedAt: event.occurredAt,
    erasedAt: after.status === 'erased' ? (existing?.erasedAt ?? event.occurredAt) : null,
    revision: event.revision,
  };
  tx.upsert('users', doc);
}

export const usersProjection = defineProjection<UserEvent>({
  name: USERS_PROJECTION,
  version: 1,
  handles: userEvents.map((d) => d.type as UserEvent['type']),
  collections: {
    users: { indexes: [{ fields: ['createdAt'] }, { fields: ['status', 'createdAt'] }] },
  },
  apply: applyUserEvent,
});
