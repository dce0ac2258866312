/**
 * A short memory of verified access tokens, so a provider's backend calling the access check many
 * times a second with one token does not look it up in the token store every time.
 *
 * Only good answers are remembered, for at most `ttlMs` and never past the token's own expiry. A
 * revocation made through this process (a withdrawn consent, a signed-out session, a disabled
 * client) calls clear(), so it takes effect at once here; one made by another process takes effect
 * within `ttlMs`. Keys are SHA-256 digests: the cache never holds a token itself.
 */
import { createHash } from 'node:crypto';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';

export const TOKEN_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export class CachingTokenVerifier implements TokenVerifier {
  private readonly entries = new Map<string, { readonly token: VerifiedToken; readonly until: number }>();

  constructor(
    private readonly inner: TokenVerifier,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_CACHE_TTL_MS,
  ) {}

  async verify(accessToken: string): Promise<VerifiedToken | null> {
    const key = createHash('sha256').update(accessToken).digest('base64url');
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (now < hit.until) return hit.token;
      this.entries.delete(key);
    }
    const token = await this.inner.verify(accessToken);
    if (token !== null) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { token, until: Math.min(now + this.ttlMs, token.expiresAt * 1000) });
    }
    return token;
  }

  /** Forgets every remembered token (after a revocation). */
  clear(): void {
    this.entries.clear();
  }
}
