import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { PaymentCommand, ReconciledOutcome } from '../../domain/payment/commands.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import type { Transaction, TransactionState } from '../../domain/payment/state.js';
import {
  type CancelledBy,
  orderReservationKey,
  type PaymentMethodRef,
  type ProductLine,
  type RefundIssuer,
  TransactionIdSchema,
  transactionStreamId,
} from '../../domain/payment/values.js';
import type { Money } from '../../domain/shared/money.js';
import type { CreateOptions } from '../catalog/results.js';
import type { CommandContext, CommandHandler, HandleResult, Idempotency } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import { sha256Hex } from '../kernel/stable-json.js';
import { ReservationConflictError } from '../ports/event-store.js';
import { PORTS } from '../tokens.js';

/** What a provider asks to be paid (POST /v1/transactions). */
export interface CreateTransactionInput {
  readonly orderId: string;
  /** The paying user. */
  readonly sub: string;
  readonly description: string;
  /** VAT-inclusive, integer minor units. */
  readonly amount: Money;
  /** Basis points (2500 = 25 %). */
  readonly vatRate: number;
  /** Their prices must add up to `amount`. */
  readonly products?: readonly ProductLine[];
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  /** The client that creates the transaction. */
  readonly createdBy: string;
  /** ISO 8601 instant after which an unpaid transaction expires. */
  readonly expiresAt?: string;
}

export interface RefundInput {
  /** Makes the refund retry-safe; derived from the Idempotency-Key, or generated, when absent. */
  readonly refundId?: string;
  readonly amount: Money;
  readonly reason: string;
  readonly issuer: RefundIssuer;
}

/** What every transaction write reports back. */
export interface TransactionWriteResult {
  readonly transactionId: string;
  /** Global log position of the write (pass as `minPosition`); null when nothing was recorded. */
  readonly position: number | null;
  /** False when the command was a no-op (a retry of a step already recorded). */
  readonly changed: boolean;
  /** True when an earlier request with the same Idempotency-Key was found and nothing new was done. */
  readonly deduplicated: boolean;
  /** The transaction as it stands after the command. */
  readonly transaction: Transaction;
}

function notFound(): DomainError {
  return new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
}

function transactionIdOf(streamId: string): string {
  return streamId.startsWith('payment-') ? streamId.slice('payment-'.length) : streamId;
}

/** Claims the orderId for its provider in the same append that creates the transaction. */
function orderReservation(events: readonly PaymentEvent[]) {
  return {
    reserve: events.flatMap((e) =>
      e.type === 'TransactionCreated'
        ? [{ key: orderReservationKey(e.data.providerId, e.data.orderId) }]
        : [],
    ),
  };
}

/** Idempotency keys are the provider's: two providers using the same key never collide. */
function idempotency(providerId: string, key: string | undefined, request: unknown): Idempotency | undefined {
  return key === undefined ? undefined : { key, scope: `payments:${providerId}`, request };
}

function toResult(result: HandleResult<TransactionState>): TransactionWriteResult {
  const state = result.state;
  if (state.status === 'none') throw notFound();
  return {
    transactionId: transactionIdOf(result.streamId),
    position: result.position,
    changed: result.events.length > 0,
    deduplicated: result.deduplicated,
    transaction: state,
  };
}

/**
 * Write side of payment transactions. Creation is the provider's request; the other methods are the
 * steps the payment flow records as the payment provider answers. Every method acts for one
 * provider: another provider's transaction is `transaction_not_found`, exactly as if it did not
 * exist. Steps are idempotent by attemptId / refundId, and money-moving requests also take an
 * Idempotency-Key (a repeat with the same key and request returns the first result; the same key
 * with another request is `idempotency_key_reused`).
 */
@injectable()
export class TransactionCommands {
  constructor(@inject(PORTS.CommandHandler) private readonly handler: CommandHandler) {}

  /**
   * Creates a transaction. The orderId is reserved atomically with the append, so of concurrent
   * requests for one orderId exactly one succeeds; the rest get `order_exists`.
   */
  async create(
    providerId: string,
    input: CreateTransactionInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<TransactionWriteResult> {
    const transactionId = newId();
    const idem = idempotency(providerId, options.idempotencyKey, {
      op: 'createTransaction',
      providerId,
      ...input,
    });
    try {
      const result = await this.handler.handle(
        transactionDecider,
        transactionStreamId(transactionId),
        { type: 'CreateTransaction', transactionId, providerId, ...input },
        ctx,
        { reservations: orderReservation, ...(idem ? { idempotency: idem } : {}) },
      );
      return toResult(result);
    } catch (err) {
      if (
        err instanceof ReservationConflictError &&
        err.key === orderReservationKey(providerId, input.orderId)
      ) {
        throw new DomainError(
          'conflict',
          'order_exists',
          `orderId: this provider already has a transaction for order "${input.orderId}".`,
          'orderId',
        );
      }
      throw err;
    }
  }

  /** Starts a payment attempt with a method; `attemptId` defaults to a new id (returned). */
  async startAttempt(
    providerId: string,
    transactionId: string,
    input: { readonly attemptId?: string; readonly method: PaymentMethodRef },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult & { readonly attemptId: string }> {
    const attemptId = input.attemptId ?? newId();
    const result = await this.run(
      transactionId,
      { type: 'StartPaymentAttempt', providerId, attemptId, method: input.method },
      ctx,
    );
    return { ...result, attemptId };
  }

  async requireAction(
    providerId: string,
    transactionId: string,
    attemptId: string,
    input: { readonly action: 'challenge' | 'redirect'; readonly url?: string },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(
      transactionId,
      {
        type: 'RequirePaymentAction',
        providerId,
        attemptId,
        action: input.action,
        ...(input.url === undefined ? {} : { url: input.url }),
      },
      ctx,
    );
  }

  async authorize(
    providerId: string,
    transactionId: string,
    attemptId: string,
    input: { readonly providerReference?: string },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'AuthorizePayment', providerId, attemptId, ...input }, ctx);
  }

  /** Captures the full amount (authorizing first when the provider does both in one call). */
  async capture(
    providerId: string,
    transactionId: string,
    attemptId: string,
    input: { readonly providerReference?: string },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'CapturePayment', providerId, attemptId, ...input }, ctx);
  }

  async fail(
    providerId: string,
    transactionId: string,
    attemptId: string,
    input: { readonly code: string; readonly message: string },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'FailPayment', providerId, attemptId, ...input }, ctx);
  }

  /** Records that the provider did not answer in time; only `reconcile` moves the attempt on. */
  async markUnknown(
    providerId: string,
    transactionId: string,
    attemptId: string,
    reason: string,
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'MarkPaymentOutcomeUnknown', providerId, attemptId, reason }, ctx);
  }

  /** Records the provider's later answer for an attempt whose outcome was unknown. */
  async reconcile(
    providerId: string,
    transactionId: string,
    attemptId: string,
    outcome: ReconciledOutcome,
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'ReconcilePayment', providerId, attemptId, outcome }, ctx);
  }

  async cancel(
    providerId: string,
    transactionId: string,
    input: { readonly by: CancelledBy; readonly reason?: string },
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'CancelTransaction', providerId, ...input }, ctx);
  }

  async expire(
    providerId: string,
    transactionId: string,
    ctx: CommandContext,
  ): Promise<TransactionWriteResult> {
    return this.run(transactionId, { type: 'ExpireTransaction', providerId }, ctx);
  }

  /**
   * Refunds part or all of what was captured. Without a refundId, an Idempotency-Key names the
   * refund (so even a repeat that misses the key's record refunds once); otherwise a new id is used.
   */
  async refund(
    providerId: string,
    transactionId: string,
    input: RefundInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<TransactionWriteResult & { readonly refundId: string }> {
    const key = options.idempotencyKey;
    const refundId =
      input.refundId ??
      (key === undefined ? newId() : `idem-${sha256Hex(`${providerId}\u0000${key}`).slice(0, 40)}`);
    const idem = idempotency(providerId, key, { op: 'refund', transactionId, ...input });
    const result = await this.run(
      transactionId,
      {
        type: 'IssueRefund',
        providerId,
        refundId,
        amount: input.amount,
        reason: input.reason,
        issuer: input.issuer,
      },
      ctx,
      idem,
    );
    return { ...result, refundId };
  }

  private async run(
    transactionId: string,
    command: PaymentCommand,
    ctx: CommandContext,
    idem?: Idempotency,
  ): Promise<TransactionWriteResult> {
    // An id that could never name a transaction is simply not found (and never touches the store).
    if (!TransactionIdSchema.safeParse(transactionId).success) throw notFound();
    const result = await this.handler.handle(
      transactionDecider,
      transactionStreamId(transactionId),
      command,
      ctx,
      idem ? { idempotency: idem } : {},
    );
    return toResult(result);
  }
}
