import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import { refundable } from '../../domain/payment/state.js';
import { transactionStreamId } from '../../domain/payment/values.js';
import { rightDecider, type GrantedRight } from '../../domain/right/decider.js';
import { RightIdSchema, rightStreamId } from '../../domain/right/values.js';
import { addDuration, parseDuration } from '../../domain/shared/iso8601.js';
import type { Money } from '../../domain/shared/money.js';
import { subscriptionDecider } from '../../domain/subscription/decider.js';
import { subscriptionStreamId } from '../../domain/subscription/values.js';
import { userDecider } from '../../domain/user/decider.js';
import { type IdentifierKind, userStreamId } from '../../domain/user/values.js';
import type { CommandHandler } from '../kernel/command-handler.js';
import { PaymentFlow } from '../payment/payment-flow.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../ports/personal-data-vault.js';
import { RightCommands } from '../right/right-commands.js';
import { maskIdentifier } from '../signin/identifier.js';
import { toLocale } from '../signin/messages.js';
import { OneTimeCodes } from '../signin/one-time-codes.js';
import { SubscriptionCommands } from '../subscription/subscription-commands.js';
import { PORTS } from '../tokens.js';
import { UserCommands } from '../user/user-commands.js';
import {
  checkGoodwillLimit,
  checkRefundLimit,
  requireReason,
  requireRole,
  type StaffPrincipal,
  SUPPORT_POLICY,
  type SupportPolicy,
  supportContext,
} from './support-access.js';

/** Every support action names who acts, why, and the request's correlation id. */
export interface ActionMeta {
  readonly staff: StaffPrincipal;
  readonly reason: string;
  readonly correlationId: string;
}

export interface SupportActionResult {
  /** Global log position of the write (pass as `minPosition`); null when nothing changed. */
  readonly position: number | null;
}

export type GoodwillLength =
  | { readonly days: number }
  /** An instant, or null for a right without end (support lead only). */
  | { readonly validUntil: string | null };

const notFound = (what: string) =>
  new DomainError('not_found', `${what}_not_found`, `No such ${what} on this account.`);

/**
 * What customer support may do to an account, each as the agent (actor `support`, their `sub`),
 * with a mandatory reason recorded in the events' metadata (and in the event where it has a reason
 * field), and each allowed by role as support-access.ts lays out. Every target must belong to the
 * account the agent is working on; anything else is "not found".
 */
@injectable()
export class SupportActions {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PORTS.Logger) private readonly logger: Logger,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: Pick<PersonalDataVault, 'decrypt'>,
    @inject(SUPPORT_POLICY) private readonly policy: SupportPolicy,
    @inject(PaymentFlow) private readonly payments: Pick<PaymentFlow, 'refund'>,
    @inject(RightCommands)
    private readonly rights: Pick<RightCommands, 'grant' | 'extend' | 'suspend' | 'reactivate'>,
    @inject(SubscriptionCommands) private readonly subscriptions: Pick<SubscriptionCommands, 'cancel'>,
    @inject(UserCommands) private readonly users: Pick<UserCommands, 'lockSignIn' | 'unlockSignIn'>,
    @inject(OneTimeCodes) private readonly codes: Pick<OneTimeCodes, 'request'>,
  ) {}

  /** Checks role and reason first, so a refusal never depends on the target. */
  private begin(meta: ActionMeta, what: string, role: 'support-agent' | 'support-lead' = 'support-agent') {
    requireRole(meta.staff, role, what);
    const reason = requireReason(meta.reason);
    return { reason, ctx: supportContext(meta.staff, reason, meta.correlationId) };
  }

  /**
   * Refunds all that is left of a captured payment, or `amount` of it. An agent's refund is capped
   * by the policy's limit for its currency. With an idempotency key, a repeat refunds once.
   */
  async refund(
    sub: string,
    input: { readonly transactionId: string; readonly amount?: Money },
    meta: ActionMeta,
    idempotencyKey?: string,
  ): Promise<SupportActionResult & { readonly refundId: string; readonly amount: Money }> {
    const { reason, ctx } = this.begin(meta, 'refunds');
    const { state } = await this.handler.load(transactionDecider, transactionStreamId(input.transactionId));
    if (state.status === 'none' || state.sub !== sub) throw notFound('transaction');
    const amount = input.amount ?? refundable(state);
    checkRefundLimit(meta.staff, this.policy, amount);
    const result = await this.payments.refund(
      state.providerId,
      state.transactionId,
      { amount, reason, issuer: { kind: 'support', id: meta.staff.sub } },
      ctx,
      idempotencyKey,
    );
    return { position: result.position, refundId: result.refundId, amount };
  }

  /** Grants a goodwill right (grantor `support`) for one of a provider's SKUs. */
  async grantGoodwillRight(
    sub: string,
    input: { readonly providerId: string; readonly sku: string; readonly length: GoodwillLength },
    meta: ActionMeta,
  ): Promise<SupportActionResult & { readonly rightId: string }> {
    const { ctx } = this.begin(meta, 'goodwill rights');
    const now = this.clock.now();
    const validUntil =
      'days' in input.length
        ? new Date(now.getTime() + input.length.days * 86_400_000).toISOString()
        : input.length.validUntil;
    checkGoodwillLimit(meta.staff, this.policy, now, validUntil);
    const granted = await this.rights.grant(
      {
        sub,
        providerId: input.providerId,
        sku: input.sku,
        grantor: { kind: 'support', id: meta.staff.sub },
        validFrom: now.toISOString(),
        validUntil,
      },
      ctx,
    );
    return { position: granted.position, rightId: granted.rightId };
  }

  /** Moves a right's end later, by an ISO 8601 duration or to an instant. */
  async extendRight(
    sub: string,
    rightId: string,
    input: { readonly by: string } | { readonly validUntil: string },
    meta: ActionMeta,
  ): Promise<SupportActionResult> {
    const { ctx } = this.begin(meta, 'extensions');
    const right = await this.ownRight(sub, rightId);
    const now = this.clock.now();
    const currentEnd = right.validUntil === null ? now : new Date(right.validUntil);
    const from = currentEnd > now ? currentEnd : now;
    let until: string | null;
    if ('by' in input) {
      const duration = parseDuration(input.by);
      if (duration === null) {
        throw new DomainError('invalid', 'invalid_duration', 'by: must be an ISO 8601 duration.', 'by');
      }
      until = addDuration(currentEnd, duration).toISOString();
    } else {
      until = input.validUntil;
    }
    checkGoodwillLimit(meta.staff, this.policy, from, until);
    const result = await this.rights.extend(right.providerId, rightId, input, ctx);
    return { position: result.position };
  }

  async suspendRight(sub: string, rightId: string, meta: ActionMeta): Promise<SupportActionResult> {
    const { reason, ctx } = this.begin(meta, 'suspensions');
    const right = await this.ownRight(sub, rightId);
    const result = await this.rights.suspend(right.providerId, rightId, reason, ctx);
    return { position: result.position };
  }

  async reactivateRight(sub: string, rightId: string, meta: ActionMeta): Promise<SupportActionResult> {
    const { ctx } = this.begin(meta, 'reactivations');
    const right = await this.ownRight(sub, rightId);
    const result = await this.rights.reactivate(right.providerId, rightId, ctx);
    return { position: result.position };
  }

  /** Cancels now, or schedules the end at the current period's end (`atPeriodEnd`). */
  async cancelSubscription(
    sub: string,
    subscriptionId: string,
    input: { readonly atPeriodEnd: boolean },
    meta: ActionMeta,
  ): Promise<SupportActionResult> {
    const { reason, ctx } = this.begin(meta, 'cancellations');
    const { state } = await this.handler.load(subscriptionDecider, subscriptionStreamId(subscriptionId));
    if (state.status === 'none' || state.sub !== sub) throw notFound('subscription');
    const result = await this.subscriptions.cancel(
      state.providerId,
      subscriptionId,
      { atPeriodEnd: input.atPeriodEnd, reason },
      ctx,
    );
    return { position: result.position };
  }

  /** Locks sign-in until `until`, or until unlocked. The reason is the lock's own reason too. */
  async lockSignIn(
    sub: string,
    input: { readonly until: string | null },
    meta: ActionMeta,
  ): Promise<SupportActionResult> {
    const { reason, ctx } = this.begin(meta, 'sign-in locks');
    const result = await this.users.lockSignIn(sub, { reason, until: input.until }, ctx);
    return { position: result.position };
  }

  /** Lifts a sign-in lock: a support lead's decision (locks are often security measures). */
  async unlockSignIn(sub: string, meta: ActionMeta): Promise<SupportActionResult> {
    const { reason, ctx } = this.begin(meta, 'unlocking sign-in', 'support-lead');
    const result = await this.users.unlockSignIn(sub, reason, ctx);
    return { position: result.position };
  }

  /**
   * Sends a fresh verification code to the account's unverified phone or email (the one added
   * last, when there are several). Sending a code changes no account, so no event is written: the
   * action is logged with the agent and the reason. The answer names where the code went (masked)
   * and the challenge it belongs to.
   */
  async resendVerification(
    sub: string,
    input: { readonly kind: IdentifierKind },
    meta: ActionMeta,
  ): Promise<{ readonly sentTo: string; readonly challengeId: string; readonly expiresAt: string }> {
    const { reason } = this.begin(meta, 'verification codes');
    const { state } = await this.handler.load(userDecider, userStreamId(sub));
    if (state.status !== 'active') throw notFound('user');
    const entries = input.kind === 'phone' ? state.phones : state.emails;
    const pending = entries.filter((e) => !e.verified).at(-1);
    if (!pending) {
      throw new DomainError(
        'conflict',
        'nothing_to_verify',
        `The account has no unverified ${input.kind}.`,
        'kind',
      );
    }
    const value = await this.vault.decrypt(sub, pending.sealed);
    if (value === null) throw notFound('user');
    const identifier = { kind: input.kind, value };
    const sent = await this.codes.request(identifier, {
      ip: `support:${meta.staff.sub}`,
      locale: toLocale(state.locale ?? undefined),
    });
    if (!sent.ok) {
      throw new DomainError(
        'conflict',
        'code_throttled',
        `A code was sent too recently; try again in ${sent.retryAfterSeconds} seconds.`,
      );
    }
    this.logger.info(
      {
        sub,
        kind: input.kind,
        actor: { kind: 'support', id: meta.staff.sub },
        reason,
        correlationId: meta.correlationId,
      },
      'support resent a verification code',
    );
    return {
      sentTo: maskIdentifier(identifier),
      challengeId: sent.challengeId,
      expiresAt: sent.expiresAt.toISOString(),
    };
  }

  private async ownRight(sub: string, rightId: string): Promise<GrantedRight> {
    if (!RightIdSchema.safeParse(rightId).success) throw notFound('right');
    const { state } = await this.handler.load(rightDecider, rightStreamId(rightId));
    if (state.status === 'none' || state.sub !== sub) throw notFound('right');
    return state;
  }
}
