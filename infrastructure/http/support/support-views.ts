/**
 * The support console's pages: the search page, the account page (summary, history, state as of an
 * instant, actions) and plain message pages. Every dynamic value is escaped here; every field has a
 * visible label; notices and errors are announced (role status / alert).
 */
import type { StaffRole } from '../../../application/staff/staff-directory.js';
import type { StateAsOf } from '../../../application/support/state-as-of.js';
import { TIMELINE_KINDS, type TimelineKind } from '../../../application/support/timeline-sources.js';
import type { TimelineEntry } from '../../../application/support/timeline.js';
import type { SupportUserSummary } from '../../../application/support/user-lookup.js';
import { formatMoney } from '../../../domain/shared/money.js';
import { CSRF_FIELD } from '../pages/csrf.js';
import type { Locale } from '../pages/i18n.js';
import { escapeHtml } from '../pages/render.js';
import { formatInstant, type SupportStrings, supportStrings } from './support-i18n.js';
import type { SupportPage } from './support-render.js';

const e = escapeHtml;

/** Who is using the console, for the bar above every page. */
export interface ConsoleStaff {
  readonly sub: string;
  readonly roles: readonly StaffRole[];
  readonly csrf: string;
}

export interface PageFrame {
  readonly locale: Locale;
  readonly staff: ConsoleStaff;
  readonly notice?: string;
  readonly error?: string;
}

function header(frame: PageFrame, t: SupportStrings): string {
  return (
    `<header><a href="/support">Tessera · ${e(t.title)}</a>` +
    `<span>${e(t.signedInAs(frame.staff.sub, frame.staff.roles.join(', ')))}</span>` +
    `<form method="post" action="/support/signout"><input type="hidden" name="${CSRF_FIELD}" value="${e(frame.staff.csrf)}">` +
    `<button type="submit" class="secondary">${e(t.signOut)}</button></form></header>`
  );
}

function alerts(frame: PageFrame): string {
  return (
    (frame.notice === undefined ? '' : `<p class="notice" role="status">${e(frame.notice)}</p>`) +
    (frame.error === undefined
      ? ''
      : `<p class="error" role="alert" id="console-error">${e(frame.error)}</p>`)
  );
}

function searchForm(t: SupportStrings, value: string): string {
  return (
    '<form method="get" action="/support/search" role="search">' +
    `<label for="q">${e(t.searchLabel)}</label>` +
    `<input type="text" class="wide" id="q" name="q" value="${e(value)}" maxlength="320" autocomplete="off" required>` +
    `<p class="hint">${e(t.searchHint)}</p>` +
    `<button type="submit">${e(t.search)}</button></form>`
  );
}

/** The console's start: find an account. */
export function searchPage(frame: PageFrame, query = ''): SupportPage {
  const t = supportStrings(frame.locale);
  return {
    locale: frame.locale,
    title: t.title,
    header: header(frame, t),
    body: `<h1>${e(t.searchHeading)}</h1>${alerts(frame)}${searchForm(t, query)}`,
  };
}

export function messagePage(frame: PageFrame, title: string): SupportPage {
  const t = supportStrings(frame.locale);
  return {
    locale: frame.locale,
    title,
    header: header(frame, t),
    body: `<h1>${e(title)}</h1>${alerts(frame)}`,
  };
}

/** One page of the history and the links around it. */
export interface TimelineView {
  readonly entries: readonly TimelineEntry[];
  /** 1-based index of the first entry shown, in the whole selection. */
  readonly first: number;
  readonly total: number;
  readonly links: {
    readonly oldest?: string;
    readonly older?: string;
    readonly newer?: string;
    readonly newest?: string;
  };
}

/** The history's filters as typed (to fill the form in again). */
export interface TimelineFilterInput {
  readonly kinds: readonly TimelineKind[];
  readonly from: string;
  readonly to: string;
}

export interface AccountPageModel extends PageFrame {
  readonly user: SupportUserSummary;
  readonly timeline: TimelineView;
  readonly filter: TimelineFilterInput;
  /** The `at` field as typed, and the state rebuilt at it (when asked for and valid). */
  readonly at: string;
  readonly state?: StateAsOf;
  /** Display names of providers by id. */
  readonly providerNames: ReadonlyMap<string, string>;
  /** The action forms, already rendered (support-forms.ts). */
  readonly forms: string;
}

function identifiers(t: SupportStrings, list: SupportUserSummary['phones']): string {
  if (list.length === 0) return e(t.none);
  return list
    .map((i) => {
      const flags = [i.verified ? t.verified : t.unverified, ...(i.primary ? [t.primary] : [])];
      return `${e(i.value ?? t.none)} <span class="hint">(${e(flags.join(', '))})</span>`;
    })
    .join('<br>');
}

function summary(m: AccountPageModel, t: SupportStrings): string {
  const u = m.user;
  const at = (iso: string) => formatInstant(m.locale, iso);
  const lock = u.signInLock;
  const lockText =
    lock === null
      ? t.notLocked
      : lock.until === null
        ? t.lockedIndefinitely(lock.reason)
        : t.lockedUntil(at(lock.until), lock.reason);
  const rows: Array<[string, string]> = [
    [t.sub, `<code>${e(u.sub)}</code>`],
    [
      t.status,
      e(u.status === 'erased' ? t.statusErased(u.erasedAt === null ? '' : at(u.erasedAt)) : t.statusActive),
    ],
    [t.phones, identifiers(t, u.phones)],
    [t.emails, identifiers(t, u.emails)],
    [t.name, e(u.name ?? t.none)],
    [t.language, e(u.locale ?? t.none)],
    [t.signIn, `<span id="sign-in-state">${e(lockText)}</span>`],
    [t.created, e(at(u.createdAt))],
  ];
  return (
    `<section id="summary"><h2>${e(t.summary)}</h2><dl class="summary">` +
    rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('') +
    '</dl></section>'
  );
}

function timelineSection(m: AccountPageModel, t: SupportStrings): string {
  const { timeline: tl, filter } = m;
  const checks = TIMELINE_KINDS.map(
    (k) =>
      `<label class="check"><input type="checkbox" name="kind" value="${k}"${filter.kinds.includes(k) ? ' checked' : ''}> ${e(t.kinds[k])}</label>`,
  ).join('');
  const form =
    `<form method="get" action="/support/users/${e(m.user.sub)}" id="timeline-filter">` +
    `<fieldset><legend>${e(t.kindsLegend)}</legend>${checks}</fieldset>` +
    '<div class="filters">' +
    `<div><label for="from">${e(t.from)}</label><input type="datetime-local" step="1" id="from" name="from" value="${e(filter.from)}"></div>` +
    `<div><label for="to">${e(t.to)}</label><input type="datetime-local" step="1" id="to" name="to" value="${e(filter.to)}"></div>` +
    (m.at === '' ? '' : `<input type="hidden" name="at" value="${e(m.at)}">`) +
    `<div><button type="submit">${e(t.filter)}</button></div></div></form>`;
  const link = (href: string | undefined, label: string, rel: string) =>
    href === undefined
      ? `<span class="hint">${e(label)}</span>`
      : `<a href="${e(href)}" rel="${rel}">${e(label)}</a>`;
  const paging =
    tl.total === 0
      ? ''
      : `<nav class="paging" aria-label="${e(t.history)}">${link(tl.links.oldest, t.oldest, 'first')}${link(tl.links.older, t.older, 'prev')}` +
        `<span>${e(t.showing(tl.first, tl.first + tl.entries.length - 1, tl.total))}</span>` +
        `${link(tl.links.newer, t.newer, 'next')}${link(tl.links.newest, t.newest, 'last')}</nav>`;
  const rows = tl.entries
    .map((entry) => {
      const you = entry.actor.kind === 'support' && entry.actor.id === m.staff.sub ? ` ${t.you}` : '';
      return (
        `<tr data-position="${entry.position}" data-type="${e(entry.type)}">` +
        `<td class="when"><time datetime="${e(entry.at)}">${e(formatInstant(m.locale, entry.at))}</time></td>` +
        `<td>${e(t.kinds[entry.kind])}</td><td>${e(entry.description)}</td>` +
        `<td>${e(entry.actor.label + you)}</td><td>${e(entry.reason ?? '')}</td></tr>`
      );
    })
    .join('');
  const table =
    tl.entries.length === 0
      ? `<p>${e(t.noEntries)}</p>`
      : `<table id="timeline"><thead><tr><th>${e(t.when)}</th><th>${e(t.kind)}</th><th>${e(t.what)}</th>` +
        `<th>${e(t.by)}</th><th>${e(t.reason)}</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<section id="history"><h2>${e(t.history)}</h2>${form}${paging}${table}${paging}</section>`;
}

function table(
  id: string,
  heading: string,
  t: SupportStrings,
  head: readonly string[],
  rows: readonly string[][],
): string {
  const body =
    rows.length === 0
      ? `<p class="hint">${e(t.nothing)}</p>`
      : `<table id="${id}"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
        rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
        '</tbody></table>';
  return `<h3>${e(heading)}</h3>${body}`;
}

function stateTables(m: AccountPageModel, s: StateAsOf, t: SupportStrings): string {
  const c = t.cols;
  const day = (iso: string | null) => e(iso === null ? t.withoutEnd : formatInstant(m.locale, iso));
  const provider = (id: string) => e(m.providerNames.get(id) ?? id);
  const code = (id: string) => `<code>${e(id)}</code>`;
  const yesNo = (b: boolean) => e(b ? t.yes : t.no);
  const a = s.account;
  const ids = (list: typeof a.phones) =>
    list.length === 0
      ? e(t.none)
      : list.map((i) => e(`${i.value ?? t.none}${i.verified ? '' : ` (${t.unverified})`}`)).join('<br>');
  return (
    `<p id="state-at">${e(t.stateAt(formatInstant(m.locale, s.at)))}</p>` +
    table(
      'state-account',
      t.account,
      t,
      [t.status, t.phones, t.emails, t.name, t.language, c.password, t.signIn],
      [
        [
          e(a.status),
          ids(a.phones),
          ids(a.emails),
          e(a.name ?? t.none),
          e(a.locale ?? t.none),
          yesNo(a.hasPassword),
          e(a.signInLock === null ? t.notLocked : a.signInLock.reason),
        ],
      ],
    ) +
    table(
      'state-rights',
      t.rights,
      t,
      [c.id, c.provider, c.sku, c.state, c.validFrom, c.validUntil, c.grantor],
      s.rights.map((r) => [
        code(r.rightId),
        provider(r.providerId),
        e(r.sku),
        e(r.state),
        day(r.validFrom),
        day(r.validUntil),
        e(r.grantor.kind),
      ]),
    ) +
    table(
      'state-subscriptions',
      t.subscriptions,
      t,
      [c.id, c.provider, c.sku, c.state, c.period, c.cancelAtPeriodEnd],
      s.subscriptions.map((x) => [
        code(x.subscriptionId),
        provider(x.providerId),
        e(x.sku),
        e(x.status),
        `${e(String(x.currentPeriod.n))}: ${day(x.currentPeriod.from)} – ${day(x.currentPeriod.until)}`,
        yesNo(x.cancelAtPeriodEnd),
      ]),
    ) +
    table(
      'state-transactions',
      t.transactions,
      t,
      [c.id, c.provider, c.order, c.description, c.state, c.amount, c.captured, c.refunded, c.method],
      s.transactions.map((x) => [
        code(x.transactionId),
        provider(x.providerId),
        e(x.orderId),
        e(x.description),
        e(x.status),
        e(formatMoney(x.amount)),
        e(formatMoney(x.captured)),
        e(formatMoney(x.refunded)),
        e(x.method ?? t.none),
      ]),
    ) +
    table(
      'state-payment-methods',
      t.paymentMethods,
      t,
      [c.id, c.label, c.isDefault],
      s.paymentMethods.map((x) => [code(x.methodId), e(x.label), yesNo(x.isDefault)]),
    ) +
    table(
      'state-consents',
      t.consents,
      t,
      [c.client, c.provider, c.state, c.scopes],
      s.consents.map((x) => [code(x.clientId), provider(x.providerId), e(x.status), e(x.scopes.join(' '))]),
    )
  );
}

function stateSection(m: AccountPageModel, t: SupportStrings): string {
  const keep =
    m.filter.kinds.map((k) => `<input type="hidden" name="kind" value="${k}">`).join('') +
    (m.filter.from === '' ? '' : `<input type="hidden" name="from" value="${e(m.filter.from)}">`) +
    (m.filter.to === '' ? '' : `<input type="hidden" name="to" value="${e(m.filter.to)}">`);
  const form =
    `<form method="get" action="/support/users/${e(m.user.sub)}" id="state-form" class="filters">${keep}` +
    `<div><label for="at">${e(t.instant)}</label><input type="datetime-local" step="1" id="at" name="at" value="${e(m.at)}" required></div>` +
    `<div><button type="submit">${e(t.show)}</button></div></form>`;
  return (
    `<section id="state"><h2>${e(t.stateHeading)}</h2>${form}` +
    (m.state === undefined ? '' : stateTables(m, m.state, t)) +
    '</section>'
  );
}

/** The account page: summary, actions, history, and the state as of an instant. */
export function accountPage(m: AccountPageModel): SupportPage {
  const t = supportStrings(m.locale);
  return {
    locale: m.locale,
    title: `${t.accountTitle} ${m.user.sub}`,
    header: header(m, t),
    body:
      `<p><a href="/support">${e(t.newSearch)}</a></p>` +
      `<h1>${e(t.accountTitle)} <code>${e(m.user.sub)}</code></h1>` +
      alerts(m) +
      summary(m, t) +
      `<section id="actions"><h2>${e(t.actionsHeading)}</h2>${m.forms}</section>` +
      timelineSection(m, t) +
      stateSection(m, t),
  };
}
