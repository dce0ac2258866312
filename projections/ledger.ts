import type { RecordedEvent } from '../domain/kernel/event.js';
import type { PaymentEvent } from '../domain/payment/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * The money ledger of each provider, per currency: one entry per movement (captured, refunded,
 * failed) and running totals per UTC day and overall. Captures add to `net`, refunds subtract,
 * failures move nothing (they are kept to count and sum what was declined). Amounts are integer
 * minor units; a currency never mixes with another.
 */

export type LedgerEntryKind = 'captured' | 'refunded' | 'failed';

/** Collection `ledger_entries`; id = `<transactionId>:<kind>:<attemptId or refundId>`. */
export type LedgerEntryDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly currency: string;
  readonly transactionId: string;
  readonly kind: LedgerEntryKind;
  /** The movement's amount in minor units (always positive; see `net` for its sign). */
  readonly amount: number;
  /** Its effect on the provider's balance: +amount for a capture, -amount for a refund, 0 for a failure. */
  readonly net: number;
  /** The attempt (captured, failed) or refund this entry records. */
  readonly reference: string;
  readonly at: string;
  /** UTC day of `at`, YYYY-MM-DD. */
  readonly day: string;
  readonly position: number;
};

/** The sums a ledger keeps, in minor units. */
export type LedgerTotals = {
  readonly captured: number;
  readonly refunded: number;
  /** captured - refunded. */
  readonly net: number;
  /** Declined or failed attempts: what was asked for, not money moved. */
  readonly failed: number;
  readonly capturedCount: number;
  readonly refundedCount: number;
  readonly failedCount: number;
};

/** Collection `ledger_days`; id = `<providerId>:<currency>:<day>`. */
export type LedgerDayDoc = LedgerTotals & {
  readonly id: string;
  readonly providerId: string;
  readonly currency: string;
  readonly day: string;
};

/** Collection `ledger_balances`; id = `<providerId>:<currency>`: totals since the beginning. */
export type LedgerBalanceDoc = LedgerTotals & {
  readonly id: string;
  readonly providerId: string;
  readonly currency: string;
};

/** Collection `ledger_transactions`: which provider and currency a transaction's movements book to. */
type LedgerTransactionDoc = { readonly id: string; readonly providerId: string; readonly currency: string };

export const LEDGER_PROJECTION = 'ledger';

export const EMPTY_TOTALS: LedgerTotals = Object.freeze({
  captured: 0,
  refunded: 0,
  net: 0,
  failed: 0,
  capturedCount: 0,
  refundedCount: 0,
  failedCount: 0,
});

/** Adds one movement to a set of totals. Shared with tests that fold the log independently. */
export function addToTotals(totals: LedgerTotals, kind: LedgerEntryKind, amount: number): LedgerTotals {
  switch (kind) {
    case 'captured':
      return {
        ...totals,
        captured: totals.captured + amount,
        net: totals.net + amount,
        capturedCount: totals.capturedCount + 1,
      };
    case 'refunded':
      return {
        ...totals,
        refunded: totals.refunded + amount,
        net: totals.net - amount,
        refundedCount: totals.refundedCount + 1,
      };
    case 'failed':
      return { ...totals, failed: totals.failed + amount, failedCount: totals.failedCount + 1 };
  }
}

function pickTotals(doc: LedgerTotals | null): LedgerTotals {
  if (!doc) return EMPTY_TOTALS;
  const { captured, refunded, net, failed, capturedCount, refundedCount, failedCount } = doc;
  return { captured, refunded, net, failed, capturedCount, refundedCount, failedCount };
}

function movementOf(
  event: PaymentEvent,
): { kind: LedgerEntryKind; amount: number; reference: string } | null {
  switch (event.type) {
    case 'PaymentCaptured':
      return { kind: 'captured', amount: event.data.amount.amount, reference: event.data.attemptId };
    case 'RefundIssued':
      return { kind: 'refunded', amount: event.data.amount.amount, reference: event.data.refundId };
    case 'PaymentFailed':
      return { kind: 'failed', amount: event.data.amount.amount, reference: event.data.attemptId };
    default:
      return null;
  }
}

async function applyLedgerEvent(event: RecordedEvent<PaymentEvent>, tx: ProjectionTx): Promise<void> {
  const domainEvent = { type: event.type, data: event.data } as PaymentEvent;
  const transactionId = domainEvent.data.transactionId;
  if (domainEvent.type === 'TransactionCreated') {
    const doc: LedgerTransactionDoc = {
      id: transactionId,
      providerId: domainEvent.data.providerId,
      currency: domainEvent.data.amount.currency,
    };
    tx.upsert('ledger_transactions', doc);
    return;
  }
  const movement = movementOf(domainEvent);
  if (!movement) return;
  const owner = await tx.get<LedgerTransactionDoc>('ledger_transactions', transactionId);
  if (!owner) return;
  const id = `${transactionId}:${movement.kind}:${movement.reference}`;
  // An entry is booked once: a redelivered event must not count twice in the totals.
  if (await tx.get('ledger_entries', id)) return;
  const { providerId, currency } = owner;
  const day = event.occurredAt.slice(0, 10);
  const entry: LedgerEntryDoc = {
    id,
    providerId,
    currency,
    transactionId,
    kind: movement.kind,
    amount: movement.amount,
    net: movement.kind === 'captured' ? movement.amount : movement.kind === 'refunded' ? -movement.amount : 0,
    reference: movement.reference,
    at: event.occurredAt,
    day,
    position: event.globalPosition,
  };
  tx.upsert('ledger_entries', entry);

  const dayId = `${providerId}:${currency}:${day}`;
  const dayDoc = await tx.get<LedgerDayDoc>('ledger_days', dayId);
  const nextDay: LedgerDayDoc = {
    id: dayId,
    providerId,
    currency,
    day,
    ...addToTotals(pickTotals(dayDoc), movement.kind, movement.amount),
  };
  tx.upsert('ledger_days', nextDay);

  const balanceId = `${providerId}:${currency}`;
  const balance = await tx.get<LedgerBalanceDoc>('ledger_balances', balanceId);
  const nextBalance: LedgerBalanceDoc = {
    id: balanceId,
    providerId,
    currency,
    ...addToTotals(pickTotals(balance), movement.kind, movement.amount),
  };
  tx.upsert('ledger_balances', nextBalance);
}

export const ledgerProjection = defineProjection<PaymentEvent>({
  name: LEDGER_PROJECTION,
  version: 1,
  handles: ['TransactionCreated', 'PaymentCaptured', 'RefundIssued', 'PaymentFailed'],
  collections: {
    ledger_transactions: {},
    ledger_entries: {
      indexes: [{ fields: ['providerId', 'currency', 'at'] }, { fields: ['transactionId'] }],
    },
    ledger_days: { indexes: [{ fields: ['providerId', 'currency', 'day'] }] },
    ledger_balances: { indexes: [{ fields: ['providerId'] }] },
  },
  apply: applyLedgerEvent,
});
