import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { formatMoney } from '../../../domain/shared/money.js';
import type { WireMoney } from '../wire.js';
import type { CardProblem } from './cards.js';

/**
 * The sandbox processor's own pages: the hosted card form and the challenge (3-D Secure) page.
 * They belong to the processor, not to Tessera, so they carry their own frame, in English and
 * Norwegian Bokmål, plain HTML forms without script, with a CSP that allows the one inline style.
 */

export type SandboxLocale = 'en' | 'nb';

export function sandboxLocale(value: unknown): SandboxLocale {
  return typeof value === 'string' && /^(nb|no|nn)\b/i.test(value) ? 'nb' : 'en';
}

const TEXT = {
  en: {
    brand: 'Sandbox card processor',
    cardTitle: 'Add a card',
    number: 'Card number',
    expiry: 'Expiry (MM/YY)',
    cvc: 'Security code (CVC)',
    save: 'Save card',
    testHint: 'Test mode: use 4242 4242 4242 4242, any future expiry and any CVC.',
    problems: {
      number: 'The card number is not valid. Check the digits and try again.',
      not_test_card: 'This sandbox accepts test card numbers only, such as 4242 4242 4242 4242.',
      expiry: 'Enter the expiry as MM/YY.',
      expired: 'The card has expired.',
      cvc: 'The security code is 3 digits (4 on American Express).',
    } satisfies Record<CardProblem, string>,
    challengeTitle: 'Confirm your payment',
    challengeIntro: (amount: string, description: string) =>
      `Your bank asks you to confirm ${amount} for “${description}”.`,
    approve: 'Confirm',
    deny: 'Refuse',
    errorTitle: 'This page cannot be shown',
    badReturn: 'The link that brought you here is not valid.',
    noChallenge: 'This confirmation is not pending any more.',
  },
  nb: {
    brand: 'Sandkasse-kortbehandler',
    cardTitle: 'Legg til kort',
    number: 'Kortnummer',
    expiry: 'Utløper (MM/ÅÅ)',
    cvc: 'Sikkerhetskode (CVC)',
    save: 'Lagre kort',
    testHint: 'Testmodus: bruk 4242 4242 4242 4242, en framtidig utløpsdato og en vilkårlig CVC.',
    problems: {
      number: 'Kortnummeret er ikke gyldig. Sjekk sifrene og prøv igjen.',
      not_test_card: 'Denne sandkassen tar bare imot testkortnumre, for eksempel 4242 4242 4242 4242.',
      expiry: 'Skriv utløpsdatoen som MM/ÅÅ.',
      expired: 'Kortet er utløpt.',
      cvc: 'Sikkerhetskoden er 3 sifre (4 på American Express).',
    } satisfies Record<CardProblem, string>,
    challengeTitle: 'Bekreft betalingen',
    challengeIntro: (amount: string, description: string) =>
      `Banken din ber deg bekrefte ${amount} for «${description}».`,
    approve: 'Bekreft',
    deny: 'Avslå',
    errorTitle: 'Siden kan ikke vises',
    badReturn: 'Lenken som førte deg hit er ikke gyldig.',
    noChallenge: 'Denne bekreftelsen venter ikke lenger.',
  },
} as const;

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:0;background:#eef2f7;color:#1b1b1b}',
  'main{max-width:24rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;border-top:6px solid #635bff}',
  'h1{font-size:1.4rem}label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #888;border-radius:4px}',
  'button{margin:1rem .5rem 0 0;padding:.6rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #635bff;background:#635bff;color:#fff}',
  'button.secondary{background:#fff;color:#635bff}',
  '.error{color:#b00020;border-left:4px solid #b00020;padding-left:.75rem}.hint{color:#555;font-size:.9rem}',
].join('');
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function send(
  res: Response,
  status: number,
  locale: SandboxLocale,
  title: string,
  body: string,
  formOrigins: readonly string[],
): void {
  const origins = formOrigins.filter((o) => /^https?:\/\/[^\s;,'"]+$/.test(o)).join(' ');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'${origins ? ` ${origins}` : ''}; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)} – ${escapeHtml(TEXT[locale].brand)}</title><style>${STYLE}</style></head>` +
        `<body><main><p class="hint">${escapeHtml(TEXT[locale].brand)}</p><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

/** The hosted card form. The number is never echoed back: after an error the payer types it again. */
export function cardFormPage(
  res: Response,
  page: {
    locale: SandboxLocale;
    returnUrl: string;
    state: string;
    problem?: CardProblem;
    formOrigins: readonly string[];
  },
): void {
  const t = TEXT[page.locale];
  const error = page.problem
    ? `<p class="error" role="alert">${escapeHtml(t.problems[page.problem])}</p>`
    : '';
  send(
    res,
    page.problem ? 422 : 200,
    page.locale,
    t.cardTitle,
    `${error}<form method="post" action="tokens">` +
      hidden('return_url', page.returnUrl) +
      hidden('state', page.state) +
      hidden('locale', page.locale) +
      `<label for="number">${t.number}</label><input id="number" name="number" inputmode="numeric" autocomplete="cc-number" required>` +
      `<label for="expiry">${t.expiry}</label><input id="expiry" name="expiry" autocomplete="cc-exp" required>` +
      `<label for="cvc">${t.cvc}</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required>` +
      `<button type="submit">${t.save}</button></form><p class="hint">${escapeHtml(t.testHint)}</p>`,
    page.formOrigins,
  );
}

export function challengePage(
  res: Response,
  page: {
    locale: SandboxLocale;
    paymentId: string;
    secret: string;
    amount: WireMoney;
    description: string;
    formOrigins: readonly string[];
  },
): void {
  const t = TEXT[page.locale];
  send(
    res,
    200,
    page.locale,
    t.challengeTitle,
    `<p>${escapeHtml(t.challengeIntro(formatMoney(page.amount), page.description))}</p>` +
      `<form method="post" action="${escapeHtml(encodeURIComponent(page.paymentId))}">` +
      hidden('secret', page.secret) +
      hidden('locale', page.locale) +
      `<button type="submit" name="decision" value="approve">${t.approve}</button>` +
      `<button type="submit" name="decision" value="deny" class="secondary">${t.deny}</button></form>`,
    page.formOrigins,
  );
}

export function errorPage(
  res: Response,
  status: number,
  locale: SandboxLocale,
  which: 'badReturn' | 'noChallenge',
): void {
  const t = TEXT[locale];
  send(res, status, locale, t.errorTitle, `<p class="error">${escapeHtml(t[which])}</p>`, []);
}
