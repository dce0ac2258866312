import { inject, injectable } from 'inversify';
import type { Logger } from '../ports/logger.js';
import { PORTS } from '../tokens.js';
import { PaymentFlow } from './payment-flow.js';
import { StuckAttemptSweeper } from './stuck-attempts.js';

/** How often unknown payment outcomes are settled with the providers, by default. */
export const PAYMENT_RECONCILE_INTERVAL_MS = 15_000;

/**
 * Runs, on a timer, the sweep for attempts that stopped moving (marking them unknown) and then
 * PaymentFlow.reconcileUnknown, which settles unknown outcomes from the providers' records. Both are
 * restart-safe (their work is in the read model and the log), so stopping and starting the job, or
 * running it in several processes, loses and doubles nothing.
 */
@injectable()
export class PaymentReconcileJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly log: Logger;

  constructor(
    @inject(PaymentFlow) private readonly flow: Pick<PaymentFlow, 'reconcileUnknown'>,
    @inject(PORTS.Logger) logger: Logger,
    @inject(StuckAttemptSweeper) private readonly sweeper: Pick<StuckAttemptSweeper, 'sweep'>,
  ) {
    this.log = logger.child({ component: 'payment-reconciler' });
  }

  /** Reconciles every `intervalMs` until stop(); the timer never keeps the process alive. */
  start(intervalMs = PAYMENT_RECONCILE_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.sweeper
        .sweep()
        .then(() => this.flow.reconcileUnknown())
        .then((report) => {
          if (report.checked > 0) this.log.info({ ...report }, 'payment reconciliation pass');
        })
        .catch((err: unknown) =>
          this.log.error(
            { error: err instanceof Error ? err.message : String(err) },
            'payment reconciliation pass failed',
          ),
        );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
