import { expect } from 'chai';
import type { PlanOffer, SubscriptionCommand } from '../../../domain/subscription/commands.js';
import { subscriptionDecider } from '../../../domain/subscription/decider.js';
import {
  SubscriptionCancellationScheduled,
  type SubscriptionEvent,
  SubscriptionExpired,
  SubscriptionPastDue,
  SubscriptionPeriodStarted,
  SubscriptionStarted,
} from '../../../domain/subscription/events.js';
import { type LiveSubscription, renewsByItself } from '../../../domain/subscription/state.js';
import { deciderSpec } from '../../support/decider-spec.js';

const subscriptionId = '0190f3c2-7a1b-7c3d-8e4f-000000000051';
const agreementId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a9';
const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const productId = '0190f3c2-7a1b-7c3d-8e4f-0000000000d1';
const T0 = '2026-01-31T10:00:00.000Z';
const FEB28 = '2026-02-28T10:00:00.000Z';
const MAR31 = '2026-03-31T10:00:00.000Z';

const offer: PlanOffer = {
  productId,
  providerId,
  sku: 'news-monthly',
  kind: 'subscription',
  period: 'P1M',
  trial: 'P14D',
  status: 'active',
};
const at = (iso: string) => deciderSpec(subscriptionDecider, { now: new Date(iso) });
const startCharged = (trial?: string | null): SubscriptionCommand => ({
  type: 'StartSubscription',
  subscriptionId,
  sub,
  providerId,
  plan: offer,
  renewal: 'charged',
  agreementId,
  ...(trial === undefined ? {} : { trial }),
});
const plan = { productId, sku: 'news-monthly', period: 'P1M' };
const started = SubscriptionStarted({
  subscriptionId,
  sub,
  providerId,
  plan,
  startedAt: T0,
  renewal: 'charged',
  agreementId,
});
const period1 = SubscriptionPeriodStarted({
  subscriptionId,
  period: 1,
  from: T0,
  until: FEB28,
  productId,
  sku: 'news-monthly',
  trial: false,
  rightState: 'active',
});
const live = [started, period1];
const stateOf = (events: readonly SubscriptionEvent[]) => {
  let s = subscriptionDecider.initialState();
  for (const e of events) s = subscriptionDecider.evolve(s, e);
  return s as LiveSubscription;
};

describe('Subscription decider: renewal by a charging agreement', () => {
  it('starts a charged subscription with the agreement’s trial override (none here)', () => {
    at(T0).given([]).when(startCharged(null)).then([started, period1]);
    const s = stateOf([started, period1]);
    expect(s).to.deep.include({ renewal: 'charged', agreementId, pastDue: false, status: 'active' });
    expect(renewsByItself(s)).to.equal(false);
  });

  it('keeps or replaces the plan’s trial', () => {
    const events = subscriptionDecider.decide(startCharged('P7D'), subscriptionDecider.initialState(), {
      now: new Date(T0),
    });
    expect((events[0] as { data: { plan: { trial?: string } } }).data.plan.trial).to.equal('P7D');
    expect((events[1]!.data as { until: string }).until).to.equal('2026-02-07T10:00:00.000Z');
    at(T0)
      .given([])
      .when({ ...startCharged(), agreementId: undefined } as SubscriptionCommand)
      .thenThrows('agreement_required');
    at(T0).given([]).when(startCharged('soon')).thenThrows('invalid_trial');
  });

  it('an automatic subscription renews by itself, as before', () => {
    const automatic = SubscriptionStarted({ subscriptionId, sub, providerId, plan, startedAt: T0 });
    const s = stateOf([automatic, period1]);
    expect(s.renewal).to.equal('automatic');
    expect(renewsByItself(s)).to.equal(true);
  });

  it('is past due only after the period ended unpaid, once, and the paid renewal clears it', () => {
    at('2026-02-27T10:00:00.000Z')
      .given(live)
      .when({ type: 'MarkSubscriptionPastDue' })
      .thenThrows('renewal_not_due');
    const pastDue = SubscriptionPastDue({ subscriptionId, period: 1, at: FEB28 });
    at(FEB28).given(live).when({ type: 'MarkSubscriptionPastDue' }).then([pastDue]);
    at(FEB28)
      .given([...live, pastDue])
      .when({ type: 'MarkSubscriptionPastDue' })
      .then([]);
    expect(stateOf([...live, pastDue]).status).to.equal('past_due');
    const renewed = SubscriptionPeriodStarted({
      subscriptionId,
      period: 2,
      from: FEB28,
      until: MAR31,
      productId,
      sku: 'news-monthly',
      trial: false,
      rightState: 'active',
    });
    at('2026-03-03T10:00:00.000Z')
      .given([...live, pastDue])
      .when({ type: 'RenewPeriod', period: 2 })
      .then([renewed]);
    expect(stateOf([...live, pastDue, renewed])).to.deep.include({ status: 'active', pastDue: false });
  });

  it('refuses past due and unpaid expiry on an automatic subscription', () => {
    const automatic = [
      SubscriptionStarted({ subscriptionId, sub, providerId, plan, startedAt: T0 }),
      period1,
    ];
    at(FEB28)
      .given(automatic)
      .when({ type: 'MarkSubscriptionPastDue' })
      .thenThrows('not_charged', 'conflict');
    at(FEB28).given(automatic).when({ type: 'ExpireUnpaidSubscription' }).thenThrows('not_charged');
    at(FEB28).given([]).when({ type: 'ExpireUnpaidSubscription' }).thenThrows('subscription_not_found');
  });

  it('expires unpaid at once after the period end, or at the end of a period still paid', () => {
    const expired = SubscriptionExpired({
      subscriptionId,
      at: '2026-03-05T10:00:00.000Z',
      reason: 'payment_failed',
    });
    at('2026-03-05T10:00:00.000Z').given(live).when({ type: 'ExpireUnpaidSubscription' }).then([expired]);
    at('2026-03-05T10:00:00.000Z')
      .given([...live, expired])
      .when({ type: 'ExpireUnpaidSubscription' })
      .then([]);
    at('2026-02-20T10:00:00.000Z')
      .given(live)
      .when({ type: 'ExpireUnpaidSubscription' })
      .then([
        SubscriptionCancellationScheduled({
          subscriptionId,
          effectiveAt: FEB28,
          reason: 'The renewal could not be paid.',
        }),
      ]);
  });
});
