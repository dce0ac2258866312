import type { UserEvent } from './events.js';
import { type IdentifierKind, identifierReservationKey } from './values.js';

/** A phone or email on an account, known by its keyed hash; `sealed` is its vault-sealed value. */
export interface IdentifierEntry {
  readonly hash: string;
  readonly sealed: string;
  readonly verified: boolean;
}

export interface SignInLock {
  readonly reason: string;
  /** ISO 8601; null means until unlocked. */
  readonly until: string | null;
}

export interface ActiveUser {
  readonly status: 'active';
  readonly userId: string;
  /** In the order they were added. */
  readonly phones: readonly IdentifierEntry[];
  readonly emails: readonly IdentifierEntry[];
  readonly primaryPhone: string | null;
  readonly primaryEmail: string | null;
  /** Sealed. */
  readonly name: string | null;
  readonly locale: string | null;
  readonly passwordHash: string | null;
  readonly lock: SignInLock | null;
}

export type UserState =
  { readonly status: 'unregistered' } | ActiveUser | { readonly status: 'erased'; readonly userId: string };

export function identifiersOf(state: ActiveUser, kind: IdentifierKind): readonly IdentifierEntry[] {
  return kind === 'phone' ? state.phones : state.emails;
}

export function primaryOf(state: ActiveUser, kind: IdentifierKind): string | null {
  return kind === 'phone' ? state.primaryPhone : state.primaryEmail;
}

/** Uniqueness keys the account holds: one per verified phone and email. */
export function heldReservationKeys(state: UserState): string[] {
  if (state.status !== 'active') return [];
  const keys = (kind: IdentifierKind) =>
    identifiersOf(state, kind)
      .filter((i) => i.verified)
      .map((i) => identifierReservationKey(kind, i.hash));
  return [...keys('phone'), ...keys('email')];
}

/** Whether a lock is in force at `now` (a lock whose `until` has passed no longer is). */
export function lockInForce(lock: SignInLock | null, now: Date): boolean {
  return lock !== null && (lock.until === null || Date.parse(lock.until) > now.getTime());
}

export function isSignInLocked(state: UserState, now: Date): boolean {
  return state.status === 'active' && lockInForce(state.lock, now);
}

function withIdentifiers(
  state: ActiveUser,
  kind: IdentifierKind,
  update: (entries: readonly IdentifierEntry[]) => readonly IdentifierEntry[],
): ActiveUser {
  return kind === 'phone'
    ? { ...state, phones: update(state.phones) }
    : { ...state, emails: update(state.emails) };
}

function withPrimary(state: ActiveUser, kind: IdentifierKind, hash: string | null): ActiveUser {
  return kind === 'phone' ? { ...state, primaryPhone: hash } : { ...state, primaryEmail: hash };
}

function added(state: ActiveUser, kind: IdentifierKind, hash: string, sealed: string): ActiveUser {
  return withIdentifiers(state, kind, (list) => [...list, { hash, sealed, verified: false }]);
}

function verified(state: ActiveUser, kind: IdentifierKind, hash: string): ActiveUser {
  return withIdentifiers(state, kind, (list) =>
    list.map((i) => (i.hash === hash ? { ...i, verified: true } : i)),
  );
}

function removed(state: ActiveUser, kind: IdentifierKind, hash: string): ActiveUser {
  const next = withIdentifiers(state, kind, (list) => list.filter((i) => i.hash !== hash));
  return primaryOf(next, kind) === hash ? withPrimary(next, kind, null) : next;
}

/** Folds one user event into the state (events of an erased account change nothing). */
export function evolveUser(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const d = event.data;
    const entry: IdentifierEntry = { hash: d.identifierHash, sealed: d.identifier, verified: true };
    return {
      status: 'active',
      userId: d.userId,
      phones: d.via === 'phone' ? [entry] : [],
      emails: d.via === 'email' ? [entry] : [],
      primaryPhone: d.via === 'phone' ? d.identifierHash : null,
      primaryEmail: d.via === 'email' ? d.identifierHash : null,
      name: null,
      locale: d.locale ?? null,
      passwordHash: null,
      lock: null,
    };
  }
  if (state.status !== 'active') return state;
  switch (event.type) {
    case 'PhoneAdded':
      return added(state, 'phone', event.data.phoneHash, event.data.phone);
    case 'EmailAdded':
      return added(state, 'email', event.data.emailHash, event.data.email);
    case 'PhoneVerified':
      return verified(state, 'phone', event.data.phoneHash);
    case 'EmailVerified':
      return verified(state, 'email', event.data.emailHash);
    case 'PhoneRemoved':
      return removed(state, 'phone', event.data.phoneHash);
    case 'EmailRemoved':
      return removed(state, 'email', event.data.emailHash);
    case 'PrimaryPhoneChanged':
      return withPrimary(state, 'phone', event.data.phoneHash);
    case 'PrimaryEmailChanged':
      return withPrimary(state, 'email', event.data.emailHash);
    case 'ProfileChanged':
      return {
        ...state,
        ...(event.data.name !== undefined ? { name: event.data.name } : {}),
        ...(event.data.locale !== undefined ? { locale: event.data.locale } : {}),
      };
    case 'PasswordSet':
      return { ...state, passwordHash: event.data.passwordHash };
    case 'PasswordRemoved':
      return { ...state, passwordHash: null };
    case 'SignInLocked':
      return { ...state, lock: { reason: event.data.reason, until: event.data.until } };
    case 'SignInUnlocked':
      return { ...state, lock: null };
    case 'SignedIn':
      return state;
    case 'UserErased':
      return { status: 'erased', userId: state.userId };
  }
}
