/**
 * A catalog product as the caller found it, offered as a plan. The decider checks that it can be one
 * (a subscription product of the subscription's provider, still on sale), so every way of issuing
 * commands gets the same rules.
 */
export interface PlanOffer {
  readonly productId: string;
  readonly providerId: string;
  readonly sku: string;
  readonly kind: 'one_time' | 'subscription';
  /** The product's period (null for one-time products). */
  readonly period: string | null;
  readonly trial: string | null;
  readonly status: 'active' | 'retired';
}

/** Subscribes `sub` to the plan now; period 1 (the trial, if the plan has one) starts at once. */
export interface StartSubscription {
  readonly type: 'StartSubscription';
  readonly subscriptionId: string;
  readonly sub: string;
  readonly providerId: string;
  readonly plan: PlanOffer;
  /**
   * `automatic` (default): periods follow one another at their ends. `charged`: a charging agreement
   * renews each period once it is paid (RenewPeriod), and the scheduler leaves it alone.
   */
  readonly renewal?: 'automatic' | 'charged';
  /** The charging agreement driving a `charged` subscription. */
  readonly agreementId?: string;
  /** Overrides the plan's trial: a duration, or null for none. */
  readonly trial?: string | null;
}

/**
 * A charged subscription's period has ended and the next one is not paid yet: until it is (or the
 * agreement gives up), the subscription is past due and no further right is issued.
 */
export interface MarkSubscriptionPastDue {
  readonly type: 'MarkSubscriptionPastDue';
}

/**
 * A charged subscription's renewal could not be paid: it ends now, or at the end of the current
 * period when that has not been reached yet (what was paid is never cut short).
 */
export interface ExpireUnpaidSubscription {
  readonly type: 'ExpireUnpaidSubscription';
}

/** From now on, periods issue suspended rights. */
export interface SuspendSubscription {
  readonly type: 'SuspendSubscription';
  readonly reason?: string;
}

/** From the next period on, rights are active again. */
export interface ReactivateSubscription {
  readonly type: 'ReactivateSubscription';
}

/** Ends the subscription now, or schedules its end at the end of the current period. */
export interface CancelSubscription {
  readonly type: 'CancelSubscription';
  readonly atPeriodEnd: boolean;
  readonly reason?: string;
}

/** Withdraws a scheduled cancellation before the period ends. */
export interface ResumeSubscription {
  readonly type: 'ResumeSubscription';
}

/** Switches to another plan from the next period. Choosing the current plan withdraws a scheduled change. */
export interface ChangeSubscriptionPlan {
  readonly type: 'ChangeSubscriptionPlan';
  readonly plan: PlanOffer;
}

/**
 * The current period has reached its end: start period `period` (which must be the next one), or end
 * the subscription when its cancellation was scheduled. This is the seam to payments: a successful
 * renewal charge (Payment issue) issues it; until payments exist the subscription scheduler issues
 * it as soon as the period end is reached. Repeating it for a period already started records
 * nothing, so retries and concurrent schedulers are harmless.
 */
export interface RenewPeriod {
  readonly type: 'RenewPeriod';
  readonly period: number;
}

/** The right for `period` was granted under `rightId`. */
export interface RecordRightIssued {
  readonly type: 'RecordRightIssued';
  readonly period: number;
  readonly rightId: string;
}

export type SubscriptionCommand =
  | StartSubscription
  | SuspendSubscription
  | ReactivateSubscription
  | CancelSubscription
  | ResumeSubscription
  | ChangeSubscriptionPlan
  | RenewPeriod
  | RecordRightIssued
  | MarkSubscriptionPastDue
  | ExpireUnpaidSubscription;
