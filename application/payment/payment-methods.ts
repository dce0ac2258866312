import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PaymentMethodRef as DomainMethodRef } from '../../domain/payment/values.js';
import { ensureValid } from '../../domain/shared/validate.js';
import { CardTokenSchema } from '../../domain/payment-method/values.js';
import type {
  PaymentMethodKind,
  PaymentMethodRef as ProviderMethodRef,
  PaymentProvider,
} from '../ports/payment-provider.js';

/**
 * How a payer pays, as the payment flow receives it, and the two views derived from it: what the
 * payment provider needs (the token, or the phone number) and what the log may keep (a digest of the
 * token with brand, last4 and expiry, or a masked phone number). A card number never appears in either.
 */

export const CardMethodSchema = z.strictObject({
  kind: z.literal('card'),
  /** The tokenising provider's token id (never a card number). */
  token: CardTokenSchema,
  brand: z.string().regex(/^[A-Za-z0-9 _-]{1,20}$/, 'must be a card brand such as visa'),
  last4: z.string().regex(/^\d{4}$/, 'must be the last four digits'),
  expMonth: z.int().min(1).max(12),
  expYear: z.int().min(2000).max(2100),
});

export const CarrierMethodSchema = z.strictObject({
  kind: z.literal('carrier'),
  /** The user's verified phone number in E.164. */
  msisdn: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form (+4791234567)'),
});

export const PayMethodSchema = z.discriminatedUnion('kind', [CardMethodSchema, CarrierMethodSchema], {
  error: 'must be a card (kind "card" with its token) or carrier billing (kind "carrier" with msisdn)',
});
export type PayMethod = z.infer<typeof PayMethodSchema>;

/** The payment providers by the method kind they take; a kind without a provider cannot be paid with. */
export type PaymentProviders = Readonly<Partial<Record<PaymentMethodKind, PaymentProvider>>>;

/** Injection token of the PaymentProviders map. */
export const PAYMENT_PROVIDERS = Symbol.for('tessera.port.PaymentProviders');

export function checkedMethod(method: unknown): PayMethod {
  return ensureValid(PayMethodSchema, method, 'method', 'invalid_method');
}

/** `+4791234567` → `+47*****567`: enough to recognise the number, not enough to bill it. */
export function maskMsisdn(msisdn: string): string {
  return `${msisdn.slice(0, 3)}${'*'.repeat(Math.max(0, msisdn.length - 6))}${msisdn.slice(-3)}`;
}

/** The method as recorded in the attempt: `pm_… visa **** 4242 12/2030`, or the masked number. */
export function methodReference(method: PayMethod): DomainMethodRef {
  if (method.kind === 'carrier') return { kind: 'carrier', reference: maskMsisdn(method.msisdn) };
  const month = String(method.expMonth).padStart(2, '0');
  return {
    kind: 'card',
    reference: `${tokenFingerprint(method.token)} ${method.brand} **** ${method.last4} ${month}/${method.expYear}`,
  };
}

/**
 * Which token paid, without the token: a processor token charges the card with Tessera's processor
 * account, so the log keeps only a digest of it (enough to tell two cards apart), never the token.
 */
export function tokenFingerprint(token: string): string {
  // Written in the letters a-p (hex shifted), so a digest can never look like a card number.
  const hex = createHash('sha256').update(token).digest('hex').slice(0, 16);
  return `tok_${[...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('')}`;
}

/** The method as the payment provider takes it. */
export function providerMethod(method: PayMethod): ProviderMethodRef {
  return method.kind === 'card'
    ? { kind: 'card', token: method.token }
    : { kind: 'carrier', msisdn: method.msisdn };
}

/*
 * Idempotency keys sent to payment providers. Each is derived from ids recorded in the log, so any
 * process, before or after a restart, repeats a call with the very key the first call used: the
 * provider then answers the first call's result instead of moving money again.
 */

/** The authorize call of one attempt; also how an attempt's payment is found again (`retrieve`). */
export const authorizeKey = (transactionId: string, attemptId: string) => `${transactionId}.${attemptId}`;
export const captureKey = (transactionId: string, attemptId: string) =>
  `${transactionId}.${attemptId}.capture`;
export const cancelKey = (transactionId: string, attemptId: string) => `${transactionId}.${attemptId}.cancel`;
export const refundKey = (transactionId: string, refundId: string) => `${transactionId}.refund.${refundId}`;
