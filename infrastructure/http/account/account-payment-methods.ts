/**
 * Saved payment methods on the account page: making one the default and removing one. Adding a card
 * happens where it is used, on the payment page with the card provider's own form (the card number
 * never reaches Tessera), so this page only lists and manages what was saved there.
 */
import type { Request, Response } from 'express';
import type { PaymentMethodCommands } from '../../../application/payment-method/payment-method-commands.js';
import type {
  PaymentMethodQueries,
  PaymentMethodView,
} from '../../../application/payment-method/payment-method-queries.js';
import type { Views } from '../../../application/ports/views.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { PAYMENT_METHODS_PROJECTION } from '../../../projections/payment-methods.js';
import type { AccountNotice } from './account-i18n.js';
import { AccountPageError, type AccountScene, field } from './account-scene.js';

export interface AccountPaymentMethodsDeps {
  readonly queries: Pick<PaymentMethodQueries, 'list'>;
  readonly commands: Pick<PaymentMethodCommands, 'setDefault' | 'remove'>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PaymentMethodPages {
  constructor(
    private readonly deps: AccountPaymentMethodsDeps,
    private readonly views: Pick<Views, 'waitFor'>,
    private readonly timeoutMs: number,
  ) {}

  /** The person's saved methods, for the overview. */
  list(sub: string): Promise<PaymentMethodView[]> {
    return this.deps.queries.list(sub);
  }

  setDefault(req: Request, res: Response, s: AccountScene): Promise<void> {
    return this.change(req, res, s, 'setDefault', 'payment_method_default');
  }

  remove(req: Request, res: Response, s: AccountScene): Promise<void> {
    return this.change(req, res, s, 'remove', 'payment_method_removed');
  }

  private async change(
    req: Request,
    res: Response,
    s: AccountScene,
    act: 'setDefault' | 'remove',
    notice: AccountNotice,
  ): Promise<void> {
    const methodId = field(req.body, 'methodId', 100);
    if (!UUID.test(methodId)) throw new AccountPageError(400, (t) => t.errors.unexpected);
    let position: number | null;
    try {
      ({ position } = await this.deps.commands[act](s.session.sub, methodId, s.ctx));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'card_expired')
        throw new AccountPageError(422, (t) => t.errors.card_expired);
      throw err;
    }
    // The redirect shows the page from the read model: wait (bounded) until it has the change.
    if (position !== null) {
      await this.views.waitFor(position, {
        timeoutMs: this.timeoutMs,
        projections: [PAYMENT_METHODS_PROJECTION],
      });
    }
    res.redirect(303, `/account?notice=${notice}`);
  }
}
