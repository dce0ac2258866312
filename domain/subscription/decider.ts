import { z } from 'zod';
import { type DecideContext, type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type {
  CancelSubscription,
  ChangeSubscriptionPlan,
  PlanOffer,
  RecordRightIssued,
  RenewPeriod,
  StartSubscription,
  SubscriptionCommand,
  SuspendSubscription,
} from './commands.js';
import {
  SubscriptionCanceled,
  SubscriptionCancellationScheduled,
  type SubscriptionEvent,
  SubscriptionExpired,
  SubscriptionPastDue,
  SubscriptionPeriodStarted,
  SubscriptionPlanChangeCanceled,
  SubscriptionPlanChanged,
  SubscriptionPlanChangeScheduled,
  SubscriptionReactivated,
  SubscriptionResumed,
  SubscriptionRightIssued,
  SubscriptionStarted,
  SubscriptionSuspended,
  SubscriptionTrialEnded,
} from './events.js';
import { evolveSubscription, type LiveSubscription, type SubscriptionState } from './state.js';
import {
  afterDuration,
  instant,
  type Plan,
  PlanSchema,
  periodBoundary,
  SubscriptionReasonSchema,
} from './values.js';

const Uuid = z.uuid();

const notFound = () => new DomainError('not_found', 'subscription_not_found', 'No such subscription.');
const expired = () =>
  new DomainError('conflict', 'subscription_expired', 'The subscription has ended; start a new one.');

/**
 * A live subscription whose scheduled cancellation has been reached is over even before the
 * scheduler records the expiry, so nothing may revive it in between.
 */
function requireLive(state: SubscriptionState, now: Date): LiveSubscription {
  if (state.status === 'none') throw notFound();
  if (state.expired) throw expired();
  if (state.cancelAtPeriodEnd && now.getTime() >= Date.parse(state.current.until)) throw expired();
  return state;
}

/** Checks that a catalog product can be this provider's subscription plan, and turns it into one. */
function toPlan(offer: PlanOffer, providerId: string): Plan {
  if (offer.providerId !== providerId) {
    throw new DomainError('invalid', 'plan_not_found', 'No such plan in this catalog.', 'sku');
  }
  if (offer.kind !== 'subscription' || offer.period === null) {
    throw new DomainError(
      'invalid',
      'not_a_subscription_plan',
      `The product "${offer.sku}" is sold once, not as a subscription.`,
      'sku',
    );
  }
  if (offer.status !== 'active') {
    throw new DomainError('conflict', 'plan_retired', `The product "${offer.sku}" is no longer sold.`, 'sku');
  }
  return ensureValid(
    PlanSchema,
    {
      productId: offer.productId,
      sku: offer.sku,
      period: offer.period,
      ...(offer.trial === null ? {} : { trial: offer.trial }),
    },
    'plan',
    'invalid_plan',
  );
}

/** The plan with its trial replaced (a duration) or removed (null); unchanged when not overridden. */
function withTrial(plan: Plan, trial: string | null | undefined): Plan {
  if (trial === undefined) return plan;
  const { trial: _planTrial, ...rest } = plan;
  if (trial === null) return rest;
  return ensureValid(PlanSchema, { ...rest, trial }, 'trial', 'invalid_trial');
}

const reasonOf = (reason: string | undefined) =>
  reason === undefined
    ? {}
    : { reason: ensureValid(SubscriptionReasonSchema, reason, 'reason', 'invalid_reason') };

function decideStart(command: StartSubscription, state: SubscriptionState, now: Date): SubscriptionEvent[] {
  if (state.status !== 'none') {
    throw new DomainError('conflict', 'subscription_exists', 'This subscription has already started.');
  }
  const subscriptionId = ensureValid(
    Uuid,
    command.subscriptionId,
    'subscriptionId',
    'invalid_subscription_id',
  );
  const sub = ensureValid(Uuid, command.sub, 'sub', 'invalid_sub');
  const providerId = ensureValid(Uuid, command.providerId, 'providerId', 'invalid_provider_id');
  const offered = toPlan(command.plan, providerId);
  const plan = withTrial(offered, command.trial);
  const renewal = command.renewal ?? 'automatic';
  if (renewal === 'charged' && command.agreementId === undefined) {
    throw new DomainError(
      'invalid',
      'agreement_required',
      'A charged subscription names its charging agreement.',
      'agreementId',
    );
  }
  const charged =
    renewal === 'charged'
      ? {
          renewal,
          agreementId: ensureValid(Uuid, command.agreementId, 'agreementId', 'invalid_agreement_id'),
        }
      : {};
  const from = instant(now);
  const trial = plan.trial !== undefined;
  const until =
    plan.trial !== undefined ? afterDuration(from, plan.trial) : periodBoundary(from, plan.period, 1);
  return [
    SubscriptionStarted({ subscriptionId, sub, providerId, plan, startedAt: from, ...charged }),
    SubscriptionPeriodStarted({
      subscriptionId,
      period: 1,
      from,
      until,
      productId: plan.productId,
      sku: plan.sku,
      trial,
      rightState: 'active',
    }),
  ];
}

/**
 * The boundary at the end of the current period: the subscription expires if its cancellation was
 * scheduled; otherwise the next period starts, ending the trial and switching to a scheduled plan
 * where due. Boundaries are counted from the anchor so month lengths never drift.
 */
function decideRenew(command: RenewPeriod, state: SubscriptionState, now: Date): SubscriptionEvent[] {
  if (state.status === 'none') throw notFound();
  const current = state.current;
  if (command.period <= current.n) return [];
  // A boundary already resolved into expiry: a repeated renewal of it is a duplicate, not an error.
  if (state.expired && command.period === current.n + 1 && state.endedAt === current.until) return [];
  if (state.expired) throw expired();
  if (command.period !== current.n + 1) {
    throw new DomainError(
      'conflict',
      'period_out_of_order',
      `Period ${command.period} cannot start before period ${current.n + 1}.`,
      'period',
    );
  }
  if (now.getTime() < Date.parse(current.until)) {
    throw new DomainError(
      'conflict',
      'renewal_not_due',
      `Period ${current.n} runs until ${current.until}; the next one cannot start before.`,
    );
  }
  const { subscriptionId } = state;
  const at = current.until;
  if (state.cancelAtPeriodEnd) return [SubscriptionExpired({ subscriptionId, at, reason: 'period_end' })];

  const events: SubscriptionEvent[] = [];
  let anchor = state.anchor;
  if (current.trial) {
    events.push(SubscriptionTrialEnded({ subscriptionId, at }));
    anchor = null;
  }
  let plan = state.plan;
  if (state.scheduledPlan) {
    events.push(
      SubscriptionPlanChanged({
        subscriptionId,
        plan: state.scheduledPlan,
        previousProductId: state.plan.productId,
        at,
      }),
    );
    plan = state.scheduledPlan;
    anchor = null;
  }
  const n = command.period;
  const start = anchor ?? { at, period: n };
  events.push(
    SubscriptionPeriodStarted({
      subscriptionId,
      period: n,
      from: at,
      until: periodBoundary(start.at, plan.period, n - start.period + 1),
      productId: plan.productId,
      sku: plan.sku,
      trial: false,
      rightState: state.suspended ? 'suspended' : 'active',
    }),
  );
  return events;
}

function decideSuspend(
  command: SuspendSubscription,
  state: SubscriptionState,
  now: Date,
): SubscriptionEvent[] {
  const live = requireLive(state, now);
  if (live.suspended) return [];
  return [
    SubscriptionSuspended({
      subscriptionId: live.subscriptionId,
      at: instant(now),
      ...reasonOf(command.reason),
    }),
  ];
}

function decideReactivate(state: SubscriptionState, now: Date): SubscriptionEvent[] {
  const live = requireLive(state, now);
  if (!live.suspended) return [];
  return [SubscriptionReactivated({ subscriptionId: live.subscriptionId, at: instant(now) })];
}

function decideCancel(command: CancelSubscription, state: SubscriptionState, now: Date): SubscriptionEvent[] {
  const live = requireLive(state, now);
  const { subscriptionId } = live;
  const reason = reasonOf(command.reason);
  if (command.atPeriodEnd) {
    if (live.cancelAtPeriodEnd) return [];
    return [
      SubscriptionCancellationScheduled({ subscriptionId, effectiveAt: live.current.until, ...reason }),
    ];
  }
  const at = instant(now);
  return [
    SubscriptionCanceled({ subscriptionId, at, ...reason }),
    SubscriptionExpired({ subscriptionId, at, reason: 'canceled' }),
  ];
}

function decideResume(state: SubscriptionState, now: Date): SubscriptionEvent[] {
  const live = requireLive(state, now);
  if (!live.cancelAtPeriodEnd) return [];
  return [SubscriptionResumed({ subscriptionId: live.subscriptionId })];
}

function decideChangePlan(
  command: ChangeSubscriptionPlan,
  state: SubscriptionState,
  now: Date,
): SubscriptionEvent[] {
  const live = requireLive(state, now);
  const plan = toPlan(command.plan, live.providerId);
  const { subscriptionId } = live;
  if (live.cancelAtPeriodEnd) {
    throw new DomainError(
      'conflict',
      'cancellation_scheduled',
      'The subscription ends with this period; resume it before changing the plan.',
    );
  }
  if (plan.productId === live.plan.productId) {
    return live.scheduledPlan ? [SubscriptionPlanChangeCanceled({ subscriptionId })] : [];
  }
  if (plan.productId === live.scheduledPlan?.productId) return [];
  return [
    SubscriptionPlanChangeScheduled({
      subscriptionId,
      plan,
      fromPeriod: live.current.n + 1,
      effectiveAt: live.current.until,
    }),
  ];
}

function requireCharged(state: SubscriptionState): LiveSubscription {
  if (state.status === 'none') throw notFound();
  if (state.renewal !== 'charged') {
    throw new DomainError(
      'conflict',
      'not_charged',
      'Only a subscription renewed by a charging agreement can fall due unpaid.',
    );
  }
  return state;
}

/** Past due only once the period has ended unpaid; a repeat, or an ending subscription, records nothing. */
function decideMarkPastDue(state: SubscriptionState, now: Date): SubscriptionEvent[] {
  const live = requireCharged(state);
  if (live.expired || live.pastDue || live.cancelAtPeriodEnd) return [];
  if (now.getTime() < Date.parse(live.current.until)) {
    throw new DomainError(
      'conflict',
      'renewal_not_due',
      `Period ${live.current.n} runs until ${live.current.until}; it cannot be past due before.`,
    );
  }
  return [
    SubscriptionPastDue({ subscriptionId: live.subscriptionId, period: live.current.n, at: instant(now) }),
  ];
}

/**
 * The agreement gave up on the renewal: the subscription ends now, or — when the paid period has
 * not ended yet — at its end, so what was paid for is never cut short.
 */
function decideExpireUnpaid(state: SubscriptionState, now: Date): SubscriptionEvent[] {
  const live = requireCharged(state);
  if (live.expired) return [];
  const { subscriptionId } = live;
  if (now.getTime() < Date.parse(live.current.until)) {
    if (live.cancelAtPeriodEnd) return [];
    return [
      SubscriptionCancellationScheduled({
        subscriptionId,
        effectiveAt: live.current.until,
        reason: 'The renewal could not be paid.',
      }),
    ];
  }
  return [SubscriptionExpired({ subscriptionId, at: instant(now), reason: 'payment_failed' })];
}

function decideRecordRight(command: RecordRightIssued, state: SubscriptionState): SubscriptionEvent[] {
  if (state.status === 'none') throw notFound();
  const rightId = ensureValid(Uuid, command.rightId, 'rightId', 'invalid_right_id');
  if (!Number.isInteger(command.period) || command.period < 1 || command.period > state.current.n) {
    throw new DomainError(
      'conflict',
      'period_not_started',
      `Period ${command.period} has not started.`,
      'period',
    );
  }
  if (!state.pendingRights.some((p) => p.n === command.period)) return [];
  return [SubscriptionRightIssued({ subscriptionId: state.subscriptionId, period: command.period, rightId })];
}

/**
 * A subscription: a right generator. Each period is recorded as it starts, with the interval and
 * state of its right; suspension makes new periods issue suspended rights, reactivation makes the
 * next period's right active again (it never revives rights already issued), and expiry is final.
 * Every time-driven transition is decided with `context.now`, never wall time.
 */
export const subscriptionDecider: Decider<SubscriptionState, SubscriptionCommand, SubscriptionEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve: evolveSubscription,
  decide(command, state, context: DecideContext) {
    const now = context.now;
    switch (command.type) {
      case 'StartSubscription':
        return decideStart(command, state, now);
      case 'RenewPeriod':
        return decideRenew(command, state, now);
      case 'SuspendSubscription':
        return decideSuspend(command, state, now);
      case 'ReactivateSubscription':
        return decideReactivate(state, now);
      case 'CancelSubscription':
        return decideCancel(command, state, now);
      case 'ResumeSubscription':
        return decideResume(state, now);
      case 'ChangeSubscriptionPlan':
        return decideChangePlan(command, state, now);
      case 'RecordRightIssued':
        return decideRecordRight(command, state);
      case 'MarkSubscriptionPastDue':
        return decideMarkPastDue(state, now);
      case 'ExpireUnpaidSubscription':
        return decideExpireUnpaid(state, now);
    }
  },
};
