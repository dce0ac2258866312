/**
 * What a person types to sign in: a phone number or an email address. Both are brought to one
 * canonical form here (E.164 for phones; a trimmed address with a lower-cased domain for email),
 * so that rate limits, uniqueness and account lookups all see the same value for the same person.
 */
import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { DomainError } from '../../domain/kernel/decider.js';

export type { CountryCode } from 'libphonenumber-js/max';

export type Identifier =
  { readonly kind: 'phone'; readonly value: string } | { readonly kind: 'email'; readonly value: string };

export type IdentifierProblem = 'empty' | 'invalid_phone' | 'not_mobile' | 'invalid_email';

/**
 * The input is not a usable phone number or email address. A DomainError of kind `invalid`, so the
 * HTTP layer answers 422 with `field` as the error path.
 */
export class IdentifierError extends DomainError {
  constructor(
    readonly problem: IdentifierProblem,
    message: string,
    field: string,
  ) {
    super('invalid', 'invalid_identifier', message, field);
    this.name = 'IdentifierError';
  }
}

/** Number types that can receive an SMS. Fixed lines, toll-free and premium numbers cannot. */
const SMS_CAPABLE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

const MAX_INPUT = 320;
const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
/** Dot-atom characters of RFC 5322, plus letters and digits of any script (RFC 6531). */
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const TOP_LEVEL = /^(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u;

/**
 * Parses a sign-in identifier. Input with an `@` is an email address; anything else a phone number,
 * in international form (`+47 412 34 567`, `0047…`) or national form read in `defaultCountry`.
 * Throws IdentifierError naming `field` when the input is neither.
 */
export function parseIdentifier(
  input: string,
  defaultCountry: CountryCode,
  field = 'identifier',
): Identifier {
  const text = typeof input === 'string' ? input.normalize('NFC').trim() : '';
  if (text === '') {
    throw new IdentifierError('empty', 'Enter a mobile phone number or an email address.', field);
  }
  if (text.length > MAX_INPUT) {
    throw new IdentifierError(
      'invalid_email',
      'This is too long to be a phone number or an email address.',
      field,
    );
  }
  return text.includes('@')
    ? { kind: 'email', value: parseEmail(text, field) }
    : { kind: 'phone', value: parsePhone(text, defaultCountry, field) };
}

function parsePhone(text: string, defaultCountry: CountryCode, field: string): string {
  const invalid = (): IdentifierError =>
    new IdentifierError(
      'invalid_phone',
      'This is not a valid phone number. Use the international form, such as +47 412 34 567.',
      field,
    );
  // Only digits, spaces and common separators: libphonenumber would otherwise pick digits out of
  // arbitrary text ("call 412 34 567 now"), which must not pass as a phone number.
  if (!/^\+?[\d\s().-]+$/.test(text)) throw invalid();
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, { defaultCountry, extract: false });
  } catch (err) {
    if (err instanceof ParseError) throw invalid();
    throw err;
  }
  if (!parsed.isValid()) throw invalid();
  const type = parsed.getType();
  if (type === undefined || !SMS_CAPABLE.has(type)) {
    throw new IdentifierError(
      'not_mobile',
      'This number cannot receive text messages. Enter a mobile phone number or an email address.',
      field,
    );
  }
  return parsed.number;
}

function parseEmail(text: string, field: string): string {
  const invalid = (): IdentifierError =>
    new IdentifierError(
      'invalid_email',
      'This is not a valid email address, such as name@example.com.',
      field,
    );
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = text
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  if (local.length === 0 || local.length > MAX_LOCAL || !LOCAL_PART.test(local)) throw invalid();
  const labels = domain.split('.');
  const topLevel = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || !TOP_LEVEL.test(topLevel)) {
    throw invalid();
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_EMAIL) throw invalid();
  return address;
}

/** A short, log-safe hint of an identifier (`+47******567`, `n***@example.com`). */
export function maskIdentifier(identifier: Identifier): string {
  if (identifier.kind === 'phone') {
    const v = identifier.value;
    return `${v.slice(0, 3)}${'*'.repeat(Math.max(0, v.length - 6))}${v.slice(-3)}`;
  }
  const at = identifier.value.lastIndexOf('@');
  return `${identifier.value.slice(0, 1)}***${identifier.value.slice(at)}`;
}
