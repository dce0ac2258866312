/**
 * The hosted payment page, where a provider sends its user to pay a transaction (the transaction's
 * `payment` link):
 *
 *   GET  /pay/:id            the payment: amount with VAT, products, saved methods, new card, phone bill
 *   POST /pay/:id/method     pay with a saved method (one click)
 *   POST /pay/:id/new-card   off to the card provider's hosted form, with a state bound to the session
 *   GET  /pay/:id/card       back from the card form: the token is described by the provider server
 *                            to server, optionally saved, then charged
 *   POST /pay/:id/carrier    pay by carrier billing on the account's verified primary phone
 *   GET  /pay/:id/return     back from a challenge step: the attempt is settled with the provider
 *   POST /pay/:id/cancel     cancel, then off to the provider's cancelRedirect
 *   GET  /pay/callback       the sign-in's return (Tessera's own provider, see AccountSessions)
 *
 * The payer signs in through the ID flow like on the account page, with a session of the payment
 * page's own (cookie scoped to /pay). Only the transaction's own user may pay; anyone else signed in
 * is refused. Every post carries a CSRF token bound to the pay session and the transaction. A
 * decline keeps the payer on the page with the reason; success goes to the provider's
 * successRedirect with `?transactionId=`; a challenge goes to the provider's challenge page.
 */
import express, { type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { CommandContext } from '../../../application/kernel/command-handler.js';
import type { PaymentFlow, PayOutcome } from '../../../application/payment/payment-flow.js';
import { maskMsisdn } from '../../../application/payment/payment-methods.js';
import type { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import type { TransactionQueries } from '../../../application/payment/transaction-queries.js';
import type { PaymentMethodCommands } from '../../../application/payment-method/payment-method-commands.js';
import type { PaymentMethodQueries } from '../../../application/payment-method/payment-method-queries.js';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import {
  type CardTokenizer,
  PaymentProviderUnavailable,
  PaymentRequestRejected,
  type TokenizedCard,
} from '../../../application/ports/payment-provider.js';
import type { UserQueries, UserView } from '../../../application/user/user-queries.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import type { TransactionDoc } from '../../../projections/transactions.js';
import { PAY_CALLBACK_PATH, PAY_PATH } from '../../oidc/account-client.js';
import type { AccountSession, AccountSessions, SessionScope } from '../account/account-session.js';
import { field } from '../account/account-scene.js';
import { requestContext } from '../context.js';
import { CSRF_FIELD, type CsrfTokens } from '../pages/csrf.js';
import { chooseLocale, type Locale } from '../pages/i18n.js';
import { sendPage } from '../pages/render.js';
import { payMessage, type PayStrings, payStrings } from './pay-i18n.js';
import { originsOf, payCompletePage, payMessagePage, payPage } from './pay-views.js';
import { CardFormStates, cardFormOrigin } from '../pages/card-form.js';

export interface PayRouterDeps {
  readonly provider: () => Provider;
  /** Sessions scoped to the payment page (PAY_SESSION_SCOPE). */
  readonly sessions: AccountSessions;
  readonly transactions: Pick<TransactionQueries, 'find'>;
  readonly commands: Pick<TransactionCommands, 'cancel'>;
  readonly flow: Pick<PaymentFlow, 'pay' | 'resume'>;
  readonly methods: Pick<PaymentMethodQueries, 'list' | 'chargeableMethod'>;
  readonly wallet: Pick<PaymentMethodCommands, 'saveCard'>;
  readonly users: Pick<UserQueries, 'getUser'>;
  /** The card provider's hosted form and token lookup; without it no new card can be added. */
  readonly tokenizer: CardTokenizer | null;
  /** Whether carrier billing has a provider. */
  readonly carrierBilling: boolean;
  /** Where the card form's states are kept until the payer comes back. */
  readonly store: EphemeralStore;
  readonly csrf: CsrfTokens;
  /**
   * Resolves once the rights a captured outcome's purchase grants are readable (bounded): success
   * leads to the shop only then, so the shop's first access check already allows.
   */
  readonly rightsReadable?: (outcome: PayOutcome) => Promise<boolean>;
}

const ID = '[0-9a-fA-F-]{36}';
const RETURNABLE = new RegExp(`^/pay/(${ID}(/return\\?attempt=[A-Za-z0-9._~-]{1,100})?|agreements/${ID})$`);

/** Only a payment page (or its challenge return), or an agreement's confirmation page, may be returned to after sign-in. */
export function safePayReturnTo(value: unknown): string {
  return typeof value === 'string' && RETURNABLE.test(value) ? value : PAY_PATH;
}

/** The payment page's own sessions: cookies on /pay, codes at /pay/callback. */
export const PAY_SESSION_SCOPE: SessionScope = {
  path: PAY_PATH,
  callbackPath: PAY_CALLBACK_PATH,
  cookie: 'tessera_pay',
  loginCookie: 'tessera_pay_login',
  namespace: 'pay',
  safeReturnTo: safePayReturnTo,
};

const CARD_STATE_TTL_SECONDS = 30 * 60;

interface CardState {
  readonly sessionKey: string;
  readonly transactionId: string;
  readonly save: boolean;
}

/** What a handler works with: the payer, the transaction, their language and CSRF token. */
interface PayScene {
  readonly session: AccountSession;
  readonly user: UserView;
  readonly tx: TransactionDoc;
  readonly locale: Locale;
  readonly t: PayStrings;
  readonly csrf: string;
  readonly ctx: CommandContext;
}

/** A refusal shown on the payment page itself. */
class PayPageError extends Error {
  constructor(
    readonly status: number,
    readonly pick: (t: PayStrings) => string,
  ) {
    super('pay page error');
  }
}

/** States in which the page offers ways to pay. */
const PAYABLE = new Set(['created', 'failed']);
const PAID = new Set(['captured', 'partially_refunded', 'refunded']);

export function createPayRouter(deps: PayRouterDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  // The card processor's origin (its form, its challenge page), known once the server listens.
  let cardOrigins: string[] | null = null;
  const cardOrigin = () => (cardOrigins ??= originsOf([cardFormOrigin(deps.tokenizer)]));
  const cardStates = new CardFormStates<CardState>(deps.store, 'pay-card-state', CARD_STATE_TTL_SECONDS);

  const localeOf = (req: Request, user?: UserView): Locale =>
    chooseLocale(user?.locale ?? undefined, req.get('accept-language'));
  const csrfBinding = (session: AccountSession, transactionId: string) => `${session.key}:${transactionId}`;

  const successUrl = (tx: TransactionDoc) => {
    const url = new URL(tx.successRedirect);
    url.searchParams.set('transactionId', tx.transactionId);
    return url.href;
  };

  /**
   * The page for the transaction as it stands: paid goes on to successRedirect, a closed or pending
   * transaction shows its state, a payable one the ways to pay (with `error` when the last try failed).
   */
  async function show(res: Response, s: PayScene, status: number, error?: string): Promise<void> {
    const { tx, t, locale } = s;
    if (PAID.has(tx.status)) return res.redirect(303, successUrl(tx));
    if (tx.status === 'canceled')
      return sendPage(res, 200, payMessagePage(locale, t.canceledTitle, t.canceled));
    const expired =
      tx.status === 'expired' ||
      (PAYABLE.has(tx.status) && tx.expiresAt !== null && Date.parse(tx.expiresAt) <= Date.now());
    if (expired) return sendPage(res, 200, payMessagePage(locale, t.expiredTitle, t.expired));
    if (!PAYABLE.has(tx.status)) {
      const cancelable = tx.status === 'requires_action' || tx.status === 'authorized';
      return sendPage(
        res,
        status === 200 ? 200 : status,
        payMessagePage(locale, t.pendingTitle, t.pending, {
          transaction: tx,
          ...(cancelable ? { cancel: s.csrf } : {}),
        }),
      );
    }
    const lastError =
      error ??
      (tx.status === 'failed' && tx.lastError
        ? (payMessage(tx.lastError.code, t) ?? t.errors.declined)
        : undefined);
    const methods = (await deps.methods.list(s.session.sub))
      .filter((m) => m.available && !m.expired && (m.kind === 'card' || deps.carrierBilling))
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
    const phone = s.user.phones.find((p) => p.primary && p.verified)?.value ?? null;
    sendPage(
      res,
      status,
      payPage({
        locale,
        csrf: s.csrf,
        transaction: tx,
        methods,
        phone: deps.carrierBilling && phone !== null ? maskMsisdn(phone) : null,
        cards: deps.tokenizer !== null,
        formOrigins: [...cardOrigin(), ...originsOf([tx.successRedirect, tx.cancelRedirect])],
        ...(lastError === undefined ? {} : { error: lastError }),
      }),
    );
  }

  /**
   * Where a payment attempt leads the payer. `viaProcessor`: the request came through the card
   * processor's pages (card form, challenge), so success is a page that moves on by itself rather
   * than a redirect the processor's form-action would block.
   */
  async function settle(
    res: Response,
    s: PayScene,
    outcome: PayOutcome,
    viaProcessor = false,
  ): Promise<void> {
    switch (outcome.status) {
      case 'captured':
        await deps.rightsReadable?.(outcome);
        if (viaProcessor) return sendPage(res, 200, payCompletePage(s.locale, successUrl(s.tx)));
        return res.redirect(303, successUrl(s.tx));
      case 'requires_action':
        if (outcome.actionUrl !== undefined) return res.redirect(303, outcome.actionUrl);
        break;
      case 'failed': {
        const message = payMessage(outcome.code ?? '', s.t) ?? s.t.errors.declined;
        return show(res, { ...s, tx: { ...s.tx, status: 'failed' } }, 402, message);
      }
    }
    sendPage(res, 202, payMessagePage(s.locale, s.t.pendingTitle, s.t.pending));
  }

  /**
   * Runs a handler for the transaction's own payer: without a pay session a GET goes to sign-in and
   * a post is refused; another account is refused; posts need the CSRF token. Refusals the payer
   * can act on come back on the page.
   */
  const payer =
    (
      run: (req: Request, res: Response, s: PayScene) => Promise<void>,
      options: { readonly post?: boolean; readonly returnTo?: (req: Request, id: string) => string } = {},
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      let s: PayScene | undefined;
      const id = String(req.params['id']);
      try {
        const tx = await deps.transactions.find(id);
        if (tx === null) throw new PayPageError(404, (t) => t.notFound);
        const session = await deps.sessions.current(req);
        if (session === null) {
          if (options.post === true) throw new PayPageError(403, (t) => t.errors.csrf);
          const url = await deps.sessions.begin(res, deps.provider().issuer, {
            returnTo: options.returnTo?.(req, id) ?? `/pay/${id}`,
            uiLocales: localeOf(req),
          });
          return res.redirect(303, url);
        }
        if (session.sub !== tx.sub) {
          const locale = localeOf(req);
          const t = payStrings(locale);
          return sendPage(res, 403, payMessagePage(locale, t.refusedTitle, t.refused, { error: true }));
        }
        const user = await deps.users.getUser(session.sub);
        const locale = localeOf(req, user);
        s = {
          session,
          user,
          tx,
          locale,
          t: payStrings(locale),
          csrf: deps.csrf.issue(csrfBinding(session, id)),
          ctx: { actor: { kind: 'user', id: session.sub }, correlationId: requestContext(res).correlationId },
        };
        if (
          options.post === true &&
          !deps.csrf.verify(csrfBinding(session, id), field(req.body, CSRF_FIELD, 200))
        ) {
          throw new PayPageError(403, (t) => t.errors.csrf);
        }
        await run(req, res, s);
      } catch (err) {
        if (res.headersSent) throw err;
        const locale = s?.locale ?? localeOf(req);
        const t = payStrings(locale);
        if (err instanceof PayPageError) {
          if (s !== undefined && err.status !== 403) return show(res, s, err.status, err.pick(t));
          return sendPage(res, err.status, payMessagePage(locale, t.title, err.pick(t), { error: true }));
        }
        if (err instanceof DomainError && s !== undefined) {
          const message = payMessage(err.code, t);
          if (message !== null) return show(res, s, 409, message);
          // Paid, canceled or expired meanwhile: the page tells which.
          if (err.kind === 'conflict' || err.kind === 'not_found') {
            const fresh = (await deps.transactions.find(s.tx.transactionId)) ?? s.tx;
            return show(res, { ...s, tx: fresh }, 409);
          }
        }
        requestContext(res).logger.error(
          { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : {} },
          'payment page failed',
        );
        sendPage(res, 500, payMessagePage(locale, t.title, t.errors.unexpected, { error: true }));
      }
    };
  const post = (run: (req: Request, res: Response, s: PayScene) => Promise<void>) => [
    form,
    payer(run, { post: true }),
  ];
  /** The card behind a token, as the provider describes it; a provider that does not answer is a retry. */
  async function describe(token: string): Promise<TokenizedCard | null> {
    if (token === '' || deps.tokenizer === null) return null;
    try {
      return await deps.tokenizer.describeToken(token);
    } catch (err) {
      if (err instanceof PaymentProviderUnavailable || err instanceof PaymentRequestRejected) {
        throw new PayPageError(503, (t) => t.errors.cardFormFailed);
      }
      throw err;
    }
  }
  const requirePayable = (s: PayScene) => {
    if (!PAYABLE.has(s.tx.status)) throw new DomainError('conflict', 'not_payable', 'Not payable now.');
  };

  router.get(PAY_CALLBACK_PATH, async (req, res) => {
    const outcome = await deps.sessions.complete(req, res, deps.provider());
    if (outcome.ok) return res.redirect(303, outcome.returnTo);
    const locale = localeOf(req);
    const t = payStrings(locale);
    sendPage(res, 400, payMessagePage(locale, t.title, t.signInFailed, { error: true }));
  });

  router.get(
    '/pay/:id',
    payer((_req, res, s) => show(res, s, 200)),
  );

  router.post(
    '/pay/:id/method',
    ...post(async (req, res, s) => {
      requirePayable(s);
      const chosen = await deps.methods.chargeableMethod(s.session.sub, field(req.body, 'methodId', 100));
      await settle(
        res,
        s,
        await deps.flow.pay(s.tx.transactionId, { sub: s.session.sub, method: chosen.method }, s.ctx),
      );
    }),
  );

  router.post(
    '/pay/:id/carrier',
    ...post(async (_req, res, s) => {
      requirePayable(s);
      const msisdn = s.user.phones.find((p) => p.primary && p.verified)?.value ?? null;
      if (!deps.carrierBilling || msisdn === null) throw new PayPageError(409, (t) => t.errors.noPhone);
      const method = { kind: 'carrier' as const, msisdn };
      await settle(res, s, await deps.flow.pay(s.tx.transactionId, { sub: s.session.sub, method }, s.ctx));
    }),
  );

  router.post(
    '/pay/:id/new-card',
    ...post(async (req, res, s) => {
      requirePayable(s);
      if (deps.tokenizer === null) throw new PayPageError(409, (t) => t.errors.methodUnavailable);
      const state = await cardStates.issue({
        sessionKey: s.session.key,
        transactionId: s.tx.transactionId,
        save: field(req.body, 'save', 5) === '1',
      });
      const returnUrl = `${deps.provider().issuer}/pay/${s.tx.transactionId}/card`;
      res.redirect(303, deps.tokenizer.formUrl({ returnUrl, state, locale: s.locale }));
    }),
  );

  router.get(
    '/pay/:id/card',
    payer(async (req, res, s) => {
      const entry = await cardStates.redeem(
        req.query.state,
        (e) => e.sessionKey === s.session.key && e.transactionId === s.tx.transactionId,
      );
      // A reload after the state was used (or a forged return) pays nothing: the page shows where it stands.
      if (entry === null)
        return show(res, s, PAYABLE.has(s.tx.status) ? 400 : 200, s.t.errors.cardFormFailed);
      requirePayable(s);
      const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
      const card = await describe(token);
      if (card === null) throw new PayPageError(400, (t) => t.errors.cardFormFailed);
      const method = { kind: 'card' as const, ...card };
      const outcome = await deps.flow.pay(s.tx.transactionId, { sub: s.session.sub, method }, s.ctx);
      // A declined card is not kept; one that paid (or awaits its challenge) is, when asked for.
      if (entry.save && outcome.status !== 'failed') {
        try {
          await deps.wallet.saveCard(s.session.sub, card, s.ctx);
        } catch (err) {
          // A card already saved or a full wallet does not undo the payment.
          if (!(err instanceof DomainError)) throw err;
        }
      }
      await settle(res, s, outcome, true);
    }),
  );

  const attemptOf = (req: Request) =>
    typeof req.query.attempt === 'string' && /^[A-Za-z0-9._~-]{1,100}$/.test(req.query.attempt)
      ? req.query.attempt
      : null;

  router.get(
    '/pay/:id/return',
    payer(
      async (req, res, s) => {
        const attempt = attemptOf(req);
        if (attempt === null) return show(res, s, 200);
        await settle(res, s, await deps.flow.resume(s.tx.transactionId, attempt, s.ctx), true);
      },
      {
        returnTo: (req, id) => {
          const attempt = attemptOf(req);
          return attempt === null ? `/pay/${id}` : `/pay/${id}/return?attempt=${attempt}`;
        },
      },
    ),
  );

  router.post(
    '/pay/:id/cancel',
    ...post(async (_req, res, s) => {
      await deps.commands.cancel(s.tx.providerId, s.tx.transactionId, { by: 'user' }, s.ctx);
      res.redirect(303, s.tx.cancelRedirect);
    }),
  );

  return router;
}
