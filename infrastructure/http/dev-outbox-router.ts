/**
 * `/dev/outbox`: the development outbox for people (a server-rendered HTML list) and for scripts
 * and tests (JSON, and `/dev/outbox/latest?to=` for the newest message to one recipient). Mount it
 * only when the development outbox is the configured delivery: it shows one-time codes in clear.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { escapeHtml } from '../../application/signin/messages.js';
import type { DevOutbox, OutboxMessage } from '../delivery/dev-outbox.js';
import { HttpProblem } from './problem.js';
import { parseInput } from './validation.js';

export interface DevOutboxRouterDeps {
  readonly outbox: DevOutbox;
}

const ListQuery = z.object({
  format: z.enum(['html', 'json']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const LatestQuery = z.object({
  to: z.string().trim().min(1, 'Name the recipient: a phone number (+47…) or an email address').max(320),
});

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}',
  'table{border-collapse:collapse;width:100%}',
  'th,td{border-bottom:1px solid #ddd;padding:.5rem;text-align:left;vertical-align:top}',
  'td.text{white-space:pre-wrap}',
].join('');
/** The only style the page may use; everything else stays forbidden by the CSP. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

function renderPage(messages: readonly OutboxMessage[]): string {
  const rows = messages
    .map((m) => {
      const text = m.subject !== undefined ? `${m.subject}\n\n${m.text}` : m.text;
      return (
        `<tr><td><time datetime="${escapeHtml(m.sentAt)}">${escapeHtml(m.sentAt)}</time></td>` +
        `<td>${escapeHtml(m.channel)}</td><td>${escapeHtml(m.to)}</td>` +
        `<td class="text">${escapeHtml(text)}</td></tr>`
      );
    })
    .join('\n');
  const body =
    messages.length === 0
      ? '<p>No messages yet.</p>'
      : `<table><thead><tr><th scope="col">Time</th><th scope="col">Channel</th>` +
        `<th scope="col">Recipient</th><th scope="col">Text</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>Development outbox – Tessera</title>` +
    `<style>${STYLE}</style></head><body><h1>Development outbox</h1>` +
    `<p>Messages Tessera would have sent, newest first. Nothing here was delivered.</p>\n${body}\n</body></html>\n`
  );
}

function wantsJson(req: Request, format: 'html' | 'json' | undefined): boolean {
  if (format !== undefined) return format === 'json';
  return req.accepts(['html', 'json']) === 'json';
}

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept');
}

/** `GET /dev/outbox` (HTML or JSON) and `GET /dev/outbox/latest?to=` (JSON); mount at the root. */
export function createDevOutboxRouter(deps: DevOutboxRouterDeps): Router {
  const router = Router();

  router.get('/dev/outbox', async (req, res) => {
    const query = parseInput(ListQuery, req.query, 'query');
    const messages = await deps.outbox.list(query.limit);
    noStore(res);
    if (wantsJson(req, query.format)) {
      res.json({ items: messages });
      return;
    }
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; frame-ancestors 'none'; form-action 'none'`,
    );
    res.type('html').send(renderPage(messages));
  });

  router.get('/dev/outbox/latest', async (req, res) => {
    const { to } = parseInput(LatestQuery, req.query, 'query');
    const message = await deps.outbox.latest(to);
    if (!message) {
      throw new HttpProblem(404, 'no_message', 'No message to this recipient is in the outbox yet.');
    }
    noStore(res);
    res.json(message);
  });

  return router;
}
