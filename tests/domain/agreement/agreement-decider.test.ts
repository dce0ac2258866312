import { expect } from 'chai';
import type {
  AgreementCommand,
  AgreementPlanOffer,
  CreateAgreement,
} from '../../../domain/agreement/commands.js';
import { agreementDecider } from '../../../domain/agreement/decider.js';
import {
  AgreementCanceled,
  AgreementCharged,
  AgreementChargeFailed,
  AgreementConfirmed,
  AgreementCreated,
  agreementEvents,
  AgreementExpired,
  AgreementFirstPaymentFailed,
  AgreementStopped,
} from '../../../domain/agreement/events.js';
import type { Agreement } from '../../../domain/agreement/state.js';
import { parseRecurrence } from '../../../domain/agreement/values.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { deciderSpec } from '../../support/decider-spec.js';

const agreementId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a9';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const otherSub = '0190f3c2-7a1b-7c3d-8e4f-00000000005c';
const methodId = '0190f3c2-7a1b-7c3d-8e4f-0000000000e1';
const tx1 = '0190f3c2-7a1b-7c3d-8e4f-0000000000f1';
const tx2 = '0190f3c2-7a1b-7c3d-8e4f-0000000000f2';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const DAY = 86_400_000;
const SCHEDULE = [DAY, 3 * DAY, 5 * DAY];
const price = { amount: 9900, currency: 'NOK' };
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
/** The default pending lifetime: an agreement made at T0 may be confirmed until T0 + one day. */
const DEADLINE = plus(T0, DAY);

const offer = (overrides: Partial<AgreementPlanOffer> = {}): AgreementPlanOffer => ({
  productId: '0190f3c2-7a1b-7c3d-8e4f-0000000000d1',
  providerId,
  sku: 'news-monthly',
  name: 'News monthly',
  kind: 'subscription',
  price,
  vatRate: 2500,
  period: 'P1M',
  trial: null,
  status: 'active',
  ...overrides,
});

const create = (overrides: Partial<CreateAgreement> = {}): CreateAgreement => ({
  type: 'CreateAgreement',
  agreementId,
  providerId,
  createdBy: 'client-1',
  plan: offer(),
  successRedirect: 'https://shop.example/ok',
  cancelRedirect: 'https://shop.example/cancel',
  pendingLifetimeMs: DAY,
  ...overrides,
});

const terms = (overrides: Record<string, unknown> = {}) => ({
  productId: '0190f3c2-7a1b-7c3d-8e4f-0000000000d1',
  sku: 'news-monthly',
  name: 'News monthly',
  price,
  vatRate: 2500,
  recurrence: 'R/P1M',
  period: 'P1M',
  count: null,
  trial: null,
  firstPayment: true,
  ...overrides,
});

const created = (t = terms(), who: string | null = null, confirmBy: string | null = DEADLINE) =>
  AgreementCreated({
    agreementId,
    providerId,
    sub: who,
    createdBy: 'client-1',
    terms: t,
    successRedirect: 'https://shop.example/ok',
    cancelRedirect: 'https://shop.example/cancel',
    createdAt: T0,
    ...(confirmBy === null ? {} : { confirmBy }),
  });
const confirmed = (who = sub) =>
  AgreementConfirmed({
    agreementId,
    sub: who,
    methodId,
    methodLabel: 'visa •••• 4242',
    subscriptionId: agreementId,
    at: T0,
  });
const charged = (period: number, transactionId = tx1) =>
  AgreementCharged({ agreementId, period, transactionId, amount: price, at: T0 });
const failed = (period: number, attempt: number, at: string, nextRetryAt: string | null) =>
  AgreementChargeFailed({
    agreementId,
    period,
    attempt,
    transactionId: tx2,
    code: 'card_declined',
    at,
    nextRetryAt,
  });

const confirm: AgreementCommand = {
  type: 'ConfirmAgreement',
  sub,
  methodId,
  methodLabel: 'visa •••• 4242',
  subscriptionId: agreementId,
};
const failure = (period: number, attempt: number): AgreementCommand => ({
  type: 'RecordChargeFailure',
  period,
  attempt,
  transactionId: tx2,
  code: 'card_declined',
  retryAfterMs: SCHEDULE,
});

const at = (iso: string) => deciderSpec(agreementDecider, { now: new Date(iso) });
const spec = at(T0);

describe('ChargingAgreement decider', () => {
  it('registers every event with its schema', () => {
    const registry = new EventRegistry(agreementEvents);
    expect(registry.types()).to.have.length(8);
    for (const e of [created(), confirmed(), charged(1), failed(2, 0, T0, T1)]) {
      expect(() => registry.encode(e.type, e.data)).to.not.throw();
    }
  });

  describe('recurrence', () => {
    it('reads R/P1M as open-ended and R12/P1M as twelve periods', () => {
      expect(parseRecurrence('R/P1M')).to.deep.equal({ count: null, period: 'P1M' });
      expect(parseRecurrence('R12/P1M')).to.deep.equal({ count: 12, period: 'P1M' });
    });
    it('refuses what is not a recurrence', () => {
      for (const bad of ['P1M', 'R0/P1M', 'R/P', 'R/1M', 'R-1/P1M', 'R/P1.5M', 'R12']) {
        expect(parseRecurrence(bad), bad).to.equal(null);
      }
    });
  });

  describe('create', () => {
    it('copies the plan into the terms, charging the first period at once without a trial', () => {
      spec.given([]).when(create()).then([created()]);
    });

    it('takes the plan’s trial, and then charges first at the trial’s end', () => {
      spec
        .given([])
        .when(create({ plan: offer({ trial: 'P14D' }) }))
        .then([created(terms({ trial: 'P14D', firstPayment: false }))]);
    });

    it('overrides the trial, or removes it with null', () => {
      spec
        .given([])
        .when(create({ trial: 'P7D' }))
        .then([created(terms({ trial: 'P7D', firstPayment: false }))]);
      spec
        .given([])
        .when(create({ plan: offer({ trial: 'P14D' }), trial: null }))
        .then([created()]);
    });

    it('keeps a count and the user the provider named', () => {
      spec
        .given([])
        .when(create({ recurrence: 'R12/P1M', sub }))
        .then([created(terms({ recurrence: 'R12/P1M', count: 12 }), sub)]);
    });

    it('accepts the plan’s own price and refuses another', () => {
      spec.given([]).when(create({ price })).then([created()]);
      spec
        .given([])
        .when(create({ price: { amount: 100, currency: 'NOK' } }))
        .thenThrows('price_mismatch', 'invalid');
      spec
        .given([])
        .when(create({ price: { amount: 9900, currency: 'SEK' } }))
        .thenThrows('price_mismatch');
    });

    it('refuses a recurrence that is not the plan’s period, or not a recurrence', () => {
      spec
        .given([])
        .when(create({ recurrence: 'R/P1W' }))
        .thenThrows('recurrence_mismatch', 'invalid');
      spec
        .given([])
        .when(create({ recurrence: 'monthly' }))
        .thenThrows('invalid_recurrence', 'invalid');
    });

    it('refuses a trial with a first payment, and no trial without one', () => {
      spec
        .given([])
        .when(create({ trial: 'P7D', firstPayment: true }))
        .thenThrows('trial_with_first_payment');
      spec
        .given([])
        .when(create({ firstPayment: false }))
        .thenThrows('first_payment_required');
    });

    it('refuses what cannot be a plan of this provider', () => {
      spec
        .given([])
        .when(create({ plan: offer({ providerId: sub }) }))
        .thenThrows('plan_not_found', 'invalid');
      spec
        .given([])
        .when(create({ plan: offer({ kind: 'one_time', period: null }) }))
        .thenThrows('not_a_subscription_plan');
      spec
        .given([])
        .when(create({ plan: offer({ status: 'retired' }) }))
        .thenThrows('plan_retired', 'conflict');
      spec
        .given([])
        .when(create({ plan: offer({ price: { amount: 0, currency: 'NOK' } }) }))
        .thenThrows('free_plan');
    });

    it('refuses unsafe redirects and a second creation', () => {
      spec
        .given([])
        .when(create({ successRedirect: 'javascript:alert(1)' }))
        .thenThrows('invalid_redirect');
      spec.given([created()]).when(create()).thenThrows('agreement_exists', 'conflict');
    });
  });

  describe('confirm', () => {
    it('records the user, the method and the subscription', () => {
      spec.given([created()]).when(confirm).then([confirmed()]);
      const state = spec.given([created()]).when(confirm).thenState() as Agreement;
      expect(state).to.deep.include({ status: 'active', sub, methodId, paidThrough: 0 });
    });

    it('counts the trial as paid for', () => {
      const trial = terms({ trial: 'P14D', firstPayment: false });
      const state = spec
        .given([created(trial)])
        .when(confirm)
        .thenState() as Agreement;
      expect(state.paidThrough).to.equal(1);
    });

    it('is only for the user the provider named; anyone else is told it does not exist', () => {
      spec
        .given([created(terms(), otherSub)])
        .when(confirm)
        .thenThrows('agreement_not_found', 'not_found');
    });

    it('ignores a repeat and refuses a second confirmation of another kind', () => {
      spec.given([created(), confirmed()]).when(confirm).then([]);
      spec
        .given([created(), confirmed(otherSub)])
        .when(confirm)
        .thenThrows('agreement_not_found');
      spec
        .given([created(), confirmed()])
        .when({ ...confirm, methodId: otherSub })
        .thenThrows('agreement_not_pending', 'conflict');
    });

    it('refuses a canceled agreement and one that does not exist', () => {
      const canceled = AgreementCanceled({ agreementId, by: { kind: 'user', id: sub }, at: T0 });
      spec.given([created(), canceled]).when(confirm).thenThrows('agreement_canceled', 'conflict');
      spec.given([]).when(confirm).thenThrows('agreement_not_found', 'not_found');
    });

    it('goes back to pending when the first payment fails, for another try', () => {
      const fail: AgreementCommand = {
        type: 'RecordFirstPaymentFailure',
        transactionId: tx1,
        code: 'card_declined',
      };
      const event = AgreementFirstPaymentFailed({
        agreementId,
        transactionId: tx1,
        code: 'card_declined',
        at: T0,
      });
      spec.given([created(), confirmed()]).when(fail).then([event]);
      const state = spec.given([created(), confirmed()]).when(fail).thenState() as Agreement;
      expect(state).to.deep.include({
        status: 'pending',
        sub: null,
        methodId: null,
        firstPaymentFailures: 1,
      });
      spec.given([created(), confirmed(), event]).when(confirm).then([confirmed()]);
      // Once paid, or before confirmation, a first-payment failure is a stale report.
      spec
        .given([created(), confirmed(), charged(1)])
        .when(fail)
        .then([]);
      spec.given([created()]).when(fail).then([]);
    });
  });

  describe('charges', () => {
    const live = [created(), confirmed(), charged(1)];

    it('records a captured charge for the next period, once', () => {
      const charge: AgreementCommand = { type: 'RecordCharge', period: 2, transactionId: tx2, amount: price };
      spec
        .given(live)
        .when(charge)
        .then([charged(2, tx2)]);
      spec
        .given([...live, charged(2, tx2)])
        .when(charge)
        .then([]);
    });

    it('refuses a charge out of order, of another amount, or before confirmation', () => {
      spec
        .given(live)
        .when({ type: 'RecordCharge', period: 3, transactionId: tx2, amount: price })
        .thenThrows('period_out_of_order');
      spec
        .given(live)
        .when({ type: 'RecordCharge', period: 2, transactionId: tx2, amount: { amount: 1, currency: 'NOK' } })
        .thenThrows('amount_mismatch');
      spec
        .given([created()])
        .when({ type: 'RecordCharge', period: 1, transactionId: tx1, amount: price })
        .thenThrows('agreement_not_confirmed');
    });

    it('walks the dunning schedule from the first failed try: after 1, 3 and 5 days, then expires', () => {
      spec
        .given(live)
        .when(failure(2, 0))
        .then([failed(2, 0, T0, plus(T0, DAY))]);
      const state = spec.given(live).when(failure(2, 0)).thenState() as Agreement;
      expect(state.status).to.equal('past_due');
      const T2 = plus(T0, DAY);
      at(T2)
        .given([...live, failed(2, 0, T0, T2)])
        .when(failure(2, 1))
        .then([failed(2, 1, T2, plus(T0, 3 * DAY))]);
      const T3 = plus(T0, 3 * DAY);
      const T5 = plus(T0, 5 * DAY);
      const history = [...live, failed(2, 0, T0, T2), failed(2, 1, T2, T3), failed(2, 2, T3, T5)];
      at(T5)
        .given(history)
        .when(failure(2, 3))
        .then([failed(2, 3, T5, null), AgreementExpired({ agreementId, at: T5, reason: 'payment_failed' })]);
    });

    it('ignores a repeated failure report and refuses one that skips a try', () => {
      const history = [...live, failed(2, 0, T0, T1)];
      spec.given(history).when(failure(2, 0)).then([]);
      spec.given(history).when(failure(2, 2)).thenThrows('attempt_out_of_order');
      spec.given(live).when(failure(1, 0)).then([]);
    });

    it('recovers during dunning: a capture makes it active again and clears the dunning', () => {
      const history = [...live, failed(2, 0, T0, T1)];
      const state = spec
        .given(history)
        .when({ type: 'RecordCharge', period: 2, transactionId: tx2, amount: price })
        .thenState() as Agreement;
      expect(state).to.deep.include({ status: 'active', paidThrough: 2, paidPeriods: 2, dunning: null });
    });

    it('records nothing more to retry once stopped, but still records a capture', () => {
      const stopped = AgreementStopped({ agreementId, by: { kind: 'provider', id: 'client-1' }, at: T0 });
      spec
        .given([...live, stopped])
        .when(failure(2, 0))
        .then([]);
      spec
        .given([...live, stopped])
        .when({ type: 'RecordCharge', period: 2, transactionId: tx2, amount: price })
        .then([charged(2, tx2)]);
    });
  });

  describe('stop, cancel and completion', () => {
    const live = [created(), confirmed(), charged(1)];
    const byProvider = { kind: 'provider' as const, id: 'client-1' };

    it('stops an active or past-due agreement, once', () => {
      const stopped = AgreementStopped({ agreementId, by: byProvider, at: T0, reason: 'moved away' });
      spec.given(live).when({ type: 'StopAgreement', by: byProvider, reason: 'moved away' }).then([stopped]);
      spec
        .given([...live, failed(2, 0, T0, T1)])
        .when({ type: 'StopAgreement', by: byProvider, reason: 'moved away' })
        .then([stopped]);
      spec
        .given([...live, stopped])
        .when({ type: 'StopAgreement', by: byProvider })
        .then([]);
    });

    it('lets the user stop only their own agreement', () => {
      spec
        .given(live)
        .when({ type: 'StopAgreement', by: { kind: 'user', id: sub } })
        .then([AgreementStopped({ agreementId, by: { kind: 'user', id: sub }, at: T0 })]);
      spec
        .given(live)
        .when({ type: 'StopAgreement', by: { kind: 'user', id: otherSub } })
        .thenThrows('agreement_not_found');
    });

    it('cancels a pending agreement (stop or cancel), and refuses to cancel a confirmed one', () => {
      const canceled = AgreementCanceled({ agreementId, by: byProvider, at: T0 });
      spec.given([created()]).when({ type: 'StopAgreement', by: byProvider }).then([canceled]);
      spec.given([created()]).when({ type: 'CancelAgreement', by: byProvider }).then([canceled]);
      spec.given([created(), canceled]).when({ type: 'CancelAgreement', by: byProvider }).then([]);
      spec
        .given(live)
        .when({ type: 'CancelAgreement', by: byProvider })
        .thenThrows('agreement_confirmed', 'conflict');
    });

    it('completes once every agreed period is paid, not before', () => {
      const counted = [created(terms({ recurrence: 'R2/P1M', count: 2 })), confirmed(), charged(1)];
      spec.given(counted).when({ type: 'CompleteAgreement' }).thenThrows('agreement_not_complete');
      const done = [...counted, charged(2, tx2)];
      const expired = AgreementExpired({ agreementId, at: T0, reason: 'completed' });
      spec.given(done).when({ type: 'CompleteAgreement' }).then([expired]);
      spec
        .given([...done, expired])
        .when({ type: 'CompleteAgreement' })
        .then([]);
    });
  });

  describe('confirmation deadline', () => {
    const lapse: AgreementCommand = { type: 'CancelExpiredAgreement' };
    const lapsed = (when: string) =>
      AgreementCanceled({
        agreementId,
        by: { kind: 'system', id: 'confirmation-deadline' },
        at: when,
        expired: true,
      });

    it('is fixed at creation: created at + the pending lifetime', () => {
      at('2026-03-10T08:30:00.000Z')
        .given([])
        .when(create({ pendingLifetimeMs: 2 * 3600_000 }))
        .then([
          AgreementCreated({
            ...created().data,
            createdAt: '2026-03-10T08:30:00.000Z',
            confirmBy: '2026-03-10T10:30:00.000Z',
          }),
        ]);
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        spec
          .given([])
          .when(create({ pendingLifetimeMs: bad }))
          .thenThrows('invalid_pending_lifetime', 'invalid');
      }
    });

    it('allows confirming just before the deadline, and refuses exactly at it', () => {
      at(plus(DEADLINE, -1))
        .given([created()])
        .when(confirm)
        .then([AgreementConfirmed({ ...confirmed().data, at: plus(DEADLINE, -1) })]);
      const refused = at(DEADLINE)
        .given([created()])
        .when(confirm)
        .thenThrows('agreement_expired', 'conflict');
      expect(refused.message).to.include(DEADLINE);
      at(plus(DEADLINE, DAY)).given([created()]).when(confirm).thenThrows('agreement_expired');
    });

    it('is canceled by the system once passed, marked expired, and cannot be confirmed after', () => {
      spec.given([created()]).when(lapse).thenThrows('confirmation_deadline_not_reached', 'conflict');
      at(plus(DEADLINE, -1)).given([created()]).when(lapse).thenThrows('confirmation_deadline_not_reached');
      at(DEADLINE)
        .given([created()])
        .when(lapse)
        .then([lapsed(DEADLINE)]);
      const state = at(DEADLINE).given([created()]).when(lapse).thenState() as Agreement;
      expect(state).to.deep.include({
        status: 'canceled',
        canceledBy: { kind: 'system', id: 'confirmation-deadline' },
        cancelReason: 'expired',
        endedAt: DEADLINE,
      });
      const later = at(plus(DEADLINE, DAY));
      later
        .given([created(), lapsed(DEADLINE)])
        .when(lapse)
        .then([]);
      later
        .given([created(), lapsed(DEADLINE)])
        .when(confirm)
        .thenThrows('agreement_expired');
    });

    it('does not end an agreement confirmed in time, but does once its first payment failed', () => {
      const after = at(plus(DEADLINE, 1));
      after.given([created(), confirmed()]).when(lapse).then([]);
      after
        .given([created(), confirmed(), charged(1)])
        .when(lapse)
        .then([]);
      const firstFailed = AgreementFirstPaymentFailed({
        agreementId,
        transactionId: tx1,
        code: 'action_abandoned',
        at: DEADLINE,
      });
      after
        .given([created(), confirmed(), firstFailed])
        .when(lapse)
        .then([lapsed(plus(DEADLINE, 1))]);
    });

    it('never passes for an agreement created before deadlines existed', () => {
      const old = created(terms(), null, null);
      expect(old.data).to.not.have.property('confirmBy');
      expect(() => new EventRegistry(agreementEvents).encode(old.type, old.data)).to.not.throw();
      const years = at(plus(T0, 3 * 365 * DAY));
      years.given([old]).when(lapse).thenThrows('confirmation_deadline_not_reached');
      years
        .given([old])
        .when(confirm)
        .then([AgreementConfirmed({ ...confirmed().data, at: plus(T0, 3 * 365 * DAY) })]);
    });
  });

  describe('who may cancel a pending agreement', () => {
    const byUser = (id: string) => ({ kind: 'user' as const, id });
    const byProvider = { kind: 'provider' as const, id: 'client-1' };

    it('refuses a user’s cancel or stop of an agreement that names nobody', () => {
      for (const type of ['CancelAgreement', 'StopAgreement'] as const) {
        spec
          .given([created()])
          .when({ type, by: byUser(sub) })
          .thenThrows('agreement_not_named', 'forbidden');
      }
      // Still so after a first payment failed and put it back to pending.
      const firstFailed = AgreementFirstPaymentFailed({
        agreementId,
        transactionId: tx1,
        code: 'card_declined',
        at: T0,
      });
      spec
        .given([created(), confirmed(), firstFailed])
        .when({ type: 'CancelAgreement', by: byUser(sub) })
        .thenThrows('agreement_not_named');
    });

    it('lets the named user cancel, and tells anyone else it does not exist', () => {
      const named = created(terms(), sub);
      for (const type of ['CancelAgreement', 'StopAgreement'] as const) {
        spec
          .given([named])
          .when({ type, by: byUser(sub) })
          .then([AgreementCanceled({ agreementId, by: byUser(sub), at: T0 })]);
        spec
          .given([named])
          .when({ type, by: byUser(otherSub) })
          .thenThrows('agreement_not_found', 'not_found');
      }
      const state = spec
        .given([named])
        .when({ type: 'CancelAgreement', by: byUser(sub) })
        .thenState() as Agreement;
      expect(state).to.deep.include({ status: 'canceled', canceledBy: byUser(sub), cancelReason: null });
    });

    it('keeps the provider’s and the system’s cancels of an unnamed agreement', () => {
      spec
        .given([created()])
        .when({ type: 'StopAgreement', by: byProvider })
        .then([AgreementCanceled({ agreementId, by: byProvider, at: T0 })]);
      const system = { kind: 'system' as const, id: 'subscription-ended' };
      spec
        .given([created()])
        .when({ type: 'CancelAgreement', by: system })
        .then([AgreementCanceled({ agreementId, by: system, at: T0 })]);
    });
  });
});
