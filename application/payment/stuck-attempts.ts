import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { TRANSACTIONS_PROJECTION, type TransactionDoc } from '../../projections/transactions.js';
import type { CommandContext } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { TransactionCommands } from './transaction-commands.js';

/**
 * How long an attempt may stand still before it counts as stuck. A provider call ends within
 * PAYMENT_PROVIDER_TIMEOUT_MS (at most two minutes), and a capture follows its authorization at
 * once, so an attempt still `processing` or `authorized` after five minutes was left by a process
 * that stopped mid-payment. A challenge gets an hour: the payer may still be at the card provider.
 */
export const STUCK_AFTER_MS = {
  processing: 5 * 60_000,
  authorized: 5 * 60_000,
  requires_action: 60 * 60_000,
} as const;

type StuckStatus = keyof typeof STUCK_AFTER_MS;
const STATUSES = Object.keys(STUCK_AFTER_MS) as StuckStatus[];

const REASONS: Readonly<Record<StuckStatus, string>> = {
  processing: 'The payment was interrupted before the provider answered.',
  authorized: 'The payment was interrupted between authorization and capture.',
  requires_action: 'The challenge step was not completed in time.',
};

/** Transactions looked at per status and pass; the rest wait for the next pass. */
const PAGE = 200;
const SYSTEM = { kind: 'system' as const, id: 'payment-reconciler' };

/**
 * Finds attempts that stopped moving — a process that crashed inside a provider call, between
 * authorization and capture, or a payer who never came back from the challenge — and marks their
 * outcome unknown. That hands them to the reconciler, which asks the provider what happened and
 * settles them from its record (captured, released, or failed, making the transaction payable
 * again); nothing is guessed here. Found through the transactions read model (by status), so a
 * pass costs a few indexed reads however long the log is.
 */
@injectable()
export class StuckAttemptSweeper {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(TransactionCommands) private readonly commands: Pick<TransactionCommands, 'markUnknown'>,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PORTS.Logger) private readonly logger: Logger,
  ) {}

  /** One pass; returns how many attempts it marked unknown. */
  async sweep(): Promise<number> {
    const now = this.clock.now().getTime();
    const transactions = this.views.view<TransactionDoc>(TRANSACTIONS_PROJECTION, 'transactions');
    let marked = 0;
    for (const status of STATUSES) {
      const page = await transactions.find({ where: { status }, limit: PAGE });
      for (const doc of page.items) {
        const attempt = doc.attempts.findLast((a) => a.status === status);
        if (attempt === undefined || now - Date.parse(attempt.updatedAt) < STUCK_AFTER_MS[status]) continue;
        const ctx: CommandContext = { actor: SYSTEM, correlationId: newId() };
        try {
          await this.commands.markUnknown(
            doc.providerId,
            doc.transactionId,
            attempt.attemptId,
            REASONS[status],
            ctx,
          );
          marked++;
          this.logger.warn(
            { transactionId: doc.transactionId, attemptId: attempt.attemptId, status },
            'stuck payment attempt handed to reconciliation',
          );
        } catch (err) {
          // It moved on since the read model saw it: nothing to do.
          if (!(err instanceof DomainError)) throw err;
        }
      }
    }
    return marked;
  }
}
