/**
 * The account page and its small companions (code entry, delete confirmation, messages). Plain
 * forms that work without JavaScript; every dynamic value is escaped here; every field has a
 * visible label; notices and errors are announced.
 */
import type { ConsentView } from '../../../application/consent/consent-queries.js';
import type { PaymentMethodView } from '../../../application/payment-method/payment-method-queries.js';
import type { IdentifierView, UserView } from '../../../application/user/user-queries.js';
import type { UserSessionView } from '../../../application/user/user-sessions.js';
import { isKnownScope } from '../../../domain/catalog/client-scopes.js';
import { CSRF_FIELD } from '../pages/csrf.js';
import { type Locale, strings } from '../pages/i18n.js';
import { escapeHtml, type Page } from '../pages/render.js';
import { type AccountNotice, accountStrings, formatInstant } from './account-i18n.js';
import type { AgreementLine } from './account-agreements.js';
import { durationWords } from '../pay/agreement-i18n.js';
import { formatAmount } from '../pay/pay-views.js';

export type IdentifierKind = 'phone' | 'email';

export interface SessionLine extends UserSessionView {
  readonly current: boolean;
  readonly clientNames: readonly string[];
}

export interface AccountOverview {
  readonly locale: Locale;
  readonly csrf: string;
  readonly user: UserView;
  readonly services: readonly ConsentView[];
  readonly sessions: readonly SessionLine[];
  /** Saved payment methods; the section is left out when the page has no wallet to show. */
  readonly paymentMethods?: readonly PaymentMethodView[];
  /** Running charging agreements; the section is left out when the page has none to show. */
  readonly agreements?: readonly AgreementLine[];
  /** Whether the wallet section offers "Add a card" (a card provider is configured). */
  readonly canAddCards?: boolean;
  /** Origins the page's forms may lead to (the card provider's form, after a redirect). */
  readonly formOrigins?: readonly string[];
  readonly notice?: AccountNotice;
  readonly error?: string;
}

const e = escapeHtml;
const csrfInput = (token: string) => `<input type="hidden" name="${CSRF_FIELD}" value="${e(token)}">`;
const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${e(value)}">`;

/** A one-button form posting to `action` with hidden fields. */
function button(
  action: string,
  csrf: string,
  label: string,
  fields: Readonly<Record<string, string>> = {},
  cls = 'secondary',
): string {
  return (
    `<form method="post" action="${e(action)}">` +
    csrfInput(csrf) +
    Object.entries(fields)
      .map(([name, value]) => hidden(name, value))
      .join('') +
    `<button type="submit" class="${cls}">${e(label)}</button></form>`
  );
}

function alerts(notice: string | undefined, error: string | undefined): string {
  return (
    (notice === undefined ? '' : `<p class="notice" role="status">${e(notice)}</p>`) +
    (error === undefined ? '' : `<p class="error" role="alert" id="account-error">${e(error)}</p>`)
  );
}

/** Who the page greets: the primary phone, else the primary email, else the first one known. */
export function displayName(user: UserView): string {
  const all = [...user.phones, ...user.emails];
  const pick = all.find((i) => i.primary && i.value !== null) ?? all.find((i) => i.value !== null);
  return user.name ?? pick?.value ?? user.sub;
}

function identifierSection(page: AccountOverview, kind: IdentifierKind): string {
  const t = accountStrings(page.locale);
  const list: readonly IdentifierView[] = kind === 'phone' ? page.user.phones : page.user.emails;
  const items = list
    .filter((i) => i.value !== null)
    .map((i) => {
      const value = i.value!;
      const state = [i.verified ? t.verified : t.unverified, ...(i.primary ? [t.primary] : [])].join(', ');
      const fields = { kind, value };
      const actions = [
        ...(i.verified ? [] : [button('/account/identifiers/resend', page.csrf, t.verify, fields)]),
        ...(i.verified && !i.primary
          ? [button('/account/identifiers/primary', page.csrf, t.makePrimary, fields)]
          : []),
        ...(i.primary ? [] : [button('/account/identifiers/remove', page.csrf, t.remove, fields)]),
      ].join('');
      return `<li><span><strong>${e(value)}</strong> <span class="hint">(${e(state)})</span></span><span>${actions}</span></li>`;
    })
    .join('');
  const id = `new-${kind}`;
  const type = kind === 'phone' ? 'tel' : 'email';
  return (
    `<section id="${kind}s"><h2>${e(kind === 'phone' ? t.phones : t.emails)}</h2>` +
    (items === '' ? `<p>${e(t.none)}</p>` : `<ul class="items">${items}</ul>`) +
    `<form method="post" action="/account/identifiers">` +
    csrfInput(page.csrf) +
    hidden('kind', kind) +
    `<label for="${id}">${e(kind === 'phone' ? t.addPhone : t.addEmail)}</label>` +
    `<input id="${id}" name="value" type="${type}" autocomplete="${type === 'tel' ? 'tel' : 'email'}" maxlength="320" required>` +
    `<button type="submit">${e(t.add)}</button></form></section>`
  );
}

function passwordSection(page: AccountOverview): string {
  const t = accountStrings(page.locale);
  const has = page.user.hasPassword;
  return (
    `<section id="password"><h2>${e(t.password)}</h2><p>${e(has ? t.hasPassword : t.noPassword)}</p>` +
    `<form method="post" action="/account/password" novalidate>` +
    csrfInput(page.csrf) +
    (has
      ? `<label for="current-password">${e(t.currentPassword)}</label>` +
        `<input id="current-password" name="current" type="password" autocomplete="current-password" maxlength="1024" required>`
      : '') +
    `<label for="new-password">${e(t.newPassword)}</label>` +
    `<input id="new-password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required aria-describedby="password-hint">` +
    `<p class="hint" id="password-hint">${e(t.passwordHint)}</p>` +
    `<label for="repeat-password">${e(t.repeatPassword)}</label>` +
    `<input id="repeat-password" name="repeat" type="password" autocomplete="new-password" maxlength="1024" required>` +
    `<button type="submit">${e(has ? t.changePassword : t.setPassword)}</button></form>` +
    (has
      ? `<form method="post" action="/account/password/remove" novalidate>` +
        csrfInput(page.csrf) +
        `<label for="remove-current-password">${e(t.currentPassword)}</label>` +
        `<input id="remove-current-password" name="current" type="password" autocomplete="current-password" maxlength="1024" required>` +
        `<button type="submit" class="secondary">${e(t.removePassword)}</button></form>`
      : '') +
    `</section>`
  );
}

function servicesSection(page: AccountOverview): string {
  const t = accountStrings(page.locale);
  const scopeText = strings(page.locale).scopes;
  const items = page.services
    .map((s) => {
      const scopes = s.scopes
        .map((scope) => `<li>${e(isKnownScope(scope) ? scopeText[scope] : scope)}</li>`)
        .join('');
      return (
        `<li><div><strong>${e(s.clientName)}</strong><br><span class="hint">` +
        `${e(t.allowedSince(formatInstant(page.locale, new Date(s.grantedAt))))}</span>` +
        `<ul class="scopes">${scopes}</ul></div>` +
        button('/account/services/revoke', page.csrf, t.revoke, { clientId: s.clientId }) +
        `</li>`
      );
    })
    .join('');
  return (
    `<section id="services"><h2>${e(t.services)}</h2>` +
    (items === '' ? `<p>${e(t.noServices)}</p>` : `<ul class="items">${items}</ul>`) +
    `</section>`
  );
}

/** How a saved method is named on the page: `Visa ending in 4242`, or the masked phone. */
function methodLabel(m: PaymentMethodView, t: ReturnType<typeof accountStrings>): string {
  if (m.kind === 'carrier') return t.payment.carrier(m.maskedPhone ?? '');
  const brand = m.brand ?? '';
  return t.payment.card(brand.charAt(0).toUpperCase() + brand.slice(1), m.last4 ?? '');
}

/**
 * Saved payment methods: each with what identifies it, the default marked, forms to make it the
 * default or remove it, and "Add a card", which leads to the card provider's own form.
 */
function paymentMethodsSection(page: AccountOverview, methods: readonly PaymentMethodView[]): string {
  const t = accountStrings(page.locale);
  const items = methods
    .map((m) => {
      const expiry =
        m.expMonth === null || m.expYear === null
          ? []
          : [t.payment.expires(`${String(m.expMonth).padStart(2, '0')}/${m.expYear}`)];
      const state = [
        ...expiry,
        ...(m.expired ? [t.payment.expired] : []),
        ...(m.isDefault ? [t.payment.isDefault] : []),
        ...(m.available ? [] : [t.payment.unavailable]),
      ].join(', ');
      const fields = { methodId: m.methodId };
      const actions =
        (m.isDefault || m.expired || !m.available
          ? ''
          : button('/account/payment-methods/default', page.csrf, t.payment.makeDefault, fields)) +
        button('/account/payment-methods/remove', page.csrf, t.remove, fields);
      const hint = state === '' ? '' : ` <span class="hint">(${e(state)})</span>`;
      return `<li><span><strong>${e(methodLabel(m, t))}</strong>${hint}</span><span>${actions}</span></li>`;
    })
    .join('');
  return (
    `<section id="payment-methods"><h2>${e(t.payment.title)}</h2>` +
    (items === '' ? `<p>${e(t.payment.none)}</p>` : `<ul class="items">${items}</ul>`) +
    (page.canAddCards ? button('/account/payment-methods/new-card', page.csrf, t.payment.addCard, {}) : '') +
    `<p class="hint">${e(t.payment.addNote)}</p></section>`
  );
}

/** Recurring payments: what each costs and when it renews, with "Stop" for those still renewing. */
function agreementsSection(page: AccountOverview, lines: readonly AgreementLine[]): string {
  const t = accountStrings(page.locale);
  const a = t.agreements;
  const items = lines
    .map((line) => {
      const when = line.periodEnd === null ? '' : formatInstant(page.locale, new Date(line.periodEnd));
      const state = [
        a.price(formatAmount(line.price, page.locale), durationWords(line.period, page.locale)),
        ...(when === '' ? [] : [line.ending ? a.ends(when) : a.renews(when)]),
        ...(line.pastDue ? [a.pastDue] : []),
        ...(line.methodLabel === null ? [] : [a.paidWith(line.methodLabel)]),
      ].join(', ');
      const action = line.ending
        ? ''
        : button(
            '/account/agreements/stop',
            page.csrf,
            a.stop,
            { agreementId: line.agreementId },
            'secondary',
          );
      return `<li><span><strong>${e(line.name)}</strong> <span class="hint">(${e(state)})</span></span><span>${action}</span></li>`;
    })
    .join('');
  return `<section id="agreements"><h2>${e(a.title)}</h2><ul class="items">${items}</ul></section>`;
}

function sessionsSection(page: AccountOverview): string {
  const t = accountStrings(page.locale);
  const items = page.sessions
    .map((s) => {
      const device = s.current ? t.thisDevice : (s.device ?? t.unknownDevice);
      const when = [
        t.sessionSince(formatInstant(page.locale, s.signedInAt)),
        ...(s.lastUsedAt === null ? [] : [t.sessionUsed(formatInstant(page.locale, s.lastUsedAt))]),
      ].join(', ');
      const services =
        s.clientNames.length === 0
          ? ''
          : `<br><span class="hint">${e(t.sessionServices(s.clientNames.join(', ')))}</span>`;
      return (
        `<li><div><strong>${e(device)}</strong>${s.current && s.device !== null ? ` <span class="hint">(${e(s.device)})</span>` : ''}` +
        `<br><span class="hint">${e(when)}</span>${services}</div>` +
        button(
          s.current ? '/account/signout' : '/account/sessions/end',
          page.csrf,
          s.current ? t.signOut : t.endSession,
          {
            ...(s.current ? {} : { session: s.uid }),
          },
        ) +
        `</li>`
      );
    })
    .join('');
  return `<section id="sessions"><h2>${e(t.sessions)}</h2><ul class="items">${items}</ul></section>`;
}

export function accountPage(page: AccountOverview): Page {
  const t = accountStrings(page.locale);
  const user = page.user;
  const localeOptions = (['en', 'nb'] as const)
    .map((l) => `<option value="${l}"${user.locale === l ? ' selected' : ''}>${e(t.localeNames[l])}</option>`)
    .join('');
  return {
    locale: page.locale,
    title: t.title,
    wide: true,
    ...(page.formOrigins === undefined ? {} : { formOrigins: page.formOrigins }),
    body:
      `<h1>${e(t.title)}</h1>` +
      `<div class="actions"><p>${e(t.signedInAs(displayName(user)))}</p>` +
      button('/account/signout', page.csrf, t.signOut, {}, 'secondary small') +
      `</div>` +
      alerts(page.notice === undefined ? undefined : t.notices[page.notice], page.error) +
      `<section id="profile"><h2>${e(t.profile)}</h2>` +
      `<form method="post" action="/account/profile">` +
      csrfInput(page.csrf) +
      `<label for="name">${e(t.nameLabel)}</label>` +
      `<input id="name" name="name" type="text" autocomplete="name" maxlength="200" value="${e(user.name ?? '')}">` +
      `<label for="locale">${e(t.localeLabel)}</label>` +
      `<select id="locale" name="locale">${localeOptions}</select><br>` +
      `<button type="submit">${e(t.save)}</button></form></section>` +
      identifierSection(page, 'phone') +
      identifierSection(page, 'email') +
      passwordSection(page) +
      (page.paymentMethods === undefined ? '' : paymentMethodsSection(page, page.paymentMethods)) +
      (page.agreements === undefined || page.agreements.length === 0
        ? ''
        : agreementsSection(page, page.agreements)) +
      servicesSection(page) +
      sessionsSection(page) +
      `<section id="delete"><h2>${e(t.deleteSection)}</h2><p>${e(t.deleteIntro)}</p>` +
      `<p><a href="/account/delete">${e(t.deleteLink)}</a></p></section>`,
  };
}

/** The code entry after adding (or re-verifying) a phone or email. */
export function verifyPage(page: {
  readonly locale: Locale;
  readonly csrf: string;
  readonly kind: IdentifierKind;
  readonly value: string;
  readonly challengeId: string;
  readonly error?: string;
}): Page {
  const t = accountStrings(page.locale);
  const invalid = page.error !== undefined;
  return {
    locale: page.locale,
    title: t.verifyTitle,
    body:
      `<h1>${e(t.verifyTitle)}</h1><p>${e(t.codeSentTo(page.value))}</p>` +
      `<form method="post" action="/account/identifiers/verify" novalidate>` +
      csrfInput(page.csrf) +
      hidden('kind', page.kind) +
      hidden('value', page.value) +
      hidden('challenge', page.challengeId) +
      `<label for="code">${e(t.codeLabel)}</label>` +
      (invalid ? `<p class="error" role="alert" id="code-error">${e(page.error!)}</p>` : '') +
      `<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required` +
      `${invalid ? ' aria-invalid="true" aria-describedby="code-error"' : ''} autofocus>` +
      `<button type="submit">${e(t.confirm)}</button></form>` +
      `<p><a href="/account">${e(t.back)}</a></p>`,
  };
}

export function deletePage(page: {
  readonly locale: Locale;
  readonly csrf: string;
  readonly error?: string;
}): Page {
  const t = accountStrings(page.locale);
  return {
    locale: page.locale,
    title: t.deleteTitle,
    body:
      `<h1>${e(t.deleteTitle)}</h1><p>${e(t.deleteWarning)}</p>` +
      alerts(undefined, page.error) +
      `<form method="post" action="/account/delete" novalidate>` +
      csrfInput(page.csrf) +
      `<label class="check" for="confirm-delete"><input id="confirm-delete" name="confirm" type="checkbox" value="yes" required> ` +
      `${e(t.deleteConfirmLabel)}</label>` +
      `<div class="actions"><button type="submit" class="danger">${e(t.deleteButton)}</button></div></form>` +
      `<p><a href="/account">${e(t.back)}</a></p>`,
  };
}

/** Signed out, account deleted, or a sign-in that failed: a message and a way back in. */
export function accountMessagePage(
  locale: Locale,
  title: string,
  message: string,
  options: { readonly error?: boolean } = {},
): Page {
  const t = accountStrings(locale);
  return {
    locale,
    title,
    body:
      `<h1>${e(title)}</h1>` +
      `<p${options.error === true ? ' class="error" role="alert"' : ''}>${e(message)}</p>` +
      `<p><a href="/account">${e(t.signInAgain)}</a></p>`,
  };
}
