/**
 * The demo shop's pages: plain HTML forms, no script, in Tessera's page frame (one hashed inline
 * stylesheet, a CSP that forbids every script). Every dynamic value is escaped here.
 */
import { escapeHtml, type Page } from '../pages/render.js';
import type { DemoShopProduct } from './demo-config.js';

export interface AccessPanel {
  readonly sku: string;
  readonly allowed: boolean;
  /** The access check's JSON answer, shown as it came (it is a demo). */
  readonly answer: unknown;
}

export interface HomeView {
  readonly shopName: string;
  readonly products: readonly DemoShopProduct[];
  /** Null while nobody is signed in. */
  readonly signedIn: {
    readonly sub: string;
    readonly phone: string | null;
    readonly csrf: string;
    /** A fresh order reference per page view: a double-submitted form buys once. */
    readonly orderRef: string;
    readonly access: AccessPanel | null;
  } | null;
  readonly notice?: { readonly text: string; readonly ok: boolean };
  /** Origins the shop's forms may be redirected to (Tessera's, for the payment page and sign-out). */
  readonly formOrigins: readonly string[];
  /** Where Tessera's own pages are (the issuer). */
  readonly tessera: string;
  /** The shop's own path (e.g. /demo): its forms post under it. */
  readonly base: string;
}

/** Price as people read it: "NOK 49.00". */
export function formatPrice(price: DemoShopProduct['price']): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: price.currency }).format(
      price.amount / 100,
    );
  } catch {
    return `${(price.amount / 100).toFixed(2)} ${price.currency}`;
  }
}

const PERIODS: Readonly<Record<string, string>> = { P1D: 'day', P1W: 'week', P1M: 'month', P1Y: 'year' };

function describeProduct(product: DemoShopProduct): string {
  if (product.kind === 'one_time') {
    const hours = /^PT(\d+)H$/.exec(product.timeSpec)?.[1];
    return `one purchase, access for ${hours === undefined ? product.timeSpec : `${hours} hours`}`;
  }
  const period = PERIODS[product.period] ?? product.period;
  const trialDays = product.trial === undefined ? undefined : /^P(\d+)D$/.exec(product.trial)?.[1];
  const trial =
    product.trial === undefined
      ? ''
      : `, ${trialDays === undefined ? product.trial : `${trialDays}-day`} free trial`;
  return `per ${period}${trial}`;
}

const csrfInput = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

function productItem(product: DemoShopProduct, view: HomeView): string {
  const who = view.signedIn;
  let action = '';
  if (product.kind === 'one_time' && who !== null) {
    action =
      `<form method="post" action="${escapeHtml(view.base)}/buy">${csrfInput(who.csrf)}` +
      `<input type="hidden" name="sku" value="${escapeHtml(product.sku)}">` +
      `<input type="hidden" name="order" value="${escapeHtml(who.orderRef)}">` +
      `<button type="submit" class="small">Buy ${escapeHtml(product.name.toLowerCase())} (one click)</button></form>`;
  } else if (product.kind === 'subscription') {
    action = '<span class="hint">Started by a provider’s backend (/v1/subscriptions); not sold here.</span>';
  }
  return (
    `<li id="product-${escapeHtml(product.sku)}"><span><strong>${escapeHtml(product.name)}</strong> · ` +
    `${escapeHtml(formatPrice(product.price))} ${escapeHtml(describeProduct(product))}<br>` +
    `<code>${escapeHtml(product.sku)}</code></span>${action}</li>`
  );
}

function accessPanel(access: AccessPanel): string {
  return (
    `<section id="access" aria-live="polite"><h2>Access to ${escapeHtml(access.sku)}: ` +
    `${access.allowed ? 'allowed' : 'not allowed'}</h2>` +
    `<p class="hint">The shop’s backend asks <code>GET /v1/users/{sub}/access?sku=${escapeHtml(access.sku)}</code>:</p>` +
    `<pre><code>${escapeHtml(JSON.stringify(access.answer, null, 2))}</code></pre></section>`
  );
}

function links(tessera: string): string {
  const link = (path: string, text: string) =>
    `<li><a href="${escapeHtml(tessera + path)}">${escapeHtml(text)}</a></li>`;
  return (
    '<section id="links"><h2>Look behind the counter</h2><ul>' +
    link('/account', 'Your Tessera account: data, consents, saved cards') +
    link('/support', 'Support console (staff)') +
    link('/dashboard', 'Provider dashboard (staff)') +
    link('/docs', 'API documentation') +
    link('/dev/outbox', 'Development outbox: the sign-in codes') +
    '</ul></section>'
  );
}

export function homePage(view: HomeView): Page {
  const who = view.signedIn;
  const notice =
    view.notice === undefined
      ? ''
      : `<p class="${view.notice.ok ? 'notice' : 'error'}" role="${view.notice.ok ? 'status' : 'alert'}">${escapeHtml(view.notice.text)}</p>`;
  const account =
    who === null
      ? `<p>A shop that signs its customers in with Tessera and sells through Tessera’s payments.</p>` +
        `<p><a href="${escapeHtml(view.base)}/login"><strong>Sign in</strong></a> with any phone number; the code appears in the ` +
        `<a href="${escapeHtml(view.tessera)}/dev/outbox">development outbox</a>.</p>`
      : `<p>Signed in as <strong>${escapeHtml(who.phone ?? who.sub)}</strong> <span class="hint">(sub <code>${escapeHtml(who.sub)}</code>)</span></p>` +
        `<form method="post" action="${escapeHtml(view.base)}/logout">${csrfInput(who.csrf)}<button type="submit" class="secondary small">Sign out</button></form>`;
  return {
    locale: 'en',
    title: view.shopName,
    wide: true,
    formOrigins: view.formOrigins,
    body:
      `<h1>${escapeHtml(view.shopName)}</h1>` +
      notice +
      account +
      `<section id="products"><h2>Products</h2><ul class="items">${view.products.map((p) => productItem(p, view)).join('')}</ul></section>` +
      (who?.access ? accessPanel(who.access) : '') +
      links(view.tessera),
  };
}

export function messagePage(base: string, title: string, text: string, detail?: unknown): Page {
  return {
    locale: 'en',
    title,
    wide: true,
    body:
      `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(text)}</p>` +
      (detail === undefined || detail === null
        ? ''
        : `<pre><code>${escapeHtml(JSON.stringify(detail, null, 2))}</code></pre>`) +
      `<p><a href="${escapeHtml(base)}">Back to the shop</a></p>`,
  };
}
