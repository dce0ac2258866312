/**
 * The provider dashboard, for staff who read a provider's reports:
 *
 *   GET /dashboard                           totals and charts of one provider over a period
 *                                            (?provider=&from=&to=, default: the last 30 days)
 *   GET /dashboard/reports/<kind>.csv        the same reports as CSV (revenue, subscriptions, conversion)
 *   GET /dashboard/callback                  the sign-in's return (Tessera's own provider, see AccountSessions)
 *   GET /dashboard/assets/<file>             Chart.js, the page's script and stylesheet (cached for a year)
 *
 * Staff sign in through Tessera's OIDC server like on the account page, with a session of the
 * dashboard's own (cookie scoped to /dashboard). The staff directory says which providers the
 * account may read; any other provider is refused, and an account with none gets a 403 page.
 */
import { type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { Clock } from '../../../application/ports/clock.js';
import { conversionCsv, revenueCsv, subscriptionsCsv } from '../../../application/reports/report-csv.js';
import type { ReportQueries } from '../../../application/reports/report-queries.js';
import { addDays, rangeProblems, type ReportRange } from '../../../application/reports/report-range.js';
import type { StaffDirectory } from '../../../application/staff/staff-directory.js';
import { DASHBOARD_CALLBACK_PATH, DASHBOARD_PATH } from '../../oidc/account-client.js';
import type { AccountSession, AccountSessions, SessionScope } from '../account/account-session.js';
import { chooseLocale, type Locale } from '../pages/i18n.js';
import { HttpProblem } from '../problem.js';
import { loadDashboardAssets } from './dashboard-assets.js';
import { type DashboardStrings, dashboardStrings } from './dashboard-i18n.js';
import {
  DASHBOARD_CSP,
  dashboardMessagePage,
  dashboardPage,
  type ProviderChoice,
} from './dashboard-views.js';

export interface DashboardRouterDeps {
  /** Tessera's OpenID Connect provider, whose codes the callback redeems in-process. */
  readonly provider: () => Provider;
  /** Sessions scoped to the dashboard (DASHBOARD_SESSION_SCOPE). */
  readonly sessions: AccountSessions;
  readonly staff: Pick<StaffDirectory, 'providersOf'>;
  readonly reports: Pick<ReportQueries, 'revenue' | 'subscriptions' | 'conversion'>;
  /** A provider's display name, or null when it is unknown. */
  readonly providerName: (providerId: string) => Promise<string | null>;
  readonly clock: Clock;
}

/** Days the dashboard shows when no period is asked for. */
export const DEFAULT_PERIOD_DAYS = 30;

const RETURNABLE = /^\/dashboard(\?[A-Za-z0-9=&%._~-]{0,500})?$/;

/** Only the dashboard itself (with its query) may be returned to after sign-in. */
export function safeDashboardReturnTo(value: unknown): string {
  return typeof value === 'string' && RETURNABLE.test(value) ? value : DASHBOARD_PATH;
}

/** The dashboard's own sessions: cookies on /dashboard, codes at /dashboard/callback. */
export const DASHBOARD_SESSION_SCOPE: SessionScope = {
  path: DASHBOARD_PATH,
  callbackPath: DASHBOARD_CALLBACK_PATH,
  cookie: 'tessera_dashboard',
  loginCookie: 'tessera_dashboard_login',
  namespace: 'dashboard',
  safeReturnTo: safeDashboardReturnTo,
};

const param = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const CSV = {
  revenue: async (r: DashboardRouterDeps['reports'], p: string, range: ReportRange) =>
    revenueCsv(await r.revenue(p, range)),
  subscriptions: async (r: DashboardRouterDeps['reports'], p: string, range: ReportRange) =>
    subscriptionsCsv(await r.subscriptions(p, range)),
  conversion: async (r: DashboardRouterDeps['reports'], p: string, range: ReportRange) =>
    conversionCsv(await r.conversion(p, range)),
} as const;

export function createDashboardRouter(deps: DashboardRouterDeps): Router {
  const router = Router();
  const assets = loadDashboardAssets();
  router.use(assets.handler);

  const localeOf = (req: Request): Locale => chooseLocale(undefined, req.get('accept-language'));

  function send(res: Response, status: number, html: string): void {
    res.status(status);
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(html);
  }

  function message(res: Response, status: number, locale: Locale, title: string, text: string): void {
    send(res, status, dashboardMessagePage(locale, assets.urls, title, text));
  }

  /** The signed-in account, or null after sending the browser off to sign in. */
  async function signedIn(req: Request, res: Response): Promise<AccountSession | null> {
    const session = await deps.sessions.current(req);
    if (session !== null) return session;
    const url = await deps.sessions.begin(res, deps.provider().issuer, {
      returnTo: req.originalUrl,
      uiLocales: localeOf(req),
    });
    res.redirect(303, url);
    return null;
  }

  /**
   * The provider the request asks for, if this account may read it; null after sending the 403
   * page (no provider at all, or one not theirs).
   */
  async function allowedProvider(
    req: Request,
    res: Response,
    session: AccountSession,
    t: DashboardStrings,
    locale: Locale,
  ): Promise<{ providerId: string; allowed: readonly string[] } | null> {
    const allowed = await deps.staff.providersOf(session.sub);
    const asked = param(req, 'provider');
    const providerId = asked ?? allowed[0];
    if (providerId === undefined || !allowed.includes(providerId)) {
      message(res, 403, locale, t.forbiddenTitle, t.forbidden);
      return null;
    }
    return { providerId, allowed };
  }

  function defaultRange(): ReportRange {
    const to = deps.clock.now().toISOString().slice(0, 10);
    return { from: addDays(to, -(DEFAULT_PERIOD_DAYS - 1)), to };
  }

  router.get('/dashboard/callback', async (req, res) => {
    const outcome = await deps.sessions.complete(req, res, deps.provider());
    if (outcome.ok) return res.redirect(303, outcome.returnTo);
    const locale = localeOf(req);
    const t = dashboardStrings(locale);
    message(res, 400, locale, t.title, t.signInFailed);
  });

  router.get('/dashboard', async (req, res) => {
    const session = await signedIn(req, res);
    if (session === null) return;
    const locale = localeOf(req);
    const t = dashboardStrings(locale);
    const access = await allowedProvider(req, res, session, t, locale);
    if (access === null) return;
    const asked = { from: param(req, 'from'), to: param(req, 'to') };
    let range = defaultRange();
    let error: string | undefined;
    if (asked.from !== undefined || asked.to !== undefined) {
      const wanted = { from: asked.from ?? range.from, to: asked.to ?? range.to };
      if (rangeProblems(wanted.from, wanted.to).length === 0) range = wanted;
      else error = t.badPeriod;
    }
    const [revenue, subscriptions, conversion, providers] = await Promise.all([
      deps.reports.revenue(access.providerId, range),
      deps.reports.subscriptions(access.providerId, range),
      deps.reports.conversion(access.providerId, range),
      Promise.all(
        access.allowed.map(async (id): Promise<ProviderChoice> => ({
          id,
          name: (await deps.providerName(id)) ?? id,
        })),
      ),
    ]);
    const html = dashboardPage({
      locale,
      t,
      assets: assets.urls,
      providers,
      providerId: access.providerId,
      from: range.from,
      to: range.to,
      revenue,
      subscriptions,
      conversion,
      ...(error === undefined ? {} : { error }),
    });
    send(res, error === undefined ? 200 : 400, html);
  });

  router.get('/dashboard/reports/:file', async (req, res) => {
    const kind = /^(revenue|subscriptions|conversion)\.csv$/.exec(String(req.params.file))?.[1] as
      keyof typeof CSV | undefined;
    if (kind === undefined) throw new HttpProblem(404, 'not_found', 'No such report.');
    const session = await signedIn(req, res);
    if (session === null) return;
    const locale = localeOf(req);
    const access = await allowedProvider(req, res, session, dashboardStrings(locale), locale);
    if (access === null) return;
    const range = { from: param(req, 'from') ?? '', to: param(req, 'to') ?? '' };
    const problems = rangeProblems(range.from, range.to);
    if (problems.length > 0) {
      throw new HttpProblem(
        400,
        'invalid_request',
        'Some query parameters are not valid; see `errors` for each field.',
        {
          errors: problems.map((p) => ({ path: `query.${p.field}`, message: p.message })),
        },
      );
    }
    const body = await CSV[kind](deps.reports, access.providerId, range);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', `attachment; filename="${kind}-${range.from}-${range.to}.csv"`);
    res.type('text/csv; charset=utf-8').send(body);
  });

  return router;
}
