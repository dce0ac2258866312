import { DomainError } from '../kernel/decider.js';
import { DurationSchema, formatDuration, parseDuration } from '../shared/iso8601.js';
import { moneyEquals } from '../shared/money.js';
import { ensureValid } from '../shared/validate.js';
import type { AgreementPlanOffer, CreateAgreement } from './commands.js';
import { type AgreementTerms, parseRecurrence } from './values.js';

/*
 * The terms of a new agreement: the catalog plan the provider offers, checked against what it asks
 * for (price, recurrence, trial, first payment) and copied into the log.
 */

/** Two spellings of one duration (`P1M` and `P0Y1M`) are the same period. */
function sameDuration(a: string, b: string): boolean {
  const pa = parseDuration(a);
  const pb = parseDuration(b);
  return pa !== null && pb !== null && formatDuration(pa) === formatDuration(pb);
}

/** The plan the agreement charges for, checked against the catalog product the caller found. */
export function termsOf(command: CreateAgreement, offer: AgreementPlanOffer): AgreementTerms {
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
