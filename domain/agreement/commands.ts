import type { Money } from '../shared/money.js';
import type { AgreementActor } from './values.js';

/**
 * A catalog product as the caller found it, offered as the agreement's plan. The decider checks that
 * it can be one (a subscription product of the agreement's provider, still on sale, with a price).
 */
export interface AgreementPlanOffer {
  readonly productId: string;
  readonly providerId: string;
  readonly sku: string;
  readonly name: string;
  readonly kind: 'one_time' | 'subscription';
  readonly price: Money;
  readonly vatRate: number;
  readonly period: string | null;
  readonly trial: string | null;
  readonly status: 'active' | 'retired';
}

/** A provider asks for an agreement on one of its subscription plans. */
export interface CreateAgreement {
  readonly type: 'CreateAgreement';
  readonly agreementId: string;
  readonly providerId: string;
  /** The only user who may confirm, when the provider names one. */
  readonly sub?: string;
  readonly createdBy: string;
  readonly plan: AgreementPlanOffer;
  /** Must be the plan's price when given. */
  readonly price?: Money;
  /** `R/<period>` or `R<n>/<period>`; the period must be the plan's. Default `R/<plan period>`. */
  readonly recurrence?: string;
  /** Overrides the plan's trial: a duration, or null for none. Default: the plan's. */
  readonly trial?: string | null;
  /** Charge the first period at confirmation. Default: when there is no trial. */
  readonly firstPayment?: boolean;
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  /**
   * How long the agreement may wait for its confirmation: `confirmBy` is the creation instant plus
   * this (a positive whole number of milliseconds).
   */
  readonly pendingLifetimeMs: number;
}

/** The user agrees, with the saved method renewals will charge. */
export interface ConfirmAgreement {
  readonly type: 'ConfirmAgreement';
  readonly sub: string;
  readonly methodId: string;
  readonly methodLabel: string;
  readonly subscriptionId: string;
}

/** The first payment at confirmation failed (declined); the user may confirm again with another method. */
export interface RecordFirstPaymentFailure {
  readonly type: 'RecordFirstPaymentFailure';
  readonly transactionId: string;
  readonly code: string;
}

/**
 * Withdraws an agreement never confirmed. A user (`by.kind = 'user'`) may withdraw only one that
 * names them: an agreement that names nobody is the provider's to withdraw, or lapses at its
 * deadline, so a stranger who opens its link cannot end it for the user it was meant for.
 */
export interface CancelAgreement {
  readonly type: 'CancelAgreement';
  readonly by: AgreementActor;
}

/**
 * The confirmation deadline of a pending agreement passed: the renewal process cancels it as the
 * system. Refused before the deadline; records nothing once the agreement was confirmed or canceled.
 */
export interface CancelExpiredAgreement {
  readonly type: 'CancelExpiredAgreement';
}

/** The charge for `period` was captured. */
export interface RecordCharge {
  readonly type: 'RecordCharge';
  readonly period: number;
  readonly transactionId: string;
  readonly amount: Money;
}

/**
 * Try `attempt` to charge `period` failed. `retryAfterMs[k]` is how long after the period's first
 * failed try the k-th retry comes; when none is left, the agreement expires.
 */
export interface RecordChargeFailure {
  readonly type: 'RecordChargeFailure';
  readonly period: number;
  readonly attempt: number;
  readonly transactionId: string;
  readonly code: string;
  readonly retryAfterMs: readonly number[];
}

/** No more charges. A pending agreement is canceled instead, under CancelAgreement's rule on who may. */
export interface StopAgreement {
  readonly type: 'StopAgreement';
  readonly by: AgreementActor;
  readonly reason?: string;
}

/** Every agreed period has been paid: the agreement completes. */
export interface CompleteAgreement {
  readonly type: 'CompleteAgreement';
}

export type AgreementCommand =
  | CreateAgreement
  | ConfirmAgreement
  | RecordFirstPaymentFailure
  | CancelAgreement
  | CancelExpiredAgreement
  | RecordCharge
  | RecordChargeFailure
  | StopAgreement
  | CompleteAgreement;
