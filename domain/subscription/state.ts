import type { SubscriptionEvent } from './events.js';
import type { Plan, Renewal, RightState, SubscriptionStatus } from './values.js';

/** One started period and the right it generates. */
export interface PeriodRecord {
  readonly n: number;
  readonly from: string;
  readonly until: string;
  readonly productId: string;
  readonly sku: string;
  readonly trial: boolean;
  readonly rightState: RightState;
}

/** Where the current plan's period boundaries are counted from (see periodBoundary). */
export interface Anchor {
  readonly at: string;
  /** The period that starts at `at`. */
  readonly period: number;
}

export interface LiveSubscription {
  readonly status: SubscriptionStatus;
  readonly subscriptionId: string;
  readonly sub: string;
  readonly providerId: string;
  readonly plan: Plan;
  readonly renewal: Renewal;
  readonly agreementId: string | null;
  /** A charged subscription whose period ended before the next one was paid. */
  readonly pastDue: boolean;
  readonly scheduledPlan: Plan | null;
  readonly current: PeriodRecord;
  /** Null until the first non-trial period starts, and again after a trial ends or the plan changes. */
  readonly anchor: Anchor | null;
  readonly suspended: boolean;
  readonly cancelAtPeriodEnd: boolean;
  readonly expired: boolean;
  readonly endedAt: string | null;
  /** Started periods whose right has not been recorded as issued yet, oldest first. */
  readonly pendingRights: readonly PeriodRecord[];
}

export type SubscriptionState = { readonly status: 'none' } | LiveSubscription;

type Flags = Pick<LiveSubscription, 'expired' | 'suspended' | 'cancelAtPeriodEnd'> & {
  trial: boolean;
  pastDue?: boolean;
};

/** The status readers see, from the independent flags the aggregate keeps. */
export function statusOf(flags: Flags): SubscriptionStatus {
  if (flags.expired) return 'expired';
  if (flags.pastDue === true) return 'past_due';
  if (flags.suspended) return 'suspended';
  if (flags.cancelAtPeriodEnd) return 'canceled_at_period_end';
  return flags.trial ? 'trialing' : 'active';
}

function withStatus(s: Omit<LiveSubscription, 'status'>): LiveSubscription {
  return { ...s, status: statusOf({ ...s, trial: s.current.trial }) };
}

/** Applies one event. Events before SubscriptionStarted and unknown periods are ignored. */
export function evolveSubscription(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  if (event.type === 'SubscriptionStarted') {
    const d = event.data;
    // Placeholder period 0 ending at the start: period 1 follows in the same append.
    const current: PeriodRecord = {
      n: 0,
      from: d.startedAt,
      until: d.startedAt,
      productId: d.plan.productId,
      sku: d.plan.sku,
      trial: d.plan.trial !== undefined,
      rightState: 'active',
    };
    return withStatus({
      subscriptionId: d.subscriptionId,
      sub: d.sub,
      providerId: d.providerId,
      plan: d.plan,
      renewal: d.renewal ?? 'automatic',
      agreementId: d.agreementId ?? null,
      pastDue: false,
      scheduledPlan: null,
      current,
      anchor: null,
      suspended: false,
      cancelAtPeriodEnd: false,
      expired: false,
      endedAt: null,
      pendingRights: [],
    });
  }
  if (state.status === 'none') return state;
  const { status: _status, ...s } = state;
  switch (event.type) {
    case 'SubscriptionPeriodStarted': {
      const d = event.data;
      const current: PeriodRecord = {
        n: d.period,
        from: d.from,
        until: d.until,
        productId: d.productId,
        sku: d.sku,
        trial: d.trial,
        rightState: d.rightState,
      };
      const anchor = s.anchor ?? (d.trial ? null : { at: d.from, period: d.period });
      return withStatus({
        ...s,
        current,
        anchor,
        pastDue: false,
        pendingRights: [...s.pendingRights, current],
      });
    }
    case 'SubscriptionRightIssued':
      return withStatus({
        ...s,
        pendingRights: s.pendingRights.filter((p) => p.n !== event.data.period),
      });
    case 'SubscriptionTrialEnded':
      return withStatus({ ...s, anchor: null });
    case 'SubscriptionSuspended':
      return withStatus({ ...s, suspended: true });
    case 'SubscriptionReactivated':
      return withStatus({ ...s, suspended: false });
    case 'SubscriptionCancellationScheduled':
      return withStatus({ ...s, cancelAtPeriodEnd: true });
    case 'SubscriptionResumed':
      return withStatus({ ...s, cancelAtPeriodEnd: false });
    case 'SubscriptionCanceled':
      return withStatus({ ...s, endedAt: event.data.at });
    case 'SubscriptionPlanChangeScheduled':
      return withStatus({ ...s, scheduledPlan: event.data.plan });
    case 'SubscriptionPlanChangeCanceled':
      return withStatus({ ...s, scheduledPlan: null });
    case 'SubscriptionPlanChanged':
      return withStatus({ ...s, plan: event.data.plan, scheduledPlan: null, anchor: null });
    case 'SubscriptionPastDue':
      return withStatus({ ...s, pastDue: true });
    case 'SubscriptionExpired':
      return withStatus({
        ...s,
        expired: true,
        pastDue: false,
        cancelAtPeriodEnd: false,
        endedAt: event.data.at,
      });
  }
}

/**
 * Whether the period end moves the subscription on by itself: always for `automatic` renewal; for a
 * `charged` one only when its end is scheduled (the agreement renews paid periods through RenewPeriod).
 */
export function renewsByItself(state: LiveSubscription): boolean {
  return state.renewal === 'automatic' || state.cancelAtPeriodEnd;
}

/** True when a time-driven transition (next period, trial end, expiry) is due at `now`. */
export function isRenewalDue(state: SubscriptionState, now: Date): state is LiveSubscription {
  return state.status !== 'none' && !state.expired && now.getTime() >= Date.parse(state.current.until);
}
