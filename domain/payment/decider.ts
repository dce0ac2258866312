import { z } from 'zod';
import { type DecideContext, type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type {
  CancelTransaction,
  CapturePayment,
  FailPayment,
  IssueRefund,
  MarkPaymentOutcomeUnknown,
  PaymentCommand,
  ReconcilePayment,
  RequirePaymentAction,
  StartPaymentAttempt,
} from './commands.js';
import { decideCreate, positiveAmount } from './decide-create.js';
import {
  PaymentActionRequired,
  PaymentAttemptStarted,
  PaymentAuthorized,
  PaymentCaptured,
  type PaymentEvent,
  PaymentFailed,
  PaymentOutcomeUnknown,
  RefundIssued,
  TransactionCanceled,
  TransactionExpired,
} from './events.js';
import {
  type AttemptState,
  evolve,
  findAttempt,
  refundable,
  type Transaction,
  type TransactionState,
} from './state.js';
import {
  ActionKindSchema,
  CancelledBySchema,
  DeclineCodeSchema,
  DeclineMessageSchema,
  MAX_ATTEMPTS,
  MAX_URL_LENGTH,
  PaymentMethodRefSchema,
  ReferenceIdSchema,
  RefundIssuerSchema,
  RefundReasonSchema,
} from './values.js';

function notFound(): DomainError {
  return new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
}

/** The transaction, if it exists and belongs to the provider acting; otherwise "not found", never a leak. */
function own(state: TransactionState, providerId: string): Transaction {
  if (state.status === 'none' || state.providerId !== providerId) throw notFound();
  return state;
}

const conflict = (code: string, message: string, field?: string) =>
  new DomainError('conflict', code, message, field);

const outcomeUnknown = () =>
  conflict(
    'outcome_unknown',
    "The provider's answer for the current attempt is unknown; only reconciliation with the provider's answer moves it on.",
  );

/** Why a transaction in this state cannot take a new attempt, or null when it can. */
function notPayable(t: Transaction, now: Date): DomainError | null {
  switch (t.status) {
    case 'created':
    case 'failed':
      return t.expiresAt !== null && now.getTime() >= Date.parse(t.expiresAt)
        ? conflict('transaction_expired', 'The transaction has expired.')
        : null;
    case 'processing':
    case 'requires_action':
      return conflict('attempt_in_progress', 'Another payment attempt is in progress.');
    case 'unknown':
      return outcomeUnknown();
    case 'authorized':
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      return conflict('transaction_paid', 'The transaction has already been paid.');
    case 'canceled':
      return conflict('transaction_canceled', 'The transaction has been canceled.');
    case 'expired':
      return conflict('transaction_expired', 'The transaction has expired.');
  }
}

function attemptIdOf(attemptId: string): string {
  return ensureValid(ReferenceIdSchema, attemptId, 'attemptId', 'invalid_attempt_id');
}

function attemptOf(t: Transaction, attemptId: string): AttemptState {
  const attempt = findAttempt(t, attemptIdOf(attemptId));
  if (!attempt) {
    throw new DomainError('not_found', 'attempt_not_found', 'No such payment attempt.', 'attemptId');
  }
  return attempt;
}

function attemptFinished(a: AttemptState): DomainError {
  return conflict('attempt_finished', `The payment attempt has already ended (${a.status}).`, 'attemptId');
}

function decideStart(command: StartPaymentAttempt, t: Transaction, now: Date): PaymentEvent[] {
  const attemptId = attemptIdOf(command.attemptId);
  const method = ensureValid(PaymentMethodRefSchema, command.method, 'method', 'invalid_method');
  const existing = findAttempt(t, attemptId);
  if (existing) {
    if (existing.method.kind === method.kind && existing.method.reference === method.reference) return [];
    throw conflict('attempt_exists', 'An attempt with this id was started with another method.', 'attemptId');
  }
  const refusal = notPayable(t, now);
  if (refusal) throw refusal;
  if (t.attempts.length >= MAX_ATTEMPTS) {
    throw conflict('too_many_attempts', `A transaction takes at most ${MAX_ATTEMPTS} payment attempts.`);
  }
  return [PaymentAttemptStarted({ transactionId: t.transactionId, attemptId, method })];
}

const ActionUrl = z.httpUrl().max(MAX_URL_LENGTH);

function decideRequireAction(command: RequirePaymentAction, t: Transaction): PaymentEvent[] {
  const a = attemptOf(t, command.attemptId);
  const action = ensureValid(ActionKindSchema, command.action, 'action', 'invalid_action');
  const url =
    command.url === undefined ? undefined : ensureValid(ActionUrl, command.url, 'url', 'invalid_action');
  if (a.status === 'requires_action') return [];
  if (a.status === 'unknown') throw outcomeUnknown();
  if (a.status !== 'processing') throw attemptFinished(a);
  return [
    PaymentActionRequired({
      transactionId: t.transactionId,
      attemptId: a.attemptId,
      action,
      ...(url === undefined ? {} : { url }),
    }),
  ];
}

function providerReferenceOf(reference: string | undefined): { providerReference?: string } {
  return reference === undefined
    ? {}
    : {
        providerReference: ensureValid(
          ReferenceIdSchema,
          reference,
          'providerReference',
          'invalid_reference',
        ),
      };
}

function authorized(t: Transaction, a: AttemptState, reference: string | undefined, reconciled: boolean) {
  return PaymentAuthorized({
    transactionId: t.transactionId,
    attemptId: a.attemptId,
    amount: t.amount,
    ...providerReferenceOf(reference),
    ...(reconciled ? { reconciled: true as const } : {}),
  });
}

function captured(t: Transaction, a: AttemptState, reconciled: boolean) {
  return PaymentCaptured({
    transactionId: t.transactionId,
    attemptId: a.attemptId,
    amount: t.amount,
    ...(reconciled ? { reconciled: true as const } : {}),
  });
}

function failed(t: Transaction, a: AttemptState, code: string, message: string, reconciled: boolean) {
  return PaymentFailed({
    transactionId: t.transactionId,
    attemptId: a.attemptId,
    amount: t.amount,
    code: ensureValid(DeclineCodeSchema, code, 'code', 'invalid_decline'),
    message: ensureValid(DeclineMessageSchema, message, 'message', 'invalid_decline'),
    ...(reconciled ? { reconciled: true as const } : {}),
  });
}

function decideAuthorize(t: Transaction, attemptId: string, reference: string | undefined): PaymentEvent[] {
  const a = attemptOf(t, attemptId);
  if (a.status === 'authorized' || a.status === 'captured') return [];
  if (a.status === 'unknown') throw outcomeUnknown();
  if (a.status !== 'processing' && a.status !== 'requires_action') throw attemptFinished(a);
  return [authorized(t, a, reference, false)];
}

function decideCapture(command: CapturePayment, t: Transaction): PaymentEvent[] {
  const a = attemptOf(t, command.attemptId);
  if (a.status === 'captured') return [];
  if (a.status === 'unknown') throw outcomeUnknown();
  if (a.status === 'authorized') return [captured(t, a, false)];
  if (a.status !== 'processing' && a.status !== 'requires_action') throw attemptFinished(a);
  return [authorized(t, a, command.providerReference, false), captured(t, a, false)];
}

function decideFail(command: FailPayment, t: Transaction): PaymentEvent[] {
  const a = attemptOf(t, command.attemptId);
  if (a.status === 'failed') return [];
  if (a.status === 'unknown') throw outcomeUnknown();
  if (a.status !== 'processing' && a.status !== 'requires_action' && a.status !== 'authorized') {
    throw attemptFinished(a);
  }
  return [failed(t, a, command.code, command.message, false)];
}

function decideMarkUnknown(command: MarkPaymentOutcomeUnknown, t: Transaction): PaymentEvent[] {
  const a = attemptOf(t, command.attemptId);
  const reason = ensureValid(DeclineMessageSchema, command.reason, 'reason', 'invalid_reason');
  if (a.status === 'unknown') return [];
  if (a.status !== 'processing' && a.status !== 'requires_action' && a.status !== 'authorized') {
    throw attemptFinished(a);
  }
  return [PaymentOutcomeUnknown({ transactionId: t.transactionId, attemptId: a.attemptId, reason })];
}

/** Records the provider's later answer; a repeat of an answer already recorded changes nothing. */
function decideReconcile(command: ReconcilePayment, t: Transaction): PaymentEvent[] {
  const a = attemptOf(t, command.attemptId);
  const outcome = command.outcome;
  if (a.status !== 'unknown') {
    if (a.reconciled && a.status === outcome.status) return [];
    throw conflict('outcome_known', `The attempt's outcome is already known (${a.status}).`, 'attemptId');
  }
  switch (outcome.status) {
    case 'authorized':
      return [authorized(t, a, outcome.providerReference, true)];
    case 'captured':
      // Captured in the call whose answer was lost (automatic capture): the authorization is
      // recorded too, with the provider's reference, as a direct capture would have.
      return a.providerReference === null
        ? [authorized(t, a, outcome.providerReference, true), captured(t, a, true)]
        : [captured(t, a, true)];
    case 'failed':
      return [failed(t, a, outcome.code, outcome.message, true)];
    default:
      throw new DomainError(
        'invalid',
        'invalid_outcome',
        'outcome.status: must be authorized, captured or failed.',
        'outcome.status',
      );
  }
}

function decideCancel(command: CancelTransaction, t: Transaction): PaymentEvent[] {
  const by = ensureValid(CancelledBySchema, command.by, 'by', 'invalid_canceled_by');
  const reason =
    command.reason === undefined
      ? {}
      : { reason: ensureValid(RefundReasonSchema, command.reason, 'reason', 'invalid_reason') };
  const cancel = (voidedAttemptId?: string) =>
    TransactionCanceled({
      transactionId: t.transactionId,
      by,
      ...reason,
      ...(voidedAttemptId === undefined ? {} : { voidedAttemptId }),
    });
  switch (t.status) {
    case 'canceled':
      return [];
    case 'created':
    case 'failed':
      return [cancel()];
    case 'requires_action':
      return [cancel(t.currentAttemptId ?? undefined)];
    case 'authorized':
      return [cancel(t.attempts.find((a) => a.status === 'authorized')?.attemptId)];
    case 'processing':
      throw conflict('attempt_in_progress', 'A payment attempt is in progress; it cannot be canceled now.');
    case 'unknown':
      throw outcomeUnknown();
    case 'expired':
      throw conflict('transaction_expired', 'The transaction has expired.');
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      throw conflict('transaction_paid', 'The transaction has been paid; refund it instead.');
  }
}

function decideExpire(t: Transaction, now: Date): PaymentEvent[] {
  if (t.status === 'expired') return [];
  if (t.status !== 'created' && t.status !== 'failed' && t.status !== 'requires_action') {
    throw notPayable(t, now) ?? conflict('not_expirable', 'The transaction cannot expire now.');
  }
  if (t.expiresAt === null) throw conflict('no_expiry', 'The transaction has no expiry.');
  if (now.getTime() < Date.parse(t.expiresAt)) {
    throw conflict('not_expired', `The transaction expires at ${t.expiresAt}.`);
  }
  const abandoned =
    t.status === 'requires_action' && t.currentAttemptId !== null ? t.currentAttemptId : undefined;
  return [
    TransactionExpired({
      transactionId: t.transactionId,
      ...(abandoned === undefined ? {} : { abandonedAttemptId: abandoned }),
    }),
  ];
}

/**
 * Refunds part or all of what was captured. A refund id already used with the same amount, reason
 * and issuer is a retry (nothing new); with anything else it is `refund_exists`.
 */
function decideRefund(command: IssueRefund, t: Transaction): PaymentEvent[] {
  const refundId = ensureValid(ReferenceIdSchema, command.refundId, 'refundId', 'invalid_refund_id');
  const amount = positiveAmount(command.amount, 'amount');
  const reason = ensureValid(RefundReasonSchema, command.reason, 'reason', 'invalid_reason');
  const issuer = ensureValid(RefundIssuerSchema, command.issuer, 'issuer', 'invalid_issuer');
  const earlier = t.refunds.find((r) => r.refundId === refundId);
  if (earlier) {
    const same =
      earlier.amount.amount === amount.amount &&
      earlier.amount.currency === amount.currency &&
      earlier.reason === reason &&
      earlier.issuer.kind === issuer.kind &&
      earlier.issuer.id === issuer.id;
    if (same) return [];
    throw conflict('refund_exists', 'A different refund with this refundId was already issued.', 'refundId');
  }
  if (t.status === 'refunded') throw conflict('fully_refunded', 'The transaction has been refunded in full.');
  if (t.status !== 'captured' && t.status !== 'partially_refunded') {
    throw conflict('not_captured', 'Only a captured payment can be refunded.');
  }
  if (amount.currency !== t.amount.currency) {
    throw new DomainError(
      'invalid',
      'currency_mismatch',
      `amount.currency: must be ${t.amount.currency}, the transaction's currency.`,
      'amount.currency',
    );
  }
  const left = refundable(t);
  if (amount.amount > left.amount) {
    throw new DomainError(
      'invalid',
      'refund_exceeds_captured',
      `amount: at most ${left.amount} (minor units) can still be refunded.`,
      'amount',
    );
  }
  return [RefundIssued({ transactionId: t.transactionId, refundId, amount, reason, issuer })];
}

/**
 * One payment transaction's rules. Money moves only through attempts the provider answered for:
 * one attempt in flight at a time, a declined attempt leaves the transaction payable, an attempt
 * whose answer never came (`unknown`) waits for reconciliation, and refunds never exceed what was
 * captured minus what was refunded.
 */
export const transactionDecider: Decider<TransactionState, PaymentCommand, PaymentEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide(command, state, context: DecideContext) {
    const { now } = context;
    switch (command.type) {
      case 'CreateTransaction':
        return decideCreate(command, state, now);
      case 'StartPaymentAttempt':
        return decideStart(command, own(state, command.providerId), now);
      case 'RequirePaymentAction':
        return decideRequireAction(command, own(state, command.providerId));
      case 'AuthorizePayment':
        return decideAuthorize(own(state, command.providerId), command.attemptId, command.providerReference);
      case 'CapturePayment':
        return decideCapture(command, own(state, command.providerId));
      case 'FailPayment':
        return decideFail(command, own(state, command.providerId));
      case 'MarkPaymentOutcomeUnknown':
        return decideMarkUnknown(command, own(state, command.providerId));
      case 'ReconcilePayment':
        return decideReconcile(command, own(state, command.providerId));
      case 'CancelTransaction':
        return decideCancel(command, own(state, command.providerId));
      case 'ExpireTransaction':
        return decideExpire(own(state, command.providerId), now);
      case 'IssueRefund':
        return decideRefund(command, own(state, command.providerId));
    }
  },
};
