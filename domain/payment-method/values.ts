import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { looksLikeCardNumber } from '../payment/values.js';
import { IdentifierHashSchema, SealedSchema } from '../user/values.js';

/**
 * Value rules of a user's wallet of saved payment methods. A card is known only by the payment
 * provider's token (sealed, see events.ts) plus what a person needs to recognise it: brand, last
 * four digits and expiry. A carrier-billing method is one of the user's verified phone numbers,
 * sealed, with a masked form for display. Nothing here may ever hold a card number: every text
 * schema refuses a value that looks like one (13+ digits in a row, or digits typed in groups of four).
 */

const notACardNumber = (text: string) => !looksLikeCardNumber(text);
const NOT_A_CARD_NUMBER = 'must never be a card number';

export const PaymentMethodIdSchema = z.uuid();

/** At most this many saved methods per user: enough for any household, a brake on card testing. */
export const MAX_PAYMENT_METHODS = 10;

/** A card brand as the provider names it (`visa`, `mastercard`, `amex`, `unknown`, …). */
export const CardBrandSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9 _-]{0,29}$/i, 'must be 1-30 letters, digits, spaces, "_" or "-"')
  .refine(notACardNumber, NOT_A_CARD_NUMBER);

export const Last4Schema = z.string().regex(/^\d{4}$/, 'must be exactly 4 digits');
export const ExpMonthSchema = z.number().int().min(1).max(12);
export const ExpYearSchema = z.number().int().min(2000).max(2100);

/** A sealed value (vault output) that is not, by any accident, shaped like a card number. */
const SealedPartSchema = SealedSchema.refine(notACardNumber, NOT_A_CARD_NUMBER);
/** A keyed hash (43 base64url characters), likewise. */
const HashPartSchema = IdentifierHashSchema.refine(notACardNumber, NOT_A_CARD_NUMBER);

/**
 * A saved card as the log holds it. `token` is the provider's token sealed under the user's vault
 * key; `tokenHash` and `fingerprintHash` are keyed hashes that find the same token or the same card
 * (the provider's card fingerprint, when it gives one) without revealing either.
 */
export const SavedCardSchema = z.strictObject({
  token: SealedPartSchema,
  tokenHash: HashPartSchema,
  fingerprintHash: HashPartSchema.optional(),
  brand: CardBrandSchema,
  last4: Last4Schema,
  expMonth: ExpMonthSchema,
  expYear: ExpYearSchema,
});
export type SavedCard = z.infer<typeof SavedCardSchema>;

/**
 * A phone number masked for display: the country calling code and the last two digits
 * (`+47 ••••••67`). Like a card's last four, it lets the owner recognise the number without
 * identifying it; at most five digits, so never a card number.
 */
export const MaskedPhoneSchema = z
  .string()
  .regex(/^\+\d{1,3} •{2,14}\d{2}$/, 'must be a masked phone number such as "+47 ••••••67"');

/**
 * A carrier-billing method as the log holds it: the E.164 number sealed under the user's key, its
 * keyed hash (the same one the User aggregate gives the phone, so it matches the account's verified
 * phones), and the masked form.
 */
export const SavedCarrierSchema = z.strictObject({
  phone: SealedPartSchema,
  phoneHash: HashPartSchema,
  masked: MaskedPhoneSchema,
});
export type SavedCarrier = z.infer<typeof SavedCarrierSchema>;

/** The provider's card token as received, before it is sealed: opaque, short, never a card number. */
export const CardTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1-200 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"')
  .refine(notACardNumber, NOT_A_CARD_NUMBER);

/** The provider's card fingerprint as received, before it is hashed. */
export const CardFingerprintSchema = CardTokenSchema;

/** Purposes of the vault's keyed hash for wallet values (the phone uses the User aggregate's). */
export const WALLET_HASH_PURPOSE = {
  cardToken: 'wallet.card-token',
  cardFingerprint: 'wallet.card-fingerprint',
} as const;

/** The stream of one user's wallet; the uuid is the user's `sub`. */
export const WALLET_STREAM_PREFIX = 'wallet-';
export const walletStreamId = (sub: string) => `${WALLET_STREAM_PREFIX}${sub}`;

export interface CardExpiry {
  readonly expMonth: number;
  readonly expYear: number;
}

/**
 * A card is valid through the last day of its expiry month and expired from the first instant of
 * the next month, in UTC (as card networks and the sandbox processor read it). Derived at an
 * instant, never stored: the same card is valid today and expired next month without any event.
 */
export function cardExpired(card: CardExpiry, now: Date): boolean {
  return now.getTime() >= Date.UTC(card.expYear, card.expMonth, 1);
}

/** Masks an E.164 number for display (`+4741234567` → `+47 ••••••67`). */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const code = parsed?.countryCallingCode ?? '';
  const national = parsed ? String(parsed.nationalNumber) : e164.replace(/\D/g, '');
  const hidden = Math.min(14, Math.max(2, national.length - 2));
  return `+${code} ${'•'.repeat(hidden)}${national.slice(-2)}`;
}
