/**
 * Card rules of the sandbox card processor: the Luhn check, brands, expiry and CVC, and the
 * well-known test numbers with their behaviour. Only test numbers are accepted, so the sandbox
 * never holds a real card, even by accident.
 */

export type CardBehaviour =
  | { readonly kind: 'approve' }
  | { readonly kind: 'decline'; readonly code: 'card_declined' | 'insufficient_funds' | 'expired_card' }
  | { readonly kind: 'challenge' };

/** The test numbers, as printed in PSP test documentation. */
export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = Object.freeze({
  '4242424242424242': { kind: 'approve' },
  '5555555555554444': { kind: 'approve' },
  '378282246310005': { kind: 'approve' },
  '4000000000000002': { kind: 'decline', code: 'card_declined' },
  '4000000000009995': { kind: 'decline', code: 'insufficient_funds' },
  '4000000000000069': { kind: 'decline', code: 'expired_card' },
  // Challenge (3-D Secure) cards. Stripe's "3184" card is 4000 0027 6000 3184; the shorter-looking
  // 4000 0000 0000 3184 fails the Luhn check and is refused like any mistyped number.
  '4000002760003184': { kind: 'challenge' },
  '4000002500003155': { kind: 'challenge' },
  '4000000000003220': { kind: 'challenge' },
});

export const DECLINE_MESSAGES: Readonly<Record<string, string>> = {
  card_declined: 'The card was declined',
  insufficient_funds: 'The card has insufficient funds',
  expired_card: 'The card has expired',
};

export type Brand = 'visa' | 'mastercard' | 'amex' | 'unknown';

/** Digits only; spaces and dashes as people type them are dropped. */
export function normalizePan(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export function luhnValid(pan: string): boolean {
  if (!/^\d{12,19}$/.test(pan)) return false;
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let digit = pan.charCodeAt(pan.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function brandOf(pan: string): Brand {
  if (/^4/.test(pan)) return 'visa';
  if (/^3[47]/.test(pan)) return 'amex';
  const six = Number(pan.slice(0, 6));
  if (/^5[1-5]/.test(pan) || (six >= 222100 && six <= 272099)) return 'mastercard';
  return 'unknown';
}

export interface Expiry {
  readonly month: number;
  readonly year: number;
}

/** "MM/YY", "MM / YYYY", "MMYY". Null when unreadable. */
export function parseExpiry(input: string): Expiry | null {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(input);
  if (!match) return null;
  const month = Number(match[1]);
  const year = match[2]!.length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** A card is valid through the last day of its expiry month (UTC). */
export function expired(expiry: Expiry, now: Date): boolean {
  const endOfMonth = Date.UTC(expiry.year, expiry.month, 1);
  return now.getTime() >= endOfMonth;
}

export function cvcValid(cvc: string, brand: Brand): boolean {
  return brand === 'amex' ? /^\d{4}$/.test(cvc) : /^\d{3}$/.test(cvc);
}

export type CardProblem = 'number' | 'not_test_card' | 'expiry' | 'expired' | 'cvc';

export interface CheckedCard {
  readonly pan: string;
  readonly brand: Brand;
  readonly expiry: Expiry;
  readonly behaviour: CardBehaviour;
}

/**
 * Checks what the payer typed. The CVC is verified here and then dropped: it is not part of the
 * result, so no store can keep it.
 */
export function checkCard(
  input: { number: string; expiry: string; cvc: string },
  now: Date,
): CheckedCard | { problem: CardProblem } {
  const pan = normalizePan(input.number);
  if (!luhnValid(pan)) return { problem: 'number' };
  const behaviour = TEST_CARDS[pan];
  if (!behaviour) return { problem: 'not_test_card' };
  const expiry = parseExpiry(input.expiry);
  if (!expiry) return { problem: 'expiry' };
  if (expired(expiry, now)) return { problem: 'expired' };
  const brand = brandOf(pan);
  if (!cvcValid(input.cvc.trim(), brand)) return { problem: 'cvc' };
  return { pan, brand, expiry, behaviour };
}
