/**
 * The pages of an OpenID Connect interaction at `/interaction/:uid` (oidc-provider's
 * `interactions.url`): sign in with a one-time code (and a password when the client asks for
 * acr "2"), then consent. Plain server-rendered forms, in
 * English or Norwegian, each carrying a CSRF token bound to the interaction.
 *
 * The interaction is always the one named by the provider's signed interaction cookie
 * (`interactionDetails`); the `:uid` in the path must match it, so a link or form can never act on
 * an interaction other than the browser's own.
 */
import express, { type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { Logger } from '../../application/ports/logger.js';
import { passwordDemand, type SignInFlow, type StartOutcome } from '../oidc/interactions-signin.js';
import {
  type ConsentDecision,
  type ConsentRecorder,
  finishConsent,
  requestedScopes,
} from '../oidc/interactions-consent.js';
import { requestContext } from './context.js';
import { CSRF_FIELD, type CsrfTokens } from './pages/csrf.js';
import { chooseLocale, type Locale, type PageStrings, strings } from './pages/i18n.js';
import { originOf, type Page, sendPage } from './pages/render.js';
import {
  type ClientFace,
  codePage,
  consentPage,
  errorPage,
  noPasswordPage,
  passwordPage,
  signInPage,
} from './pages/views.js';

export interface InteractionRouterDeps {
  /** The provider, once built (it needs the issuer, known only after the server listens). */
  readonly provider: () => Provider;
  readonly signIn: SignInFlow;
  /** Records each answer on the consent page as a Consent event (ConsentCommands). */
  readonly consents: ConsentRecorder;
  readonly csrf: CsrfTokens;
  readonly logger: Logger;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One request's view of its interaction: who asks, in which language, and how to answer. */
interface Scene {
  readonly interaction: Interaction;
  readonly locale: Locale;
  readonly t: PageStrings;
  readonly client: ClientFace;
  readonly base: string;
  readonly csrf: string;
  readonly formOrigins: readonly string[];
  readonly ip: string;
  readonly correlationId: string;
}

/** A refusal that ends the request with an error page. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly pick: (t: PageStrings) => string,
  ) {
    super('page error');
  }
}

const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export function createInteractionRouter(deps: InteractionRouterDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

  async function scene(req: Request, res: Response, expectedPrompt: string | null): Promise<Scene> {
    const provider = deps.provider();
    const interaction = await provider.interactionDetails(req, res);
    const locale = chooseLocale(
      typeof interaction.params.ui_locales === 'string' ? interaction.params.ui_locales : undefined,
      req.get('accept-language'),
    );
    if (interaction.uid !== req.params.uid) throw new PageError(400, (t) => t.errors.session_expired);
    if (expectedPrompt !== null && interaction.prompt.name !== expectedPrompt) {
      throw new PageError(400, (t) => t.errors.session_expired);
    }
    const clientId = String(interaction.params.client_id);
    const client = await provider.Client.find(clientId);
    const redirectOrigin = originOf(interaction.params.redirect_uri);
    return {
      interaction,
      locale,
      t: strings(locale),
      client: { name: client?.clientName ?? clientId, logoUri: client?.logoUri ?? null },
      base: `/interaction/${encodeURIComponent(interaction.uid)}`,
      csrf: deps.csrf.issue(interaction.uid),
      formOrigins: redirectOrigin === null ? [] : [redirectOrigin],
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      correlationId: requestContext(res).correlationId,
    };
  }

  function requireCsrf(s: Scene, req: Request): void {
    if (!deps.csrf.verify(s.interaction.uid, field(req.body, CSRF_FIELD))) {
      throw new PageError(403, (t) => t.errors.csrf);
    }
  }

  /** Runs a handler; provider and page errors become an error page in the request's language. */
  const handle =
    (run: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await run(req, res);
      } catch (err) {
        if (res.headersSent) throw err;
        const locale = chooseLocale(undefined, req.get('accept-language'));
        const t = strings(locale);
        if (err instanceof PageError) return sendPage(res, err.status, errorPage(locale, err.pick(t)));
        if (err instanceof errors.SessionNotFound) {
          return sendPage(res, 400, errorPage(locale, t.errors.session_expired));
        }
        requestContext(res).logger.error(
          { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : {} },
          'interaction failed',
        );
        sendPage(res, 500, errorPage(locale, t.errors.unexpected));
      }
    };

  const formPage = (s: Scene) => ({
    locale: s.locale,
    base: s.base,
    csrf: s.csrf,
    formOrigins: s.formOrigins,
  });

  const identifierPage = (s: Scene, value: string, error?: string): Page =>
    signInPage({ ...formPage(s), client: s.client, value, ...(error !== undefined ? { error } : {}) });

  const enterCodePage = (s: Scene, masked: string, remember: boolean, error?: string): Page =>
    codePage({ ...formPage(s), masked, remember, ...(error !== undefined ? { error } : {}) });

  const enterPasswordPage = (s: Scene, error?: string): Page =>
    passwordPage({ ...formPage(s), client: s.client, ...(error !== undefined ? { error } : {}) });

  /** Ends the login prompt for `sub`: acr "1" after a code, "2" after a code and a password. */
  async function finishLogin(
    req: Request,
    res: Response,
    login: {
      readonly sub: string;
      readonly acr: '1' | '2';
      readonly amr: readonly string[];
      readonly remember: boolean;
    },
  ): Promise<void> {
    const result: InteractionResults = {
      login: { accountId: login.sub, acr: login.acr, amr: [...login.amr], remember: login.remember },
    };
    await deps.provider().interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  /** Sends the relying party an error instead of a sign-in. */
  async function refuse(req: Request, res: Response, error: string, description: string): Promise<void> {
    await deps
      .provider()
      .interactionFinished(
        req,
        res,
        { error, error_description: description },
        { mergeWithLastSubmission: false },
      );
  }

  /** Answers a code request: the code page, or the identifier page with why not. */
  function answerStart(res: Response, s: Scene, outcome: StartOutcome, typed: string): void {
    if (outcome.ok) return sendPage(res, 200, enterCodePage(s, outcome.masked, false));
    switch (outcome.reason) {
      case 'throttled':
        res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
        return sendPage(
          res,
          429,
          identifierPage(s, typed, s.t.errors.throttled(s.t.wait(outcome.retryAfterSeconds))),
        );
      case 'delivery_failed':
        return sendPage(res, 503, identifierPage(s, typed, s.t.errors.delivery_failed));
      case 'no_step':
        return sendPage(res, 400, identifierPage(s, typed, s.t.errors.expired));
      default:
        return sendPage(res, 422, identifierPage(s, typed, s.t.errors[outcome.reason]));
    }
  }

  router.get(
    '/interaction/:uid',
    handle(async (req, res) => {
      const s = await scene(req, res, null);
      if (s.interaction.prompt.name === 'consent') {
        return sendPage(
          res,
          200,
          consentPage({ ...formPage(s), client: s.client, scopes: requestedScopes(s.interaction) }),
        );
      }
      if (s.interaction.prompt.name !== 'login') throw new PageError(400, (t) => t.errors.session_expired);
      const hint = s.interaction.params.login_hint;
      sendPage(res, 200, identifierPage(s, typeof hint === 'string' ? hint.slice(0, 320) : ''));
    }),
  );

  router.post(
    '/interaction/:uid/identifier',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'login');
      requireCsrf(s, req);
      const typed = field(req.body, 'identifier').slice(0, 320);
      const outcome = await deps.signIn.start(s.interaction.uid, typed, s);
      answerStart(res, s, outcome, typed);
    }),
  );

  router.post(
    '/interaction/:uid/resend',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'login');
      requireCsrf(s, req);
      answerStart(res, s, await deps.signIn.resend(s.interaction.uid, s), '');
    }),
  );

  router.post(
    '/interaction/:uid/code',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'login');
      requireCsrf(s, req);
      const remember = field(req.body, 'remember') !== '';
      const outcome = await deps.signIn.finish(s.interaction.uid, field(req.body, 'code'), s);
      if (outcome.ok) {
        const demand = passwordDemand(s.interaction.params);
        if (demand === 'none')
          return finishLogin(req, res, { sub: outcome.sub, acr: '1', amr: outcome.amr, remember });
        const step = await deps.signIn.awaitPassword(
          s.interaction.uid,
          { sub: outcome.sub, amr: outcome.amr, remember },
          demand,
        );
        if (step.hasPassword) return sendPage(res, 200, enterPasswordPage(s));
        return sendPage(
          res,
          200,
          noPasswordPage({ ...formPage(s), client: s.client, optional: demand === 'voluntary' }),
        );
      }
      if (outcome.reason === 'no_step') return sendPage(res, 400, identifierPage(s, '', s.t.errors.expired));
      if (outcome.reason === 'account_locked') {
        return sendPage(res, 403, errorPage(s.locale, s.t.errors.account_locked));
      }
      const masked = (await deps.signIn.pending(s.interaction.uid))?.masked ?? '';
      const again = (status: number, message: string) =>
        sendPage(res, status, enterCodePage(s, masked, remember, message));
      switch (outcome.reason) {
        case 'wrong_code':
          return again(400, s.t.errors.wrong_code(outcome.attemptsLeft));
        case 'expired':
          return again(400, s.t.errors.expired);
        case 'too_many_attempts':
          return again(400, s.t.errors.too_many_attempts);
        case 'locked':
        case 'rate_limited':
          res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
          return again(
            429,
            (outcome.reason === 'locked' ? s.t.errors.locked : s.t.errors.throttled)(
              s.t.wait(outcome.retryAfterSeconds),
            ),
          );
      }
    }),
  );

  router.post(
    '/interaction/:uid/password',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'login');
      requireCsrf(s, req);
      const outcome = await deps.signIn.checkPassword(
        s.interaction.uid,
        field(req.body, 'password').slice(0, 1024),
        s,
      );
      if (outcome.ok) return finishLogin(req, res, { ...outcome, acr: '2' });
      switch (outcome.reason) {
        case 'wrong_password':
          return sendPage(res, 400, enterPasswordPage(s, s.t.errors.wrong_password(outcome.attemptsLeft)));
        case 'too_many_attempts':
          return refuse(req, res, 'access_denied', 'too many wrong passwords');
        case 'account_locked':
          return sendPage(res, 403, errorPage(s.locale, s.t.errors.account_locked));
        case 'no_step':
          return sendPage(res, 400, identifierPage(s, '', s.t.errors.expired));
      }
    }),
  );

  router.post(
    '/interaction/:uid/skip-password',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'login');
      requireCsrf(s, req);
      const outcome = await deps.signIn.skipPassword(s.interaction.uid);
      if (outcome.ok) return finishLogin(req, res, { ...outcome, acr: '1' });
      switch (outcome.reason) {
        case 'password_required':
          return refuse(req, res, 'unmet_authentication_requirements', 'the account has no password');
        case 'has_password':
          return sendPage(res, 400, enterPasswordPage(s));
        case 'no_step':
          return sendPage(res, 400, identifierPage(s, '', s.t.errors.expired));
      }
    }),
  );

  router.post(
    '/interaction/:uid/consent',
    form,
    handle(async (req, res) => {
      const s = await scene(req, res, 'consent');
      requireCsrf(s, req);
      const decision = field(req.body, 'decision');
      if (decision !== 'allow' && decision !== 'deny') throw new PageError(400, (t) => t.errors.unexpected);
      const result = await finishConsent(
        deps.provider(),
        s.interaction,
        decision satisfies ConsentDecision,
        deps.consents,
        s.correlationId,
      );
      await deps.provider().interactionFinished(req, res, result, {
        mergeWithLastSubmission: decision === 'allow',
      });
    }),
  );

  return router;
}
