import type { Money } from '../shared/money.js';
import type { CancelledBy, PaymentMethodRef, ProductLine, RefundIssuer } from './values.js';

/*
 * Commands of the PaymentTransaction aggregate. Every command after creation names the provider the
 * transaction belongs to: another provider's transaction is refused as not found, so a provider can
 * never learn about or move money in transactions it did not create. Attempt steps name their
 * attemptId, which makes a repeated provider answer (a retried webhook, a redelivered message) a
 * no-op instead of a second movement.
 */

export interface CreateTransaction {
  readonly type: 'CreateTransaction';
  readonly transactionId: string;
  readonly providerId: string;
  readonly orderId: string;
  readonly sub: string;
  readonly description: string;
  readonly amount: Money;
  readonly vatRate: number;
  readonly products?: readonly ProductLine[];
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  readonly createdBy: string;
  /** ISO 8601 instant after which an unpaid transaction may be expired. */
  readonly expiresAt?: string;
}

/** The payer chose a method; the attempt goes to the provider. */
export interface StartPaymentAttempt {
  readonly type: 'StartPaymentAttempt';
  readonly providerId: string;
  readonly attemptId: string;
  readonly method: PaymentMethodRef;
}

export interface RequirePaymentAction {
  readonly type: 'RequirePaymentAction';
  readonly providerId: string;
  readonly attemptId: string;
  readonly action: 'challenge' | 'redirect';
  readonly url?: string;
}

export interface AuthorizePayment {
  readonly type: 'AuthorizePayment';
  readonly providerId: string;
  readonly attemptId: string;
  readonly providerReference?: string;
}

/**
 * Takes the transaction's full amount. From `authorized`; also straight from `processing` or
 * `requires_action` for providers that authorize and capture in one call (both events are recorded).
 */
export interface CapturePayment {
  readonly type: 'CapturePayment';
  readonly providerId: string;
  readonly attemptId: string;
  readonly providerReference?: string;
}

export interface FailPayment {
  readonly type: 'FailPayment';
  readonly providerId: string;
  readonly attemptId: string;
  readonly code: string;
  readonly message: string;
}

/** The provider did not answer in time: nothing is guessed until it does (ReconcilePayment). */
export interface MarkPaymentOutcomeUnknown {
  readonly type: 'MarkPaymentOutcomeUnknown';
  readonly providerId: string;
  readonly attemptId: string;
  readonly reason: string;
}

/** The provider's later answer about an attempt whose outcome was unknown. */
export type ReconciledOutcome =
  | { readonly status: 'authorized'; readonly providerReference?: string }
  | { readonly status: 'captured'; readonly providerReference?: string }
  | { readonly status: 'failed'; readonly code: string; readonly message: string };

export interface ReconcilePayment {
  readonly type: 'ReconcilePayment';
  readonly providerId: string;
  readonly attemptId: string;
  readonly outcome: ReconciledOutcome;
}

export interface CancelTransaction {
  readonly type: 'CancelTransaction';
  readonly providerId: string;
  readonly by: CancelledBy;
  readonly reason?: string;
}

/** Closes a transaction that was never paid once its expiry has passed (a scheduler sends it). */
export interface ExpireTransaction {
  readonly type: 'ExpireTransaction';
  readonly providerId: string;
}

export interface IssueRefund {
  readonly type: 'IssueRefund';
  readonly providerId: string;
  readonly refundId: string;
  readonly amount: Money;
  readonly reason: string;
  readonly issuer: RefundIssuer;
}

export type PaymentCommand =
  | CreateTransaction
  | StartPaymentAttempt
  | RequirePaymentAction
  | AuthorizePayment
  | CapturePayment
  | FailPayment
  | MarkPaymentOutcomeUnknown
  | ReconcilePayment
  | CancelTransaction
  | ExpireTransaction
  | IssueRefund;
