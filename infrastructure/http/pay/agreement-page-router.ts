/**
 * The hosted confirmation page of a charging agreement (the agreement's `confirmation` link):
 *
 *   GET  /pay/agreements/:id           the plan, its price with VAT, recurrence, trial; saved cards, new card
 *   POST /pay/agreements/:id/confirm   agree with a saved card (the first period is charged now when agreed)
 *   POST /pay/agreements/:id/new-card  off to the card provider's hosted form
 *   GET  /pay/agreements/:id/card      back from the card form: the card is saved, then the agreement confirmed with it
 *   POST /pay/agreements/:id/cancel    off to the provider's cancelRedirect, canceling the agreement
 *                                      only when it names the signed-in user
 *
 * Like a hosted checkout session, the page works until the agreement's confirmation deadline
 * (`confirmBy`); from then on it says the time ran out instead of offering the forms, whether or not
 * the renewal process has canceled the agreement yet. An agreement that names no user is open to
 * whoever signs in with its link, so its Cancel button only leaves: the link stays usable for the
 * user it was meant for until the deadline, or until the provider withdraws it.
 *
 * It shares the payment page's sign-in and session (PAY_SESSION_SCOPE, cookie on /pay). Only cards
 * are offered: renewals charge off-session, and the sandbox carrier operator bills only while the
 * subscriber is present. A confirmation goes to successRedirect with `?agreementId=`; a declined
 * first payment keeps the user on the page with the reason; a challenge goes to the card provider.
 */
import express, { type Request, type Response, Router } from 'express';
import type { ChargeOutcome } from '../../../application/agreement/agreement-charger.js';
import type { AgreementCommands, ConfirmOutcome } from '../../../application/agreement/agreement-commands.js';
import type { CommandContext } from '../../../application/kernel/command-handler.js';
import type { PaymentMethodCommands } from '../../../application/payment-method/payment-method-commands.js';
import type { PaymentMethodQueries } from '../../../application/payment-method/payment-method-queries.js';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import type { CardTokenizer } from '../../../application/ports/payment-provider.js';
import type { UserQueries } from '../../../application/user/user-queries.js';
import type { Agreement } from '../../../domain/agreement/state.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import type { AccountSession, AccountSessions } from '../account/account-session.js';
import { field } from '../account/account-scene.js';
import { requestContext } from '../context.js';
import { CSRF_FIELD, type CsrfTokens } from '../pages/csrf.js';
import { chooseLocale, type Locale } from '../pages/i18n.js';
import { sendPage } from '../pages/render.js';
import { agreementStrings } from './agreement-i18n.js';
import { agreementPage } from './agreement-views.js';
import { payMessage, payStrings } from './pay-i18n.js';
import { originsOf, payCompletePage, payMessagePage } from './pay-views.js';
import { CardFormStates, cardFormOrigin } from '../pages/card-form.js';

export interface AgreementPageDeps {
  /** The issuer's base URL (sign-in and the card form's return). */
  readonly issuer: () => string;
  /** The payment page's sessions (PAY_SESSION_SCOPE). */
  readonly sessions: Pick<AccountSessions, 'current' | 'begin'>;
  readonly agreements: Pick<AgreementCommands, 'load' | 'confirm' | 'stopByUser' | 'confirmationExpired'>;
  readonly methods: Pick<PaymentMethodQueries, 'list'>;
  readonly wallet: Pick<PaymentMethodCommands, 'saveCard'>;
  readonly users: Pick<UserQueries, 'getUser'>;
  readonly tokenizer: CardTokenizer | null;
  readonly store: EphemeralStore;
  readonly csrf: CsrfTokens;
}

const CARD_STATE_TTL_SECONDS = 30 * 60;

interface Scene {
  readonly session: AccountSession;
  readonly agreement: Agreement;
  readonly locale: Locale;
  readonly csrf: string;
  readonly ctx: CommandContext;
}

export function createAgreementPageRouter(deps: AgreementPageDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  let cardOrigins: string[] | null = null;
  const cardOrigin = () => (cardOrigins ??= originsOf([cardFormOrigin(deps.tokenizer)]));
  const cardStates = new CardFormStates<{ readonly sessionKey: string; readonly agreementId: string }>(
    deps.store,
    'pay-agreement-card-state',
    CARD_STATE_TTL_SECONDS,
  );
  const binding = (session: AccountSession, id: string) => `${session.key}:agreement:${id}`;
  const successUrl = (a: Agreement) => {
    const url = new URL(a.successRedirect);
    url.searchParams.set('agreementId', a.agreementId);
    return url.href;
  };

  function message(
    res: Response,
    locale: Locale,
    status: number,
    title: string,
    text: string,
    error = false,
  ) {
    sendPage(res, status, payMessagePage(locale, title, text, { error }));
  }

  /** The page for the agreement as it stands. */
  async function show(res: Response, s: Scene, status: number, error?: string): Promise<void> {
    const t = agreementStrings(s.locale);
    const a = s.agreement;
    if (deps.agreements.confirmationExpired(a))
      return message(res, s.locale, status === 200 ? 200 : 409, t.expiredTitle, t.expired);
    if (a.status === 'canceled') return message(res, s.locale, 200, t.canceledTitle, t.canceled);
    if (a.status === 'stopped' || a.status === 'expired')
      return message(res, s.locale, 200, t.endedTitle, t.ended);
    if (a.status !== 'pending') return res.redirect(303, successUrl(a));
    const cards = (await deps.methods.list(s.session.sub))
      .filter((m) => m.kind === 'card' && m.available && !m.expired)
      .sort((x, y) => Number(y.isDefault) - Number(x.isDefault));
    sendPage(
      res,
      status,
      agreementPage({
        locale: s.locale,
        csrf: s.csrf,
        agreement: a,
        cards,
        newCard: deps.tokenizer !== null,
        formOrigins: [...cardOrigin(), ...originsOf([a.successRedirect, a.cancelRedirect])],
        ...(error === undefined ? {} : { error }),
      }),
    );
  }

  /** Where a confirmation leads: on to the shop, back to the page with the decline, or the challenge. */
  async function settle(
    res: Response,
    s: Scene,
    outcome: ConfirmOutcome,
    viaProcessor: boolean,
  ): Promise<void> {
    const charge: ChargeOutcome | null = outcome.charge;
    const t = agreementStrings(s.locale);
    if (charge === null || charge.kind === 'captured') {
      if (viaProcessor) return sendPage(res, 200, payCompletePage(s.locale, successUrl(outcome.agreement)));
      return res.redirect(303, successUrl(outcome.agreement));
    }
    if (charge.kind === 'failed') {
      const text = payMessage(charge.code, payStrings(s.locale)) ?? payStrings(s.locale).errors.declined;
      return show(res, { ...s, agreement: outcome.agreement }, 402, text);
    }
    if (charge.kind === 'action' && charge.actionUrl !== null) return res.redirect(303, charge.actionUrl);
    message(res, s.locale, 202, t.pendingTitle, t.pending);
  }

  const page =
    (run: (req: Request, res: Response, s: Scene) => Promise<void>, post = false) =>
    async (req: Request, res: Response): Promise<void> => {
      const id = String(req.params['id']);
      let locale = chooseLocale(undefined, req.get('accept-language'));
      let s: Scene | undefined;
      try {
        let agreement: Agreement;
        try {
          agreement = await deps.agreements.load(id);
        } catch (err) {
          if (err instanceof DomainError && err.kind === 'not_found')
            return message(
              res,
              locale,
              404,
              agreementStrings(locale).title,
              agreementStrings(locale).notFound,
              true,
            );
          throw err;
        }
        const session = await deps.sessions.current(req);
        if (session === null) {
          if (post)
            return message(
              res,
              locale,
              403,
              agreementStrings(locale).title,
              payStrings(locale).errors.csrf,
              true,
            );
          const url = await deps.sessions.begin(res, deps.issuer(), {
            returnTo: `/pay/agreements/${id}`,
            uiLocales: locale,
          });
          return res.redirect(303, url);
        }
        const owner = agreement.sub ?? agreement.requiredSub;
        if (owner !== null && owner !== session.sub) {
          const t = agreementStrings(locale);
          return message(res, locale, 403, t.refusedTitle, t.refused, true);
        }
        const user = await deps.users.getUser(session.sub);
        locale = chooseLocale(user.locale ?? undefined, req.get('accept-language'));
        s = {
          session,
          agreement,
          locale,
          csrf: deps.csrf.issue(binding(session, id)),
          ctx: { actor: { kind: 'user', id: session.sub }, correlationId: requestContext(res).correlationId },
        };
        if (post && !deps.csrf.verify(binding(session, id), field(req.body, CSRF_FIELD, 200))) {
          return message(
            res,
            locale,
            403,
            agreementStrings(locale).title,
            payStrings(locale).errors.csrf,
            true,
          );
        }
        await run(req, res, s);
      } catch (err) {
        if (res.headersSent) throw err;
        if (err instanceof DomainError && s !== undefined) {
          const text = payMessage(err.code, payStrings(locale));
          const fresh = await deps.agreements.load(id);
          return show(res, { ...s, agreement: fresh }, 409, text ?? undefined);
        }
        requestContext(res).logger.error(
          { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : {} },
          'agreement page failed',
        );
        message(res, locale, 500, agreementStrings(locale).title, payStrings(locale).errors.unexpected, true);
      }
    };
  const post = (run: (req: Request, res: Response, s: Scene) => Promise<void>) => [form, page(run, true)];
  const requirePending = (s: Scene) => {
    if (s.agreement.status !== 'pending')
      throw new DomainError('conflict', 'agreement_not_pending', 'Not pending.');
  };
  /** Still open for confirmation: pending, and its deadline not reached (the decider checks it again). */
  const requireConfirmable = (s: Scene) => {
    if (deps.agreements.confirmationExpired(s.agreement))
      throw new DomainError('conflict', 'agreement_expired', 'The time to confirm ran out.');
    requirePending(s);
  };

  router.get(
    '/pay/agreements/:id',
    page((_req, res, s) => show(res, s, 200)),
  );

  router.post(
    '/pay/agreements/:id/confirm',
    ...post(async (req, res, s) => {
      requireConfirmable(s);
      const outcome = await deps.agreements.confirm(
        s.agreement.agreementId,
        s.session.sub,
        field(req.body, 'methodId', 100),
        s.ctx,
      );
      await settle(res, s, outcome, false);
    }),
  );

  router.post(
    '/pay/agreements/:id/new-card',
    ...post(async (_req, res, s) => {
      requireConfirmable(s);
      if (deps.tokenizer === null)
        throw new DomainError('conflict', 'payment_method_unavailable', 'No card provider.');
      const state = await cardStates.issue({
        sessionKey: s.session.key,
        agreementId: s.agreement.agreementId,
      });
      const returnUrl = `${deps.issuer()}/pay/agreements/${s.agreement.agreementId}/card`;
      res.redirect(303, deps.tokenizer.formUrl({ returnUrl, state, locale: s.locale }));
    }),
  );

  router.get(
    '/pay/agreements/:id/card',
    page(async (req, res, s) => {
      const valid = await cardStates.redeem(
        req.query.state,
        (e) => e.sessionKey === s.session.key && e.agreementId === s.agreement.agreementId,
      );
      const failed = payStrings(s.locale).errors.cardFormFailed;
      if (valid === null) return show(res, s, s.agreement.status === 'pending' ? 400 : 200, failed);
      requireConfirmable(s);
      const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
      const card = token === '' || deps.tokenizer === null ? null : await deps.tokenizer.describeToken(token);
      if (card === null) return show(res, s, 400, failed);
      // The card is kept: renewals charge it off-session.
      const saved = await deps.wallet.saveCard(s.session.sub, card, s.ctx);
      const outcome = await deps.agreements.confirm(
        s.agreement.agreementId,
        s.session.sub,
        saved.methodId,
        s.ctx,
      );
      await settle(res, s, outcome, true);
    }),
  );

  router.post(
    '/pay/agreements/:id/cancel',
    ...post(async (_req, res, s) => {
      const a = s.agreement;
      // Nothing to cancel for this user: the deadline ended it (or will, at the next step), or it
      // names nobody and so is not theirs to end. Back to the shop, changing nothing.
      if (deps.agreements.confirmationExpired(a) || (a.status === 'pending' && a.requiredSub === null))
        return res.redirect(303, a.cancelRedirect);
      requirePending(s);
      await deps.agreements.stopByUser(s.session.sub, a.agreementId, s.ctx);
      res.redirect(303, a.cancelRedirect);
    }),
  );

  return router;
}
