/**
 * CSRF tokens of the interaction forms: an HMAC of the interaction's id under a server key.
 *
 * The interaction a form acts on is found through the provider's signed, path-scoped interaction
 * cookie, never through the URL alone. A forged cross-site post would need the token of the
 * victim's own interaction, which only a page served to the victim's browser carries; a token an
 * attacker obtained for an interaction of their own belongs to another id and is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CSRF_FIELD = 'csrf';

export class CsrfTokens {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new RangeError('The CSRF key must be at least 32 bytes');
    this.key = Buffer.from(key);
  }

  /** The token for forms acting on `binding` (an interaction id). */
  issue(binding: string): string {
    return createHmac('sha256', this.key).update(`csrf:${binding}`).digest('base64url');
  }

  /** True when `token` is the token of `binding`; compared in constant time. */
  verify(binding: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length > 100) return false;
    const expected = Buffer.from(this.issue(binding));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
