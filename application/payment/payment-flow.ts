import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { DomainError } from '../../domain/kernel/decider.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import { MAX_URL_LENGTH, type RefundIssuer } from '../../domain/payment/values.js';
import type { Money } from '../../domain/shared/money.js';
import type { CommandHandler } from '../kernel/command-handler.js';
import { type CommandContext, IdempotencyKeyReusedError } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import { sha256Hex } from '../kernel/stable-json.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/event-store.js';
import type { Logger } from '../ports/logger.js';
import { NO_TELEMETRY, type Telemetry, TELEMETRY } from '../ports/telemetry.js';
import { PaymentRequestRejected, type ProviderPayment } from '../ports/payment-provider.js';
import { PORTS } from '../tokens.js';
import {
  authorizeKey,
  checkedMethod,
  methodReference,
  PAYMENT_PROVIDERS,
  type PaymentProviders,
  providerMethod,
  refundKey,
} from './payment-methods.js';
import { type ReconcileReport, UnknownOutcomeReconciler } from './payment-reconciler.js';
import {
  notFound,
  outcome,
  PAYMENT_FLOW_SETTINGS,
  type PaymentFlowSettings,
  type PayOutcome,
  PaymentSteps,
  type Settled,
  settledFrom,
} from './payment-steps.js';
import { TransactionCommands, type TransactionWriteResult } from './transaction-commands.js';

export { PAYMENT_FLOW_SETTINGS, type PaymentFlowSettings, type PayOutcome } from './payment-steps.js';
export type { ReconcileReport } from './payment-reconciler.js';

/**
 * The payment use case: a payer pays a transaction with a card token or carrier billing, through
 * the PaymentProvider for the method's kind. Every provider call carries an idempotency key derived
 * from (transactionId, attemptId), and every outcome is recorded in the transaction's log:
 *
 * - authorized → captured at the provider, then recorded (authorize + capture in one append); the
 *   authorize call asks for automatic capture, so a provider that offers it captures in the same
 *   call, and one that answers `authorized` is sent the capture;
 * - requires_action → recorded with the challenge URL; `resume` settles it after the payer returns;
 * - declined (or refused by the provider) → failed; the transaction stays payable;
 * - no answer (PaymentProviderUnavailable, or any error after the request left) → `unknown`, which
 *   only `reconcileUnknown` moves on, from what the provider says it did — never a guess.
 *
 * A transaction always names its user (a backend names `sub`, a user token pays for itself), so a
 * payer may pay only a transaction made out to them; anyone else's is "not found".
 */
@injectable()
export class PaymentFlow {
  private readonly steps: PaymentSteps;
  private readonly reconciler: UnknownOutcomeReconciler;
  private reconciling: Promise<ReconcileReport> | null = null;

  constructor(
    @inject(TransactionCommands) private readonly commands: TransactionCommands,
    @inject(PORTS.CommandHandler) handler: CommandHandler,
    @inject(PORTS.EventStore) store: EventStore,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PORTS.Logger) logger: Logger,
    @inject(PAYMENT_PROVIDERS) providers: PaymentProviders,
    @inject(PAYMENT_FLOW_SETTINGS) private readonly settings: PaymentFlowSettings,
    @inject(TELEMETRY) @optional() private readonly telemetry: Telemetry = NO_TELEMETRY,
  ) {
    this.steps = new PaymentSteps(commands, handler, logger, providers);
    this.reconciler = new UnknownOutcomeReconciler(
      this.steps,
      store,
      clock,
      logger,
      settings.notReceivedAfterMs ?? 60_000,
    );
  }

  /**
   * Pays with a new attempt; see the class comment for what each provider answer leads to. A caller
   * that must be retry-safe names the attempt (`attemptId`, e.g. derived from an Idempotency-Key):
   * a repeat then joins the same attempt, and the provider, called with the same keys, answers its
   * first result instead of moving money again.
   */
  async pay(
    transactionId: string,
    input: { readonly sub: string; readonly method: unknown; readonly attemptId?: string },
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    const method = checkedMethod(input.method);
    return this.counted(method.kind, this.attempt(transactionId, input, method, ctx), ctx);
  }

  /** Counts an attempt's outcome for operators: by method kind, and whether the payer was present. */
  private async counted(
    kind: string,
    pending: Promise<PayOutcome>,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    const result = await pending;
    if (result.status !== 'processing' && result.status !== 'canceled') {
      this.telemetry.payment(kind, result.status, ctx.actor.kind === 'system');
    }
    return result;
  }

  private async attempt(
    transactionId: string,
    input: { readonly sub: string; readonly attemptId?: string },
    method: ReturnType<typeof checkedMethod>,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    const t = await this.steps.load(transactionId);
    if (t.sub !== input.sub) throw notFound();
    const provider = this.steps.providerFor(method.kind);
    const { attemptId } = await this.commands.startAttempt(
      t.providerId,
      t.transactionId,
      {
        method: methodReference(method),
        ...(input.attemptId === undefined ? {} : { attemptId: input.attemptId }),
      },
      ctx,
    );
    let result;
    try {
      result = await provider.authorize({
        amount: t.amount,
        method: providerMethod(method),
        idempotencyKey: authorizeKey(t.transactionId, attemptId),
        reference: t.transactionId,
        // Providers cap statement texts; the full description stays in the transaction.
        description: t.description.slice(0, 500),
        returnUrl: this.settings.returnUrl(t.transactionId, attemptId),
        // Tessera captures every authorization at once: one provider call instead of two.
        captureMethod: 'automatic',
      });
    } catch (err) {
      return this.steps.afterError(t, attemptId, err, ctx);
    }
    switch (result.status) {
      case 'captured': {
        const written = await this.commands.capture(
          t.providerId,
          t.transactionId,
          attemptId,
          { providerReference: result.processorRef },
          ctx,
        );
        return outcome(written.transaction, attemptId, { position: written.position });
      }
      case 'authorized':
        return this.steps.capture(t, attemptId, provider, result.processorRef, ctx);
      case 'requires_action': {
        const written = await this.commands.requireAction(
          t.providerId,
          t.transactionId,
          attemptId,
          { action: 'challenge', ...(recordableUrl(result.actionUrl) ? { url: result.actionUrl } : {}) },
          ctx,
        );
        return outcome(written.transaction, attemptId, { actionUrl: result.actionUrl });
      }
      case 'declined':
        return this.steps.fail(t, attemptId, result.code, result.message, ctx);
    }
  }

  /**
   * Settles an attempt after the payer came back from the challenge step: asks the provider what
   * happened and captures or fails. Repeating it (a reload) answers the attempt as it stands.
   */
  async resume(transactionId: string, attemptId: string, ctx: CommandContext): Promise<PayOutcome> {
    const t = await this.steps.load(transactionId);
    const a = this.steps.attempt(t, attemptId);
    if (a.status !== 'requires_action') return outcome(t, a.attemptId);
    return this.counted(a.method.kind, this.settle(t, a, ctx), ctx);
  }

  private async settle(
    t: Awaited<ReturnType<PaymentSteps['load']>>,
    a: ReturnType<PaymentSteps['attempt']>,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    const provider = this.steps.providerFor(a.method.kind);
    let payment: ProviderPayment | null;
    try {
      payment = await provider.retrieve({ idempotencyKey: authorizeKey(t.transactionId, a.attemptId) });
    } catch (err) {
      return this.steps.afterError(t, a.attemptId, err, ctx);
    }
    const settled: Settled = payment
      ? settledFrom(payment)
      : { kind: 'failed', code: 'payment_not_found', message: 'The provider has no such payment.' };
    switch (settled.kind) {
      case 'pending':
        return outcome(
          t,
          a.attemptId,
          settled.payment.actionUrl ? { actionUrl: settled.payment.actionUrl } : {},
        );
      case 'authorized':
        return this.steps.capture(t, a.attemptId, provider, settled.processorRef, ctx);
      case 'captured': {
        const written = await this.commands.capture(
          t.providerId,
          t.transactionId,
          a.attemptId,
          { providerReference: settled.processorRef },
          ctx,
        );
        return outcome(written.transaction, a.attemptId, { position: written.position });
      }
      case 'failed':
        return this.steps.fail(t, a.attemptId, settled.code, settled.message, ctx);
    }
  }

  /**
   * One pass of the reconciliation job: every transaction whose attempt went `unknown` (found in
   * the log, so a restart loses nothing) is settled from the provider's own record, and a
   * transaction left `authorized` (a crash before capture) is captured. Safe to run at any time and
   * from several processes: provider calls repeat their first key, and the aggregate ignores an
   * answer it already has. Concurrent calls in one process share one pass.
   */
  reconcileUnknown(): Promise<ReconcileReport> {
    this.reconciling ??= this.reconciler.pass().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  /**
   * Refunds part or all of a captured payment: first at the provider, then in the log. That order
   * means the log never shows money returned that was not; if recording fails after the provider
   * refunded, repeating the request with the same Idempotency-Key gets the provider's remembered
   * refund (same key) and records it then. A refund already recorded under the key is never sent to
   * the provider again, so a repeat cannot refund twice even after the provider forgot the key.
   * Without an Idempotency-Key every request is a new refund; a timeout then cannot be retried safely.
   */
  async refund(
    providerId: string,
    transactionId: string,
    input: { readonly amount: Money; readonly reason: string; readonly issuer: RefundIssuer },
    ctx: CommandContext,
    idempotencyKey?: string,
  ): Promise<TransactionWriteResult & { readonly refundId: string }> {
    const t = await this.steps.load(transactionId);
    if (t.providerId !== providerId) throw notFound();
    const refundId =
      idempotencyKey === undefined
        ? newId()
        : `idem-${sha256Hex(`${providerId}\u0000${idempotencyKey}`).slice(0, 40)}`;
    const record = () =>
      this.commands.refund(
        providerId,
        transactionId,
        { refundId, ...input },
        ctx,
        idempotencyKey === undefined ? {} : { idempotencyKey },
      );
    if (t.refunds.some((r) => r.refundId === refundId)) return record();
    // The aggregate's own rules first (over-refund, not captured), without appending anything.
    transactionDecider.decide({ type: 'IssueRefund', providerId, refundId, ...input }, t, {
      now: this.clock.now(),
    });
    const captured = t.attempts.find((a) => a.status === 'captured');
    if (!captured)
      throw new DomainError('conflict', 'not_captured', 'Only a captured payment can be refunded.');
    const provider = this.steps.providerFor(captured.method.kind);
    const processorRef = await this.steps.processorRef(provider, t, captured);
    try {
      await provider.refund(processorRef, input.amount, refundKey(t.transactionId, refundId));
    } catch (err) {
      throw refundRefusal(err);
    }
    return record();
  }
}

/**
 * Whether the aggregate takes the challenge URL (an http(s) URL on a named host). A sandbox served
 * on a bare IP address is not, so its URL is only handed to the caller, not recorded; the provider
 * keeps it either way (`retrieve` answers it while the challenge is pending).
 */
function recordableUrl(url: string): boolean {
  return ActionUrl.safeParse(url).success;
}
const ActionUrl = z.httpUrl().max(MAX_URL_LENGTH);

/** A refund the provider would not take, as the error the caller can act on. */
function refundRefusal(err: unknown): unknown {
  if (!(err instanceof PaymentRequestRejected)) return err;
  switch (err.code) {
    case 'amount_too_large':
      return new DomainError(
        'invalid',
        'refund_exceeds_captured',
        'amount: more than the provider can still refund for this payment.',
        'amount',
      );
    case 'idempotency_conflict':
      return new IdempotencyKeyReusedError();
    case 'invalid_state':
      return new DomainError('conflict', 'not_captured', 'The provider cannot refund this payment now.');
    default:
      return new DomainError('conflict', 'refund_refused', `The provider refused the refund (${err.code}).`);
  }
}
