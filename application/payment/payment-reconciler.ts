import type { ReconciledOutcome } from '../../domain/payment/commands.js';
import type { CommandContext } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/event-store.js';
import type { Logger } from '../ports/logger.js';
import { PaymentProviderUnavailable, type ProviderPayment } from '../ports/payment-provider.js';
import { authorizeKey, cancelKey } from './payment-methods.js';
import { type PaymentSteps, settledFrom } from './payment-steps.js';

export interface ReconcileReport {
  /** Transactions looked at in this pass. */
  readonly checked: number;
  /** Of those, settled for good (nothing more to do). */
  readonly settled: number;
  /** Still waiting for a provider answer. */
  readonly pending: number;
}

const SYSTEM = { kind: 'system' as const, id: 'payment-reconciler' };
const SCAN_BATCH = 500;

/**
 * Settles attempts whose outcome is unknown from the provider's own record (found by the attempt's
 * authorize idempotency key), and captures transactions left `authorized` by a crash before
 * capture. Its work list comes from the log (`PaymentOutcomeUnknown` events), so a restart scans
 * again from the start and loses nothing; a transaction already settled is dropped on sight.
 *
 * What the provider says decides, never a guess: authorized → reconciled, then captured;
 * captured → reconciled as captured; declined or canceled → failed; a challenge nobody can finish
 * any more → released at the provider and failed; no record at all → failed as `not_received`, but
 * only after `notReceivedAfterMs` without one, so a request still in flight is not written off.
 */
export class UnknownOutcomeReconciler {
  /** Unknown attempts the provider had no record of, and since when (in this process). */
  private readonly missingSince = new Map<string, number>();
  /** Transactions that went unknown and are not known to be settled yet. */
  private readonly candidates = new Set<string>();
  private scannedTo = 0;

  constructor(
    private readonly steps: PaymentSteps,
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly notReceivedAfterMs: number,
  ) {}

  async pass(): Promise<ReconcileReport> {
    for (;;) {
      const events = await this.store.readAll({
        after: this.scannedTo,
        maxCount: SCAN_BATCH,
        filter: { types: ['PaymentOutcomeUnknown'] },
      });
      for (const e of events) this.candidates.add((e.data as { transactionId: string }).transactionId);
      const last = events.at(-1);
      if (last) this.scannedTo = last.globalPosition;
      if (events.length < SCAN_BATCH) break;
    }
    let settled = 0;
    const checked = this.candidates.size;
    for (const transactionId of [...this.candidates]) {
      try {
        if (await this.reconcileOne(transactionId)) {
          this.candidates.delete(transactionId);
          settled++;
        }
      } catch (err) {
        this.logger.warn(
          { transactionId, error: err instanceof Error ? err.message : String(err) },
          'payment reconciliation failed; retried on the next pass',
        );
      }
    }
    return { checked, settled, pending: this.candidates.size };
  }

  /** True once the transaction needs nothing more from the reconciler. */
  private async reconcileOne(transactionId: string): Promise<boolean> {
    const { steps } = this;
    const ctx: CommandContext = { actor: SYSTEM, correlationId: newId() };
    const t = await steps.load(transactionId);
    if (t.status === 'authorized') {
      const a = t.attempts.find((x) => x.status === 'authorized');
      if (!a) return true;
      const provider = steps.providerFor(a.method.kind);
      const ref = await steps.processorRef(provider, t, a);
      return (await steps.capture(t, a.attemptId, provider, ref, ctx)).status !== 'unknown';
    }
    if (t.status !== 'unknown' || t.currentAttemptId === null) return true;
    const a = steps.attempt(t, t.currentAttemptId);
    const provider = steps.providerFor(a.method.kind);
    const key = authorizeKey(t.transactionId, a.attemptId);
    let payment: ProviderPayment | null;
    try {
      payment = await provider.retrieve({ idempotencyKey: key });
    } catch (err) {
      if (err instanceof PaymentProviderUnavailable) return false;
      throw err;
    }
    const reconcile = (o: ReconciledOutcome) =>
      steps.commands.reconcile(t.providerId, t.transactionId, a.attemptId, o, ctx);
    if (payment === null) {
      const now = this.clock.now().getTime();
      const since = this.missingSince.get(key) ?? now;
      this.missingSince.set(key, since);
      if (now - since < this.notReceivedAfterMs) return false;
      this.missingSince.delete(key);
      const message = 'The payment provider never received the payment.';
      await reconcile({ status: 'failed', code: 'not_received', message });
      return true;
    }
    const settled = settledFrom(payment);
    switch (settled.kind) {
      case 'pending': {
        // The payer never saw the challenge (its URL was lost with the answer): release it.
        await provider.cancel(payment.processorRef, cancelKey(t.transactionId, a.attemptId));
        const message = 'The challenge step was never completed.';
        await reconcile({ status: 'failed', code: 'action_abandoned', message });
        return true;
      }
      case 'failed':
        await reconcile({ status: 'failed', code: settled.code, message: settled.message });
        return true;
      case 'captured':
        await reconcile({ status: 'captured', providerReference: settled.processorRef });
        return true;
      case 'authorized': {
        const written = await reconcile({ status: 'authorized', providerReference: settled.processorRef });
        const ref = settled.processorRef;
        const after = await steps.capture(written.transaction, a.attemptId, provider, ref, ctx);
        return after.status !== 'unknown';
      }
    }
  }
}
