import type { RequestHandler } from 'express';

/**
 * Headers every response carries, as [name, value] pairs, in the order they are sent. The API serves
 * JSON only, so the content security policy forbids everything; HSTS is left to the TLS-terminating
 * proxy, which knows whether HTTPS is in use. Answers written whole ahead of the middleware (see
 * observe.ts, answerJsonWhole) send exactly these.
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
] as const);

/** API responses carry account data and must never be cached by browsers or proxies. */
export const NO_STORE: readonly [string, string] = Object.freeze(['Cache-Control', 'no-store'] as const);

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    for (let i = 0; i < SECURITY_HEADERS.length; i++) {
      const header = SECURITY_HEADERS[i]!;
      res.setHeader(header[0], header[1]);
    }
    next();
  };
}

/** Sets {@link NO_STORE} on every response of the routers it precedes. */
export function noStore(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader(NO_STORE[0], NO_STORE[1]);
    next();
  };
}
