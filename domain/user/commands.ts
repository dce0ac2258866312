import type { IdentifierKind } from './values.js';

/**
 * Commands of the User aggregate. Personal data arrives already normalised and sealed by the
 * application layer (the domain never sees clear phone numbers, emails or names); phones and emails
 * are referred to by their keyed hash.
 */

export interface SealedIdentifier {
  readonly kind: IdentifierKind;
  /** The normalised value, sealed by the personal-data vault under the user's key. */
  readonly sealed: string;
  /** Keyed hash of the normalised value (see values.ts `lookupForm`). */
  readonly hash: string;
}

/** Creates the account from an identifier whose control was just proven (it starts verified and primary). */
export interface RegisterUser {
  readonly type: 'RegisterUser';
  readonly userId: string;
  readonly identifier: SealedIdentifier;
  readonly locale?: string;
}

export interface AddIdentifier {
  readonly type: 'AddIdentifier';
  readonly identifier: SealedIdentifier;
}

/** Marks an added phone or email verified (the caller checked the one-time code). */
export interface VerifyIdentifier {
  readonly type: 'VerifyIdentifier';
  readonly kind: IdentifierKind;
  readonly hash: string;
}

export interface RemoveIdentifier {
  readonly type: 'RemoveIdentifier';
  readonly kind: IdentifierKind;
  readonly hash: string;
}

export interface MakeIdentifierPrimary {
  readonly type: 'MakeIdentifierPrimary';
  readonly kind: IdentifierKind;
  readonly hash: string;
}

/** Fields left out are kept; `null` clears. `name` is sealed. */
export interface ChangeProfile {
  readonly type: 'ChangeProfile';
  readonly name?: string | null;
  readonly locale?: string | null;
}

export interface SetPassword {
  readonly type: 'SetPassword';
  /** argon2id PHC string; hashing happens in the application layer. */
  readonly passwordHash: string;
}

export interface RemovePassword {
  readonly type: 'RemovePassword';
}

export interface LockSignIn {
  readonly type: 'LockSignIn';
  readonly reason: string;
  /** ISO 8601 instant after `now`, or null for "until unlocked". */
  readonly until: string | null;
}

export interface UnlockSignIn {
  readonly type: 'UnlockSignIn';
  readonly reason: string;
}

/**
 * Records that the person completed sign-in: proved control of a phone (`sms`) or email (`email`)
 * with a one-time code, and gave the password when `withPassword`. `clientId` names the service the
 * sign-in was for, null when no client's authorization request started it. Refused while sign-in is
 * locked: a locked account cannot complete a sign-in.
 */
export interface RecordSignIn {
  readonly type: 'RecordSignIn';
  readonly method: 'sms' | 'email';
  readonly withPassword: boolean;
  readonly clientId: string | null;
}

export interface EraseUser {
  readonly type: 'EraseUser';
  readonly reason?: string;
}

export type UserCommand =
  | RegisterUser
  | AddIdentifier
  | VerifyIdentifier
  | RemoveIdentifier
  | MakeIdentifierPrimary
  | ChangeProfile
  | SetPassword
  | RemovePassword
  | LockSignIn
  | UnlockSignIn
  | RecordSignIn
  | EraseUser;
