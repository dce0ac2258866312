import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { DomainError } from '../kernel/decider.js';

/**
 * Value rules of the User aggregate. Personal data (phone numbers, email addresses, names) never
 * appears here in clear inside events: events carry it sealed by the personal-data vault, plus a
 * keyed hash of each phone and email so uniqueness and look-ups work without the clear value.
 * Normalisation happens before sealing and hashing, so one number written two ways is one number.
 */

export type IdentifierKind = 'phone' | 'email';

/** A value sealed by the personal-data vault: opaque to the domain, short ASCII. */
export const SealedSchema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be a sealed value');

/** A keyed hash (HMAC-SHA256, base64url) of a normalised phone or email: its identity in this aggregate. */
export const IdentifierHashSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a keyed hash');

/** An argon2id password hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export const PasswordHashSchema = z
  .string()
  .max(512)
  .regex(
    /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
    'must be an argon2id hash',
  );

/** A BCP 47 language tag, stored in its canonical form (`nb-no` → `nb-NO`). Not personal data. */
export const LocaleSchema = z
  .string()
  .trim()
  .max(35)
  .transform((value, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(value);
      if (canonical) return canonical;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a language tag such as "nb" or "en-GB"' });
    return z.NEVER;
  });

/** A person's name as they want it shown; checked before it is sealed. */
export const PersonNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

/** Why sign-in was locked or unlocked, e.g. "too_many_password_attempts" or a support note. */
export const LockReasonSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

export const ErasureReasonSchema = z.string().trim().min(1).max(500);

/** The stream of one user; the uuid is the user's OpenID Connect `sub`. */
export const USER_STREAM_PREFIX = 'user-';
export const userStreamId = (sub: string) => `${USER_STREAM_PREFIX}${sub}`;

/** The uniqueness claim that keeps a verified phone or email on one account only. */
export const identifierReservationKey = (kind: IdentifierKind, hash: string) => `${kind}:${hash}`;

/** Purposes of the keyed hash, so a phone hash and an email hash of the same text never coincide. */
export const LOOKUP_PURPOSE: Readonly<Record<IdentifierKind, string>> = {
  phone: 'user.phone',
  email: 'user.email',
};

/** At most this many phones, and this many emails, per account. */
export const MAX_IDENTIFIERS_PER_KIND = 5;

/**
 * Normalises a phone number to E.164. National formats ("412 34 567") are read with
 * `defaultCountry`; international ones ("+47 412 34 567", "0047…") need none. Only numbers valid for
 * their country's numbering plan are accepted.
 */
export function normalisePhone(input: string, defaultCountry?: string): string {
  const text = typeof input === 'string' ? input.trim() : '';
  const parsed =
    text.length > 0 && text.length <= 40
      ? parsePhoneNumberFromString(text.replace(/^00/, '+'), {
          ...(defaultCountry ? { defaultCountry: defaultCountry as CountryCode } : {}),
        })
      : undefined;
  if (!parsed || !parsed.isValid()) {
    throw new DomainError(
      'invalid',
      'invalid_phone',
      'phone: must be a valid phone number, e.g. +4741234567 (or a national number of the default country)',
      'phone',
    );
  }
  return parsed.number;
}

const EmailShape = z.email().max(254);

/**
 * Normalises an email address: trimmed, domain lower-cased (domains are case-insensitive; the local
 * part is kept as typed, since a mail server may treat it case-sensitively).
 */
export function normaliseEmail(input: string): string {
  const text = typeof input === 'string' ? input.trim() : '';
  const at = text.lastIndexOf('@');
  const candidate = at > 0 ? `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}` : text;
  const local = at > 0 ? text.slice(0, at) : '';
  if (!EmailShape.safeParse(candidate).success || local.length > 64) {
    throw new DomainError(
      'invalid',
      'invalid_email',
      'email: must be an email address such as name@example.com',
      'email',
    );
  }
  return candidate;
}

/**
 * The form of a normalised identifier that uniqueness and look-ups use. For emails it ignores case
 * entirely: no real mailbox provider distinguishes `Kari@` from `kari@`, and two accounts differing
 * only by that would be an account-takeover trap.
 */
export function lookupForm(kind: IdentifierKind, normalised: string): string {
  return kind === 'email' ? normalised.toLowerCase() : normalised;
}
