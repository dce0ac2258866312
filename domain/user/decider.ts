import { z } from 'zod';
import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type { SealedIdentifier, UserCommand } from './commands.js';
import {
  EmailAdded,
  EmailRemoved,
  EmailVerified,
  PasswordRemoved,
  PasswordSet,
  PhoneAdded,
  PhoneRemoved,
  PhoneVerified,
  PrimaryEmailChanged,
  PrimaryPhoneChanged,
  ProfileChanged,
  SignInLocked,
  SignedIn,
  SignInUnlocked,
  type UserEvent,
  UserErased,
  UserRegistered,
} from './events.js';
import {
  type ActiveUser,
  evolveUser,
  identifiersOf,
  isSignInLocked,
  primaryOf,
  type UserState,
} from './state.js';
import {
  ErasureReasonSchema,
  IdentifierHashSchema,
  type IdentifierKind,
  LocaleSchema,
  LockReasonSchema,
  MAX_IDENTIFIERS_PER_KIND,
  PasswordHashSchema,
  SealedSchema,
} from './values.js';

export type { UserState } from './state.js';

/** The client a sign-in was for, as SignedIn records it. */
const ClientIdSchema = z.string().min(1).max(200);

/** The per-kind event constructors, so phone and email rules are written once. */
const eventsFor = {
  phone: {
    added: (userId: string, sealed: string, hash: string) =>
      PhoneAdded({ userId, phone: sealed, phoneHash: hash }),
    verified: (userId: string, hash: string) => PhoneVerified({ userId, phoneHash: hash }),
    removed: (userId: string, hash: string) => PhoneRemoved({ userId, phoneHash: hash }),
    primary: (userId: string, hash: string, previous: string | null) =>
      PrimaryPhoneChanged({ userId, phoneHash: hash, previousPhoneHash: previous }),
  },
  email: {
    added: (userId: string, sealed: string, hash: string) =>
      EmailAdded({ userId, email: sealed, emailHash: hash }),
    verified: (userId: string, hash: string) => EmailVerified({ userId, emailHash: hash }),
    removed: (userId: string, hash: string) => EmailRemoved({ userId, emailHash: hash }),
    primary: (userId: string, hash: string, previous: string | null) =>
      PrimaryEmailChanged({ userId, emailHash: hash, previousEmailHash: previous }),
  },
} as const;

function activeUser(state: UserState): ActiveUser {
  if (state.status === 'unregistered') throw new DomainError('not_found', 'user_not_found', 'No such user.');
  if (state.status === 'erased') {
    throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
  }
  return state;
}

function checkIdentifier(identifier: SealedIdentifier): SealedIdentifier {
  const field = identifier.kind;
  return {
    kind: identifier.kind,
    sealed: ensureValid(SealedSchema, identifier.sealed, field, `invalid_${field}`),
    hash: ensureValid(IdentifierHashSchema, identifier.hash, field, `invalid_${field}`),
  };
}

function findIdentifier(state: ActiveUser, kind: IdentifierKind, hash: string) {
  const entry = identifiersOf(state, kind).find((i) => i.hash === hash);
  if (!entry)
    throw new DomainError('not_found', `${kind}_not_found`, `This ${kind} is not on the account.`, kind);
  return entry;
}

function verifiedCount(state: ActiveUser): number {
  return state.phones.filter((i) => i.verified).length + state.emails.filter((i) => i.verified).length;
}

function decideRemove(state: ActiveUser, kind: IdentifierKind, hash: string): UserEvent[] {
  const entry = findIdentifier(state, kind, hash);
  if (entry.verified && verifiedCount(state) === 1) {
    throw new DomainError(
      'conflict',
      'last_identifier',
      'The last verified phone or email cannot be removed: add and verify another one first.',
      kind,
    );
  }
  const events: UserEvent[] = [];
  if (primaryOf(state, kind) === hash) {
    // The primary moves to the longest-held other verified identifier of the same kind, if any.
    const successor = identifiersOf(state, kind).find((i) => i.verified && i.hash !== hash);
    if (successor) events.push(eventsFor[kind].primary(state.userId, successor.hash, hash));
  }
  events.push(eventsFor[kind].removed(state.userId, hash));
  return events;
}

function decideActive(command: Exclude<UserCommand, { type: 'RegisterUser' }>, state: ActiveUser, now: Date) {
  const userId = state.userId;
  switch (command.type) {
    case 'AddIdentifier': {
      const { kind, sealed, hash } = checkIdentifier(command.identifier);
      const list = identifiersOf(state, kind);
      if (list.some((i) => i.hash === hash)) {
        throw new DomainError('conflict', `${kind}_exists`, `This ${kind} is already on the account.`, kind);
      }
      if (list.length >= MAX_IDENTIFIERS_PER_KIND) {
        throw new DomainError(
          'conflict',
          `too_many_${kind}s`,
          `An account can have at most ${MAX_IDENTIFIERS_PER_KIND} of these; remove one first.`,
          kind,
        );
      }
      return [eventsFor[kind].added(userId, sealed, hash)];
    }
    case 'VerifyIdentifier': {
      const { kind, hash } = command;
      if (findIdentifier(state, kind, hash).verified) return [];
      const events: UserEvent[] = [eventsFor[kind].verified(userId, hash)];
      if (primaryOf(state, kind) === null) events.push(eventsFor[kind].primary(userId, hash, null));
      return events;
    }
    case 'RemoveIdentifier':
      return decideRemove(state, command.kind, command.hash);
    case 'MakeIdentifierPrimary': {
      const { kind, hash } = command;
      const entry = findIdentifier(state, kind, hash);
      if (!entry.verified) {
        throw new DomainError(
          'conflict',
          `${kind}_not_verified`,
          `Verify this ${kind} before making it primary.`,
          kind,
        );
      }
      const previous = primaryOf(state, kind);
      return previous === hash ? [] : [eventsFor[kind].primary(userId, hash, previous)];
    }
    case 'ChangeProfile': {
      const name =
        command.name === undefined || command.name === null
          ? command.name
          : ensureValid(SealedSchema, command.name, 'name', 'invalid_name');
      const locale =
        command.locale === undefined || command.locale === null
          ? command.locale
          : ensureValid(LocaleSchema, command.locale, 'locale', 'invalid_locale');
      // A sealed name differs on every sealing, so only clearing an absent name counts as no change.
      const nameChanges = name !== undefined && !(name === null && state.name === null);
      const localeChanges = locale !== undefined && locale !== state.locale;
      if (!nameChanges && !localeChanges) return [];
      return [
        ProfileChanged({ userId, ...(nameChanges ? { name } : {}), ...(localeChanges ? { locale } : {}) }),
      ];
    }
    case 'SetPassword': {
      const passwordHash = ensureValid(
        PasswordHashSchema,
        command.passwordHash,
        'password',
        'invalid_password_hash',
      );
      return [PasswordSet({ userId, passwordHash })];
    }
    case 'RemovePassword':
      return state.passwordHash === null ? [] : [PasswordRemoved({ userId })];
    case 'LockSignIn': {
      const reason = ensureValid(LockReasonSchema, command.reason, 'reason', 'invalid_reason');
      if (command.until !== null && !(Date.parse(command.until) > now.getTime())) {
        throw new DomainError('invalid', 'invalid_until', 'until: must be an instant in the future', 'until');
      }
      const until = command.until === null ? null : new Date(command.until).toISOString();
      return [SignInLocked({ userId, reason, until })];
    }
    case 'UnlockSignIn': {
      const reason = ensureValid(LockReasonSchema, command.reason, 'reason', 'invalid_reason');
      return isSignInLocked(state, now) ? [SignInUnlocked({ userId, reason })] : [];
    }
    case 'RecordSignIn': {
      if (isSignInLocked(state, now)) {
        throw new DomainError('conflict', 'sign_in_locked', 'Sign-in to this account is locked.');
      }
      const clientId =
        command.clientId === null
          ? null
          : ensureValid(ClientIdSchema, command.clientId, 'clientId', 'invalid_client_id');
      return [SignedIn({ userId, method: command.method, withPassword: command.withPassword, clientId })];
    }
    case 'EraseUser': {
      const reason =
        command.reason === undefined
          ? undefined
          : ensureValid(ErasureReasonSchema, command.reason, 'reason', 'invalid_reason');
      return [UserErased({ userId, ...(reason ? { reason } : {}) })];
    }
  }
}

/**
 * A person's account: the phones and emails that identify them (each verified one unique across
 * accounts), a profile, an optional password, sign-in locks, and erasure. Erased accounts refuse
 * every command except a repeated erasure, which changes nothing.
 */
export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: () => ({ status: 'unregistered' }),
  evolve: evolveUser,

  decide(command, state, context) {
    if (command.type === 'RegisterUser') {
      if (state.status !== 'unregistered') {
        throw new DomainError('conflict', 'user_exists', 'This user is already registered.');
      }
      const identifier = checkIdentifier(command.identifier);
      const locale =
        command.locale === undefined
          ? undefined
          : ensureValid(LocaleSchema, command.locale, 'locale', 'invalid_locale');
      return [
        UserRegistered({
          userId: command.userId,
          via: identifier.kind,
          identifier: identifier.sealed,
          identifierHash: identifier.hash,
          ...(locale ? { locale } : {}),
        }),
      ];
    }
    if (command.type === 'EraseUser' && state.status === 'erased') return [];
    return decideActive(command, activeUser(state), context.now);
  },
};
