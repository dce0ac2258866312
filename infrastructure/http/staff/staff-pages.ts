/**
 * Sign-in for Tessera's staff pages (the support console at /support, the provider dashboard at
 * /dashboard). Staff are ordinary accounts: a page signs them in through Tessera's own provider
 * exactly like the account page (AccountSessions, with a SessionScope of its own: cookies on the
 * page's path, codes at its callback, its own stored sessions), then asks the StaffDirectory on
 * every request what the account holds, so a revoked role is gone on the next page load.
 *
 *   const support = staffPageSession(SUPPORT_SESSION_SCOPE, deps);
 *   router.use(support.routes);                                   // callback + sign-out
 *   router.get('/support', support.requireStaffPage(['support-agent', 'support-lead']), handler);
 *   // in handler: staffPageCaller(res) → { sub, roles, providerIds, sessionKey, csrf, locale }
 *
 * Without a session a GET is sent to sign in (and comes back to the page it asked for); other
 * methods are refused, since a form post cannot survive the detour. A signed-in account without
 * what the page requires gets a plain 403 page with a way to sign out. Form posts must carry the
 * `csrf` field (staffPageCaller(res).csrf, bound to the session): parse the form before the guard.
 */
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { Clock } from '../../../application/ports/clock.js';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import {
  describeRequirement,
  meetsRequirement,
  type StaffRequirement,
} from '../../../application/staff/staff-access.js';
import type { StaffDirectory, StaffRole } from '../../../application/staff/staff-directory.js';
import type { UserSessions } from '../../../application/user/user-sessions.js';
import {
  DASHBOARD_CALLBACK_PATH,
  DASHBOARD_PATH,
  SUPPORT_CALLBACK_PATH,
  SUPPORT_PATH,
} from '../../oidc/account-client.js';
import { type AccountSession, AccountSessions, type SessionScope } from '../account/account-session.js';
import { CSRF_FIELD, type CsrfTokens } from '../pages/csrf.js';
import { chooseLocale, type Locale } from '../pages/i18n.js';
import { escapeHtml, type Page, sendPage } from '../pages/render.js';

/** Who is using a staff page, for the handlers behind requireStaffPage. */
export interface StaffPageCaller {
  readonly sub: string;
  readonly roles: readonly StaffRole[];
  readonly providerIds: readonly string[];
  /** The page session's key: binds CSRF tokens and anything else kept per session. */
  readonly sessionKey: string;
  /** The CSRF token every form of the page must post as `csrf`. */
  readonly csrf: string;
  readonly locale: Locale;
}

export interface StaffPageDeps {
  readonly provider: () => Provider;
  readonly store: EphemeralStore;
  readonly userSessions: Pick<UserSessions, 'isLive' | 'end'>;
  readonly clock: Clock;
  readonly directory: StaffDirectory;
  readonly csrf: CsrfTokens;
}

export interface StaffPageSession {
  readonly scope: SessionScope;
  readonly sessions: AccountSessions;
  /** `GET <callback>` (the sign-in's return) and `POST <path>/signout`; absolute paths. */
  readonly routes: Router;
  /**
   * Guards a page: passes when the account holds any one of `anyOf` (see StaffRequirement; none
   * given: any staff role or provider access), with the caller in `res.locals.staff`.
   */
  requireStaffPage(anyOf?: StaffRequirement | readonly StaffRequirement[]): RequestHandler;
}

/** Paths under the page's own path (with a query) may be returned to after sign-in; nothing else. */
export function staffReturnTo(path: string): (value: unknown) => string {
  const pattern = new RegExp(
    `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[A-Za-z0-9._~%-]+)*/?(\\?[A-Za-z0-9._~%&=+-]*)?$`,
  );
  return (value) => (typeof value === 'string' && value.length <= 500 && pattern.test(value) ? value : path);
}

/** A staff page's scope: cookies on `path`, codes at `callbackPath`, sessions under `name`. */
export function staffSessionScope(path: string, callbackPath: string, name: string): SessionScope {
  return {
    path,
    callbackPath,
    cookie: `tessera_${name}`,
    loginCookie: `tessera_${name}_login`,
    namespace: name,
    safeReturnTo: staffReturnTo(path),
  };
}

export const SUPPORT_SESSION_SCOPE = staffSessionScope(SUPPORT_PATH, SUPPORT_CALLBACK_PATH, 'support');
export const DASHBOARD_SESSION_SCOPE = staffSessionScope(
  DASHBOARD_PATH,
  DASHBOARD_CALLBACK_PATH,
  'dashboard',
);

const LOCALS_KEY = 'staff';

/** The caller requireStaffPage let through. */
export function staffPageCaller(res: Response): StaffPageCaller {
  const caller = res.locals[LOCALS_KEY] as StaffPageCaller | undefined;
  if (caller === undefined) throw new Error('No staff caller: requireStaffPage must run before this handler');
  return caller;
}

const TEXT = {
  en: {
    noAccess: 'No access',
    noAccessBody: (needed: string) => `This account does not have ${needed}.`,
    notSignedIn: 'Your session has ended. Open the page again to sign in.',
    signOut: 'Sign out',
    signInFailed: 'Signing in did not work. Open the page again to try once more.',
    signedOutTitle: 'Signed out',
    signedOut: 'You are signed out of Tessera.',
    signInAgain: 'Sign in again',
  },
  nb: {
    noAccess: 'Ingen tilgang',
    noAccessBody: (needed: string) => `Denne kontoen har ikke ${needed}.`,
    notSignedIn: 'Økten din er avsluttet. Åpne siden igjen for å logge inn.',
    signOut: 'Logg ut',
    signInFailed: 'Innloggingen mislyktes. Åpne siden igjen for å prøve på nytt.',
    signedOutTitle: 'Logget ut',
    signedOut: 'Du er logget ut av Tessera.',
    signInAgain: 'Logg inn igjen',
  },
} as const;

const localeOf = (req: Request): Locale => chooseLocale(undefined, req.get('accept-language'));

function messagePage(locale: Locale, title: string, body: string): Page {
  return { locale, title, body: `<h1>${escapeHtml(title)}</h1>${body}` };
}

export function staffPageSession(scope: SessionScope, deps: StaffPageDeps): StaffPageSession {
  const sessions = new AccountSessions({
    store: deps.store,
    sessions: deps.userSessions,
    clock: deps.clock,
    scope,
  });
  const signOutPath = `${scope.path}/signout`;
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

  const signOutForm = (locale: Locale, session: AccountSession) =>
    `<form method="post" action="${escapeHtml(signOutPath)}">` +
    `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(deps.csrf.issue(session.key))}">` +
    `<button type="submit" class="secondary">${escapeHtml(TEXT[locale].signOut)}</button></form>`;

  const postedCsrf = (req: Request): unknown =>
    typeof req.body === 'object' && req.body !== null
      ? (req.body as Record<string, unknown>)[CSRF_FIELD]
      : undefined;

  function requireStaffPage(anyOf: StaffRequirement | readonly StaffRequirement[] = []): RequestHandler {
    const required: readonly StaffRequirement[] = typeof anyOf === 'string' ? [anyOf] : anyOf;
    return async (req, res, next) => {
      const locale = localeOf(req);
      const t = TEXT[locale];
      const session = await sessions.current(req);
      const reading = req.method === 'GET' || req.method === 'HEAD';
      if (session === null) {
        if (!reading) {
          return sendPage(
            res,
            403,
            messagePage(locale, t.noAccess, `<p class="error" role="alert">${escapeHtml(t.notSignedIn)}</p>`),
          );
        }
        const url = await sessions.begin(res, deps.provider().issuer, {
          returnTo: req.originalUrl,
          uiLocales: locale,
        });
        return res.redirect(303, url);
      }
      if (!reading && !deps.csrf.verify(session.key, postedCsrf(req))) {
        return sendPage(
          res,
          403,
          messagePage(locale, t.noAccess, `<p class="error" role="alert">${escapeHtml(t.notSignedIn)}</p>`),
        );
      }
      const [roles, providerIds] = await Promise.all([
        deps.directory.rolesOf(session.sub),
        deps.directory.providersOf(session.sub),
      ]);
      if (!meetsRequirement({ roles, providerIds }, required)) {
        return sendPage(
          res,
          403,
          messagePage(
            locale,
            t.noAccess,
            `<p class="error" role="alert">${escapeHtml(t.noAccessBody(describeRequirement(required)))}</p>` +
              signOutForm(locale, session),
          ),
        );
      }
      const caller: StaffPageCaller = {
        sub: session.sub,
        roles,
        providerIds,
        sessionKey: session.key,
        csrf: deps.csrf.issue(session.key),
        locale,
      };
      res.locals[LOCALS_KEY] = caller;
      next();
    };
  }

  const routes = Router();

  routes.get(scope.callbackPath, async (req, res) => {
    const outcome = await sessions.complete(req, res, deps.provider());
    if (outcome.ok) return res.redirect(303, outcome.returnTo);
    const locale = localeOf(req);
    sendPage(
      res,
      400,
      messagePage(
        locale,
        TEXT[locale].noAccess,
        `<p class="error" role="alert">${escapeHtml(TEXT[locale].signInFailed)}</p>`,
      ),
    );
  });

  routes.post(signOutPath, form, async (req, res) => {
    const locale = localeOf(req);
    const t = TEXT[locale];
    const session = await sessions.current(req);
    if (session !== null) {
      if (!deps.csrf.verify(session.key, postedCsrf(req))) {
        return sendPage(
          res,
          403,
          messagePage(locale, t.noAccess, `<p class="error" role="alert">${escapeHtml(t.notSignedIn)}</p>`),
        );
      }
      // Signing out of a staff page signs out of Tessera: a shared computer keeps no staff session.
      await deps.userSessions.end(session.sub, session.sessionUid);
      await sessions.end(res, deps.provider().issuer, session);
    }
    sendPage(
      res,
      200,
      messagePage(
        locale,
        t.signedOutTitle,
        `<p>${escapeHtml(t.signedOut)}</p><p><a href="${escapeHtml(scope.path)}">${escapeHtml(t.signInAgain)}</a></p>`,
      ),
    );
  });

  return { scope, sessions, routes, requireStaffPage };
}
