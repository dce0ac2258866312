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
  | RecordRightIssued;
