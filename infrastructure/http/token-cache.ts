/**
 * A short memory of verified access tokens, so a provider's backend calling the access check many
 * times a second with one token does not look it up in the token store every time.
 *
 * Only good answers are remembered, for at most `ttlMs` and never past the token's own expiry. A
 * revocation made through this process (a withdrawn consent, a signed-out session, a disabled
 * client) calls clear(), so it takes effect at once here; one made by another process takes effect
 * within `ttlMs`. Keys are SHA-256 digests: the cache never holds a token itself.
 */
import { hash } from 'node:crypto';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';

export const TOKEN_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/** A verifier that can answer from memory without waiting (see {@link CachingTokenVerifier.peek}). */
export interface PeekingTokenVerifier extends TokenVerifier {
  peek(accessToken: string): VerifiedToken | undefined;
}

export function canPeek(verifier: TokenVerifier): verifier is PeekingTokenVerifier {
  return typeof (verifier as Partial<PeekingTokenVerifier>).peek === 'function';
}

export class CachingTokenVerifier implements PeekingTokenVerifier {
  private readonly entries = new Map<string, { readonly token: VerifiedToken; readonly until: number }>();

  constructor(
    private readonly inner: TokenVerifier,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_CACHE_TTL_MS,
  ) {}

  async verify(accessToken: string): Promise<VerifiedToken | null> {
    const key = digest(accessToken);
    const now = this.now();
    const hit = this.remembered(key, now);
    if (hit !== undefined) return hit;
    const token = await this.inner.verify(accessToken);
    if (token !== null) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { token, until: Math.min(now + this.ttlMs, token.expiresAt * 1000) });
    }
    return token;
  }

  /**
   * The remembered verification of a token, answered synchronously; undefined when it is not
   * remembered (or no longer may be), in which case verify() must decide. Never null: refusals are
   * not remembered.
   */
  peek(accessToken: string): VerifiedToken | undefined {
    return this.remembered(digest(accessToken), this.now());
  }

  /** Forgets every remembered token (after a revocation). */
  clear(): void {
    this.entries.clear();
  }

  private remembered(key: string, now: number): VerifiedToken | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (now < hit.until) return hit.token;
    this.entries.delete(key);
    return undefined;
  }
}

/** One-shot SHA-256 (no Hash object per call). */
function digest(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}
