import type { SealedIdentifier } from '../../domain/user/commands.js';
import {
  type IdentifierKind,
  identifierReservationKey,
  lookupForm,
  LOOKUP_PURPOSE,
  normaliseEmail,
  normalisePhone,
} from '../../domain/user/values.js';
import type { PersonalDataVault } from '../ports/personal-data-vault.js';

/** A phone number or email address as a person typed it. */
export interface IdentifierInput {
  readonly kind: IdentifierKind;
  readonly value: string;
}

/** An identifier after normalisation, with its keyed hash (its look-up and uniqueness key). */
export interface NormalisedIdentifier {
  readonly kind: IdentifierKind;
  /** E.164 for phones; trimmed with a lower-case domain for emails. */
  readonly value: string;
  readonly hash: string;
  /** `phone:<hash>` / `email:<hash>`: the event-store reservation that keeps it on one account. */
  readonly reservationKey: string;
}

/**
 * Normalises a phone or email and computes its keyed hash. The keyed hash (the vault's
 * `keyedHash`, see PersonalDataVault) lets Tessera find an account by phone or email, and keep each
 * verified one on a single account, without the clear value being stored anywhere.
 * Throws DomainError('invalid', 'invalid_phone' | 'invalid_email').
 */
export function normaliseIdentifier(
  vault: PersonalDataVault,
  input: IdentifierInput,
  defaultCountry?: string,
): NormalisedIdentifier {
  const value =
    input.kind === 'phone' ? normalisePhone(input.value, defaultCountry) : normaliseEmail(input.value);
  const hash = vault.keyedHash(LOOKUP_PURPOSE[input.kind], lookupForm(input.kind, value));
  return { kind: input.kind, value, hash, reservationKey: identifierReservationKey(input.kind, hash) };
}

/** Seals a normalised identifier under the user's key, for a command. */
export async function sealIdentifier(
  vault: PersonalDataVault,
  sub: string,
  identifier: NormalisedIdentifier,
): Promise<SealedIdentifier> {
  return { kind: identifier.kind, sealed: await vault.encrypt(sub, identifier.value), hash: identifier.hash };
}
