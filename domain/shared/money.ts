import { z } from 'zod';

/**
 * Money is an integer count of minor units plus an ISO 4217 currency code. Amounts never pass
 * through floating point: parsing, formatting and percentage arithmetic work on integers (BigInt
 * where a product could leave the safe-integer range).
 */

/**
 * Minor-unit exponents (ISO 4217) of the currencies Tessera accepts. A currency missing here is
 * refused rather than guessed, because a wrong exponent silently multiplies prices by 10 or 100.
 * Funds codes and currencies with exponent 4 (CLF, UYW) are deliberately left out.
 */
export const CURRENCY_EXPONENTS: Readonly<Record<string, 0 | 2 | 3>> = Object.freeze({
  // Exponent 0: no minor unit in use.
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // Exponent 3.
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // Exponent 2.
  AED: 2,
  ARS: 2,
  AUD: 2,
  BDT: 2,
  BGN: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  GHS: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  KES: 2,
  MAD: 2,
  MXN: 2,
  MYR: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  PEN: 2,
  PHP: 2,
  PKR: 2,
  PLN: 2,
  QAR: 2,
  RON: 2,
  RSD: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TRY: 2,
  TWD: 2,
  UAH: 2,
  USD: 2,
  ZAR: 2,
});

export type CurrencyCode = string;

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(CURRENCY_EXPONENTS, code);
}

/** Number of decimal digits of the currency's minor unit (0, 2 or 3). Throws for unknown codes. */
export function currencyExponent(code: CurrencyCode): 0 | 2 | 3 {
  const exponent = CURRENCY_EXPONENTS[code];
  if (exponent === undefined) throw new RangeError(`Unknown or unsupported currency "${code}"`);
  return exponent;
}

export const CurrencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code in upper case')
  .refine(isKnownCurrency, 'is not a supported ISO 4217 currency');

/** An amount of money: `amount` is in minor units (4900 NOK = NOK 49.00; 4900 JPY = ¥4900). */
export const MoneySchema = z.strictObject({
  amount: z.int('must be an integer number of minor units'),
  currency: CurrencyCodeSchema,
});
export type Money = z.infer<typeof MoneySchema>;

/** Money that may not be negative (prices). */
export const NonNegativeMoneySchema = z.strictObject({
  amount: z.int('must be an integer number of minor units').min(0, 'must not be negative'),
  currency: CurrencyCodeSchema,
});

/** A VAT rate in basis points: 2500 = 25 %, 1500 = 15 %, 0 = exempt. Integers only, 0..10000. */
export const VatRateSchema = z
  .int('must be an integer number of basis points (2500 = 25 %)')
  .min(0, 'must not be negative')
  .max(10_000, 'must be at most 10000 (100 %)');
export type VatRate = z.infer<typeof VatRateSchema>;

/** Builds a Money after checking the amount is a safe integer and the currency is supported. */
export function money(amount: number, currency: CurrencyCode): Money {
  return MoneySchema.parse({ amount, currency });
}

/** Same currency, same amount. */
export function moneyEquals(a: Money, b: Money): boolean {
  return a.amount === b.amount && a.currency === b.currency;
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new RangeError(`Cannot add ${a.currency} and ${b.currency}`);
  const sum = a.amount + b.amount;
  if (!Number.isSafeInteger(sum)) throw new RangeError('Money amount overflow');
  return { amount: sum, currency: a.currency };
}

/**
 * Parses a decimal string in major units ("49", "49.5", "49.00", "-3.250") into Money, exactly.
 * More fraction digits than the currency has are refused instead of rounded.
 */
export function parseMoney(decimal: string, currency: CurrencyCode): Money {
  const exponent = currencyExponent(currency);
  const match = /^(-)?(\d{1,15})(?:\.(\d+))?$/.exec(decimal.trim());
  if (!match) throw new RangeError(`"${decimal}" is not a decimal amount`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new RangeError(`${currency} has ${exponent} decimal place(s); "${decimal}" has ${fraction.length}`);
  }
  const minor = BigInt(whole!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  const amount = Number(sign ? -minor : minor);
  if (!Number.isSafeInteger(amount)) throw new RangeError('Money amount overflow');
  return { amount, currency };
}

/**
 * Minor units as a decimal amount of the currency. `plain` (default): "<major>.<minor> <CODE>",
 * e.g. "49.00 NOK", "4900 JPY", "1.250 KWD", "-5.00 NOK" — for texts and logs. `report`: the code
 * first, thousands grouped with thin spaces and a true minus sign, e.g. "NOK 12 345.00" — for
 * tables people scan.
 */
export function formatMoney(m: Money, style: 'plain' | 'report' = 'plain'): string {
  const exponent = currencyExponent(m.currency);
  const negative = m.amount < 0;
  const digits = Math.abs(m.amount)
    .toString()
    .padStart(exponent + 1, '0');
  const major = exponent === 0 ? digits : digits.slice(0, -exponent);
  const minor = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  if (style === 'report') {
    const grouped = major.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
    return `${m.currency} ${negative ? '\u2212' : ''}${grouped}${minor}`;
  }
  return `${negative ? '-' : ''}${major}${minor} ${m.currency}`;
}

/** Integer division rounding half away from zero ("half-up" on the magnitude). */
function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

function toSafe(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('Money amount overflow');
  return n;
}

/** `amount × basisPoints / 10000`, rounded half-up once. E.g. 25 % of 4900 → 1225. */
export function applyBasisPoints(m: Money, basisPoints: number): Money {
  return {
    amount: toSafe(divideRoundHalfUp(BigInt(m.amount) * BigInt(basisPoints), 10_000n)),
    currency: m.currency,
  };
}

/**
 * The VAT contained in a VAT-inclusive (gross) price: gross × rate / (1 + rate), rounded half-up
 * once. NOK 49.00 at 25 % contains NOK 9.80.
 */
export function vatIncludedIn(gross: Money, vatRate: VatRate): Money {
  return {
    amount: toSafe(divideRoundHalfUp(BigInt(gross.amount) * BigInt(vatRate), 10_000n + BigInt(vatRate))),
    currency: gross.currency,
  };
}
