import type { AgreementCommand } from '../../domain/agreement/commands.js';
import { agreementDecider } from '../../domain/agreement/decider.js';
import {
  type Agreement,
  confirmationExpired,
  confirmationOverdue,
  isCharging,
  isConfirmed,
} from '../../domain/agreement/state.js';
import { agreementStreamId } from '../../domain/agreement/values.js';
import { DomainError } from '../../domain/kernel/decider.js';
import type { LiveSubscription, SubscriptionState } from '../../domain/subscription/state.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import type { Clock } from '../ports/clock.js';
import type { SubscriptionCommands } from '../subscription/subscription-commands.js';
import type { AgreementCharger, ChargeOutcome } from './agreement-charger.js';
import type { AgreementSettings } from './agreement-settings.js';

export type RenewalSubscriptions = Pick<
  SubscriptionCommands,
  'startCharged' | 'load' | 'renewPeriod' | 'markPastDue' | 'expireUnpaid' | 'cancel' | 'advance'
>;

export interface RenewalDeps {
  readonly handler: CommandHandler;
  readonly subscriptions: RenewalSubscriptions;
  readonly charger: AgreementCharger;
  readonly clock: Clock;
  readonly settings: AgreementSettings;
}

/** What one step of the renewal process did, for the scheduler's report and the hosted page. */
export interface AdvanceOutcome {
  readonly agreement: Agreement;
  /** The charge tried in this step, if any. */
  readonly charge: ChargeOutcome | null;
}

export const agreementNotFound = () =>
  new DomainError('not_found', 'agreement_not_found', 'No such charging agreement.');

/**
 * The renewal process manager of charging agreements. One step (`advance`) reads the agreement and
 * its subscription from their logs and does whatever is due at the clock's now — canceling a pending
 * agreement whose confirmation deadline passed, the first payment, starting the subscription, a
 * renewal charge `chargeLeadMs` before the period ends, a dunning retry, renewing a paid period
 * once it is reached, marking an unpaid period past due, ending the subscription of a stopped or
 * expired agreement — always through the aggregates. It keeps no state of its own, so it can be
 * repeated, run after a crash at any point, or run by two processes at once: each charge is the
 * period's transaction, each try its attempt, each report idempotent.
 *
 * The right of a period that is not paid yet is not issued at all (neither active nor suspended):
 * the period starts, and its right is granted, only once its charge is captured, from the period
 * boundary on, so a renewal recovered during dunning keeps the subscription's calendar.
 */
export class AgreementRenewals {
  constructor(private readonly deps: RenewalDeps) {}

  /** The settings the process runs on (new agreements take their confirmation deadline from them). */
  get settings(): AgreementSettings {
    return this.deps.settings;
  }

  /**
   * Whether the agreement can no longer be confirmed because its deadline passed at the clock's now,
   * whether or not a step has recorded it yet (the hosted page asks this).
   */
  confirmationExpired(a: Agreement): boolean {
    return confirmationExpired(a, this.deps.clock.now());
  }

  async load(agreementId: string): Promise<Agreement> {
    const { state } = await this.deps.handler.load(agreementDecider, agreementStreamId(agreementId));
    if (state.status === 'none') throw agreementNotFound();
    return state;
  }

  async decide(agreementId: string, command: AgreementCommand, ctx: CommandContext): Promise<Agreement> {
    const result = await this.deps.handler.handle(
      agreementDecider,
      agreementStreamId(agreementId),
      command,
      ctx,
    );
    if (result.state.status === 'none') throw agreementNotFound();
    return result.state;
  }

  /** Does what is due for one agreement now; see the class comment. */
  async advance(agreementId: string, ctx: CommandContext): Promise<AdvanceOutcome> {
    let a = await this.load(agreementId);
    if (a.status === 'pending') return { agreement: await this.lapse(a, ctx), charge: null };
    if (!isConfirmed(a)) return { agreement: a, charge: null };
    let charge: ChargeOutcome | null = null;
    if (a.paidThrough === 0) {
      if (!isCharging(a)) return { agreement: a, charge: null };
      charge = await this.deps.charger.charge(a, 1, a.firstPaymentFailures, ctx, true);
      a = await this.report(a, 1, a.firstPaymentFailures, charge, ctx, true);
      // A failed first payment leaves it pending again, which may be past its deadline by now.
      if (a.paidThrough === 0) return { agreement: await this.lapse(a, ctx), charge };
    }
    let s = await this.ensureSubscription(a, ctx);
    s = await this.renewPaid(a, s, ctx);
    if (s.expired) {
      if (isCharging(a)) {
        // Ended some other way (canceled by the provider): nothing more to charge for.
        a = await this.decide(
          a.agreementId,
          { type: 'StopAgreement', by: { kind: 'system', id: 'subscription-ended' } },
          ctx,
        );
      }
      return { agreement: a, charge };
    }
    if (!isCharging(a)) {
      await this.wind(a, s, ctx);
      return { agreement: a, charge };
    }
    // The next charge is for the period after the current one, and only once that one is paid up.
    if (s.current.n !== a.paidThrough || s.cancelAtPeriodEnd) return { agreement: a, charge };
    const now = this.deps.clock.now().getTime();
    const until = Date.parse(s.current.until);
    const lead = until - this.deps.settings.chargeLeadMs;
    if (a.terms.count !== null && a.paidPeriods >= a.terms.count) {
      if (now < lead) return { agreement: a, charge };
      a = await this.decide(a.agreementId, { type: 'CompleteAgreement' }, ctx);
      await this.wind(a, s, ctx);
      return { agreement: a, charge };
    }
    const next = a.paidThrough + 1;
    const attempt = a.dunning?.period === next ? a.dunning.failures : 0;
    const dueAt = attempt === 0 ? lead : Date.parse(a.dunning!.nextRetryAt ?? s.current.until);
    if (now < dueAt) {
      if (attempt > 0 && now >= until) await this.deps.subscriptions.markPastDue(s.subscriptionId, ctx);
      return { agreement: a, charge };
    }
    charge = await this.deps.charger.charge(a, next, attempt, ctx, false);
    a = await this.report(a, next, attempt, charge, ctx, false);
    if (a.status === 'expired') {
      await this.wind(a, s, ctx);
    } else if (a.paidThrough >= next) {
      await this.renewPaid(a, s, ctx);
    } else if (a.dunning !== null && now >= until) {
      await this.deps.subscriptions.markPastDue(s.subscriptionId, ctx);
    }
    return { agreement: a, charge };
  }

  /** Cancels a pending agreement whose confirmation deadline passed; any other is left as it is. */
  private async lapse(a: Agreement, ctx: CommandContext): Promise<Agreement> {
    if (!confirmationOverdue(a, this.deps.clock.now())) return a;
    return this.decide(a.agreementId, { type: 'CancelExpiredAgreement' }, ctx);
  }

  /** Records a try's outcome on the agreement (a pending one records nothing yet). */
  private async report(
    a: Agreement,
    period: number,
    attempt: number,
    outcome: ChargeOutcome,
    ctx: CommandContext,
    first: boolean,
  ): Promise<Agreement> {
    switch (outcome.kind) {
      case 'captured':
        return this.decide(
          a.agreementId,
          {
            type: 'RecordCharge',
            period,
            transactionId: outcome.transaction.transactionId,
            amount: outcome.transaction.amount,
          },
          ctx,
        );
      case 'failed':
        return first
          ? this.decide(
              a.agreementId,
              { type: 'RecordFirstPaymentFailure', transactionId: outcome.transactionId, code: outcome.code },
              ctx,
            )
          : this.decide(
              a.agreementId,
              {
                type: 'RecordChargeFailure',
                period,
                attempt,
                transactionId: outcome.transactionId,
                code: outcome.code,
                retryAfterMs: this.deps.settings.retryAfterMs,
              },
              ctx,
            );
      default:
        return a;
    }
  }

  /** The agreement's subscription, started (charged renewal, the agreed trial) if it is not yet. */
  private async ensureSubscription(a: Agreement, ctx: CommandContext): Promise<LiveSubscription> {
    const subscriptionId = a.subscriptionId!;
    let s: SubscriptionState = await this.deps.subscriptions.load(subscriptionId);
    if (s.status === 'none') {
      await this.deps.subscriptions.startCharged(
        {
          subscriptionId,
          agreementId: a.agreementId,
          providerId: a.providerId,
          sub: a.sub!,
          sku: a.terms.sku,
          trial: a.terms.trial,
        },
        ctx,
      );
      s = await this.deps.subscriptions.load(subscriptionId);
    }
    if (s.status === 'none') throw new Error(`Subscription ${subscriptionId} did not start`);
    return s;
  }

  /** Starts every period already paid for whose turn has come (normally at most one). */
  private async renewPaid(a: Agreement, s: LiveSubscription, ctx: CommandContext): Promise<LiveSubscription> {
    let current = s;
    const now = () => this.deps.clock.now().getTime();
    while (
      !current.expired &&
      current.current.n < a.paidThrough &&
      now() >= Date.parse(current.current.until)
    ) {
      await this.deps.subscriptions.renewPeriod(current.subscriptionId, current.current.n + 1, ctx);
      const next = await this.deps.subscriptions.load(current.subscriptionId);
      if (next.status === 'none') break;
      current = next;
    }
    return current;
  }

  /**
   * Lets the subscription of an agreement that charges no more run out: to the end of the last paid
   * period when stopped or completed; at once (or at the end of a period still paid) when the
   * dunning schedule ran out. A scheduled end is reached by the subscription scheduler, or here.
   */
  private async wind(a: Agreement, s: LiveSubscription, ctx: CommandContext): Promise<void> {
    if (s.expired) return;
    if (a.status === 'expired' && a.expiryReason === 'payment_failed') {
      await this.deps.subscriptions.expireUnpaid(s.subscriptionId, ctx);
    } else if (!s.cancelAtPeriodEnd && s.current.n >= a.paidThrough) {
      await this.deps.subscriptions.cancel(
        a.providerId,
        s.subscriptionId,
        {
          atPeriodEnd: true,
          reason:
            a.status === 'stopped' ? 'The charging agreement was stopped.' : 'Every agreed period was paid.',
        },
        ctx,
      );
    }
    await this.deps.subscriptions.advance(s.subscriptionId, ctx);
  }
}
