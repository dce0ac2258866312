/**
 * The sign-in, code, consent, sign-out and error pages. Every dynamic value is escaped here; every field has
 * a visible label; errors are announced (role="alert") and tied to their field.
 */
import { isKnownScope } from '../../../domain/catalog/client-scopes.js';
import { CSRF_FIELD } from './csrf.js';
import { type Locale, strings } from './i18n.js';
import { escapeHtml, originOf, type Page } from './render.js';

/** What the relying party is called and how it looks, from its registration. */
export interface ClientFace {
  readonly name: string;
  readonly logoUri: string | null;
}

interface FormPage {
  readonly locale: Locale;
  /** Where the forms post: `/interaction/<uid>`. */
  readonly base: string;
  readonly csrf: string;
  /** Origins the final redirect may go to (the client's redirect URI). */
  readonly formOrigins: readonly string[];
}

const csrfInput = (token: string) =>
  `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">`;

const errorBlock = (id: string, message: string | undefined) =>
  message === undefined ? '' : `<p class="error" role="alert" id="${id}">${escapeHtml(message)}</p>`;

const describedBy = (ids: ReadonlyArray<string | false>) => {
  const list = ids.filter((id): id is string => id !== false);
  return list.length === 0 ? '' : ` aria-describedby="${list.join(' ')}"`;
};

export function signInPage(
  page: FormPage & { readonly client: ClientFace; readonly value: string; readonly error?: string },
): Page {
  const t = strings(page.locale);
  const invalid = page.error !== undefined;
  return {
    locale: page.locale,
    title: t.signInTitle,
    formOrigins: page.formOrigins,
    body:
      `<h1>${escapeHtml(t.signInTitle)}</h1>` +
      `<p>${escapeHtml(t.signInTo(page.client.name))}</p>` +
      `<form method="post" action="${escapeHtml(page.base)}/identifier" novalidate>` +
      csrfInput(page.csrf) +
      `<label for="identifier">${escapeHtml(t.identifierLabel)}</label>` +
      errorBlock('identifier-error', page.error) +
      `<input id="identifier" name="identifier" type="text" autocomplete="username" required` +
      ` maxlength="320" value="${escapeHtml(page.value)}"${invalid ? ' aria-invalid="true"' : ''}` +
      `${describedBy([invalid && 'identifier-error', 'identifier-hint'])} autofocus>` +
      `<p class="hint" id="identifier-hint">${escapeHtml(t.identifierHint)}</p>` +
      `<button type="submit">${escapeHtml(t.continue)}</button></form>`,
  };
}

export function codePage(
  page: FormPage & { readonly masked: string; readonly remember: boolean; readonly error?: string },
): Page {
  const t = strings(page.locale);
  const invalid = page.error !== undefined;
  return {
    locale: page.locale,
    title: t.codeTitle,
    formOrigins: page.formOrigins,
    body:
      `<h1>${escapeHtml(t.codeTitle)}</h1>` +
      `<p>${escapeHtml(t.codeSent(page.masked))}</p>` +
      `<form method="post" action="${escapeHtml(page.base)}/code" novalidate>` +
      csrfInput(page.csrf) +
      `<label for="code">${escapeHtml(t.codeLabel)}</label>` +
      errorBlock('code-error', page.error) +
      `<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"` +
      ` maxlength="12" required${invalid ? ' aria-invalid="true"' : ''}` +
      `${describedBy([invalid && 'code-error'])} autofocus>` +
      `<label class="check" for="remember"><input id="remember" name="remember" type="checkbox" value="1"` +
      `${page.remember ? ' checked' : ''}> ${escapeHtml(t.remember)}</label>` +
      `<button type="submit">${escapeHtml(t.signIn)}</button></form>` +
      `<form method="post" action="${escapeHtml(page.base)}/resend">` +
      csrfInput(page.csrf) +
      `<button type="submit" class="secondary">${escapeHtml(t.resend)}</button></form>` +
      `<p><a href="${escapeHtml(page.base)}">${escapeHtml(t.useAnother)}</a></p>`,
  };
}

/** The password step of a sign-in at acr "2". */
export function passwordPage(
  page: FormPage & { readonly client: ClientFace; readonly error?: string },
): Page {
  const t = strings(page.locale);
  const invalid = page.error !== undefined;
  return {
    locale: page.locale,
    title: t.passwordTitle,
    formOrigins: page.formOrigins,
    body:
      `<h1>${escapeHtml(t.passwordTitle)}</h1>` +
      `<p>${escapeHtml(t.passwordIntro(page.client.name))}</p>` +
      `<form method="post" action="${escapeHtml(page.base)}/password" novalidate>` +
      csrfInput(page.csrf) +
      `<label for="password">${escapeHtml(t.passwordLabel)}</label>` +
      errorBlock('password-error', page.error) +
      `<input id="password" name="password" type="password" autocomplete="current-password"` +
      ` maxlength="1024" required${invalid ? ' aria-invalid="true"' : ''}` +
      `${describedBy([invalid && 'password-error'])} autofocus>` +
      `<button type="submit">${escapeHtml(t.signIn)}</button></form>`,
  };
}

/**
 * For an account without a password asked for one: set it up on the account page first. When the
 * client only wished for a password, the person may go on without; otherwise only back.
 */
export function noPasswordPage(
  page: FormPage & { readonly client: ClientFace; readonly optional: boolean },
): Page {
  const t = strings(page.locale);
  const answer = page.optional ? t.continueWithoutPassword : t.backTo(page.client.name);
  return {
    locale: page.locale,
    title: t.noPasswordTitle,
    formOrigins: page.formOrigins,
    body:
      `<h1>${escapeHtml(t.noPasswordTitle)}</h1>` +
      `<p>${escapeHtml(t.noPassword(page.client.name))}</p>` +
      `<p>${escapeHtml(page.optional ? t.noPasswordOptional : t.noPasswordRequired)}</p>` +
      `<form method="post" action="${escapeHtml(page.base)}/skip-password">` +
      csrfInput(page.csrf) +
      `<button type="submit"${page.optional ? '' : ' class="secondary"'}>${escapeHtml(answer)}</button></form>`,
  };
}

export function consentPage(
  page: FormPage & { readonly client: ClientFace; readonly scopes: readonly string[] },
): Page {
  const t = strings(page.locale);
  const logoOrigin = originOf(page.client.logoUri);
  const logo =
    page.client.logoUri !== null && logoOrigin !== null
      ? `<img src="${escapeHtml(page.client.logoUri)}" alt="">`
      : '';
  // Scopes without a description (none today) are shown by name rather than hidden.
  const items = page.scopes
    .map((scope) => `<li>${escapeHtml(isKnownScope(scope) ? t.scopes[scope] : scope)}</li>`)
    .join('');
  return {
    locale: page.locale,
    title: t.consentTitle,
    formOrigins: page.formOrigins,
    imageOrigins: logoOrigin === null ? [] : [logoOrigin],
    body:
      `<h1>${escapeHtml(t.consentTitle)}</h1>` +
      `<div class="client">${logo}<p><strong>${escapeHtml(t.consentIntro(page.client.name))}</strong></p></div>` +
      `<ul class="scopes">${items}</ul>` +
      `<p class="hint">${escapeHtml(t.consentNote)}</p>` +
      `<form method="post" action="${escapeHtml(page.base)}/consent"><div class="actions">` +
      csrfInput(page.csrf) +
      `<button type="submit" name="decision" value="allow">${escapeHtml(t.allow)}</button>` +
      `<button type="submit" name="decision" value="deny" class="secondary">${escapeHtml(t.deny)}</button>` +
      `</div></form>`,
  };
}

export function errorPage(locale: Locale, message: string): Page {
  const t = strings(locale);
  return {
    locale,
    title: t.errorTitle,
    body:
      `<h1>${escapeHtml(t.errorTitle)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>` +
      `<p>${escapeHtml(t.errorBack)}</p>`,
  };
}

/** The provider's logout form, taken apart: where it posts and the hidden fields it carries. */
export interface LogoutForm {
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * "Sign out of Tessera?" with two answers posting the provider's own form (its hidden fields,
 * the xsrf token among them, are kept): Yes (`logout=yes`) ends the Tessera session; No ends
 * only the requesting client's part of it. `formOrigins` holds the post-logout redirect URI's
 * origin, where the confirmation's redirect goes.
 */
export function logoutPage(page: {
  readonly locale: Locale;
  readonly form: LogoutForm;
  readonly clientName: string | null;
  readonly formOrigins: readonly string[];
}): Page {
  const t = strings(page.locale);
  const hidden = Object.entries(page.form.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return {
    locale: page.locale,
    title: t.logoutTitle,
    formOrigins: page.formOrigins,
    body:
      `<h1>${escapeHtml(t.logoutTitle)}</h1>` +
      (page.clientName === null ? '' : `<p>${escapeHtml(t.logoutFrom(page.clientName))}</p>`) +
      `<p class="hint">${escapeHtml(t.logoutNote)}</p>` +
      `<form method="post" action="${escapeHtml(page.form.action)}"><div class="actions">` +
      hidden +
      `<button type="submit" name="logout" value="yes" autofocus>${escapeHtml(t.logoutYes)}</button>` +
      `<button type="submit" class="secondary">${escapeHtml(t.logoutNo)}</button>` +
      `</div></form>`,
  };
}

/**
 * The page after a logout without a post-logout redirect URI. With `clientName` the user answered
 * No: signed out of that client, still signed in to Tessera.
 */
export function loggedOutPage(locale: Locale, clientName: string | null): Page {
  const t = strings(locale);
  return {
    locale,
    title: t.loggedOutTitle,
    body:
      `<h1>${escapeHtml(t.loggedOutTitle)}</h1>` +
      `<p>${escapeHtml(clientName === null ? t.loggedOut : t.loggedOutOf(clientName))}</p>`,
  };
}
