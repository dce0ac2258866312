import { inject, injectable } from 'inversify';
import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../domain/kernel/decider.js';
import type { SubscriptionCommand } from '../../domain/subscription/commands.js';
import { subscriptionDecider } from '../../domain/subscription/decider.js';
import {
  isRenewalDue,
  type LiveSubscription,
  renewsByItself,
  type SubscriptionState,
} from '../../domain/subscription/state.js';
import { type SubscriptionStatus, subscriptionStreamId } from '../../domain/subscription/values.js';
import type { CommandContext, CommandHandler, HandleResult } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { Views } from '../ports/views.js';
import { RIGHT_ISSUER, type RightIssuer } from '../right/right-issuer.js';
import { PORTS } from '../tokens.js';
import { findPlanOffer } from './plan-lookup.js';

/** Namespace of the UUID v5 right ids derived from `<subscriptionId>:<period>`. Never change it. */
export const SUBSCRIPTION_RIGHT_NAMESPACE = '9b0054e1-65e7-419d-9257-9898420f3460';

/** The id of the right a subscription's period generates: the same on every retry, in every process. */
export function subscriptionRightId(subscriptionId: string, period: number): string {
  return uuidv5(`${subscriptionId}:${period}`, SUBSCRIPTION_RIGHT_NAMESPACE);
}

/**
 * Time-driven catch-up is bounded per call so a subscription with a very short period after a long
 * outage cannot hold a scheduler tick for ever; the next tick continues where this one stopped.
 */
const MAX_RENEWALS_PER_ADVANCE = 100;

export interface SubscriptionWriteResult {
  readonly subscriptionId: string;
  /** Highest log position written (pass as `minPosition`); null when nothing was recorded. */
  readonly position: number | null;
  readonly status: SubscriptionStatus;
  /** True when a start with the same idempotency key was found and nothing new was started. */
  readonly deduplicated: boolean;
}

export interface StartOptions {
  readonly idempotencyKey?: string;
}

export interface CancelInput {
  /** True: end at the end of the current period (can be resumed until then). False: end now. */
  readonly atPeriodEnd: boolean;
  readonly reason?: string;
}

export interface AdvanceResult {
  /** Periods started (or expiries recorded) by this call. */
  readonly transitions: number;
  /** Rights this call created, including ones found missing after a crash. */
  readonly rightsIssued: number;
  readonly position: number | null;
}

const maxPosition = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * Write side of subscriptions, scoped to the provider that owns them: another provider's
 * subscription is `subscription_not_found`. Every started period's right is granted through the
 * RightIssuer with a deterministic right id and then recorded on the subscription
 * (SubscriptionRightIssued), so a crash between the two is repaired by granting again (a no-op for
 * the Right aggregate if the first grant got through) — by the next command or scheduler tick.
 * Commands first catch up transitions that are due, so they act on the current period.
 */
@injectable()
export class SubscriptionCommands {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(PORTS.Views) private readonly views: Views,
    @inject(RIGHT_ISSUER) private readonly rights: RightIssuer,
    @inject(PORTS.Clock) private readonly clock: Clock,
  ) {}

  /** Subscribes `sub` to the provider's plan with this SKU; period 1 and its right start now. */
  async start(
    providerId: string,
    sub: string,
    sku: string,
    ctx: CommandContext,
    options: StartOptions = {},
  ): Promise<SubscriptionWriteResult> {
    const plan = await findPlanOffer(this.views, providerId, sku);
    const subscriptionId = newId();
    const key = options.idempotencyKey;
    const result = await this.handler.handle(
      subscriptionDecider,
      subscriptionStreamId(subscriptionId),
      { type: 'StartSubscription', subscriptionId, sub, providerId, plan },
      ctx,
      key === undefined
        ? {}
        : {
            idempotency: {
              key,
              scope: `${ctx.actor.kind}:${ctx.actor.id}`,
              request: { op: 'startSubscription', providerId, sub, sku },
            },
          },
    );
    const live = result.state as LiveSubscription;
    const issued = await this.issuePendingRights(live, ctx);
    return {
      subscriptionId: live.subscriptionId,
      position: maxPosition(result.position, issued.position),
      status: statusOf(issued.state),
      deduplicated: result.deduplicated,
    };
  }

  /** From now on, periods issue suspended rights (the current period's right is left as it is). */
  suspend(providerId: string, subscriptionId: string, ctx: CommandContext, reason?: string) {
    return this.run(
      providerId,
      subscriptionId,
      { type: 'SuspendSubscription', ...(reason ? { reason } : {}) },
      ctx,
    );
  }

  /** Rights are active again from the next period; those issued while suspended stay suspended. */
  reactivate(providerId: string, subscriptionId: string, ctx: CommandContext) {
    return this.run(providerId, subscriptionId, { type: 'ReactivateSubscription' }, ctx);
  }

  /**
   * Cancels now or at the end of the current period. Canceling now does not terminate the current
   * period's right: a caller that wants access to stop at once terminates that right as well.
   */
  cancel(providerId: string, subscriptionId: string, input: CancelInput, ctx: CommandContext) {
    return this.run(
      providerId,
      subscriptionId,
      {
        type: 'CancelSubscription',
        atPeriodEnd: input.atPeriodEnd,
        ...(input.reason ? { reason: input.reason } : {}),
      },
      ctx,
    );
  }

  /** Withdraws a cancellation scheduled for the end of the current period. */
  resume(providerId: string, subscriptionId: string, ctx: CommandContext) {
    return this.run(providerId, subscriptionId, { type: 'ResumeSubscription' }, ctx);
  }

  /** Switches to the provider's plan with this SKU from the next period. */
  async changePlan(providerId: string, subscriptionId: string, sku: string, ctx: CommandContext) {
    await this.owned(providerId, subscriptionId);
    const plan = await findPlanOffer(this.views, providerId, sku);
    return this.run(providerId, subscriptionId, { type: 'ChangeSubscriptionPlan', plan }, ctx);
  }

  /**
   * Starts a subscription renewed by a charging agreement (`renewal: 'charged'`) under the id the
   * agreement chose, so a repeat after a crash finds it instead of starting a second one. `trial`
   * overrides the plan's (null: none). The scheduler never renews it by time: the agreement does,
   * period by period, once each is paid (renewPeriod).
   */
  async startCharged(
    input: {
      readonly subscriptionId: string;
      readonly agreementId: string;
      readonly providerId: string;
      readonly sub: string;
      readonly sku: string;
      readonly trial: string | null;
    },
    ctx: CommandContext,
  ): Promise<SubscriptionWriteResult> {
    const existing = await this.load(input.subscriptionId);
    let state: SubscriptionState = existing;
    let position: number | null = null;
    if (existing.status === 'none') {
      const plan = await findPlanOffer(this.views, input.providerId, input.sku);
      try {
        const result = await this.handler.handle(
          subscriptionDecider,
          subscriptionStreamId(input.subscriptionId),
          {
            type: 'StartSubscription',
            subscriptionId: input.subscriptionId,
            sub: input.sub,
            providerId: input.providerId,
            plan,
            renewal: 'charged',
            agreementId: input.agreementId,
            trial: input.trial,
          },
          ctx,
        );
        state = result.state;
        position = result.position;
      } catch (err) {
        // Started meanwhile by another process: carry on with that one.
        if (!(err instanceof DomainError && err.code === 'subscription_exists')) throw err;
        state = await this.load(input.subscriptionId);
      }
    }
    const issued = await this.issuePendingRights(state, ctx);
    return {
      subscriptionId: input.subscriptionId,
      position: maxPosition(position, issued.position),
      status: statusOf(issued.state),
      deduplicated: existing.status !== 'none',
    };
  }

  /** The subscription as its log tells it (the agreement process decides from this, never a read model). */
  async load(subscriptionId: string): Promise<SubscriptionState> {
    return (await this.handler.load(subscriptionDecider, subscriptionStreamId(subscriptionId))).state;
  }

  /** A charged subscription's period ended unpaid: past due until paid or expired. */
  markPastDue(subscriptionId: string, ctx: CommandContext): Promise<SubscriptionWriteResult> {
    return this.direct(subscriptionId, { type: 'MarkSubscriptionPastDue' }, ctx);
  }

  /** The agreement gave up collecting: the subscription ends (at the end of a period still paid). */
  expireUnpaid(subscriptionId: string, ctx: CommandContext): Promise<SubscriptionWriteResult> {
    return this.direct(subscriptionId, { type: 'ExpireUnpaidSubscription' }, ctx);
  }

  private async direct(
    subscriptionId: string,
    command: SubscriptionCommand,
    ctx: CommandContext,
  ): Promise<SubscriptionWriteResult> {
    const result = await this.handle(subscriptionId, command, ctx);
    return {
      subscriptionId,
      position: result.position,
      status: statusOf(result.state),
      deduplicated: false,
    };
  }

  /**
   * The renewal seam for payments: starts period `period` once the current one has ended (or
   * records the expiry when cancellation was scheduled), then grants its right. A repeat for a
   * period already started does nothing. A charging agreement calls it once the period is paid;
   * subscriptions without one are renewed by the scheduler through advance() as periods end.
   */
  async renewPeriod(
    subscriptionId: string,
    period: number,
    ctx: CommandContext,
  ): Promise<SubscriptionWriteResult> {
    const result = await this.handle(subscriptionId, { type: 'RenewPeriod', period }, ctx);
    const issued = await this.issuePendingRights(result.state as LiveSubscription, ctx);
    return {
      subscriptionId,
      position: maxPosition(result.position, issued.position),
      status: statusOf(issued.state),
      deduplicated: false,
    };
  }

  /**
   * Runs every transition due at the clock's now (trial end, next periods, expiry at the end of a
   * canceled period) and grants every right still missing. Safe to repeat and to run in several
   * processes at once: the decider refuses nothing twice and records a period once.
   */
  async advance(subscriptionId: string, ctx: CommandContext): Promise<AdvanceResult> {
    let { state } = await this.handler.load(subscriptionDecider, subscriptionStreamId(subscriptionId));
    if (state.status === 'none') throw notFound();
    let position: number | null = null;
    let transitions = 0;
    let rightsIssued = 0;
    for (let step = 0; ; step++) {
      const issued = await this.issuePendingRights(state, ctx);
      rightsIssued += issued.count;
      position = maxPosition(position, issued.position);
      state = issued.state;
      if (step >= MAX_RENEWALS_PER_ADVANCE || !isRenewalDue(state, this.clock.now())) break;
      // A charged subscription's periods are renewed by its agreement once paid, never by time alone.
      if (!renewsByItself(state)) break;
      const next = state.current.n + 1;
      const renewed = await this.handle(subscriptionId, { type: 'RenewPeriod', period: next }, ctx, true);
      if (!renewed) break;
      if (renewed.events.length > 0) transitions++;
      position = maxPosition(position, renewed.position);
      state = renewed.state;
    }
    return { transitions, rightsIssued, position };
  }

  private async owned(providerId: string, subscriptionId: string): Promise<LiveSubscription> {
    const { state } = await this.handler.load(subscriptionDecider, subscriptionStreamId(subscriptionId));
    if (state.status === 'none' || state.providerId !== providerId) throw notFound();
    return state;
  }

  private async run(
    providerId: string,
    subscriptionId: string,
    command: SubscriptionCommand,
    ctx: CommandContext,
  ): Promise<SubscriptionWriteResult> {
    await this.owned(providerId, subscriptionId);
    const caughtUp = await this.advance(subscriptionId, ctx);
    const result = await this.handle(subscriptionId, command, ctx);
    return {
      subscriptionId,
      position: maxPosition(caughtUp.position, result.position),
      status: statusOf(result.state),
      deduplicated: false,
    };
  }

  private handle(
    subscriptionId: string,
    command: SubscriptionCommand,
    ctx: CommandContext,
  ): Promise<HandleResult<SubscriptionState>>;
  private handle(
    subscriptionId: string,
    command: SubscriptionCommand,
    ctx: CommandContext,
    stopWhenExpired: true,
  ): Promise<HandleResult<SubscriptionState> | null>;
  private async handle(
    subscriptionId: string,
    command: SubscriptionCommand,
    ctx: CommandContext,
    stopWhenExpired = false,
  ): Promise<HandleResult<SubscriptionState> | null> {
    try {
      return await this.handler.handle(
        subscriptionDecider,
        subscriptionStreamId(subscriptionId),
        command,
        ctx,
      );
    } catch (err) {
      // Another process ended the subscription between our load and our renewal: nothing left to do.
      if (stopWhenExpired && err instanceof DomainError && err.code === 'subscription_expired') return null;
      throw err;
    }
  }

  /** Grants the right of every started period not yet recorded as issued, oldest first. */
  private async issuePendingRights(
    state: SubscriptionState,
    ctx: CommandContext,
  ): Promise<{ state: SubscriptionState; count: number; position: number | null }> {
    if (state.status === 'none') return { state, count: 0, position: null };
    let current: SubscriptionState = state;
    let position: number | null = null;
    let count = 0;
    for (const period of state.pendingRights) {
      const rightId = subscriptionRightId(state.subscriptionId, period.n);
      const granted = await this.rights.grant(
        {
          rightId,
          sub: state.sub,
          providerId: state.providerId,
          sku: period.sku,
          grantor: { kind: 'subscription', id: state.subscriptionId },
          validFrom: period.from,
          validUntil: period.until,
          initialState: period.rightState,
        },
        ctx,
      );
      if (granted.created) count++;
      const recorded = await this.handle(
        state.subscriptionId,
        { type: 'RecordRightIssued', period: period.n, rightId },
        ctx,
      );
      position = maxPosition(position, maxPosition(granted.position, recorded.position));
      current = recorded.state;
    }
    return { state: current, count, position };
  }
}

function statusOf(state: SubscriptionState): SubscriptionStatus {
  if (state.status === 'none') throw notFound();
  return state.status;
}

function notFound(): DomainError {
  return new DomainError('not_found', 'subscription_not_found', 'No such subscription.');
}
