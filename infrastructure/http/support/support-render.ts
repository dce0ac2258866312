/**
 * The frame of the support console's pages. The console is a wide, table-heavy working page, so it
 * has a stylesheet of its own (the sign-in pages' frame is a narrow card); like them it is one
 * inline stylesheet allowed by its hash, and the content security policy forbids every script and
 * every other source, so the pages are plain forms that work without JavaScript.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import type { Locale } from '../pages/i18n.js';
import { escapeHtml } from '../pages/render.js';

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1b1b1b;line-height:1.45}',
  'header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap;padding:.75rem 1.5rem;background:#1e293b;color:#fff}',
  'header a{color:#fff;font-weight:700;text-decoration:none}',
  'header form{margin:0}',
  'header button{margin:0}',
  'main{max-width:72rem;margin:1.5rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}',
  'h1{font-size:1.5rem;margin:0 0 1rem}',
  'h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-top:1px solid #ddd;padding-top:1rem}',
  'h3{font-size:1rem;margin:0 0 .5rem}',
  'label{display:block;font-weight:600;margin:.5rem 0 .2rem}',
  'fieldset{border:1px solid #ddd;border-radius:4px;margin:.5rem 0}',
  'label.check{display:inline-flex;gap:.3rem;align-items:center;font-weight:400;margin-right:1rem}',
  'input[type=text],input[type=number],input[type=datetime-local],select{box-sizing:border-box;padding:.45rem;font-size:.95rem;border:1px solid #888;border-radius:4px;max-width:100%}',
  'input[type=text].wide{width:100%}',
  'button{margin-top:.6rem;padding:.45rem 1rem;font-size:.95rem;border-radius:4px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#1d4ed8}',
  'button.danger{background:#b00020;border-color:#b00020}',
  '.error{color:#b00020;border-left:4px solid #b00020;padding-left:.75rem}',
  '.notice{border-left:4px solid #15803d;padding-left:.75rem}',
  '.hint{color:#555;font-size:.85rem;margin:.1rem 0}',
  'table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.25rem 0 1rem}',
  'th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e5e5e5}',
  'th{background:#f1f1f4}',
  'td.num{text-align:right;white-space:nowrap}',
  'td.when{white-space:nowrap}',
  'code{background:#f1f1f4;padding:0 .2rem;border-radius:3px;font-size:.85em;overflow-wrap:anywhere}',
  'dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}',
  'dl.summary dt{font-weight:600}',
  'dl.summary dd{margin:0}',
  'nav.paging{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}',
  '.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end}',
  '.actions{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem}',
  'form.action{border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem;margin:0}',
  'form.action input[type=text],form.action select{width:100%}',
].join('');

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No script, no source but the page's own stylesheet, forms only to this server. */
export const SUPPORT_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "img-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface SupportPage {
  readonly locale: Locale;
  readonly title: string;
  /** The bar above the page (home link, who is signed in, sign-out); already escaped. */
  readonly header: string;
  /** The page's content, already escaped. */
  readonly body: string;
}

export function renderSupportPage(page: SupportPage): string {
  return (
    `<!doctype html>\n<html lang="${page.locale}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(page.title)} – Tessera</title>` +
    `<style>${STYLE}</style></head><body>${page.header}<main>\n${page.body}\n</main></body></html>\n`
  );
}

/** Sends a console page: never cached (it shows personal data), never sent as a referrer. */
export function sendSupportPage(res: Response, status: number, page: SupportPage): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', SUPPORT_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.type('html').send(renderSupportPage(page));
}
