/**
 * The agreement confirmation page: the plan, its price with VAT, how it recurs, the trial, and one
 * form per way to agree (a saved card, a new card) plus cancel. Plain forms with the pay session's
 * CSRF token; every dynamic value is escaped here.
 */
import type { PaymentMethodView } from '../../../application/payment-method/payment-method-queries.js';
import type { Agreement } from '../../../domain/agreement/state.js';
import { vatIncludedIn } from '../../../domain/shared/money.js';
import type { Locale } from '../pages/i18n.js';
import { escapeHtml as e, type Page } from '../pages/render.js';
import { agreementStrings, durationWords } from './agreement-i18n.js';
import { payStrings } from './pay-i18n.js';
import { formatAmount, postForm, savedMethodItem } from './pay-views.js';

export interface AgreementPageModel {
  readonly locale: Locale;
  readonly csrf: string;
  readonly agreement: Agreement;
  /** The payer's chargeable saved cards, the default first. */
  readonly cards: readonly PaymentMethodView[];
  /** Whether a card provider is configured (the "new card" form). */
  readonly newCard: boolean;
  readonly formOrigins: readonly string[];
  readonly error?: string;
}

export function agreementPage(m: AgreementPageModel): Page {
  const t = agreementStrings(m.locale);
  const p = payStrings(m.locale);
  const { terms } = m.agreement;
  const base = `/pay/agreements/${m.agreement.agreementId}`;
  const cards = m.cards
    .map((card) => savedMethodItem(card, p, `${base}/confirm`, m.csrf, t.confirmWith))
    .join('');
  const summary =
    `<h1>${e(t.intro(terms.name))}</h1>` +
    `<p id="price"><strong>${e(t.price(formatAmount(terms.price, m.locale), durationWords(terms.period, m.locale)))}</strong><br>` +
    `<span class="hint">${e(t.vatIncluded(formatAmount(vatIncludedIn(terms.price, terms.vatRate), m.locale)))}</span></p>` +
    `<p id="recurrence">${e(t.recurrence(terms.count))}</p>` +
    (terms.trial === null ? '' : `<p id="trial">${e(t.trial(durationWords(terms.trial, m.locale)))}</p>`) +
    `<p id="first-payment">${e(terms.firstPayment ? t.firstPaymentNow : t.firstPaymentLater)}</p>` +
    `<p class="hint">${e(t.stopAnyTime)}</p>`;
  const sections = [
    cards === ''
      ? ''
      : `<section id="saved-methods"><h2>${e(t.chooseCard)}</h2><ul class="items">${cards}</ul></section>`,
    m.newCard
      ? `<section id="new-card"><h2>${e(t.newCard)}</h2>` +
        postForm(`${base}/new-card`, m.csrf, `<button type="submit">${e(t.confirmWithNewCard)}</button>`) +
        `</section>`
      : '',
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
      summary +
      (m.error === undefined ? '' : `<p class="error" role="alert" id="pay-error">${e(m.error)}</p>`) +
      sections.join(''),
  };
}
