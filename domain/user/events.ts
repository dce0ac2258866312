import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import {
  ErasureReasonSchema,
  IdentifierHashSchema,
  LocaleSchema,
  LockReasonSchema,
  PasswordHashSchema,
  SealedSchema,
} from './values.js';

/**
 * Events of the User aggregate (stream `user-<sub>`). Phone numbers, emails and names appear only
 * sealed by the personal-data vault under the user's own key, so destroying that key (erasure) leaves
 * these events in the log but their personal data unreadable. Phones and emails also carry a keyed
 * hash: their identity inside the aggregate and the key of their uniqueness reservation.
 */

const userId = z.uuid();

/** The account was created by proving control of a phone or email, which is verified and primary. */
export const UserRegistered = defineEvent(
  'UserRegistered',
  z.object({
    userId,
    via: z.enum(['phone', 'email']),
    identifier: SealedSchema,
    identifierHash: IdentifierHashSchema,
    locale: LocaleSchema.optional(),
  }),
);
export type UserRegistered = EventOf<typeof UserRegistered>;

/** An unverified phone was added; it holds no uniqueness claim until verified. */
export const PhoneAdded = defineEvent(
  'PhoneAdded',
  z.object({ userId, phone: SealedSchema, phoneHash: IdentifierHashSchema }),
);
export type PhoneAdded = EventOf<typeof PhoneAdded>;

/** The user proved control of the phone; from now on no other account may hold it. */
export const PhoneVerified = defineEvent(
  'PhoneVerified',
  z.object({ userId, phoneHash: IdentifierHashSchema }),
);
export type PhoneVerified = EventOf<typeof PhoneVerified>;

export const PhoneRemoved = defineEvent(
  'PhoneRemoved',
  z.object({ userId, phoneHash: IdentifierHashSchema }),
);
export type PhoneRemoved = EventOf<typeof PhoneRemoved>;

export const PrimaryPhoneChanged = defineEvent(
  'PrimaryPhoneChanged',
  z.object({ userId, phoneHash: IdentifierHashSchema, previousPhoneHash: IdentifierHashSchema.nullable() }),
);
export type PrimaryPhoneChanged = EventOf<typeof PrimaryPhoneChanged>;

/** An unverified email was added; it holds no uniqueness claim until verified. */
export const EmailAdded = defineEvent(
  'EmailAdded',
  z.object({ userId, email: SealedSchema, emailHash: IdentifierHashSchema }),
);
export type EmailAdded = EventOf<typeof EmailAdded>;

export const EmailVerified = defineEvent(
  'EmailVerified',
  z.object({ userId, emailHash: IdentifierHashSchema }),
);
export type EmailVerified = EventOf<typeof EmailVerified>;

export const EmailRemoved = defineEvent(
  'EmailRemoved',
  z.object({ userId, emailHash: IdentifierHashSchema }),
);
export type EmailRemoved = EventOf<typeof EmailRemoved>;

export const PrimaryEmailChanged = defineEvent(
  'PrimaryEmailChanged',
  z.object({ userId, emailHash: IdentifierHashSchema, previousEmailHash: IdentifierHashSchema.nullable() }),
);
export type PrimaryEmailChanged = EventOf<typeof PrimaryEmailChanged>;

/** Only the fields present changed; `null` clears one. The name is sealed, the locale is not personal. */
export const ProfileChanged = defineEvent(
  'ProfileChanged',
  z.object({
    userId,
    name: SealedSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
  }),
);
export type ProfileChanged = EventOf<typeof ProfileChanged>;

/** A password was set or replaced; the event holds only its argon2id hash. */
export const PasswordSet = defineEvent('PasswordSet', z.object({ userId, passwordHash: PasswordHashSchema }));
export type PasswordSet = EventOf<typeof PasswordSet>;

export const PasswordRemoved = defineEvent('PasswordRemoved', z.object({ userId }));
export type PasswordRemoved = EventOf<typeof PasswordRemoved>;

/** Sign-in refused until `until` (ISO 8601), or until unlocked when `until` is null. */
export const SignInLocked = defineEvent(
  'SignInLocked',
  z.object({ userId, reason: LockReasonSchema, until: z.iso.datetime({ offset: true }).nullable() }),
);
export type SignInLocked = EventOf<typeof SignInLocked>;

export const SignInUnlocked = defineEvent('SignInUnlocked', z.object({ userId, reason: LockReasonSchema }));
export type SignInUnlocked = EventOf<typeof SignInUnlocked>;

/**
 * The person signed in: proved control of a phone (`sms`) or email (`email`) with a one-time code,
 * and also gave the account's password when `withPassword`. `clientId` is the service the sign-in
 * was for (null when it was not started by a client's authorization request). Failed attempts are
 * not events; they are counted in metrics and, past the limits, end in SignInLocked.
 */
export const SignedIn = defineEvent(
  'SignedIn',
  z.object({
    userId,
    method: z.enum(['sms', 'email']),
    withPassword: z.boolean(),
    clientId: z.string().min(1).max(200).nullable(),
  }),
);
export type SignedIn = EventOf<typeof SignedIn>;

/**
 * The account was erased. Its vault key is destroyed right after this event is appended, which makes
 * every sealed value in the stream unreadable; its phones and emails are free for other accounts.
 */
export const UserErased = defineEvent(
  'UserErased',
  z.object({ userId, reason: ErasureReasonSchema.optional() }),
);
export type UserErased = EventOf<typeof UserErased>;

export type UserEvent =
  | UserRegistered
  | PhoneAdded
  | PhoneVerified
  | PhoneRemoved
  | PrimaryPhoneChanged
  | EmailAdded
  | EmailVerified
  | EmailRemoved
  | PrimaryEmailChanged
  | ProfileChanged
  | PasswordSet
  | PasswordRemoved
  | SignInLocked
  | SignInUnlocked
  | SignedIn
  | UserErased;

/** Every user event definition, for the application's EventRegistry. */
export const userEvents: readonly EventDefinition[] = [
  UserRegistered,
  PhoneAdded,
  PhoneVerified,
  PhoneRemoved,
  PrimaryPhoneChanged,
  EmailAdded,
  EmailVerified,
  EmailRemoved,
  PrimaryEmailChanged,
  ProfileChanged,
  PasswordSet,
  PasswordRemoved,
  SignInLocked,
  SignInUnlocked,
  SignedIn,
  UserErased,
];
