/**
 * The account page at /account: profile, phones and emails, password, saved payment methods,
 * connected services, sessions, and account deletion. Server-rendered forms without JavaScript, each post carrying a
 * CSRF token bound to the account session, each answered by a redirect back to the page (so a
 * reload never repeats a post) or by the page again with what went wrong.
 *
 * Signing in goes through Tessera's own provider (AccountSessions); deleting the account asks for a
 * new sign-in first (max_age=0), valid for FRESH_SIGN_IN_SECONDS.
 */
import express, { type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { ConsentCommands } from '../../../application/consent/consent-commands.js';
import type { ConsentQueries } from '../../../application/consent/consent-queries.js';
import type { Views } from '../../../application/ports/views.js';
import type { CountryCode } from '../../../application/signin/identifier.js';
import type { OneTimeCodes } from '../../../application/signin/one-time-codes.js';
import type { AccountDeletion } from '../../../application/user/account-deletion.js';
import type { UserCommands } from '../../../application/user/user-commands.js';
import type { UserQueries, UserView } from '../../../application/user/user-queries.js';
import type { UserSessions } from '../../../application/user/user-sessions.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { CONSENTS_PROJECTION } from '../../../projections/consents.js';
import { USERS_PROJECTION } from '../../../projections/users.js';
import { requestContext } from '../context.js';
import { CSRF_FIELD, type CsrfTokens } from '../pages/csrf.js';
import { chooseLocale, type Locale, strings } from '../pages/i18n.js';
import { sendPage } from '../pages/render.js';
import { errorPage } from '../pages/views.js';
import { ACCOUNT_NOTICES, type AccountNotice, type AccountStrings, accountStrings } from './account-i18n.js';
import { field } from './account-scene.js';
import { type AccountSession, type AccountSessions, safeReturnTo } from './account-session.js';
import { accountMessagePage, accountPage, deletePage, type IdentifierKind } from './account-views.js';
import { IdentifierPages } from './account-identifiers.js';
import { type AccountPaymentMethodsDeps, PaymentMethodPages } from './account-payment-methods.js';
import { type AccountAgreementsDeps, AgreementPages } from './account-agreements.js';
import { AccountPageError, type AccountScene } from './account-scene.js';

export interface AccountRouterDeps {
  readonly provider: () => Provider;
  readonly accountSessions: AccountSessions;
  readonly users: Pick<
    UserCommands,
    | 'updateProfile'
    | 'addIdentifier'
    | 'verifyIdentifier'
    | 'makePrimary'
    | 'removeIdentifier'
    | 'setPassword'
    | 'removePassword'
    | 'verifyPassword'
  >;
  readonly queries: Pick<UserQueries, 'getUser'>;
  readonly consents: {
    readonly queries: Pick<ConsentQueries, 'listForUser'>;
    readonly commands: Pick<ConsentCommands, 'revoke'>;
  };
  readonly sessions: UserSessions;
  readonly deletion: Pick<AccountDeletion, 'delete'>;
  readonly codes: Pick<OneTimeCodes, 'request' | 'verify'>;
  readonly csrf: CsrfTokens;
  readonly views: Pick<Views, 'waitFor'>;
  readonly defaultCountry: CountryCode;
  /** Saved payment methods (list, make default, remove); the section is left out without them. */
  readonly paymentMethods?: AccountPaymentMethodsDeps;
  /** Charging agreements (list, stop); the section is left out without them. */
  readonly agreements?: AccountAgreementsDeps;
  /** How long a write waits for the page's read models (default 5000 ms). */
  readonly writeVisibleTimeoutMs?: number;
}

/** The page's wording for the domain's refusals; anything else is unexpected. */
function domainMessage(err: DomainError, t: AccountStrings): { status: number; message: string } | null {
  const code = err.code;
  if (code.endsWith('_taken')) return { status: 409, message: t.errors.taken };
  if (code.endsWith('_exists')) return { status: 409, message: t.errors.exists };
  if (code.endsWith('_not_verified')) return { status: 409, message: t.errors.not_verified };
  if (code.startsWith('too_many_')) return { status: 409, message: t.errors.too_many };
  if (code === 'last_identifier') return { status: 409, message: t.errors.last_identifier };
  if (code === 'invalid_password') return { status: 422, message: t.errors.invalid_password };
  if (code === 'invalid_phone') return { status: 422, message: t.errors.invalid_phone };
  if (code === 'invalid_email') return { status: 422, message: t.errors.invalid_email };
  if (err.field === 'name') return { status: 422, message: t.errors.invalid_name };
  if (err.kind === 'not_found') return { status: 404, message: t.errors.unexpected };
  return null;
}

export function createAccountRouter(deps: AccountRouterDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const timeoutMs = deps.writeVisibleTimeoutMs ?? 5000;
  const wallet = deps.paymentMethods && new PaymentMethodPages(deps.paymentMethods, deps.views, timeoutMs);
  const recurring = deps.agreements && new AgreementPages(deps.agreements, deps.views, timeoutMs);
  // The card form's origin is known once the server listens; computed on first use.
  let cardOrigin: string | null | undefined;
  const cardOrigins = (): string[] => {
    cardOrigin ??= wallet?.formOrigin() ?? null;
    return cardOrigin === null ? [] : [cardOrigin];
  };

  const localeOf = (req: Request, user?: UserView): Locale =>
    chooseLocale(user?.locale ?? undefined, req.get('accept-language'));

  async function scene(req: Request, res: Response, session: AccountSession): Promise<AccountScene> {
    const user = await deps.queries.getUser(session.sub);
    const locale = localeOf(req, user);
    return {
      session,
      user,
      locale,
      t: accountStrings(locale),
      csrf: deps.csrf.issue(session.key),
      ctx: {
        actor: { kind: 'user', id: session.sub },
        correlationId: requestContext(res).correlationId,
      },
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    };
  }

  /** Waits (bounded) until the page's read models show a write, so the redirect shows it too. */
  async function visible(position: number | null): Promise<void> {
    if (position === null) return;
    await deps.views.waitFor(position, { timeoutMs, projections: [USERS_PROJECTION, CONSENTS_PROJECTION] });
  }

  const back = (res: Response, notice: AccountNotice) => res.redirect(303, `/account?notice=${notice}`);

  async function overview(req: Request, res: Response, s: AccountScene, status: number, error?: string) {
    const [services, sessions, paymentMethods, agreements] = await Promise.all([
      deps.consents.queries.listForUser(s.session.sub),
      deps.sessions.list(s.session.sub),
      wallet?.list(s.session.sub),
      recurring?.list(s.session.sub),
    ]);
    const names = new Map(services.map((c) => [c.clientId, c.clientName]));
    const provider = deps.provider();
    const lines = await Promise.all(
      sessions.map(async (line) => ({
        ...line,
        current: line.uid === s.session.sessionUid,
        clientNames: await Promise.all(
          line.clientIds.map(
            async (id) => names.get(id) ?? (await provider.Client.find(id))?.clientName ?? id,
          ),
        ),
      })),
    );
    const notice = String(req.query.notice ?? '');
    sendPage(
      res,
      status,
      accountPage({
        locale: s.locale,
        csrf: s.csrf,
        user: s.user,
        services,
        sessions: lines,
        ...(paymentMethods === undefined ? {} : { paymentMethods }),
        ...(agreements === undefined ? {} : { agreements }),
        ...(wallet?.canAddCards ? { canAddCards: true, formOrigins: cardOrigins() } : {}),
        ...(status === 200 && (ACCOUNT_NOTICES as readonly string[]).includes(notice)
          ? { notice: notice as AccountNotice }
          : {}),
        ...(error !== undefined ? { error } : {}),
      }),
    );
  }

  /**
   * Runs a handler for a signed-in person: without an account session a GET goes to sign-in and a
   * post is refused; posts need the session's CSRF token. Domain refusals come back on the page.
   */
  const signedIn =
    (run: (req: Request, res: Response, s: AccountScene) => Promise<void>, options = { post: false }) =>
    async (req: Request, res: Response): Promise<void> => {
      let s: AccountScene | undefined;
      try {
        const session = await deps.accountSessions.current(req);
        if (session === null) {
          if (options.post) throw new AccountPageError(403, (t) => t.errors.csrf);
          res.redirect(303, `/account/signin?return=${encodeURIComponent(safeReturnTo(req.path))}`);
          return;
        }
        s = await scene(req, res, session);
        if (options.post && !deps.csrf.verify(session.key, field(req.body, CSRF_FIELD, 200))) {
          throw new AccountPageError(403, (t) => t.errors.csrf);
        }
        await run(req, res, s);
      } catch (err) {
        if (res.headersSent) throw err;
        const locale = s?.locale ?? localeOf(req);
        const t = accountStrings(locale);
        const known =
          err instanceof AccountPageError
            ? { status: err.status, message: err.pick(t) }
            : err instanceof DomainError
              ? domainMessage(err, t)
              : null;
        if (known !== null && s !== undefined) return overview(req, res, s, known.status, known.message);
        if (known !== null) return sendPage(res, known.status, errorPage(locale, known.message));
        requestContext(res).logger.error(
          { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : {} },
          'account page failed',
        );
        sendPage(res, 500, errorPage(locale, strings(locale).errors.unexpected));
      }
    };
  const post = (run: (req: Request, res: Response, s: AccountScene) => Promise<void>) => [
    form,
    signedIn(run, { post: true }),
  ];

  router.get('/account/signin', async (req, res) => {
    const provider = deps.provider();
    const url = await deps.accountSessions.begin(res, provider.issuer, {
      returnTo: safeReturnTo(req.query.return),
      reauthenticate: req.query.fresh === '1',
      uiLocales: localeOf(req),
    });
    res.redirect(303, url);
  });

  router.get('/account/callback', async (req, res) => {
    const outcome = await deps.accountSessions.complete(req, res, deps.provider());
    if (outcome.ok) return res.redirect(303, outcome.returnTo);
    const locale = localeOf(req);
    const t = accountStrings(locale);
    sendPage(
      res,
      400,
      accountMessagePage(
        locale,
        t.title,
        outcome.reason === 'denied' ? t.errors.signin_denied : t.errors.signin_failed,
        {
          error: true,
        },
      ),
    );
  });

  router.get(
    '/account',
    signedIn(async (req, res, s) => overview(req, res, s, 200)),
  );

  router.post(
    '/account/signout',
    ...post(async (_req, res, s) => {
      await deps.sessions.end(s.session.sub, s.session.sessionUid);
      await deps.accountSessions.end(res, deps.provider().issuer, s.session);
      sendPage(res, 200, accountMessagePage(s.locale, s.t.signedOutTitle, s.t.signedOut));
    }),
  );

  router.post(
    '/account/profile',
    ...post(async (req, res, s) => {
      const name = field(req.body, 'name', 1000).trim();
      const locale = field(req.body, 'locale', 20);
      const result = await deps.users.updateProfile(
        s.session.sub,
        { name: name === '' ? null : name, ...(locale === 'en' || locale === 'nb' ? { locale } : {}) },
        s.ctx,
      );
      await visible(result.position);
      back(res, 'profile_saved');
    }),
  );

  const identifiers = new IdentifierPages({ ...deps, visible });
  router.post('/account/identifiers', ...post((req, res, s) => identifiers.add(req, res, s)));
  router.post('/account/identifiers/resend', ...post((req, res, s) => identifiers.resend(req, res, s)));
  router.post('/account/identifiers/verify', ...post((req, res, s) => identifiers.verify(req, res, s)));
  for (const [path, act, notice] of [
    ['primary', 'makePrimary', 'primary_changed'],
    ['remove', 'removeIdentifier', 'identifier_removed'],
  ] as const) {
    router.post(
      `/account/identifiers/${path}`,
      ...post(async (req, res, s) => {
        const { kind, value } = identifiers.parse(req);
        const result = await deps.users[act](s.session.sub, { kind, value }, s.ctx);
        await visible(result.position);
        back(res, notice);
      }),
    );
  }

  if (wallet) {
    router.post('/account/payment-methods/default', ...post((req, res, s) => wallet.setDefault(req, res, s)));
    router.post('/account/payment-methods/remove', ...post((req, res, s) => wallet.remove(req, res, s)));
    router.post(
      '/account/payment-methods/new-card',
      ...post((_req, res, s) => wallet.startAdd(res, s, deps.provider().issuer)),
    );
    router.get(
      '/account/payment-methods/card',
      signedIn((req, res, s) => wallet.finishAdd(req, res, s)),
    );
  }

  if (recurring) {
    router.post('/account/agreements/stop', ...post((req, res, s) => recurring.stop(req, res, s)));
  }

  router.post(
    '/account/password',
    ...post(async (req, res, s) => {
      const password = field(req.body, 'password');
      if (password !== field(req.body, 'repeat'))
        throw new AccountPageError(422, (t) => t.errors.password_mismatch);
      await requireCurrentPassword(req, s);
      const result = await deps.users.setPassword(s.session.sub, password, s.ctx);
      await visible(result.position);
      back(res, 'password_set');
    }),
  );

  router.post(
    '/account/password/remove',
    ...post(async (req, res, s) => {
      await requireCurrentPassword(req, s);
      const result = await deps.users.removePassword(s.session.sub, s.ctx);
      await visible(result.position);
      back(res, 'password_removed');
    }),
  );

  /** Changing or removing a password takes the current one (the same wrong-password answer always). */
  async function requireCurrentPassword(req: Request, s: AccountScene): Promise<void> {
    if (!s.user.hasPassword) return;
    if (!(await deps.users.verifyPassword(s.session.sub, field(req.body, 'current')))) {
      throw new AccountPageError(403, (t) => t.errors.wrong_password);
    }
  }

  router.post(
    '/account/services/revoke',
    ...post(async (req, res, s) => {
      const clientId = field(req.body, 'clientId', 100);
      const result = await deps.consents.commands.revoke(s.session.sub, clientId, { by: 'user' }, s.ctx);
      await visible(result.position);
      back(res, 'service_revoked');
    }),
  );

  router.post(
    '/account/sessions/end',
    ...post(async (req, res, s) => {
      const uid = field(req.body, 'session', 100);
      if (uid === s.session.sessionUid) throw new AccountPageError(400, (t) => t.errors.unexpected);
      await deps.sessions.end(s.session.sub, uid);
      back(res, 'session_ended');
    }),
  );

  /** Deleting the account: a fresh sign-in first, then an explicit confirmation. */
  const requireFreshSignIn = (res: Response, s: AccountScene): boolean => {
    if (deps.accountSessions.isFresh(s.session)) return true;
    res.redirect(303, '/account/signin?return=%2Faccount%2Fdelete&fresh=1');
    return false;
  };

  router.get(
    '/account/delete',
    signedIn(async (_req, res, s) => {
      if (!requireFreshSignIn(res, s)) return;
      sendPage(res, 200, deletePage({ locale: s.locale, csrf: s.csrf }));
    }),
  );

  router.post(
    '/account/delete',
    ...post(async (req, res, s) => {
      if (!requireFreshSignIn(res, s)) return;
      if (field(req.body, 'confirm') !== 'yes') {
        return sendPage(
          res,
          422,
          deletePage({ locale: s.locale, csrf: s.csrf, error: s.t.errors.confirm_delete }),
        );
      }
      await deps.deletion.delete(s.session.sub, s.ctx);
      await deps.accountSessions.end(res, deps.provider().issuer, s.session);
      sendPage(res, 200, accountMessagePage(s.locale, s.t.deletedTitle, s.t.deleted));
    }),
  );

  return router;
}

export type { IdentifierKind };
