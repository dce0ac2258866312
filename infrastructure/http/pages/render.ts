/**
 * The frame of every server-rendered page and the headers it is sent with. Pages are plain HTML
 * forms that work without JavaScript; the one stylesheet is inline and allowed by its hash, so the
 * content security policy can forbid every script and every other source.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { escapeHtml } from '../../../application/signin/messages.js';
import type { Locale } from './i18n.js';

export { escapeHtml };

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1b1b1b;line-height:1.5}',
  'main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}',
  'h1{font-size:1.5rem;margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input[type=text],input[type=tel],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #888;border-radius:4px}',
  'label.check{display:flex;gap:.5rem;align-items:center;font-weight:400}',
  'button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#1d4ed8}',
  '.error{color:#b00020;border-left:4px solid #b00020;padding-left:.75rem}',
  '.hint{color:#555;font-size:.9rem}',
  '.client{display:flex;gap:.75rem;align-items:center}',
  '.client img{width:48px;height:48px;object-fit:contain}',
  'ul.scopes{padding-left:1.25rem}',
  '.actions{display:flex;gap:.75rem;flex-wrap:wrap}',
  'main.wide{max-width:44rem}',
  'section{border-top:1px solid #ddd;margin-top:1.5rem}',
  'h2{font-size:1.15rem;margin:1rem 0 .5rem}',
  '.notice{border-left:4px solid #15803d;padding-left:.75rem}',
  'ul.items{list-style:none;padding:0;margin:0}',
  'ul.items>li{display:flex;justify-content:space-between;align-items:center;gap:.5rem;flex-wrap:wrap;padding:.5rem 0;border-bottom:1px solid #eee}',
  'ul.items form{display:inline-flex;gap:.5rem}',
  'ul.items button,button.small{margin-top:0;padding:.3rem .7rem;font-size:.9rem}',
  'button.danger{background:#b00020;border-color:#b00020}',
  'select{padding:.5rem;font-size:1rem}',
  'article.op{border-top:1px solid #eee;margin-top:1rem}',
  'article.op h3{font-size:1rem;margin:.75rem 0 .25rem;overflow-wrap:anywhere}',
  '.method{text-transform:uppercase;font-weight:700;margin-right:.5rem;color:#1d4ed8}',
  'code{background:#f1f1f4;padding:0 .2rem;border-radius:3px;font-size:.9em;overflow-wrap:anywhere}',
  'ul.schema{padding-left:1.1rem;margin:.25rem 0}',
].join('');

/** The only style a page may use; the CSP allows exactly this text. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export interface Page {
  readonly locale: Locale;
  readonly title: string;
  /** The page's content, already escaped. */
  readonly body: string;
  /**
   * Origins a form on this page may end up at besides this server's. A form post is answered with
   * redirects to the relying party's redirect URI, and browsers apply `form-action` to those too.
   */
  readonly formOrigins?: readonly string[];
  /** Origins images may come from (a client's logo). */
  readonly imageOrigins?: readonly string[];
  /** A wider frame, for pages with lists (the account page). */
  readonly wide?: boolean;
  /**
   * Where the browser goes on by itself (a meta refresh, no script). It starts a new navigation, so
   * it is not bound by the form-action of a form whose redirects led to this page.
   */
  readonly refreshTo?: string;
}

function sources(origins: readonly string[] | undefined): string {
  return (origins ?? []).filter((o) => /^https?:\/\/[^\s;,'"]+$/.test(o)).join(' ');
}

/** The page's Content-Security-Policy: no script at all, forms only to here (and `formOrigins`). */
export function pageCsp(page: Pick<Page, 'formOrigins' | 'imageOrigins'>): string {
  const images = sources(page.imageOrigins);
  return [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    `img-src ${images === '' ? "'none'" : images}`,
    `form-action 'self'${sources(page.formOrigins) === '' ? '' : ` ${sources(page.formOrigins)}`}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderPage(page: Page): string {
  return (
    `<!doctype html>\n<html lang="${page.locale}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(page.title)} – Tessera</title>` +
    (page.refreshTo === undefined
      ? ''
      : `<meta http-equiv="refresh" content="0;url=${escapeHtml(page.refreshTo)}">`) +
    `<style>${STYLE}</style></head><body><main${page.wide === true ? ' class="wide"' : ''}>\n${page.body}\n</main></body></html>\n`
  );
}

/** Sends a page with its CSP; sign-in pages are never cached and never sent as a referrer. */
export function sendPage(res: Response, status: number, page: Page): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', pageCsp(page));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.type('html').send(renderPage(page));
}

/** The origin of a URL, or null when it is not an http(s) URL. */
export function originOf(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}
