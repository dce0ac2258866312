import { z } from 'zod';
import type { Actor } from '../../domain/kernel/event.js';
import { TransactionStatusSchema } from '../../domain/payment/values.js';

/**
 * One row of the auditor export: one money movement of a payment transaction.
 *
 * The movements are the events that change, or try to change, what a payer paid:
 * - `captured` (PaymentCaptured): money taken; `net` = +amount.
 * - `refunded` (RefundIssued): money returned; `net` = -amount.
 * - `failed` (PaymentFailed): an attempt was declined; nothing moved (`net` = 0), kept so auditors
 *   see what was asked for and refused, as the ledger does.
 * Authorizations and cancellations are holds and their release at the payment provider: no money
 * changes hands, and every authorization that took money is followed by its `captured` row. They are
 * left out, as are unknown outcomes (settled later by a `captured` or `failed` event).
 *
 * Rows carry ids, amounts and the user's `sub` only: never a name, phone number or email, and for
 * cards only the brand and last four digits, so an export stays shareable and stays whole after a
 * user's personal data is erased.
 */

export const MOVEMENT_KINDS = ['captured', 'refunded', 'failed'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
const NullableText = z.string().min(1).nullable();

/**
 * The row, field by field, in column order (the CSV header is these names in this order). Amounts
 * are integer minor units of `currency`; `amount` is the movement's size (always positive), `net` and
 * `vat` its signed effect on the provider's balance.
 */
export const AuditRowSchema = z.strictObject({
  eventId: z.string().min(1),
  position: z.int().nonnegative(),
  occurredAt: z.iso.datetime(),
  movement: z.enum(MOVEMENT_KINDS),
  transactionId: z.string().min(1),
  providerId: z.string().min(1),
  orderId: z.string().min(1),
  sub: z.string().min(1),
  /** The attempt (captured, failed) or refund the movement belongs to. */
  reference: z.string().min(1),
  amount: z.int().positive(),
  net: z.int(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** The transaction's VAT rate in basis points (2500 = 25 %). */
  vatRate: z.int().min(0).max(10_000),
  /** The VAT contained in `net`, with its sign. */
  vat: z.int(),
  /** How the attempt paid (a refund goes back to the captured attempt's method); null if unknown. */
  method: z.enum(['card', 'carrier']).nullable(),
  cardBrand: NullableText,
  cardLast4: z
    .string()
    .regex(/^\d{4}$/)
    .nullable(),
  /** The transaction's status right after this event. */
  stateAfter: TransactionStatusSchema,
  actorKind: z.enum(['user', 'client', 'support', 'system']),
  actorId: z.string().min(1),
  /** The previous row's `hash` (the genesis value for the first row). */
  prevHash: Hash,
  /** SHA-256 over `prevHash` followed by the canonical row (see hash-chain.ts). */
  hash: Hash,
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

/** A row before it is chained. */
export type UnchainedRow = Omit<AuditRow, 'prevHash' | 'hash'>;

/** Column order of the export (also the CSV header). */
export const AUDIT_COLUMNS = Object.keys(AuditRowSchema.shape) as readonly (keyof AuditRow)[];

/** Columns holding integers (CSV text is turned back into numbers by these). */
export const INTEGER_COLUMNS: ReadonlySet<keyof AuditRow> = new Set([
  'position',
  'amount',
  'net',
  'vatRate',
  'vat',
]);

/** Columns that may be null (an empty CSV field). */
export const NULLABLE_COLUMNS: ReadonlySet<keyof AuditRow> = new Set(['method', 'cardBrand', 'cardLast4']);

export function actorColumns(actor: Actor): Pick<AuditRow, 'actorKind' | 'actorId'> {
  return { actorKind: actor.kind, actorId: actor.id };
}
