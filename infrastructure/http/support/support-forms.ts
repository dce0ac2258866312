/**
 * The support console's action forms: how each is drawn (from the account's current state, so
 * every target is a choice rather than an id to type) and how a posted form becomes a call to
 * SupportActions. Each form carries a mandatory reason; the role and the reason are checked before
 * anything else, so a refusal never depends on the target. Refusals of the form itself are
 * FormRefusal (status and message for the page); the application's own refusals are DomainErrors.
 */
import { randomUUID } from 'node:crypto';
import type { StaffRole } from '../../../application/staff/staff-directory.js';
import type { StateAsOf } from '../../../application/support/state-as-of.js';
import { holds, SupportReasonSchema } from '../../../application/support/support-access.js';
import type { ActionMeta, SupportActions } from '../../../application/support/support-actions.js';
import { formatMoney, parseMoney } from '../../../domain/shared/money.js';
import { CSRF_FIELD } from '../pages/csrf.js';
import { escapeHtml } from '../pages/render.js';
import { ACTION_ROLES, type SupportActionName } from '../support-api-router.js';
import type { SupportStrings } from './support-i18n.js';

export type ConsoleAction = SupportActionName;

/** The actions in the order the page offers them. */
export const CONSOLE_ACTIONS: readonly ConsoleAction[] = [
  'refund',
  'grant-right',
  'extend-right',
  'suspend-right',
  'reactivate-right',
  'cancel-subscription',
  'lock-sign-in',
  'unlock-sign-in',
  'resend-verification',
];

export const isConsoleAction = (name: string): name is ConsoleAction =>
  (CONSOLE_ACTIONS as readonly string[]).includes(name);

/** A posted form the console refuses before the application sees it. */
export class FormRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'FormRefusal';
  }
}

/** The provider choices of the goodwill form. */
export interface ProviderChoice {
  readonly id: string;
  readonly name: string;
}

export interface FormsContext {
  readonly sub: string;
  readonly csrf: string;
  readonly roles: readonly StaffRole[];
  /** The account now, for the targets each form offers. */
  readonly current: StateAsOf;
  readonly providers: readonly ProviderChoice[];
  readonly t: SupportStrings;
}

const e = escapeHtml;

/** Whether the staff member may use the form at all (unlocking is a lead's decision). */
export function offered(roles: readonly StaffRole[], action: ConsoleAction): boolean {
  return holds({ sub: '', roles }, ACTION_ROLES[action]);
}

const REFUNDABLE = new Set(['captured', 'partially_refunded']);

function select(id: string, name: string, label: string, options: ReadonlyArray<[string, string]>): string {
  return (
    `<label for="${id}">${e(label)}</label><select id="${id}" name="${name}" required>` +
    options.map(([value, text]) => `<option value="${e(value)}">${e(text)}</option>`).join('') +
    '</select>'
  );
}

function text(id: string, name: string, label: string, attrs = ''): string {
  return `<label for="${id}">${e(label)}</label><input type="text" id="${id}" name="${name}"${attrs}>`;
}

function actionForm(ctx: FormsContext, action: ConsoleAction, fields: string, danger = false): string {
  const t = ctx.t;
  const words = t.actions[action];
  return (
    `<form method="post" class="action" id="action-${action}" action="/support/users/${e(ctx.sub)}/actions/${action}">` +
    `<h3>${e(words.heading)}</h3>` +
    `<input type="hidden" name="${CSRF_FIELD}" value="${e(ctx.csrf)}">` +
    fields +
    text(`reason-${action}`, 'reason', t.reason, ' required maxlength="500" autocomplete="off"') +
    `<p class="hint">${e(t.reasonHint)}</p>` +
    `<button type="submit"${danger ? ' class="danger"' : ''}>${e(words.submit)}</button></form>`
  );
}

function emptyForm(ctx: FormsContext, action: ConsoleAction): string {
  return (
    `<div class="action" id="action-${action}"><h3>${e(ctx.t.actions[action].heading)}</h3>` +
    `<p class="hint">${e(ctx.t.nothing)}</p></div>`
  );
}

const shortId = (id: string) => id.slice(0, 8);

/** The forms of every action the staff member may take on this account. */
export function actionForms(ctx: FormsContext): string {
  const { t, current } = ctx;
  const refundable = current.transactions.filter((tx) => REFUNDABLE.has(tx.status));
  const live = current.rights.filter((r) => r.state !== 'TERMINATED');
  const suspendable = current.rights.filter((r) => r.state === 'ACTIVE' || r.state === 'CREATED');
  const suspended = current.rights.filter((r) => r.state === 'SUSPENDED');
  const cancelable = current.subscriptions.filter((s) => s.status !== 'expired');
  const rightLabel = (r: (typeof live)[number]) =>
    `${r.sku} · ${r.state} · ${r.validUntil === null ? t.withoutEnd : r.validUntil.slice(0, 10)} · ${shortId(r.rightId)}`;
  const rights = (list: typeof live): Array<[string, string]> => list.map((r) => [r.rightId, rightLabel(r)]);
  const erased = current.account.status === 'erased';

  const forms: Record<ConsoleAction, () => string> = {
    refund: () =>
      refundable.length === 0
        ? emptyForm(ctx, 'refund')
        : actionForm(
            ctx,
            'refund',
            select(
              'refund-transaction',
              'transactionId',
              t.transaction,
              refundable.map((tx) => [
                tx.transactionId,
                `${tx.description} · ${formatMoney(tx.captured)} (${t.cols.refunded.toLowerCase()} ${formatMoney(tx.refunded)}) · ${shortId(tx.transactionId)}`,
              ]),
            ) +
              text('refund-amount', 'amount', t.refundAmount, ' inputmode="decimal" autocomplete="off"') +
              `<input type="hidden" name="key" value="${randomUUID()}">`,
            true,
          ),
    'grant-right': () =>
      ctx.providers.length === 0 || erased
        ? emptyForm(ctx, 'grant-right')
        : actionForm(
            ctx,
            'grant-right',
            select(
              'grant-provider',
              'providerId',
              t.cols.provider,
              ctx.providers.map((p) => [p.id, p.name]),
            ) +
              text('grant-sku', 'sku', t.cols.sku, ' required maxlength="100"') +
              `<label for="grant-days">${e(t.days)}</label>` +
              '<input type="number" id="grant-days" name="days" min="1" max="36500" value="7" required>',
          ),
    'extend-right': () =>
      live.length === 0
        ? emptyForm(ctx, 'extend-right')
        : actionForm(
            ctx,
            'extend-right',
            select('extend-right-id', 'rightId', t.right, rights(live)) +
              `<label for="extend-days">${e(t.extendDays)}</label>` +
              '<input type="number" id="extend-days" name="days" min="1" max="36500" value="7" required>',
          ),
    'suspend-right': () =>
      suspendable.length === 0
        ? emptyForm(ctx, 'suspend-right')
        : actionForm(
            ctx,
            'suspend-right',
            select('suspend-right-id', 'rightId', t.right, rights(suspendable)),
            true,
          ),
    'reactivate-right': () =>
      suspended.length === 0
        ? emptyForm(ctx, 'reactivate-right')
        : actionForm(
            ctx,
            'reactivate-right',
            select('reactivate-right-id', 'rightId', t.right, rights(suspended)),
          ),
    'cancel-subscription': () =>
      cancelable.length === 0
        ? emptyForm(ctx, 'cancel-subscription')
        : actionForm(
            ctx,
            'cancel-subscription',
            select(
              'cancel-subscription-id',
              'subscriptionId',
              t.subscription,
              cancelable.map((s) => [
                s.subscriptionId,
                `${s.sku} · ${s.status} · ${shortId(s.subscriptionId)}`,
              ]),
            ) +
              select('cancel-when', 'when', t.cancelWhen, [
                ['period-end', t.cancelAtPeriodEnd],
                ['now', t.cancelNow],
              ]),
            true,
          ),
    'lock-sign-in': () =>
      erased
        ? emptyForm(ctx, 'lock-sign-in')
        : actionForm(
            ctx,
            'lock-sign-in',
            `<label for="lock-until">${e(t.lockUntil)}</label>` +
              '<input type="datetime-local" id="lock-until" name="until" step="1">',
            true,
          ),
    'unlock-sign-in': () =>
      current.account.signInLock === null
        ? emptyForm(ctx, 'unlock-sign-in')
        : actionForm(ctx, 'unlock-sign-in', ''),
    'resend-verification': () =>
      erased
        ? emptyForm(ctx, 'resend-verification')
        : actionForm(
            ctx,
            'resend-verification',
            select('resend-kind', 'kind', t.verifyKind, [
              ['phone', t.phone],
              ['email', t.email],
            ]),
          ),
  };
  return `<div class="actions">${CONSOLE_ACTIONS.filter((a) => offered(ctx.roles, a))
    .map((a) => forms[a]())
    .join('')}</div>`;
}

/**
 * A typed instant: a date (midnight UTC), a date and time without zone (as a datetime-local field
 * sends it, read as UTC), or an ISO 8601 instant with its offset. Null when it is none of these.
 */
export function parseInstantInput(value: string): string | null {
  const typed = value.trim();
  let iso: string;
  if (/^\d{4}-\d{2}-\d{2}$/.test(typed)) iso = `${typed}T00:00:00Z`;
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(typed))
    iso = `${typed.replace(' ', 'T')}Z`;
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(typed)) iso = typed;
  else return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** An instant as a datetime-local field shows it (UTC, to the second). */
export function instantInputValue(iso: string): string {
  return iso.slice(0, 19);
}

type Fields = Readonly<Record<string, unknown>>;

function field(body: Fields, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

function required(body: Fields, name: string, t: SupportStrings): string {
  const value = field(body, name);
  if (value === '' || value.length > 200) throw new FormRefusal(422, t.errors.missingTarget);
  return value;
}

function days(body: Fields, t: SupportStrings): number {
  const value = field(body, 'days');
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 36_500)) throw new FormRefusal(422, t.errors.badDays);
  return n;
}

/**
 * Runs one posted action form: role, then reason, then the form's own fields, then the action.
 * Resolves to the log position of the write (null when nothing was written).
 */
export async function runConsoleAction(
  actions: SupportActions,
  action: ConsoleAction,
  body: Fields,
  ctx: {
    readonly sub: string;
    readonly meta: ActionMeta;
    readonly current: () => Promise<StateAsOf>;
    readonly t: SupportStrings;
  },
): Promise<number | null> {
  const { sub, meta, t } = ctx;
  if (!offered(meta.staff.roles, action)) {
    throw new FormRefusal(
      403,
      ACTION_ROLES[action] === 'support-lead' ? t.errors.leadRequired : t.errors.roleRequired,
    );
  }
  if (!SupportReasonSchema.safeParse(meta.reason).success)
    throw new FormRefusal(422, t.errors.reasonRequired);
  switch (action) {
    case 'refund': {
      const transactionId = required(body, 'transactionId', t);
      const tx = (await ctx.current()).transactions.find((x) => x.transactionId === transactionId);
      if (tx === undefined) throw new FormRefusal(404, t.errors.targetNotFound);
      const typed = field(body, 'amount');
      let amount;
      if (typed !== '') {
        try {
          amount = parseMoney(typed.replace(',', '.'), tx.amount.currency);
        } catch {
          throw new FormRefusal(422, t.errors.badAmount(tx.amount.currency));
        }
        if (amount.amount <= 0) throw new FormRefusal(422, t.errors.badAmount(tx.amount.currency));
      }
      const key = field(body, 'key');
      const result = await actions.refund(
        sub,
        { transactionId, ...(amount ? { amount } : {}) },
        meta,
        /^[A-Za-z0-9-]{8,64}$/.test(key) ? `support-console:${key}` : undefined,
      );
      return result.position;
    }
    case 'grant-right': {
      const providerId = required(body, 'providerId', t);
      const sku = required(body, 'sku', t);
      const length = { days: days(body, t) };
      return (await actions.grantGoodwillRight(sub, { providerId, sku, length }, meta)).position;
    }
    case 'extend-right':
      return (
        await actions.extendRight(sub, required(body, 'rightId', t), { by: `P${days(body, t)}D` }, meta)
      ).position;
    case 'suspend-right':
      return (await actions.suspendRight(sub, required(body, 'rightId', t), meta)).position;
    case 'reactivate-right':
      return (await actions.reactivateRight(sub, required(body, 'rightId', t), meta)).position;
    case 'cancel-subscription': {
      const subscriptionId = required(body, 'subscriptionId', t);
      const atPeriodEnd = field(body, 'when') !== 'now';
      return (await actions.cancelSubscription(sub, subscriptionId, { atPeriodEnd }, meta)).position;
    }
    case 'lock-sign-in': {
      const typed = field(body, 'until');
      const until = typed === '' ? null : parseInstantInput(typed);
      if (typed !== '' && until === null) throw new FormRefusal(422, t.errors.badInstant);
      return (await actions.lockSignIn(sub, { until }, meta)).position;
    }
    case 'unlock-sign-in':
      return (await actions.unlockSignIn(sub, meta)).position;
    case 'resend-verification': {
      const kind = field(body, 'kind');
      if (kind !== 'phone' && kind !== 'email') throw new FormRefusal(422, t.errors.missingTarget);
      await actions.resendVerification(sub, { kind }, meta);
      return null;
    }
  }
}
