/**
 * The hosted payment page's views: the payment itself (what is bought, the amount with VAT, and one
 * form per way to pay) and the pages for a payment that can no longer be made. Plain forms, no
 * script; every form carries the pay session's CSRF token; every dynamic value is escaped here.
 */
import type { PaymentMethodView } from '../../../application/payment-method/payment-method-queries.js';
import { formatMoney, type Money } from '../../../domain/shared/money.js';
import type { TransactionDoc } from '../../../projections/transactions.js';
import { CSRF_FIELD } from '../pages/csrf.js';
import type { Locale } from '../pages/i18n.js';
import { escapeHtml as e, type Page } from '../pages/render.js';
import { type PayStrings, payStrings } from './pay-i18n.js';

export interface PayPageModel {
  readonly locale: Locale;
  readonly csrf: string;
  readonly transaction: TransactionDoc;
  /** The payer's chargeable saved methods, the default first. */
  readonly methods: readonly PaymentMethodView[];
  /** The masked verified primary phone, when carrier billing can be offered. */
  readonly phone: string | null;
  /** Whether a card provider is configured (the "new card" form). */
  readonly cards: boolean;
  /** Origins the page's forms may end up at (card processor, the provider's redirects). */
  readonly formOrigins: readonly string[];
  readonly error?: string;
}

/** Minor units as the locale writes them: `49.00 NOK`, `49,00 NOK`. */
export function formatAmount(m: Money, locale: Locale): string {
  const text = formatMoney(m);
  return locale === 'nb' ? text.replace('.', ',') : text;
}

/** A saved method as the page names it: `Visa ending in 4242`, or the masked phone's bill. */
export function methodLabel(m: PaymentMethodView, t: PayStrings): string {
  if (m.kind === 'carrier') return `${t.carrier} ${m.maskedPhone ?? ''}`.trim();
  const brand = m.brand ?? '';
  return t.card(brand.charAt(0).toUpperCase() + brand.slice(1), m.last4 ?? '');
}

const csrfInput = (token: string) => `<input type="hidden" name="${CSRF_FIELD}" value="${e(token)}">`;

/** A form posting to `action` with the page's CSRF token. */
export const postForm = (action: string, csrf: string, inner: string, extra = '') =>
  `<form method="post" action="${e(action)}"${extra}>${csrfInput(csrf)}${inner}</form>`;

/** A saved method as a list item with one button posting its id to `action`. */
export function savedMethodItem(
  method: PaymentMethodView,
  t: PayStrings,
  action: string,
  csrf: string,
  button: (label: string) => string,
): string {
  const label = methodLabel(method, t);
  return (
    `<li><span>${e(label)}${method.isDefault ? ` (${e(t.isDefault)})` : ''}</span>` +
    postForm(
      action,
      csrf,
      `<input type="hidden" name="methodId" value="${e(method.methodId)}">` +
        `<button type="submit">${e(button(label))}</button>`,
    ) +
    `</li>`
  );
}

function summary(tx: TransactionDoc, locale: Locale, t: PayStrings): string {
  const lines = tx.products
    .map((p) => `<li><span>${e(p.name)}</span><span>${e(formatAmount(p.price, locale))}</span></li>`)
    .join('');
  return (
    `<h1>${e(tx.description)}</h1>` +
    (lines === '' ? '' : `<h2>${e(t.products)}</h2><ul class="items" id="products">${lines}</ul>`) +
    `<p id="total"><strong>${e(t.total)}: ${e(formatAmount(tx.amount, locale))}</strong><br>` +
    `<span class="hint">${e(t.vatIncluded(formatAmount(tx.vat, locale)))}</span></p>`
  );
}

/** The payment with every way to pay it. */
export function payPage(m: PayPageModel): Page {
  const t = payStrings(m.locale);
  const base = `/pay/${m.transaction.transactionId}`;
  const saved = m.methods
    .map((method) => savedMethodItem(method, t, `${base}/method`, m.csrf, t.payWith))
    .join('');
  const sections = [
    saved === ''
      ? ''
      : `<section id="saved-methods"><h2>${e(t.savedMethods)}</h2><ul class="items">${saved}</ul></section>`,
    m.cards
      ? `<section id="new-card"><h2>${e(t.newCard)}</h2>` +
        postForm(
          `${base}/new-card`,
          m.csrf,
          `<label class="check" for="save"><input id="save" name="save" type="checkbox" value="1" checked> ` +
            `${e(t.saveCard)}</label><button type="submit">${e(t.payWithNewCard)}</button>`,
        ) +
        `</section>`
      : '',
    m.phone === null
      ? ''
      : `<section id="carrier"><h2>${e(t.carrier)}</h2>` +
        postForm(`${base}/carrier`, m.csrf, `<button type="submit">${e(t.payWithPhone(m.phone))}</button>`) +
        `</section>`,
    `<section id="cancel">` +
      postForm(`${base}/cancel`, m.csrf, `<button type="submit" class="secondary">${e(t.cancel)}</button>`) +
      `</section>`,
  ];
  return {
    locale: m.locale,
    title: t.title,
    wide: true,
    formOrigins: m.formOrigins,
    body:
      summary(m.transaction, m.locale, t) +
      (m.error === undefined ? '' : `<p class="error" role="alert" id="pay-error">${e(m.error)}</p>`) +
      sections.join(''),
  };
}

/**
 * A payment that cannot be paid here (paid, canceled, expired, in progress, another account's), or
 * a failure before the payment could be shown. Errors are announced (role="alert").
 */
/**
 * After a payment that arrived through the card processor's pages: a form there started the
 * redirects that led here, and browsers hold every redirect of a form post to that form's
 * `form-action`, which cannot name each shop. So the way on to the shop is a new navigation: a meta
 * refresh, with a link for browsers that do not follow it.
 */
export function payCompletePage(locale: Locale, successUrl: string): Page {
  const t = payStrings(locale);
  return {
    locale,
    title: t.completeTitle,
    refreshTo: successUrl,
    body:
      `<h1>${e(t.completeTitle)}</h1><p class="notice" role="status">${e(t.complete)}</p>` +
      `<p><a href="${e(successUrl)}">${e(t.continueToShop)}</a></p>`,
  };
}

export function payMessagePage(
  locale: Locale,
  title: string,
  message: string,
  options: { readonly error?: boolean; readonly transaction?: TransactionDoc; readonly cancel?: string } = {},
): Page {
  const t = payStrings(locale);
  const text =
    options.error === true
      ? `<p class="error" role="alert">${e(message)}</p>`
      : `<p class="notice" role="status">${e(message)}</p>`;
  const cancel =
    options.cancel === undefined || options.transaction === undefined
      ? ''
      : postForm(
          `/pay/${options.transaction.transactionId}/cancel`,
          options.cancel,
          `<button type="submit" class="secondary">${e(t.cancel)}</button>`,
        );
  return {
    locale,
    title,
    ...(options.transaction === undefined
      ? {}
      : { formOrigins: originsOf([options.transaction.cancelRedirect]) }),
    body: `<h1>${e(title)}</h1>` + text + cancel,
  };
}

/** The http(s) origins of URLs, without repeats. */
export function originsOf(urls: ReadonlyArray<string | null>): string[] {
  const origins = new Set<string>();
  for (const url of urls) {
    if (url === null) continue;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:') origins.add(parsed.origin);
    } catch {
      // Not a URL: no origin to allow.
    }
  }
  return [...origins];
}
