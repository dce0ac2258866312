import { inject, injectable } from 'inversify';
import type { CommandContext } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { SUBSCRIPTIONS_PROJECTION, type SubscriptionDoc } from '../../projections/subscriptions.js';
import { SubscriptionCommands } from './subscription-commands.js';

export interface TickReport {
  /** Subscriptions found due and advanced. */
  readonly examined: number;
  readonly transitions: number;
  readonly rightsIssued: number;
  /** Subscriptions whose advance failed (logged; retried on the next tick). */
  readonly failed: number;
}

const PAGE_SIZE = 100;
/** Upper bound of subscriptions handled per tick; the rest wait for the next tick. */
const MAX_PER_TICK = 1000;

/**
 * Runs subscriptions' time-driven transitions (trial end, period rollover, expiry at the end of a
 * canceled period) and repairs rights missing after a crash. It keeps no state of its own: what is
 * due comes from the `subscriptions` projection (`nextTransitionAt` ≤ now on the Clock port) and
 * every decision is the aggregate's, so the scheduler can be stopped, restarted or run in several
 * processes at once. A subscription whose latest events the projection has not applied yet is
 * simply found by a later tick; one found twice is advanced twice, and the second time does nothing.
 */
@injectable()
export class SubscriptionScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickReport> | null = null;
  private readonly log: Logger;

  constructor(
    @inject(SubscriptionCommands) private readonly commands: Pick<SubscriptionCommands, 'advance'>,
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PORTS.Logger) logger: Logger,
  ) {
    this.log = logger.child({ component: 'subscription-scheduler' });
  }

  /** One pass over every subscription due now. Concurrent calls in one process share a pass. */
  tick(): Promise<TickReport> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Ticks every `intervalMs` until stop(); the timer never keeps the process alive. */
  start(intervalMs = 5000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.log.error({ err }, 'subscription scheduler tick failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<TickReport> {
    const now = this.clock.now().toISOString();
    const ctx: CommandContext = {
      actor: { kind: 'system', id: 'subscription-scheduler' },
      correlationId: newId(),
    };
    const view = this.views.view<SubscriptionDoc>(SUBSCRIPTIONS_PROJECTION, 'subscriptions');
    let report = { examined: 0, transitions: 0, rightsIssued: 0, failed: 0 };
    let cursor: string | undefined;
    do {
      const page = await view.find({
        where: { nextTransitionAt: { $lte: now } },
        sort: { field: 'nextTransitionAt', direction: 'asc' },
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      for (const doc of page.items) {
        report = { ...report, examined: report.examined + 1 };
        try {
          const done = await this.commands.advance(doc.id, ctx);
          report = {
            ...report,
            transitions: report.transitions + done.transitions,
            rightsIssued: report.rightsIssued + done.rightsIssued,
          };
        } catch (err) {
          report = { ...report, failed: report.failed + 1 };
          this.log.error({ err, subscriptionId: doc.id }, 'subscription transition failed');
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && report.examined < MAX_PER_TICK);
    if (report.transitions > 0 || report.rightsIssued > 0 || report.failed > 0) {
      this.log.info({ ...report }, 'subscription transitions run');
    }
    return report;
  }
}
