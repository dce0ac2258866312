import type { RecordedEvent } from '../domain/kernel/event.js';
import type { PaymentEvent } from '../domain/payment/events.js';
import { type AttemptState, evolve, type RefundState, type Transaction } from '../domain/payment/state.js';
import { vatIncludedIn, type Money } from '../domain/shared/money.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/** An attempt as readers see it: its state plus when it started and last changed. */
export type AttemptDoc = AttemptState & { readonly startedAt: string; readonly updatedAt: string };
export type RefundDoc = RefundState & { readonly at: string };

/**
 * One transaction as readers see it (collection `transactions`, id = transactionId). The fields of
 * the aggregate's state come from the aggregate's own fold (domain/payment/state.ts), so the read
 * model can never disagree with the rules about a status or an amount.
 */
export type TransactionDoc = Omit<Transaction, 'attempts' | 'refunds'> & {
  readonly id: string;
  /** The VAT contained in the amount: per product line when there are lines, else at `vatRate`. */
  readonly vat: Money;
  /** Captured minus refunded: what a refund may still return. */
  readonly refundable: Money;
  readonly attempts: readonly AttemptDoc[];
  readonly refunds: readonly RefundDoc[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Stream revision of the last event applied. */
  readonly revision: number;
};

export const TRANSACTIONS_PROJECTION = 'transactions';

/** VAT is rounded half-up once per product line (the receipt's step), or once on the whole amount. */
function vatOf(t: Transaction): Money {
  if (t.products.length === 0) return vatIncludedIn(t.amount, t.vatRate);
  const amount = t.products.reduce((sum, p) => sum + vatIncludedIn(p.price, p.vatRate).amount, 0);
  return { amount, currency: t.amount.currency };
}

function attemptsOf(state: Transaction, before: TransactionDoc | null, at: string): AttemptDoc[] {
  return state.attempts.map((a) => {
    const prev = before?.attempts.find((p) => p.attemptId === a.attemptId);
    const updatedAt = prev && prev.status === a.status ? prev.updatedAt : at;
    const { attemptId, method, status, code, message, providerReference, reconciled } = a;
    return {
      attemptId,
      method,
      status,
      code,
      message,
      providerReference,
      reconciled,
      startedAt: prev?.startedAt ?? at,
      updatedAt,
    };
  });
}

function refundsOf(state: Transaction, before: TransactionDoc | null, at: string): RefundDoc[] {
  return state.refunds.map((r) => {
    const prev = before?.refunds.find((p) => p.refundId === r.refundId);
    const { refundId, amount, reason, issuer } = r;
    return { refundId, amount, reason, issuer, at: prev?.at ?? at };
  });
}

function toDoc(state: Transaction, before: TransactionDoc | null, event: RecordedEvent): TransactionDoc {
  const at = event.occurredAt;
  return {
    id: state.transactionId,
    status: state.status,
    transactionId: state.transactionId,
    providerId: state.providerId,
    orderId: state.orderId,
    sub: state.sub,
    description: state.description,
    amount: state.amount,
    vatRate: state.vatRate,
    vat: vatOf(state),
    products: state.products,
    successRedirect: state.successRedirect,
    cancelRedirect: state.cancelRedirect,
    createdBy: state.createdBy,
    expiresAt: state.expiresAt,
    attempts: attemptsOf(state, before, at),
    currentAttemptId: state.currentAttemptId,
    lastError: state.lastError,
    captured: state.captured,
    refunded: state.refunded,
    refundable: { amount: state.captured.amount - state.refunded.amount, currency: state.amount.currency },
    refunds: refundsOf(state, before, at),
    canceledBy: state.canceledBy,
    createdAt: before?.createdAt ?? at,
    updatedAt: at,
    revision: event.revision,
  };
}

async function applyPaymentEvent(event: RecordedEvent<PaymentEvent>, tx: ProjectionTx): Promise<void> {
  const domainEvent = { type: event.type, data: event.data } as PaymentEvent;
  const id = domainEvent.data.transactionId;
  const before = await tx.get<TransactionDoc>('transactions', id);
  // A redelivered event (revision already applied) changes nothing.
  if (before && before.revision >= event.revision) return;
  const state = evolve(before ?? { status: 'none' }, domainEvent);
  if (state.status === 'none') return;
  tx.upsert('transactions', toDoc(state, before, event));
}

/**
 * Transactions per provider: by creation time (listing by period), by user, and by the provider's
 * orderId (looking an order up); and by status (the reconciler's sweep for stuck attempts).
 */
export const transactionsProjection = defineProjection<PaymentEvent>({
  name: TRANSACTIONS_PROJECTION,
  version: 2,
  handles: [
    'TransactionCreated',
    'PaymentAttemptStarted',
    'PaymentActionRequired',
    'PaymentAuthorized',
    'PaymentCaptured',
    'PaymentFailed',
    'PaymentOutcomeUnknown',
    'TransactionCanceled',
    'TransactionExpired',
    'RefundIssued',
  ],
  collections: {
    transactions: {
      indexes: [
        { fields: ['providerId', 'createdAt'] },
        { fields: ['providerId', 'sub', 'createdAt'] },
        { fields: ['providerId', 'orderId'] },
        // The reconciler's sweep for attempts that stopped moving.
        { fields: ['status'] },
      ],
    },
  },
  apply: applyPaymentEvent,
});
