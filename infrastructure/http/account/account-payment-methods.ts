/**
 * Saved payment methods on the account page: adding a card, making one the default and removing
 * one. A card is added through the card provider's own hosted form (the card number never reaches
 * Tessera): the page sends the browser there with a single-use state bound to the account session,
 * and the form sends it back with a token, which the provider describes server to server (brand,
 * last4, expiry) before it is saved. The phone bill is saved where it is used, on the payment page.
 */
import type { Request, Response } from 'express';
import type { PaymentMethodCommands } from '../../../application/payment-method/payment-method-commands.js';
import type {
  PaymentMethodQueries,
  PaymentMethodView,
} from '../../../application/payment-method/payment-method-queries.js';
import type { Views } from '../../../application/ports/views.js';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import {
  type CardTokenizer,
  PaymentProviderUnavailable,
  PaymentRequestRejected,
} from '../../../application/ports/payment-provider.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { PAYMENT_METHODS_PROJECTION } from '../../../projections/payment-methods.js';
import type { AccountNotice } from './account-i18n.js';
import { AccountPageError, type AccountScene, field } from './account-scene.js';
import { CardFormStates, cardFormOrigin } from '../pages/card-form.js';

export interface AccountPaymentMethodsDeps {
  readonly queries: Pick<PaymentMethodQueries, 'list'>;
  readonly commands: Pick<PaymentMethodCommands, 'setDefault' | 'remove' | 'saveCard'>;
  /** The card provider's tokenising side; without one, cards cannot be added here. */
  readonly tokenizer: CardTokenizer | null;
  /** Holds the single-use state of a visit to the card form. */
  readonly store: EphemeralStore;
}

/** Time to fill in the card form and come back. */
const CARD_STATE_TTL_SECONDS = 15 * 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PaymentMethodPages {
  private readonly cardStates: CardFormStates<{ readonly sessionKey: string }>;

  constructor(
    private readonly deps: AccountPaymentMethodsDeps,
    private readonly views: Pick<Views, 'waitFor'>,
    private readonly timeoutMs: number,
  ) {
    this.cardStates = new CardFormStates(deps.store, 'account-card-state', CARD_STATE_TTL_SECONDS);
  }

  /** Whether a card can be added here (a card provider is configured). */
  get canAddCards(): boolean {
    return this.deps.tokenizer !== null;
  }

  /** The card form's origin, which the page's form-action must allow (the redirect goes there). */
  formOrigin(): string | null {
    return cardFormOrigin(this.deps.tokenizer);
  }

  /** Sends the browser to the card provider's form, with a state only this session can bring back. */
  async startAdd(res: Response, s: AccountScene, issuer: string): Promise<void> {
    const tokenizer = this.deps.tokenizer;
    if (tokenizer === null) throw new AccountPageError(409, (t) => t.errors.cardUnavailable);
    const state = await this.cardStates.issue({ sessionKey: s.session.key });
    const returnUrl = `${issuer}/account/payment-methods/card`;
    res.redirect(303, tokenizer.formUrl({ returnUrl, state, locale: s.locale }));
  }

  /**
   * Back from the card form: the state must be this session's and unused (a reload or a forged
   * return saves nothing), the token is described by the provider, and the card is saved.
   */
  async finishAdd(req: Request, res: Response, s: AccountScene): Promise<void> {
    const tokenizer = this.deps.tokenizer;
    if (tokenizer === null) throw new AccountPageError(409, (t) => t.errors.cardUnavailable);
    const valid = await this.cardStates.redeem(req.query.state, (e) => e.sessionKey === s.session.key);
    const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
    if (valid === null || token === '') throw new AccountPageError(400, (t) => t.errors.cardFormFailed);
    let card;
    try {
      card = await tokenizer.describeToken(token);
    } catch (err) {
      if (err instanceof PaymentProviderUnavailable || err instanceof PaymentRequestRejected)
        throw new AccountPageError(503, (t) => t.errors.cardFormFailed);
      throw err;
    }
    if (card === null) throw new AccountPageError(400, (t) => t.errors.cardFormFailed);
    let position: number | null;
    try {
      ({ position } = await this.deps.commands.saveCard(s.session.sub, card, s.ctx));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'card_expired')
        throw new AccountPageError(422, (t) => t.errors.card_expired);
      throw err;
    }
    await this.visible(position);
    res.redirect(303, '/account?notice=payment_method_added#payment-methods');
  }

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
    await this.visible(position);
    res.redirect(303, `/account?notice=${notice}`);
  }

  /** The redirect shows the page from the read model: wait (bounded) until it has the change. */
  private async visible(position: number | null): Promise<void> {
    if (position === null) return;
    await this.views.waitFor(position, {
      timeoutMs: this.timeoutMs,
      projections: [PAYMENT_METHODS_PROJECTION],
    });
  }
}
