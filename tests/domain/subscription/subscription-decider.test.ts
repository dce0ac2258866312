import { expect } from 'chai';
import type { PlanOffer, SubscriptionCommand } from '../../../domain/subscription/commands.js';
import { subscriptionDecider } from '../../../domain/subscription/decider.js';
import {
  SubscriptionCanceled,
  SubscriptionCancellationScheduled,
  type SubscriptionEvent,
  subscriptionEvents,
  SubscriptionExpired,
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
} from '../../../domain/subscription/events.js';
import type { LiveSubscription } from '../../../domain/subscription/state.js';
import { periodBoundary, subscriptionStreamId } from '../../../domain/subscription/values.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { deciderSpec } from '../../support/decider-spec.js';

const subscriptionId = '0190f3c2-7a1b-7c3d-8e4f-000000000051';
const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const otherProvider = '0190f3c2-7a1b-7c3d-8e4f-123456789abd';
const rightId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';

const offer = (overrides: Partial<PlanOffer> = {}): PlanOffer => ({
  productId: '0190f3c2-7a1b-7c3d-8e4f-0000000000d1',
  providerId,
  sku: 'news-monthly',
  kind: 'subscription',
  period: 'P1M',
  trial: null,
  status: 'active',
  ...overrides,
});
const monthly = offer();
const trialMonthly = offer({ trial: 'P14D' });
const yearly = offer({
  productId: '0190f3c2-7a1b-7c3d-8e4f-0000000000d2',
  sku: 'news-yearly',
  period: 'P1Y',
});
const oneTime = offer({
  productId: '0190f3c2-7a1b-7c3d-8e4f-0000000000d3',
  sku: 'day-pass',
  kind: 'one_time',
  period: null,
});

const T0 = '2026-01-31T10:00:00.000Z';
const at = (iso: string) => deciderSpec(subscriptionDecider, { now: new Date(iso) });

const start = (plan: PlanOffer = monthly): SubscriptionCommand => ({
  type: 'StartSubscription',
  subscriptionId,
  sub,
  providerId,
  plan,
});
const renew = (period: number): SubscriptionCommand => ({ type: 'RenewPeriod', period });

/** The events a decision at `now` produced, for building the history of later specs. */
function decided(now: string, given: readonly SubscriptionEvent[], command: SubscriptionCommand) {
  let state = subscriptionDecider.initialState();
  for (const e of given) state = subscriptionDecider.evolve(state, e);
  return [...given, ...subscriptionDecider.decide(command, state, { now: new Date(now) })];
}
const stateAfter = (events: readonly SubscriptionEvent[]) => {
  let state = subscriptionDecider.initialState();
  for (const e of events) state = subscriptionDecider.evolve(state, e);
  return state as LiveSubscription;
};

const plan = { productId: monthly.productId, sku: 'news-monthly', period: 'P1M' };
const period = (
  n: number,
  from: string,
  until: string,
  extra: Partial<SubscriptionPeriodStarted['data']> = {},
) =>
  SubscriptionPeriodStarted({
    subscriptionId,
    period: n,
    from,
    until,
    productId: monthly.productId,
    sku: 'news-monthly',
    trial: false,
    rightState: 'active',
    ...extra,
  });

/** Started on 31 January without trial; period 1 runs to 28 February. */
const started = decided(T0, [], start());
const FEB28 = '2026-02-28T10:00:00.000Z';
const MAR31 = '2026-03-31T10:00:00.000Z';

describe('Subscription decider', () => {
  it('names one stream per subscription', () => {
    expect(subscriptionStreamId(subscriptionId)).to.equal(`subscription-${subscriptionId}`);
  });

  it('writes only events its registry accepts', () => {
    const registry = new EventRegistry(subscriptionEvents);
    const history = decided(FEB28, started, { type: 'CancelSubscription', atPeriodEnd: false });
    for (const e of history) expect(() => registry.encode(e.type, e.data), e.type).not.to.throw();
  });

  describe('StartSubscription', () => {
    it('starts period 1 at once, one plan period long', () => {
      at(T0)
        .given([])
        .when(start())
        .then([
          SubscriptionStarted({ subscriptionId, sub, providerId, plan, startedAt: T0 }),
          period(1, T0, FEB28),
        ]);
    });

    it('starts with the trial as period 1 when the plan has one', () => {
      const state = at(T0).given([]).when(start(trialMonthly)).thenState() as LiveSubscription;
      expect(state.status).to.equal('trialing');
      expect(state.current).to.include({ n: 1, from: T0, until: '2026-02-14T10:00:00.000Z', trial: true });
    });

    it('refuses a one-time product, a retired plan and another provider’s product', () => {
      at(T0).given([]).when(start(oneTime)).thenThrows('not_a_subscription_plan', 'invalid');
      at(T0)
        .given([])
        .when(start(offer({ status: 'retired' })))
        .thenThrows('plan_retired', 'conflict');
      at(T0)
        .given([])
        .when(start(offer({ providerId: otherProvider })))
        .thenThrows('plan_not_found', 'invalid');
    });

    it('refuses a second start and malformed ids', () => {
      at(T0).given(started).when(start()).thenThrows('subscription_exists', 'conflict');
      at(T0)
        .given([])
        .when({ ...start(), sub: 'kari' } as SubscriptionCommand)
        .thenThrows('invalid_sub', 'invalid');
    });
  });

  describe('RenewPeriod (time-driven)', () => {
    it('starts the next period at the exact end of the current one, not a millisecond before', () => {
      at('2026-02-28T09:59:59.999Z').given(started).when(renew(2)).thenThrows('renewal_not_due', 'conflict');
      at(FEB28)
        .given(started)
        .when(renew(2))
        .then([period(2, FEB28, MAR31)]);
    });

    it('counts month boundaries from the start, so short months do not drift', () => {
      let history = started;
      const ends: string[] = [];
      for (let n = 2; n <= 5; n++) {
        const due = stateAfter(history).current.until;
        history = decided(due, history, renew(n));
        ends.push(stateAfter(history).current.until);
      }
      expect(ends).to.deep.equal([
        MAR31,
        '2026-04-30T10:00:00.000Z',
        '2026-05-31T10:00:00.000Z',
        '2026-06-30T10:00:00.000Z',
      ]);
      expect(periodBoundary('2028-01-31T00:00:00.000Z', 'P1M', 1)).to.equal('2028-02-29T00:00:00.000Z');
    });

    it('records nothing for a period already started, and refuses one out of order', () => {
      const twoPeriods = decided(FEB28, started, renew(2));
      at(MAR31).given(twoPeriods).when(renew(2)).then([]);
      at(MAR31).given(twoPeriods).when(renew(4)).thenThrows('period_out_of_order', 'conflict');
    });

    it('ends the trial and starts the first paid period at the trial end', () => {
      const trialing = decided(T0, [], start(trialMonthly));
      const trialEnd = '2026-02-14T10:00:00.000Z';
      at(trialEnd)
        .given(trialing)
        .when(renew(2))
        .then([
          SubscriptionTrialEnded({ subscriptionId, at: trialEnd }),
          period(2, trialEnd, '2026-03-14T10:00:00.000Z'),
        ]);
      expect(stateAfter(decided(trialEnd, trialing, renew(2))).status).to.equal('active');
    });

    it('refuses to renew an unknown subscription', () => {
      at(T0).given([]).when(renew(1)).thenThrows('subscription_not_found', 'not_found');
    });
  });

  describe('suspension', () => {
    const suspended = decided('2026-02-10T00:00:00.000Z', started, {
      type: 'SuspendSubscription',
      reason: 'fraud check',
    });

    it('keeps generating rights, suspended ones', () => {
      expect(suspended.at(-1)).to.deep.equal(
        SubscriptionSuspended({ subscriptionId, at: '2026-02-10T00:00:00.000Z', reason: 'fraud check' }),
      );
      expect(stateAfter(suspended).status).to.equal('suspended');
      at(FEB28)
        .given(suspended)
        .when(renew(2))
        .then([period(2, FEB28, MAR31, { rightState: 'suspended' })]);
    });

    it('reactivates for the next period only', () => {
      const inSuspendedPeriod = decided(FEB28, suspended, renew(2));
      at('2026-03-05T00:00:00.000Z')
        .given(inSuspendedPeriod)
        .when({ type: 'ReactivateSubscription' })
        .then([SubscriptionReactivated({ subscriptionId, at: '2026-03-05T00:00:00.000Z' })]);
      const reactivated = decided('2026-03-05T00:00:00.000Z', inSuspendedPeriod, {
        type: 'ReactivateSubscription',
      });
      expect(stateAfter(reactivated).current.rightState).to.equal('suspended');
      const next = decided(MAR31, reactivated, renew(3)).at(-1) as SubscriptionPeriodStarted;
      expect(next.data.rightState).to.equal('active');
    });

    it('records nothing when suspending twice or reactivating an active subscription', () => {
      at('2026-02-11T00:00:00.000Z').given(suspended).when({ type: 'SuspendSubscription' }).then([]);
      at('2026-02-11T00:00:00.000Z').given(started).when({ type: 'ReactivateSubscription' }).then([]);
    });
  });

  describe('cancellation', () => {
    const pending = decided('2026-02-10T00:00:00.000Z', started, {
      type: 'CancelSubscription',
      atPeriodEnd: true,
    });

    it('schedules the end at the end of the current period', () => {
      expect(pending.at(-1)).to.deep.equal(
        SubscriptionCancellationScheduled({ subscriptionId, effectiveAt: FEB28 }),
      );
      expect(stateAfter(pending).status).to.equal('canceled_at_period_end');
      at('2026-02-11T00:00:00.000Z')
        .given(pending)
        .when({ type: 'CancelSubscription', atPeriodEnd: true })
        .then([]);
    });

    it('expires at the exact period end instead of renewing, once', () => {
      at('2026-02-28T09:59:59.999Z').given(pending).when(renew(2)).thenThrows('renewal_not_due');
      at(FEB28)
        .given(pending)
        .when(renew(2))
        .then([SubscriptionExpired({ subscriptionId, at: FEB28, reason: 'period_end' })]);
      const ended = decided(FEB28, pending, renew(2));
      expect(stateAfter(ended).status).to.equal('expired');
      at(MAR31).given(ended).when(renew(2)).then([]);
      at(MAR31).given(ended).when(renew(3)).thenThrows('subscription_expired');
    });

    it('can be resumed before the end, but not at or after it', () => {
      at('2026-02-27T00:00:00.000Z')
        .given(pending)
        .when({ type: 'ResumeSubscription' })
        .then([SubscriptionResumed({ subscriptionId })]);
      at(FEB28)
        .given(pending)
        .when({ type: 'ResumeSubscription' })
        .thenThrows('subscription_expired', 'conflict');
      const ended = decided(FEB28, pending, renew(2));
      at(MAR31)
        .given(ended)
        .when({ type: 'ResumeSubscription' })
        .thenThrows('subscription_expired', 'conflict');
      at('2026-02-27T00:00:00.000Z').given(started).when({ type: 'ResumeSubscription' }).then([]);
    });

    it('ends at once when canceled now, and nothing revives it', () => {
      const now = '2026-02-10T00:00:00.000Z';
      at(now)
        .given(started)
        .when({ type: 'CancelSubscription', atPeriodEnd: false, reason: 'moved abroad' })
        .then([
          SubscriptionCanceled({ subscriptionId, at: now, reason: 'moved abroad' }),
          SubscriptionExpired({ subscriptionId, at: now, reason: 'canceled' }),
        ]);
      const canceled = decided(now, started, { type: 'CancelSubscription', atPeriodEnd: false });
      for (const command of [
        { type: 'ReactivateSubscription' },
        { type: 'SuspendSubscription' },
        { type: 'ResumeSubscription' },
        { type: 'CancelSubscription', atPeriodEnd: true },
        { type: 'ChangeSubscriptionPlan', plan: yearly },
      ] as SubscriptionCommand[]) {
        at(now).given(canceled).when(command).thenThrows('subscription_expired', 'conflict');
      }
      at(FEB28).given(canceled).when(renew(2)).thenThrows('subscription_expired', 'conflict');
    });

    it('reactivating an expired subscription is refused', () => {
      const suspendedThenEnded = decided(
        FEB28,
        decided('2026-02-10T00:00:00.000Z', pending, { type: 'SuspendSubscription' }),
        renew(2),
      );
      expect(stateAfter(suspendedThenEnded).status).to.equal('expired');
      at(MAR31)
        .given(suspendedThenEnded)
        .when({ type: 'ReactivateSubscription' })
        .thenThrows('subscription_expired');
    });
  });

  describe('plan change', () => {
    const change = (p: PlanOffer): SubscriptionCommand => ({ type: 'ChangeSubscriptionPlan', plan: p });
    const now = '2026-02-10T00:00:00.000Z';
    const yearlyPlan = { productId: yearly.productId, sku: 'news-yearly', period: 'P1Y' };

    it('takes effect from the next period, with the new plan’s period', () => {
      at(now)
        .given(started)
        .when(change(yearly))
        .then([
          SubscriptionPlanChangeScheduled({
            subscriptionId,
            plan: yearlyPlan,
            fromPeriod: 2,
            effectiveAt: FEB28,
          }),
        ]);
      const scheduled = decided(now, started, change(yearly));
      at(FEB28)
        .given(scheduled)
        .when(renew(2))
        .then([
          SubscriptionPlanChanged({
            subscriptionId,
            plan: yearlyPlan,
            previousProductId: monthly.productId,
            at: FEB28,
          }),
          period(2, FEB28, '2027-02-28T10:00:00.000Z', { productId: yearly.productId, sku: 'news-yearly' }),
        ]);
    });

    it('withdraws the change when the current plan is chosen again, and ignores repeats', () => {
      const scheduled = decided(now, started, change(yearly));
      at(now).given(scheduled).when(change(yearly)).then([]);
      at(now)
        .given(scheduled)
        .when(change(monthly))
        .then([SubscriptionPlanChangeCanceled({ subscriptionId })]);
      at(now).given(started).when(change(monthly)).then([]);
    });

    it('refuses a non-subscription product, another provider’s plan and a pending cancellation', () => {
      at(now).given(started).when(change(oneTime)).thenThrows('not_a_subscription_plan', 'invalid');
      at(now)
        .given(started)
        .when(change(offer({ providerId: otherProvider })))
        .thenThrows('plan_not_found', 'invalid');
      const pending = decided(now, started, { type: 'CancelSubscription', atPeriodEnd: true });
      at(now).given(pending).when(change(yearly)).thenThrows('cancellation_scheduled', 'conflict');
    });
  });

  describe('RecordRightIssued', () => {
    it('links a started period to its right, once', () => {
      at(T0)
        .given(started)
        .when({ type: 'RecordRightIssued', period: 1, rightId })
        .then([SubscriptionRightIssued({ subscriptionId, period: 1, rightId })]);
      expect(stateAfter(started).pendingRights.map((p) => p.n)).to.deep.equal([1]);
      const recorded = decided(T0, started, { type: 'RecordRightIssued', period: 1, rightId });
      expect(stateAfter(recorded).pendingRights).to.deep.equal([]);
      at(T0).given(recorded).when({ type: 'RecordRightIssued', period: 1, rightId }).then([]);
    });

    it('refuses a period that has not started', () => {
      at(T0)
        .given(started)
        .when({ type: 'RecordRightIssued', period: 2, rightId })
        .thenThrows('period_not_started');
    });
  });
});
