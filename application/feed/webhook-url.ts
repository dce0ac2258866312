/**
 * Where Tessera may POST a provider's webhooks: an https URL with a host, or plain http only on the
 * developer's own machine (localhost, 127.0.0.1, [::1]). No user name or password in the URL (the
 * signature authenticates Tessera), and no fragment (it would never be sent). Returns a message
 * naming the problem, or null when the URL is acceptable.
 */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return /\s/.test(text);
}

export function webhookUrlProblem(uri: string): string | null {
  if (uri.length === 0) return 'must not be empty';
  if (uri.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  if (hasSpaceOrControl(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('#')) return 'must not contain a fragment (#...)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (url.protocol === 'https:') return url.hostname === '' ? 'must name a host' : null;
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? null
      : 'may use http only on localhost or 127.0.0.1; use https for other hosts';
  }
  return 'must be an https URL (or http://localhost, http://127.0.0.1 during development)';
}
