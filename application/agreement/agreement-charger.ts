import { type Agreement } from '../../domain/agreement/state.js';
import { agreementAttemptId, agreementOrderId } from '../../domain/agreement/values.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { findAttempt, type Transaction } from '../../domain/payment/state.js';
import { orderReservationKey, transactionStreamId } from '../../domain/payment/values.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import type { PaymentFlow } from '../payment/payment-flow.js';
import type { TransactionCommands } from '../payment/transaction-commands.js';
import type { PaymentMethodQueries } from '../payment-method/payment-method-queries.js';
import type { EventStore } from '../ports/event-store.js';

/** How one try to charge a period ended, as far as it has. */
export type ChargeOutcome =
  | { readonly kind: 'captured'; readonly transaction: Transaction }
  | { readonly kind: 'failed'; readonly transactionId: string; readonly code: string }
  /** With the payer on the page: a challenge to complete at `actionUrl`. */
  | { readonly kind: 'action'; readonly transactionId: string; readonly actionUrl: string | null }
  /** The provider's answer is not known yet (in flight, or unknown until reconciled). */
  | { readonly kind: 'pending'; readonly transactionId: string };

export interface ChargerDeps {
  readonly handler: CommandHandler;
  readonly store: Pick<EventStore, 'getReservation'>;
  readonly transactions: Pick<TransactionCommands, 'create'>;
  readonly flow: Pick<PaymentFlow, 'pay'>;
  readonly methods: Pick<PaymentMethodQueries, 'chargeableMethod'>;
}

const PAID = new Set(['captured', 'partially_refunded', 'refunded']);

/**
 * Charges one period of an agreement through the ordinary payment flow: one PaymentTransaction per
 * period (orderId `agreement:<id>:<period>`, reserved with its creation, so two chargers find the
 * same one), one attempt per try (attemptId `agreement.<period>.<try>`, so a repeated try joins the
 * first one and the provider, called with that attempt's keys, moves money once). Before charging,
 * the transaction's own log is asked what an earlier try already did: a capture is never repeated.
 */
export class AgreementCharger {
  constructor(private readonly deps: ChargerDeps) {}

  async charge(
    a: Agreement,
    period: number,
    attempt: number,
    ctx: CommandContext,
    onSession: boolean,
  ): Promise<ChargeOutcome> {
    if (a.sub === null || a.methodId === null) {
      throw new DomainError('conflict', 'agreement_not_confirmed', 'This agreement has not been confirmed.');
    }
    const tx = await this.transactionFor(a, period, ctx);
    const attemptId = agreementAttemptId(period, attempt);
    const earlier = this.settled(tx, attemptId, onSession);
    if (earlier !== null) return earlier;
    let method;
    try {
      method = await this.deps.methods.chargeableMethod(a.sub, a.methodId);
    } catch (err) {
      // The saved method is gone, expired or unusable: a failed try, like a decline.
      if (err instanceof DomainError)
        return { kind: 'failed', transactionId: tx.transactionId, code: err.code };
      throw err;
    }
    try {
      const outcome = await this.deps.flow.pay(
        tx.transactionId,
        { sub: a.sub, method: method.method, attemptId },
        ctx,
      );
      switch (outcome.status) {
        case 'captured':
          return { kind: 'captured', transaction: outcome.transaction };
        case 'failed':
          return { kind: 'failed', transactionId: tx.transactionId, code: outcome.code ?? 'card_declined' };
        case 'requires_action':
          return onSession
            ? { kind: 'action', transactionId: tx.transactionId, actionUrl: outcome.actionUrl ?? null }
            : { kind: 'failed', transactionId: tx.transactionId, code: 'authentication_required' };
        default:
          return { kind: 'pending', transactionId: tx.transactionId };
      }
    } catch (err) {
      // Another charger got there first (same attempt, or an attempt still in flight).
      if (
        err instanceof DomainError &&
        (err.code === 'attempt_exists' || err.code === 'attempt_in_progress')
      ) {
        const again = await this.load(tx.transactionId);
        return (
          this.settled(again, attemptId, onSession) ?? { kind: 'pending', transactionId: tx.transactionId }
        );
      }
      throw err;
    }
  }

  /**
   * What the transaction's log already says about this try: paid (by any attempt), this attempt's
   * outcome, or another attempt still in flight. Null when the try is still to be made.
   */
  private settled(tx: Transaction, attemptId: string, onSession: boolean): ChargeOutcome | null {
    if (PAID.has(tx.status)) return { kind: 'captured', transaction: tx };
    const transactionId = tx.transactionId;
    const own = findAttempt(tx, attemptId);
    if (own !== undefined) {
      switch (own.status) {
        case 'failed':
        case 'canceled':
          return { kind: 'failed', transactionId, code: own.code ?? 'card_declined' };
        case 'requires_action':
          return onSession
            ? { kind: 'action', transactionId, actionUrl: null }
            : { kind: 'failed', transactionId, code: 'authentication_required' };
        default:
          return { kind: 'pending', transactionId };
      }
    }
    if (tx.currentAttemptId !== null) {
      const current = findAttempt(tx, tx.currentAttemptId);
      // Off the page, a challenge left open by an earlier try can never be completed.
      if (!onSession && current?.status === 'requires_action') {
        return { kind: 'failed', transactionId, code: 'authentication_required' };
      }
      return { kind: 'pending', transactionId };
    }
    if (tx.status === 'canceled' || tx.status === 'expired') {
      return { kind: 'failed', transactionId, code: `transaction_${tx.status}` };
    }
    return null;
  }

  /** The period's transaction: found by its reserved orderId, or created now. */
  private async transactionFor(a: Agreement, period: number, ctx: CommandContext): Promise<Transaction> {
    const orderId = agreementOrderId(a.agreementId, period);
    const found = await this.byOrder(a.providerId, orderId);
    if (found !== null) return found;
    const { terms } = a;
    try {
      const created = await this.deps.transactions.create(
        a.providerId,
        {
          orderId,
          sub: a.sub!,
          description: `${terms.name} (${period === 1 && terms.trial === null ? 'first period' : `period ${period}`})`,
          amount: terms.price,
          vatRate: terms.vatRate,
          // A subscription line without timeSpec: the right comes from the subscription, not the purchase.
          products: [
            {
              productId: terms.productId,
              sku: terms.sku,
              name: terms.name,
              price: terms.price,
              vatRate: terms.vatRate,
            },
          ],
          successRedirect: a.successRedirect,
          cancelRedirect: a.cancelRedirect,
          createdBy: a.createdBy,
        },
        ctx,
      );
      return created.transaction;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'order_exists') {
        const raced = await this.byOrder(a.providerId, orderId);
        if (raced !== null) return raced;
      }
      throw err;
    }
  }

  private async byOrder(providerId: string, orderId: string): Promise<Transaction | null> {
    const held = await this.deps.store.getReservation(orderReservationKey(providerId, orderId));
    if (held === null) return null;
    return this.load(held.streamId.slice('payment-'.length));
  }

  private async load(transactionId: string): Promise<Transaction> {
    const { state } = await this.deps.handler.load(transactionDecider, transactionStreamId(transactionId));
    if (state.status === 'none') throw new Error(`Transaction ${transactionId} has no events`);
    return state;
  }
}
