import type { AgreementEvent } from './events.js';
import type {
  AgreementActor,
  AgreementCancelReason,
  AgreementExpiryReason,
  AgreementStatus,
  AgreementTerms,
} from './values.js';

/** A period whose charge failed and is being retried. */
export interface Dunning {
  readonly period: number;
  /** Failed tries so far for this period. */
  readonly failures: number;
  readonly firstFailedAt: string;
  /** When the next try is due; null when none is left. */
  readonly nextRetryAt: string | null;
  readonly lastCode: string;
}

export interface Agreement {
  readonly status: AgreementStatus;
  readonly agreementId: string;
  readonly providerId: string;
  /** The only user who may confirm, when the provider named one. */
  readonly requiredSub: string | null;
  /** The user who confirmed (null while pending). */
  readonly sub: string | null;
  readonly createdBy: string;
  readonly terms: AgreementTerms;
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  readonly createdAt: string;
  /** The instant from which it can no longer be confirmed; null (never) for agreements made before deadlines. */
  readonly confirmBy: string | null;
  readonly methodId: string | null;
  readonly methodLabel: string | null;
  readonly subscriptionId: string | null;
  readonly confirmedAt: string | null;
  /**
   * The highest subscription period that is paid for (a trial counts as paid): the subscription
   * may start periods up to it, and the next charge is for the one after it.
   */
  readonly paidThrough: number;
  /** Periods charged successfully (a trial is not one). */
  readonly paidPeriods: number;
  /** Failed first payments while the user was on the page; numbers the next first-payment try. */
  readonly firstPaymentFailures: number;
  readonly dunning: Dunning | null;
  readonly stoppedBy: AgreementActor | null;
  /** Who canceled it before it was confirmed (null unless canceled). */
  readonly canceledBy: AgreementActor | null;
  /** `expired` when the confirmation deadline passed; null for a withdrawal (or while not canceled). */
  readonly cancelReason: AgreementCancelReason | null;
  readonly endedAt: string | null;
  readonly expiryReason: AgreementExpiryReason | null;
}

export type AgreementState = { readonly status: 'none' } | Agreement;

/** True once the user confirmed and the agreement has not been canceled. */
export function isConfirmed(a: Agreement): boolean {
  return a.status !== 'pending' && a.status !== 'canceled';
}

/**
 * True when a pending agreement's confirmation deadline has passed (exactly at `confirmBy` counts)
 * but nothing has recorded it yet: it can no longer be confirmed, and the renewal process cancels it.
 */
export function confirmationOverdue(a: Agreement, now: Date): boolean {
  return a.status === 'pending' && a.confirmBy !== null && now.getTime() >= Date.parse(a.confirmBy);
}

/** True when the agreement can no longer be confirmed because its deadline passed (recorded or not). */
export function confirmationExpired(a: Agreement, now: Date): boolean {
  return (a.status === 'canceled' && a.cancelReason === 'expired') || confirmationOverdue(a, now);
}

/** True while the agreement still charges (active, or retrying a failed charge). */
export function isCharging(a: Agreement): boolean {
  return a.status === 'active' || a.status === 'past_due';
}

/** Whether the subscription exists yet: with a first payment it starts only once that is paid. */
export function subscriptionStarts(a: Agreement): boolean {
  return isConfirmed(a) && a.subscriptionId !== null && a.paidThrough >= 1;
}

function evolveAgreement(a: Agreement, event: AgreementEvent): Agreement {
  switch (event.type) {
    case 'AgreementCreated':
      return a;
    case 'AgreementConfirmed': {
      const d = event.data;
      return {
        ...a,
        status: 'active',
        sub: d.sub,
        methodId: d.methodId,
        methodLabel: d.methodLabel,
        subscriptionId: d.subscriptionId,
        confirmedAt: d.at,
        // A trial is period 1, free: it counts as paid.
        paidThrough: a.terms.trial !== null ? Math.max(a.paidThrough, 1) : a.paidThrough,
      };
    }
    case 'AgreementFirstPaymentFailed':
      return {
        ...a,
        status: 'pending',
        sub: null,
        methodId: null,
        methodLabel: null,
        confirmedAt: null,
        firstPaymentFailures: a.firstPaymentFailures + 1,
      };
    case 'AgreementCanceled':
      return {
        ...a,
        status: 'canceled',
        canceledBy: event.data.by,
        cancelReason: event.data.expired === true ? 'expired' : null,
        endedAt: event.data.at,
      };
    case 'AgreementCharged':
      return {
        ...a,
        status: a.status === 'past_due' ? 'active' : a.status,
        paidThrough: event.data.period,
        paidPeriods: a.paidPeriods + 1,
        dunning: a.dunning !== null && a.dunning.period <= event.data.period ? null : a.dunning,
      };
    case 'AgreementChargeFailed': {
      const d = event.data;
      const first = a.dunning?.period === d.period ? a.dunning.firstFailedAt : d.at;
      return {
        ...a,
        status: a.status === 'active' ? 'past_due' : a.status,
        dunning: {
          period: d.period,
          failures: d.attempt + 1,
          firstFailedAt: first,
          nextRetryAt: d.nextRetryAt,
          lastCode: d.code,
        },
      };
    }
    case 'AgreementStopped':
      return { ...a, status: 'stopped', stoppedBy: event.data.by, endedAt: event.data.at };
    case 'AgreementExpired':
      return { ...a, status: 'expired', endedAt: event.data.at, expiryReason: event.data.reason };
  }
}

/** Applies one event; events before AgreementCreated are ignored. */
export function evolve(state: AgreementState, event: AgreementEvent): AgreementState {
  if (event.type === 'AgreementCreated') {
    if (state.status !== 'none') return state;
    const d = event.data;
    return {
      status: 'pending',
      agreementId: d.agreementId,
      providerId: d.providerId,
      requiredSub: d.sub,
      sub: null,
      createdBy: d.createdBy,
      terms: d.terms,
      successRedirect: d.successRedirect,
      cancelRedirect: d.cancelRedirect,
      createdAt: d.createdAt,
      confirmBy: d.confirmBy ?? null,
      methodId: null,
      methodLabel: null,
      subscriptionId: null,
      confirmedAt: null,
      paidThrough: 0,
      paidPeriods: 0,
      firstPaymentFailures: 0,
      dunning: null,
      stoppedBy: null,
      canceledBy: null,
      cancelReason: null,
      endedAt: null,
      expiryReason: null,
    };
  }
  return state.status === 'none' ? state : evolveAgreement(state, event);
}
