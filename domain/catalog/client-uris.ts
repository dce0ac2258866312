/**
 * Rules for the URIs a client registers. They are checked once, at registration, so that the
 * authorization server can later compare redirect URIs by exact string match (RFC 9700 §4.1.3)
 * without interpreting them. Each rule returns a message naming the problem, or null when the URI
 * is acceptable; deciders and the HTTP layer share them.
 */

export const MAX_URI_LENGTH = 2048;

/** Hosts for which plain http is allowed: the developer's own machine (RFC 8252 §7.3). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A private-use URI scheme for native apps must be a reverse domain name the app's publisher
 * controls (RFC 8252 §7.1), e.g. `com.example.app`. Requiring a dot also keeps out `javascript:`,
 * `data:`, `file:` and the like.
 */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/;

function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return /\s/.test(text);
}

function parseAbsolute(uri: string): URL | string {
  if (uri.length === 0) return 'must not be empty';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (hasSpaceOrControl(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('#')) return 'must not contain a fragment (#...)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return url;
}

/**
 * Where the authorization server may send the user back: an https URL; http only on localhost,
 * 127.0.0.1 or [::1] (development and native apps' loopback redirects); or a private-use scheme
 * in reverse-domain form for native apps, e.g. `com.example.app:/callback`. Never a fragment.
 * Also used for post-logout redirect URIs.
 */
export function redirectUriProblem(uri: string): string | null {
  const url = parseAbsolute(uri);
  if (typeof url === 'string') return url;
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.hostname === '' ? 'must name a host' : null;
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? null
      : 'may use http only on localhost or 127.0.0.1; use https for other hosts';
  }
  if (PRIVATE_USE_SCHEME.test(scheme)) return null;
  return 'must be an https URL, an http://localhost or http://127.0.0.1 URL, or a private-use scheme in reverse-domain form such as com.example.app:/callback';
}

/** An https URL with a host and no fragment (back-channel logout endpoint, logo). */
export function httpsUriProblem(uri: string): string | null {
  const url = parseAbsolute(uri);
  if (typeof url === 'string') return url;
  if (url.protocol !== 'https:') return 'must be an https URL';
  return url.hostname === '' ? 'must name a host' : null;
}

/**
 * The form used to spot duplicates: two spellings the WHATWG URL parser reads the same
 * (`https://App.example/cb` and `https://app.example/cb`) are one redirect URI, even though each
 * is stored exactly as given.
 */
export function uriIdentity(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}
