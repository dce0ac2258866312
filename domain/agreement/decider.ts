import { z } from 'zod';
import { type Decider, DomainError } from '../kernel/decider.js';
import { moneyEquals } from '../shared/money.js';
import { ensureValid } from '../shared/validate.js';
import type {
  AgreementCommand,
  CancelAgreement,
  ConfirmAgreement,
  CreateAgreement,
  RecordCharge,
  RecordChargeFailure,
  StopAgreement,
} from './commands.js';
import {
  AgreementCanceled,
  AgreementCharged,
  AgreementChargeFailed,
  AgreementConfirmed,
  AgreementCreated,
  type AgreementEvent,
  AgreementExpired,
  AgreementFirstPaymentFailed,
  AgreementStopped,
} from './events.js';
import { type Agreement, type AgreementState, confirmationOverdue, evolve, isCharging } from './state.js';
import {
  CONFIRMATION_DEADLINE_ACTOR,
  type AgreementActor,
  AgreementActorSchema,
  AgreementRedirectSchema,
  MethodLabelSchema,
  StopReasonSchema,
} from './values.js';
import { termsOf } from './terms.js';

const Uuid = z.uuid();

const notFound = () => new DomainError('not_found', 'agreement_not_found', 'No such charging agreement.');

function requireExisting(state: AgreementState): Agreement {
  if (state.status === 'none') throw notFound();
  return state;
}

/** The confirmation deadline: `now` plus the pending lifetime, which must be a positive whole number of ms. */
function confirmByOf(now: Date, lifetimeMs: number): string {
  const at = now.getTime() + lifetimeMs;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0 || !Number.isFinite(new Date(at).getTime())) {
    throw new DomainError(
      'invalid',
      'invalid_pending_lifetime',
      'pendingLifetimeMs: must be a positive whole number of milliseconds.',
      'pendingLifetimeMs',
    );
  }
  return new Date(at).toISOString();
}

function decideCreate(command: CreateAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  if (state.status !== 'none') {
    throw new DomainError('conflict', 'agreement_exists', 'This agreement already exists.');
  }
  const confirmBy = confirmByOf(now, command.pendingLifetimeMs);
  const agreementId = ensureValid(Uuid, command.agreementId, 'agreementId', 'invalid_agreement_id');
  const providerId = ensureValid(Uuid, command.providerId, 'providerId', 'invalid_provider_id');
  const sub = command.sub === undefined ? null : ensureValid(Uuid, command.sub, 'sub', 'invalid_sub');
  const terms = termsOf(command, command.plan);
  return [
    AgreementCreated({
      agreementId,
      providerId,
      sub,
      createdBy: command.createdBy,
      terms,
      successRedirect: ensureValid(
        AgreementRedirectSchema,
        command.successRedirect,
        'successRedirect',
        'invalid_redirect',
      ),
      cancelRedirect: ensureValid(
        AgreementRedirectSchema,
        command.cancelRedirect,
        'cancelRedirect',
        'invalid_redirect',
      ),
      createdAt: now.toISOString(),
      confirmBy,
    }),
  ];
}

/** A user acting on an agreement named for someone else is told it does not exist. */
function requireUser(a: Agreement, sub: string): void {
  const owner = a.sub ?? a.requiredSub;
  if (owner !== null && owner !== sub) throw notFound();
}

/**
 * A user may end only an agreement that is theirs: named for them, or confirmed by them. One that
 * names nobody and was never confirmed is open to whoever has its link, so letting any of them
 * cancel it would let a stranger end it for the user it was meant for; its provider withdraws it,
 * or it lapses at its deadline.
 */
function requireUserMayEnd(a: Agreement, sub: string): void {
  requireUser(a, sub);
  if ((a.sub ?? a.requiredSub) === null) {
    throw new DomainError(
      'forbidden',
      'agreement_not_named',
      'This agreement names no user, so only its provider can cancel it before it is confirmed.',
    );
  }
}

const expired = (a: Agreement) =>
  new DomainError(
    'conflict',
    'agreement_expired',
    `The time to confirm this agreement ran out at ${a.confirmBy ?? 'its deadline'}; ask the provider for a new one.`,
  );

function decideConfirm(command: ConfirmAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  requireUser(a, command.sub);
  if (a.status === 'canceled') {
    if (a.cancelReason === 'expired') throw expired(a);
    throw new DomainError('conflict', 'agreement_canceled', 'This agreement was canceled.');
  }
  if (a.status !== 'pending') {
    if (a.sub === command.sub && a.methodId === command.methodId) return [];
    throw new DomainError('conflict', 'agreement_not_pending', 'This agreement is already confirmed.');
  }
  if (confirmationOverdue(a, now)) throw expired(a);
  const expected = a.subscriptionId;
  if (expected !== null && expected !== command.subscriptionId) {
    throw new DomainError('conflict', 'subscription_mismatch', 'The agreement drives another subscription.');
  }
  return [
    AgreementConfirmed({
      agreementId: a.agreementId,
      sub: ensureValid(Uuid, command.sub, 'sub', 'invalid_sub'),
      methodId: ensureValid(Uuid, command.methodId, 'methodId', 'invalid_method_id'),
      methodLabel: ensureValid(MethodLabelSchema, command.methodLabel, 'methodLabel', 'invalid_method'),
      subscriptionId: ensureValid(Uuid, command.subscriptionId, 'subscriptionId', 'invalid_subscription_id'),
      at: now.toISOString(),
    }),
  ];
}

/** Only a first payment still awaited can fail as such; anything else is a repeat and records nothing. */
function decideFirstPaymentFailure(
  command: { transactionId: string; code: string },
  state: AgreementState,
  now: Date,
): AgreementEvent[] {
  const a = requireExisting(state);
  if (a.status !== 'active' || !a.terms.firstPayment || a.paidThrough > 0) return [];
  return [
    AgreementFirstPaymentFailed({
      agreementId: a.agreementId,
      transactionId: command.transactionId,
      code: command.code,
      at: now.toISOString(),
    }),
  ];
}

function actor(by: AgreementActor): AgreementActor {
  return ensureValid(AgreementActorSchema, by, 'by', 'invalid_actor');
}

function decideCancel(command: CancelAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  if (command.by.kind === 'user') requireUserMayEnd(a, command.by.id);
  if (a.status === 'canceled') return [];
  if (a.status !== 'pending') {
    throw new DomainError(
      'conflict',
      'agreement_confirmed',
      'This agreement is already confirmed; stop it instead.',
    );
  }
  return [AgreementCanceled({ agreementId: a.agreementId, by: actor(command.by), at: now.toISOString() })];
}

/**
 * The deadline passed while the agreement waited: the system cancels it, marked `expired`. An
 * agreement confirmed in time (even one whose first payment is still in flight) does not lapse; if
 * that payment fails it is pending again, and this then cancels it.
 */
function decideCancelExpired(state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  if (a.status !== 'pending') return [];
  if (!confirmationOverdue(a, now)) {
    throw new DomainError(
      'conflict',
      'confirmation_deadline_not_reached',
      a.confirmBy === null
        ? 'This agreement has no confirmation deadline.'
        : `This agreement may be confirmed until ${a.confirmBy}.`,
    );
  }
  return [
    AgreementCanceled({
      agreementId: a.agreementId,
      by: { ...CONFIRMATION_DEADLINE_ACTOR },
      at: now.toISOString(),
      expired: true,
    }),
  ];
}

function decideStop(command: StopAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  if (command.by.kind === 'user') requireUser(a, command.by.id);
  if (a.status === 'pending') return decideCancel({ type: 'CancelAgreement', by: command.by }, state, now);
  if (!isCharging(a)) return [];
  const reason =
    command.reason === undefined
      ? {}
      : { reason: ensureValid(StopReasonSchema, command.reason, 'reason', 'invalid_reason') };
  return [
    AgreementStopped({ agreementId: a.agreementId, by: actor(command.by), at: now.toISOString(), ...reason }),
  ];
}

/** The next period that may be charged, or a refusal for an out-of-order one. */
function checkPeriod(a: Agreement, period: number): 'done' | 'next' {
  if (!Number.isInteger(period) || period < 1) {
    throw new DomainError('invalid', 'invalid_period', 'period: must be a positive integer.', 'period');
  }
  if (period <= a.paidThrough) return 'done';
  if (period !== a.paidThrough + 1) {
    throw new DomainError(
      'conflict',
      'period_out_of_order',
      `Period ${period} cannot be charged before period ${a.paidThrough + 1}.`,
      'period',
    );
  }
  return 'next';
}

function requireConfirmed(a: Agreement): void {
  if (a.status === 'pending' || a.status === 'canceled') {
    throw new DomainError('conflict', 'agreement_not_confirmed', 'This agreement has not been confirmed.');
  }
}

/**
 * A captured charge is a fact: it is recorded whatever the agreement's status (a charge in flight
 * when the agreement was stopped still paid for its period, which the subscription then gets).
 */
function decideCharge(command: RecordCharge, state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  requireConfirmed(a);
  if (checkPeriod(a, command.period) === 'done') return [];
  if (!moneyEquals(command.amount, a.terms.price)) {
    throw new DomainError(
      'invalid',
      'amount_mismatch',
      'amount: a charge must be the agreed price.',
      'amount',
    );
  }
  return [
    AgreementCharged({
      agreementId: a.agreementId,
      period: command.period,
      transactionId: ensureValid(Uuid, command.transactionId, 'transactionId', 'invalid_transaction_id'),
      amount: command.amount,
      at: now.toISOString(),
    }),
  ];
}

/**
 * A failed try moves the agreement along the dunning schedule: the k-th retry comes
 * `retryAfterMs[k]` after the period's first failed try; after the last one the agreement expires.
 * A repeated report of a try already recorded records nothing.
 */
function decideChargeFailure(
  command: RecordChargeFailure,
  state: AgreementState,
  now: Date,
): AgreementEvent[] {
  const a = requireExisting(state);
  requireConfirmed(a);
  if (!isCharging(a)) return [];
  if (checkPeriod(a, command.period) === 'done') return [];
  const failures = a.dunning?.period === command.period ? a.dunning.failures : 0;
  if (command.attempt < failures) return [];
  if (command.attempt !== failures) {
    throw new DomainError(
      'conflict',
      'attempt_out_of_order',
      `Try ${command.attempt} cannot fail before try ${failures}.`,
      'attempt',
    );
  }
  const at = now.toISOString();
  const first = a.dunning?.period === command.period ? a.dunning.firstFailedAt : at;
  const offset = command.retryAfterMs[failures];
  const nextRetryAt = offset === undefined ? null : new Date(Date.parse(first) + offset).toISOString();
  const failed = AgreementChargeFailed({
    agreementId: a.agreementId,
    period: command.period,
    attempt: command.attempt,
    transactionId: ensureValid(Uuid, command.transactionId, 'transactionId', 'invalid_transaction_id'),
    code: command.code,
    at,
    nextRetryAt,
  });
  if (nextRetryAt !== null) return [failed];
  return [failed, AgreementExpired({ agreementId: a.agreementId, at, reason: 'payment_failed' })];
}

function decideComplete(state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  if (a.status === 'expired' && a.expiryReason === 'completed') return [];
  if (!isCharging(a) || a.terms.count === null || a.paidPeriods < a.terms.count) {
    throw new DomainError('conflict', 'agreement_not_complete', 'Not every agreed period has been paid.');
  }
  return [AgreementExpired({ agreementId: a.agreementId, at: now.toISOString(), reason: 'completed' })];
}

/**
 * The ChargingAgreement: what a user agreed to pay for a subscription plan, and how each period's
 * charge went. It never moves money itself; the renewal process charges and reports back here, and
 * every report is idempotent (by period and try), so a crashed or concurrent process records once.
 */
export const agreementDecider: Decider<AgreementState, AgreementCommand, AgreementEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide(command, state, context) {
    const now = context.now;
    switch (command.type) {
      case 'CreateAgreement':
        return decideCreate(command, state, now);
      case 'ConfirmAgreement':
        return decideConfirm(command, state, now);
      case 'RecordFirstPaymentFailure':
        return decideFirstPaymentFailure(command, state, now);
      case 'CancelAgreement':
        return decideCancel(command, state, now);
      case 'CancelExpiredAgreement':
        return decideCancelExpired(state, now);
      case 'RecordCharge':
        return decideCharge(command, state, now);
      case 'RecordChargeFailure':
        return decideChargeFailure(command, state, now);
      case 'StopAgreement':
        return decideStop(command, state, now);
      case 'CompleteAgreement':
        return decideComplete(state, now);
    }
  },
};
