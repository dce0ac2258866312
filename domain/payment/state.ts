import type { Money } from '../shared/money.js';
import type { PaymentEvent, RefundIssued, TransactionCreated } from './events.js';
import type {
  AttemptStatus,
  CancelledBy,
  PaymentMethodRef,
  ProductLine,
  TransactionStatus,
} from './values.js';

/**
 * The state of one transaction as its events describe it, and the fold that builds it. The state is
 * plain JSON so the `transactions` read model can be the very same fold (projections/transactions.ts),
 * which keeps what a reader sees and what the rules decide on from drifting apart.
 */

export interface AttemptState {
  readonly attemptId: string;
  readonly method: PaymentMethodRef;
  readonly status: AttemptStatus;
  readonly code: string | null;
  readonly message: string | null;
  readonly providerReference: string | null;
  readonly reconciled: boolean;
}

export interface RefundState {
  readonly refundId: string;
  readonly amount: Money;
  readonly reason: string;
  readonly issuer: RefundIssued['data']['issuer'];
}

export interface Transaction {
  readonly status: TransactionStatus;
  readonly transactionId: string;
  readonly providerId: string;
  readonly orderId: string;
  readonly sub: string;
  readonly description: string;
  readonly amount: Money;
  readonly vatRate: number;
  readonly products: readonly ProductLine[];
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly attempts: readonly AttemptState[];
  /** The attempt in flight (processing, requires_action or unknown), or null. */
  readonly currentAttemptId: string | null;
  /** Why the last attempt failed; cleared when the transaction is paid. */
  readonly lastError: { readonly code: string; readonly message: string } | null;
  readonly captured: Money;
  readonly refunded: Money;
  readonly refunds: readonly RefundState[];
  readonly canceledBy: CancelledBy | null;
}

export type TransactionState = { readonly status: 'none' } | Transaction;

/** Captured minus refunded: the most a further refund may return. */
export function refundable(t: Transaction): Money {
  return { amount: t.captured.amount - t.refunded.amount, currency: t.amount.currency };
}

export function findAttempt(t: Transaction, attemptId: string): AttemptState | undefined {
  return t.attempts.find((a) => a.attemptId === attemptId);
}

function created(data: TransactionCreated['data']): Transaction {
  const zero = { amount: 0, currency: data.amount.currency };
  return {
    status: 'created',
    transactionId: data.transactionId,
    providerId: data.providerId,
    orderId: data.orderId,
    sub: data.sub,
    description: data.description,
    amount: data.amount,
    vatRate: data.vatRate,
    products: data.products,
    successRedirect: data.successRedirect,
    cancelRedirect: data.cancelRedirect,
    createdBy: data.createdBy,
    expiresAt: data.expiresAt,
    attempts: [],
    currentAttemptId: null,
    lastError: null,
    captured: zero,
    refunded: zero,
    refunds: [],
    canceledBy: null,
  };
}

/** Changes one attempt; the others keep their identity (the read model relies on that). */
function withAttempt(t: Transaction, attemptId: string, change: Partial<AttemptState>): Transaction {
  return {
    ...t,
    attempts: t.attempts.map((a) => (a.attemptId === attemptId ? { ...a, ...change } : a)),
  };
}

function evolveTransaction(t: Transaction, event: PaymentEvent): Transaction {
  switch (event.type) {
    case 'TransactionCreated':
      return t;
    case 'PaymentAttemptStarted': {
      const attempt: AttemptState = {
        attemptId: event.data.attemptId,
        method: event.data.method,
        status: 'processing',
        code: null,
        message: null,
        providerReference: null,
        reconciled: false,
      };
      return {
        ...t,
        status: 'processing',
        attempts: [...t.attempts, attempt],
        currentAttemptId: event.data.attemptId,
      };
    }
    case 'PaymentActionRequired':
      return {
        ...withAttempt(t, event.data.attemptId, { status: 'requires_action' }),
        status: 'requires_action',
      };
    case 'PaymentAuthorized':
      return {
        ...withAttempt(t, event.data.attemptId, {
          status: 'authorized',
          providerReference: event.data.providerReference ?? null,
          reconciled: event.data.reconciled === true,
        }),
        status: 'authorized',
        currentAttemptId: null,
        lastError: null,
      };
    case 'PaymentCaptured':
      return {
        ...withAttempt(t, event.data.attemptId, {
          status: 'captured',
          reconciled: event.data.reconciled === true,
        }),
        status: 'captured',
        currentAttemptId: null,
        lastError: null,
        captured: { amount: t.captured.amount + event.data.amount.amount, currency: t.captured.currency },
      };
    case 'PaymentFailed': {
      const { code, message } = event.data;
      return {
        ...withAttempt(t, event.data.attemptId, {
          status: 'failed',
          code,
          message,
          reconciled: event.data.reconciled === true,
        }),
        status: 'failed',
        currentAttemptId: null,
        lastError: { code, message },
      };
    }
    case 'PaymentOutcomeUnknown':
      return {
        ...withAttempt(t, event.data.attemptId, { status: 'unknown' }),
        status: 'unknown',
        currentAttemptId: event.data.attemptId,
      };
    case 'TransactionCanceled': {
      const voided = event.data.voidedAttemptId;
      const next = voided === undefined ? t : withAttempt(t, voided, { status: 'canceled' });
      return { ...next, status: 'canceled', currentAttemptId: null, canceledBy: event.data.by };
    }
    case 'TransactionExpired': {
      const abandoned = event.data.abandonedAttemptId;
      const next = abandoned === undefined ? t : withAttempt(t, abandoned, { status: 'canceled' });
      return { ...next, status: 'expired', currentAttemptId: null };
    }
    case 'RefundIssued': {
      const refunded = {
        amount: t.refunded.amount + event.data.amount.amount,
        currency: t.refunded.currency,
      };
      const { refundId, amount, reason, issuer } = event.data;
      return {
        ...t,
        status: refunded.amount >= t.captured.amount ? 'refunded' : 'partially_refunded',
        refunded,
        refunds: [...t.refunds, { refundId, amount, reason, issuer }],
      };
    }
  }
}

export function evolve(state: TransactionState, event: PaymentEvent): TransactionState {
  if (event.type === 'TransactionCreated') return state.status === 'none' ? created(event.data) : state;
  return state.status === 'none' ? state : evolveTransaction(state, event);
}
