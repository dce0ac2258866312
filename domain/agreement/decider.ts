import { z } from 'zod';
import { type Decider, DomainError } from '../kernel/decider.js';
import { DurationSchema, formatDuration, parseDuration } from '../shared/iso8601.js';
import { moneyEquals } from '../shared/money.js';
import { ensureValid } from '../shared/validate.js';
import type {
  AgreementCommand,
  AgreementPlanOffer,
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
import { type Agreement, type AgreementState, evolve, isCharging } from './state.js';
import {
  type AgreementActor,
  AgreementActorSchema,
  AgreementRedirectSchema,
  type AgreementTerms,
  MethodLabelSchema,
  parseRecurrence,
  StopReasonSchema,
} from './values.js';

const Uuid = z.uuid();

const notFound = () => new DomainError('not_found', 'agreement_not_found', 'No such charging agreement.');

function requireExisting(state: AgreementState): Agreement {
  if (state.status === 'none') throw notFound();
  return state;
}

/** Two spellings of one duration (`P1M` and `P0Y1M`) are the same period. */
function sameDuration(a: string, b: string): boolean {
  const pa = parseDuration(a);
  const pb = parseDuration(b);
  return pa !== null && pb !== null && formatDuration(pa) === formatDuration(pb);
}

/** The plan the agreement charges for, checked against the catalog product the caller found. */
function termsOf(command: CreateAgreement, offer: AgreementPlanOffer): AgreementTerms {
  if (offer.providerId !== command.providerId) {
    throw new DomainError('invalid', 'plan_not_found', 'No such plan in this catalog.', 'sku');
  }
  if (offer.kind !== 'subscription' || offer.period === null) {
    throw new DomainError(
      'invalid',
      'not_a_subscription_plan',
      `sku: the product "${offer.sku}" is sold once, not as a subscription.`,
      'sku',
    );
  }
  if (offer.status !== 'active') {
    throw new DomainError(
      'conflict',
      'plan_retired',
      `sku: the product "${offer.sku}" is no longer sold.`,
      'sku',
    );
  }
  if (offer.price.amount <= 0) {
    throw new DomainError(
      'invalid',
      'free_plan',
      `sku: the plan "${offer.sku}" is free; nothing to charge.`,
      'sku',
    );
  }
  if (command.price !== undefined && !moneyEquals(command.price, offer.price)) {
    throw new DomainError(
      'invalid',
      'price_mismatch',
      `price: must be the plan's price (${offer.price.amount} ${offer.price.currency} in minor units).`,
      'price',
    );
  }
  const recurrenceText = command.recurrence ?? `R/${offer.period}`;
  const recurrence = parseRecurrence(recurrenceText);
  if (recurrence === null) {
    throw new DomainError(
      'invalid',
      'invalid_recurrence',
      'recurrence: must be an ISO 8601 recurrence such as R/P1M or R12/P1M.',
      'recurrence',
    );
  }
  if (!sameDuration(recurrence.period, offer.period)) {
    throw new DomainError(
      'invalid',
      'recurrence_mismatch',
      `recurrence: the plan renews every ${offer.period}; use R/${offer.period} (or Rn/${offer.period}).`,
      'recurrence',
    );
  }
  const trial =
    command.trial === undefined
      ? offer.trial
      : command.trial === null
        ? null
        : ensureValid(DurationSchema, command.trial, 'trial', 'invalid_trial');
  const firstPayment = command.firstPayment ?? trial === null;
  if (firstPayment && trial !== null) {
    throw new DomainError(
      'invalid',
      'trial_with_first_payment',
      'firstPayment: a trial is free, so nothing is charged at confirmation; set trial to null to charge at once.',
      'firstPayment',
    );
  }
  if (!firstPayment && trial === null) {
    throw new DomainError(
      'invalid',
      'first_payment_required',
      'firstPayment: without a trial the first period is charged at confirmation.',
      'firstPayment',
    );
  }
  return {
    productId: offer.productId,
    sku: offer.sku,
    name: offer.name,
    price: offer.price,
    vatRate: offer.vatRate,
    recurrence: recurrenceText,
    period: offer.period,
    count: recurrence.count,
    trial,
    firstPayment,
  };
}

function decideCreate(command: CreateAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  if (state.status !== 'none') {
    throw new DomainError('conflict', 'agreement_exists', 'This agreement already exists.');
  }
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
    }),
  ];
}

/** A user acting on an agreement named for someone else is told it does not exist. */
function requireUser(a: Agreement, sub: string): void {
  const owner = a.sub ?? a.requiredSub;
  if (owner !== null && owner !== sub) throw notFound();
}

function decideConfirm(command: ConfirmAgreement, state: AgreementState, now: Date): AgreementEvent[] {
  const a = requireExisting(state);
  requireUser(a, command.sub);
  if (a.status === 'canceled') {
    throw new DomainError('conflict', 'agreement_canceled', 'This agreement was canceled.');
  }
  if (a.status !== 'pending') {
    if (a.sub === command.sub && a.methodId === command.methodId) return [];
    throw new DomainError('conflict', 'agreement_not_pending', 'This agreement is already confirmed.');
  }
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
  if (command.by.kind === 'user') requireUser(a, command.by.id);
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
