import { DomainError } from '../../domain/kernel/decider.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import { type AttemptState, findAttempt, type Transaction } from '../../domain/payment/state.js';
import { type AttemptStatus, TransactionIdSchema, transactionStreamId } from '../../domain/payment/values.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import type { Logger } from '../ports/logger.js';
import {
  type PaymentProvider,
  PaymentProviderUnavailable,
  PaymentRequestRejected,
  type ProviderPayment,
} from '../ports/payment-provider.js';
import { authorizeKey, cancelKey, captureKey, type PaymentProviders } from './payment-methods.js';
import type { TransactionCommands } from './transaction-commands.js';

/**
 * The steps the payment flow and the reconciler share: loading a transaction from its log, choosing
 * the provider of an attempt's method, capturing, failing, and turning a provider call that threw
 * into the attempt's recorded outcome.
 */

export interface PaymentFlowSettings {
  /**
   * Where the payer's browser comes back to after a challenge step at the provider; the page there
   * calls `PaymentFlow.resume(transactionId, attemptId)`.
   */
  returnUrl(transactionId: string, attemptId: string): string;
  /**
   * How long an unknown attempt the provider has no record of waits before it is failed as never
   * received (default 60 s): long enough for a request still in flight to land first.
   */
  readonly notReceivedAfterMs?: number;
}

export const PAYMENT_FLOW_SETTINGS = Symbol.for('tessera.PaymentFlowSettings');

/** Where a payment attempt stands after a flow step. */
export interface PayOutcome {
  readonly transactionId: string;
  readonly attemptId: string;
  readonly status: AttemptStatus;
  /** Set with `requires_action`: send the payer's browser here. */
  readonly actionUrl?: string;
  /** Set with `failed`: why, as a stable code and a message for logs and support. */
  readonly code?: string;
  readonly message?: string;
  readonly transaction: Transaction;
  /** Log position of the write that recorded this outcome; absent when this call recorded nothing. */
  readonly position?: number;
}

export function notFound(): DomainError {
  return new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
}

export function outcome(
  t: Transaction,
  attemptId: string,
  extra: { actionUrl?: string; position?: number | null } = {},
): PayOutcome {
  const a = findAttempt(t, attemptId);
  const status = a?.status ?? 'processing';
  return {
    transactionId: t.transactionId,
    attemptId,
    status,
    ...(extra.position == null ? {} : { position: extra.position }),
    ...(status === 'requires_action' && extra.actionUrl ? { actionUrl: extra.actionUrl } : {}),
    ...(status === 'failed' && a?.code ? { code: a.code, message: a.message ?? '' } : {}),
    transaction: t,
  };
}

/** An attempt's outcome as the provider's record tells it; `pending` while the payer must still act. */
export type Settled =
  | { readonly kind: 'authorized'; readonly processorRef: string }
  | { readonly kind: 'captured'; readonly processorRef: string }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'pending'; readonly payment: ProviderPayment };

export function settledFrom(payment: ProviderPayment): Settled {
  switch (payment.status) {
    case 'authorized':
      return { kind: 'authorized', processorRef: payment.processorRef };
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      return { kind: 'captured', processorRef: payment.processorRef };
    case 'declined':
      return {
        kind: 'failed',
        code: payment.declineCode ?? 'card_declined',
        message: 'The payment provider declined the payment.',
      };
    case 'canceled':
      return { kind: 'failed', code: 'canceled', message: 'The payment was canceled at the provider.' };
    case 'requires_action':
      return { kind: 'pending', payment };
  }
}

export class PaymentSteps {
  constructor(
    readonly commands: TransactionCommands,
    private readonly handler: CommandHandler,
    private readonly logger: Logger,
    private readonly providers: PaymentProviders,
  ) {}

  /** The transaction from its log (never a read model that may lag behind a step just taken). */
  async load(transactionId: string): Promise<Transaction> {
    if (!TransactionIdSchema.safeParse(transactionId).success) throw notFound();
    const { state } = await this.handler.load(transactionDecider, transactionStreamId(transactionId));
    if (state.status === 'none') throw notFound();
    return state;
  }

  attempt(t: Transaction, attemptId: string): AttemptState {
    const a = findAttempt(t, attemptId);
    if (!a) throw new DomainError('not_found', 'attempt_not_found', 'No such payment attempt.', 'attemptId');
    return a;
  }

  providerFor(kind: AttemptState['method']['kind']): PaymentProvider {
    const provider = this.providers[kind];
    if (!provider) {
      throw new DomainError(
        'invalid',
        'payment_method_unavailable',
        `method.kind: ${kind === 'card' ? 'card' : 'carrier billing'} payments are not available here.`,
        'method.kind',
      );
    }
    return provider;
  }

  /** Captures an authorized payment at the provider, then records it. */
  async capture(
    t: Transaction,
    attemptId: string,
    provider: PaymentProvider,
    processorRef: string,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    try {
      await provider.capture(processorRef, t.amount, captureKey(t.transactionId, attemptId));
    } catch (err) {
      if (err instanceof PaymentRequestRejected) {
        // The hold cannot be turned into money: release it rather than leave it on the payer's card.
        await provider.cancel(processorRef, cancelKey(t.transactionId, attemptId)).catch(() => undefined);
        const message = `The provider refused the capture (${err.code}).`;
        return this.fail(t, attemptId, 'capture_failed', message, ctx);
      }
      return this.afterError(t, attemptId, err, ctx);
    }
    const written = await this.commands.capture(
      t.providerId,
      t.transactionId,
      attemptId,
      { providerReference: processorRef },
      ctx,
    );
    return outcome(written.transaction, attemptId, { position: written.position });
  }

  async fail(
    t: Transaction,
    attemptId: string,
    code: string,
    message: string,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    const written = await this.commands.fail(
      t.providerId,
      t.transactionId,
      attemptId,
      { code, message },
      ctx,
    );
    return outcome(written.transaction, attemptId);
  }

  /**
   * A provider call that threw. A refusal of the request fails the attempt; anything else may have
   * moved money (a timeout, a dropped connection, even a bug after the request left), so the
   * attempt becomes `unknown` for the reconciler.
   */
  async afterError(
    t: Transaction,
    attemptId: string,
    err: unknown,
    ctx: CommandContext,
  ): Promise<PayOutcome> {
    if (err instanceof PaymentRequestRejected) {
      const message = `The provider refused the request (${err.code}).`;
      return this.fail(t, attemptId, 'provider_rejected', message, ctx);
    }
    const reason =
      err instanceof PaymentProviderUnavailable
        ? `The payment provider did not answer (${err.reason}).`
        : 'The payment provider call failed unexpectedly.';
    this.logger.warn(
      { transactionId: t.transactionId, attemptId, error: err instanceof Error ? err.name : 'unknown' },
      'payment outcome unknown',
    );
    const written = await this.commands.markUnknown(t.providerId, t.transactionId, attemptId, reason, ctx);
    return outcome(written.transaction, attemptId);
  }

  /** The provider's id of the attempt's payment: recorded with the capture, or found by its key. */
  async processorRef(provider: PaymentProvider, t: Transaction, a: AttemptState): Promise<string> {
    if (a.providerReference !== null) return a.providerReference;
    const payment = await provider.retrieve({ idempotencyKey: authorizeKey(t.transactionId, a.attemptId) });
    if (!payment) throw new Error(`The provider has no payment for attempt ${a.attemptId}`);
    return payment.processorRef;
  }
}
