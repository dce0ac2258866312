import { AGREEMENTS_PROJECTION, type AgreementDoc } from '../../projections/agreements.js';
import type { CommandContext } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Views } from '../ports/views.js';
import type { AgreementRenewals } from './agreement-renewals.js';
import type { AgreementSettings } from './agreement-settings.js';

export interface AgreementTickReport {
  /** Agreements found due and advanced. */
  readonly examined: number;
  /** Charges tried (captured or failed) in this pass. */
  readonly charged: number;
  readonly failedCharges: number;
  /** Agreements whose step threw (logged; retried on the next tick). */
  readonly errors: number;
}

const PAGE_SIZE = 100;
const MAX_PER_TICK = 1000;

/**
 * Runs the renewal process on the Clock: finds the agreements with work due in the `agreements`
 * projection (a charge `chargeLeadMs` before the period ends, or anything else due by now, such as a
 * pending agreement's confirmation deadline) and advances each. It keeps no state: every decision is
 * the aggregates', every charge the period's own transaction and try, so a restart, a lagging read
 * model or a second scheduler changes nothing but when things happen.
 */
export class AgreementScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<AgreementTickReport> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly deps: {
      readonly renewals: Pick<AgreementRenewals, 'advance'>;
      readonly views: Views;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly settings: AgreementSettings;
    },
  ) {
    this.log = deps.logger.child({ component: 'agreement-scheduler' });
  }

  /** One pass; concurrent calls in one process share it. */
  tick(): Promise<AgreementTickReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Ticks every `intervalMs` until stop(); the timer never keeps the process alive. */
  start(intervalMs = 5000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.log.error({ err }, 'agreement scheduler tick failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async due(): Promise<string[]> {
    const now = this.deps.clock.now().getTime();
    const view = this.deps.views.view<AgreementDoc>(AGREEMENTS_PROJECTION, 'agreements');
    const ids = new Set<string>();
    const queries = [
      { field: 'chargeAt', until: new Date(now + this.deps.settings.chargeLeadMs).toISOString() },
      { field: 'wakeAt', until: new Date(now).toISOString() },
    ];
    for (const q of queries) {
      let cursor: string | undefined;
      do {
        const page = await view.find({
          where: { [q.field]: { $lte: q.until } },
          sort: { field: q.field, direction: 'asc' },
          limit: PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        });
        for (const doc of page.items) ids.add(doc.id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && ids.size < MAX_PER_TICK);
    }
    return [...ids];
  }

  private async pass(): Promise<AgreementTickReport> {
    const ctx: CommandContext = {
      actor: { kind: 'system', id: 'agreement-renewals' },
      correlationId: newId(),
    };
    let report: AgreementTickReport = { examined: 0, charged: 0, failedCharges: 0, errors: 0 };
    for (const id of await this.due()) {
      report = { ...report, examined: report.examined + 1 };
      try {
        const { charge } = await this.deps.renewals.advance(id, ctx);
        if (charge?.kind === 'captured') report = { ...report, charged: report.charged + 1 };
        if (charge?.kind === 'failed') report = { ...report, failedCharges: report.failedCharges + 1 };
      } catch (err) {
        report = { ...report, errors: report.errors + 1 };
        this.log.error({ err, agreementId: id }, 'agreement renewal step failed');
      }
    }
    if (report.charged + report.failedCharges + report.errors > 0)
      this.log.info({ ...report }, 'agreement renewals run');
    return report;
  }
}
