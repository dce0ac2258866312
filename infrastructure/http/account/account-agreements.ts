/**
 * Recurring payments on the account page: the charging agreements the person confirmed, what each
 * costs and when it renews, and "Stop" — which cancels the subscription at the end of the period
 * already paid for, exactly as a provider's stop does. Agreements never confirmed, and those that
 * have fully ended, are not listed.
 */
import type { Request, Response } from 'express';
import type { AgreementCommands } from '../../../application/agreement/agreement-commands.js';
import type { AgreementQueries } from '../../../application/agreement/agreement-queries.js';
import type { Views } from '../../../application/ports/views.js';
import { AGREEMENTS_PROJECTION, type AgreementDoc } from '../../../projections/agreements.js';
import { AccountPageError, type AccountScene, field } from './account-scene.js';

export interface AccountAgreementsDeps {
  readonly queries: Pick<AgreementQueries, 'listForUser'>;
  readonly commands: Pick<AgreementCommands, 'stopByUser'>;
}

/** What the page shows of one agreement. */
export interface AgreementLine {
  readonly agreementId: string;
  readonly name: string;
  readonly price: AgreementDoc['terms']['price'];
  readonly period: string;
  readonly pastDue: boolean;
  /** Stopped, running out at `periodEnd`. */
  readonly ending: boolean;
  readonly periodEnd: string | null;
  readonly methodLabel: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Still running: charging, or stopped but with a paid period left. */
function running(d: AgreementDoc): boolean {
  if (d.status === 'active' || d.status === 'past_due') return true;
  return d.status === 'stopped' && !d.subscriptionEnded && d.periodEnd !== null;
}

export class AgreementPages {
  constructor(
    private readonly deps: AccountAgreementsDeps,
    private readonly views: Pick<Views, 'waitFor'>,
    private readonly timeoutMs: number,
  ) {}

  async list(sub: string): Promise<AgreementLine[]> {
    const docs = await this.deps.queries.listForUser(sub);
    return docs.filter(running).map((d) => ({
      agreementId: d.id,
      name: d.terms.name,
      price: d.terms.price,
      period: d.terms.period,
      pastDue: d.status === 'past_due',
      ending: d.status === 'stopped' || d.subscriptionEnding,
      periodEnd: d.periodEnd,
      methodLabel: d.methodLabel,
    }));
  }

  /** Stops one of the agreements listed for the person (never one they are not party to). */
  async stop(req: Request, res: Response, s: AccountScene): Promise<void> {
    const agreementId = field(req.body, 'agreementId', 100);
    if (!UUID.test(agreementId)) throw new AccountPageError(400, (t) => t.errors.unexpected);
    const own = await this.list(s.session.sub);
    if (!own.some((line) => line.agreementId === agreementId && !line.ending)) {
      throw new AccountPageError(404, (t) => t.errors.agreementNotFound);
    }
    const { position } = await this.deps.commands.stopByUser(s.session.sub, agreementId, s.ctx);
    if (position !== null) {
      await this.views.waitFor(position, { timeoutMs: this.timeoutMs, projections: [AGREEMENTS_PROJECTION] });
    }
    res.redirect(303, '/account?notice=agreement_stopped#agreements');
  }
}
