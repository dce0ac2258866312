/**
 * The support console at /support, for staff signed in through Tessera's own provider:
 *
 *   GET  /support                                  find an account (phone, email or sub)
 *   GET  /support/search?q=                        … answered by a redirect to the account
 *   GET  /support/users/{sub}                      summary, actions, history (?kind=&from=&to=&cursor=)
 *                                                  and the state as of an instant (?at=)
 *   POST /support/users/{sub}/actions/{action}     a support action, with its mandatory reason
 *   GET  /support/callback, POST /support/signout  the page session (staffPageSession)
 *
 * Support agents and leads get in; anyone else signed in gets the 403 page, an auditor included.
 * Each action runs as the signed-in staff member through SupportActions, so the events carry them
 * as actor and the reason; success is a redirect back to the account with a notice (a reload never
 * repeats it), a refusal is the account page again with the reason for it and a fitting status.
 */
import express, { type Request, type Response, Router } from 'express';
import type { Clock } from '../../../application/ports/clock.js';
import type { Views } from '../../../application/ports/views.js';
import type { StateAsOf, StateAsOfQuery } from '../../../application/support/state-as-of.js';
import type { ActionMeta, SupportActions } from '../../../application/support/support-actions.js';
import { TIMELINE_KINDS, type TimelineKind } from '../../../application/support/timeline-sources.js';
import {
  type AccountTimeline,
  MAX_TIMELINE_LIMIT,
  type TimelineEntry,
  type TimelineQuery,
} from '../../../application/support/timeline.js';
import type { SupportUserSummary, UserLookup, UserSearch } from '../../../application/support/user-lookup.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { SUPPORT_STREAMS_PROJECTION } from '../../../projections/support-streams.js';
import { USERS_PROJECTION } from '../../../projections/users.js';
import { requestContext } from '../context.js';
import { toProblem } from '../error-handler.js';
import {
  type StaffPageCaller,
  type StaffPageDeps,
  staffPageCaller,
  staffPageSession,
  SUPPORT_SESSION_SCOPE,
} from '../staff/staff-pages.js';
import {
  actionForms,
  FormRefusal,
  instantInputValue,
  isConsoleAction,
  parseInstantInput,
  type ProviderChoice,
  runConsoleAction,
} from './support-forms.js';
import { type SupportStrings, supportStrings } from './support-i18n.js';
import { sendSupportPage } from './support-render.js';
import {
  accountPage,
  messagePage,
  searchPage,
  type PageFrame,
  type TimelineFilterInput,
  type TimelineView,
} from './support-views.js';

export interface SupportConsoleDeps {
  /** What the page session needs (SUPPORT_SESSION_SCOPE is applied here). */
  readonly staff: StaffPageDeps;
  readonly lookup: Pick<UserLookup, 'find'>;
  readonly timeline: Pick<AccountTimeline, 'page'>;
  readonly state: Pick<StateAsOfQuery, 'at'>;
  readonly actions: SupportActions;
  /** Providers a goodwill right may be granted for, with their names (also used in the tables). */
  readonly providers: () => Promise<readonly ProviderChoice[]>;
  readonly views: Pick<Views, 'waitFor'>;
  readonly clock: Clock;
  /** How long an action waits for the read models the page shows (default 5000 ms). */
  readonly writeVisibleTimeoutMs?: number;
}

/** History entries per page. */
export const TIMELINE_PAGE_SIZE = 50;
/** The most history entries one page load reads (the history is read whole, then paged). */
export const TIMELINE_READ_CAP = 20_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STAFF = ['support-agent', 'support-lead'] as const;

const one = (req: Request, name: string): string => {
  const value = req.query[name];
  return typeof value === 'string' ? value : '';
};

/** Which search a typed value is: a user id, an email (has an @), else a phone number. */
export function searchFor(typed: string): UserSearch {
  const q = typed.trim();
  if (UUID.test(q)) return { sub: q.toLowerCase() };
  if (q.includes('@')) return { email: q };
  return { phone: q };
}

/** The page's words for an action's refusal, with its status; null when it was no refusal. */
function refusal(err: unknown, t: SupportStrings): { status: number; message: string } | null {
  if (err instanceof FormRefusal) return { status: err.status, message: err.message };
  const problem = toProblem(err);
  if (problem === null) return null;
  let message = problem.detail;
  if (err instanceof DomainError) {
    if (err.code === 'support_lead_required') message = t.errors.leadRequired;
    else if (err.code === 'support_role_required') message = t.errors.roleRequired;
    else if (err.code === 'reason_required') message = t.errors.reasonRequired;
    else if (err.code === 'nothing_to_verify') message = t.errors.nothingToVerify;
    else if (err.code === 'code_throttled') message = t.errors.codeThrottled;
    else if (err.kind === 'not_found') message = t.errors.targetNotFound;
  }
  return { status: problem.status, message };
}

export function createSupportConsoleRouter(deps: SupportConsoleDeps): Router {
  const router = Router();
  const session = staffPageSession(SUPPORT_SESSION_SCOPE, deps.staff);
  const guard = session.requireStaffPage(STAFF);
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const timeoutMs = deps.writeVisibleTimeoutMs ?? 5000;
  router.use(session.routes);

  const frameOf = (
    caller: StaffPageCaller,
    extra: Partial<Pick<PageFrame, 'notice' | 'error'>> = {},
  ): PageFrame => ({
    locale: caller.locale,
    staff: { sub: caller.sub, roles: caller.roles, csrf: caller.csrf },
    ...extra,
  });

  router.get('/support', guard, (_req, res) => {
    sendSupportPage(res, 200, searchPage(frameOf(staffPageCaller(res))));
  });

  router.get('/support/search', guard, async (req, res) => {
    const caller = staffPageCaller(res);
    const t = supportStrings(caller.locale);
    const typed = one(req, 'q').trim();
    const refuse = (status: number, error: string) =>
      sendSupportPage(res, status, searchPage(frameOf(caller, { error }), typed));
    if (typed === '' || typed.length > 320) return refuse(400, t.errors.emptySearch);
    let user: SupportUserSummary | null;
    try {
      user = await deps.lookup.find(searchFor(typed));
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'invalid') return refuse(400, t.errors.badSearch);
      throw err;
    }
    if (user === null) return refuse(404, t.errors.notFound);
    res.redirect(303, `/support/users/${encodeURIComponent(user.sub)}`);
  });

  /** The whole selected history, oldest first (the timeline reads every stream on each call anyway). */
  async function history(sub: string, query: TimelineQuery): Promise<TimelineEntry[]> {
    const entries: TimelineEntry[] = [];
    let cursor: number | undefined;
    do {
      const page = await deps.timeline.page(sub, {
        ...query,
        limit: MAX_TIMELINE_LIMIT,
        ...(cursor === undefined ? {} : { cursor }),
      });
      entries.push(...page.entries);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && entries.length < TIMELINE_READ_CAP);
    return entries;
  }

  /**
   * The page of `all` after `cursor`; without one, the newest page. Pages are counted from the
   * oldest entry, so the newest may be short and older and newer pages never overlap.
   */
  function paged(
    all: readonly TimelineEntry[],
    cursor: number | null,
    href: (cursor: number | null) => string,
  ): TimelineView {
    const total = all.length;
    const size = TIMELINE_PAGE_SIZE;
    let start =
      cursor === null
        ? Math.floor(Math.max(0, total - 1) / size) * size
        : all.findIndex((x) => x.position > cursor);
    if (start === -1) start = total;
    const end = Math.min(total, start + size);
    const prevStart = Math.max(0, start - size);
    return {
      entries: all.slice(start, end),
      first: start + 1,
      total,
      links: {
        ...(start > 0
          ? { oldest: href(0), older: href(prevStart === 0 ? 0 : all[prevStart - 1]!.position) }
          : {}),
        ...(end < total ? { newer: href(all[end - 1]!.position), newest: href(null) } : {}),
      },
    };
  }

  /** Renders the account page; `outcome` is the refusal of a posted action, if any. */
  async function showAccount(
    req: Request,
    res: Response,
    user: SupportUserSummary,
    outcome: { status: number; error?: string; notice?: string } = { status: 200 },
  ): Promise<void> {
    const caller = staffPageCaller(res);
    const t = supportStrings(caller.locale);
    const sub = user.sub;
    let status = outcome.status;
    let error = outcome.error;
    const bad = (message: string) => {
      status = status === 200 ? 400 : status;
      error ??= message;
    };

    const rawKinds = req.query.kind;
    const kindList = (Array.isArray(rawKinds) ? rawKinds : [rawKinds]).filter(
      (k): k is TimelineKind => typeof k === 'string' && (TIMELINE_KINDS as readonly string[]).includes(k),
    );
    const typedInstant = (name: string): string | null => {
      const typed = one(req, name).trim();
      if (typed === '') return null;
      const parsed = parseInstantInput(typed);
      if (parsed === null) bad(t.errors.badInstant);
      return parsed;
    };
    const from = typedInstant('from');
    const to = typedInstant('to');
    const at = typedInstant('at');
    const filter: TimelineFilterInput = {
      kinds: kindList,
      from: from === null ? '' : instantInputValue(from),
      to: to === null ? '' : instantInputValue(to),
    };
    const cursorText = one(req, 'cursor');
    const cursor = /^\d{1,15}$/.test(cursorText) ? Number(cursorText) : null;

    const href = (c: number | null) => {
      const q = new URLSearchParams();
      for (const k of filter.kinds) q.append('kind', k);
      if (filter.from !== '') q.set('from', filter.from);
      if (filter.to !== '') q.set('to', filter.to);
      if (at !== null) q.set('at', instantInputValue(at));
      if (c !== null) q.set('cursor', String(c));
      const text = q.toString();
      return `/support/users/${encodeURIComponent(sub)}${text === '' ? '' : `?${text}`}`;
    };

    const [all, current, state, providers] = await Promise.all([
      history(sub, {
        ...(filter.kinds.length > 0 ? { kinds: filter.kinds } : {}),
        ...(from === null ? {} : { from }),
        ...(to === null ? {} : { to }),
      }),
      deps.state.at(sub, deps.clock.now()),
      at === null ? Promise.resolve(undefined) : deps.state.at(sub, new Date(at)),
      deps.providers(),
    ]);
    const page = accountPage({
      ...frameOf(caller, {
        ...(error === undefined ? {} : { error }),
        ...(outcome.notice === undefined ? {} : { notice: outcome.notice }),
      }),
      user,
      timeline: paged(all, cursor, href),
      filter,
      at: at === null ? '' : instantInputValue(at),
      ...(state === undefined ? {} : { state }),
      providerNames: new Map(providers.map((p) => [p.id, p.name])),
      forms: actionForms({ sub, csrf: caller.csrf, roles: caller.roles, current, providers, t }),
    });
    sendSupportPage(res, status, page);
  }

  /** The account of the path, or null after sending the not-found page. */
  async function accountOf(req: Request, res: Response): Promise<SupportUserSummary | null> {
    const caller = staffPageCaller(res);
    const sub = String(req.params.sub);
    const user = UUID.test(sub) ? await deps.lookup.find({ sub: sub.toLowerCase() }) : null;
    if (user === null) {
      const t = supportStrings(caller.locale);
      sendSupportPage(res, 404, searchPage(frameOf(caller, { error: t.errors.notFound })));
    }
    return user;
  }

  router.get('/support/users/:sub', guard, async (req, res) => {
    const user = await accountOf(req, res);
    if (user === null) return;
    const notice = one(req, 'notice');
    const t = supportStrings(staffPageCaller(res).locale);
    await showAccount(req, res, user, {
      status: 200,
      ...(isConsoleAction(notice) ? { notice: t.notices[notice] } : {}),
    });
  });

  router.post('/support/users/:sub/actions/:action', form, guard, async (req, res) => {
    const caller = staffPageCaller(res);
    const t = supportStrings(caller.locale);
    const action = String(req.params.action);
    if (!isConsoleAction(action)) {
      return sendSupportPage(
        res,
        404,
        messagePage(frameOf(caller, { error: t.errors.targetNotFound }), t.title),
      );
    }
    const user = await accountOf(req, res);
    if (user === null) return;
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const meta: ActionMeta = {
      staff: { sub: caller.sub, roles: caller.roles },
      reason: typeof body.reason === 'string' ? body.reason : '',
      correlationId: requestContext(res).correlationId,
    };
    let current: Promise<StateAsOf> | undefined;
    try {
      const position = await runConsoleAction(deps.actions, action, body, {
        sub: user.sub,
        meta,
        t,
        current: () => (current ??= deps.state.at(user.sub, deps.clock.now())),
      });
      if (position !== null) {
        await deps.views.waitFor(position, {
          timeoutMs,
          projections: [USERS_PROJECTION, SUPPORT_STREAMS_PROJECTION],
        });
      }
    } catch (err) {
      const refused = refusal(err, t);
      if (refused === null) throw err;
      // The account as it is now (a lock or an erasure may have changed it meanwhile).
      const fresh = (await deps.lookup.find({ sub: user.sub })) ?? user;
      return showAccount(req, res, fresh, { status: refused.status, error: refused.message });
    }
    res.redirect(303, `/support/users/${encodeURIComponent(user.sub)}?notice=${action}`);
  });

  return router;
}
