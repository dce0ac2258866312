/**
 * Entitlement tokens: short-lived JWTs listing what a user may use at one provider right now, signed
 * with the same keys as ID tokens, so a service verifies them offline against Tessera's JWKS
 * (/oauth/jwks) instead of calling the access check for every request.
 *
 *   header  { alg: "RS256", kid, typ: "entitlement+jwt" }
 *   payload { iss, aud: <client id>, sub, iat, exp, jti, provider_id,
 *             entitlements: [{ sku, right_id, valid_until | null }] }
 *
 * `exp` is at most the earliest end of a listed right, so a token never outlives what it lists.
 * Revocations (a suspended or terminated right) reach services through the change feed; a token
 * already handed out stays valid until its `exp`: keep the lifetime short.
 */
import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import type { Clock } from '../../application/ports/clock.js';
import type { SigningKeyStore } from './signing-keys.js';

export const ENTITLEMENT_TOKEN_TYPE = 'entitlement+jwt';
/** Five minutes: long enough to spare the calls, short enough that a change is felt soon. */
export const ENTITLEMENT_TOKEN_TTL_SECONDS = 300;
/** How long the current signing key is reused before the store is asked again. */
const KEY_REFRESH_MS = 30_000;

export interface Entitlement {
  readonly sku: string;
  readonly rightId: string;
  /** ISO 8601 instant, or null for a perpetual right. */
  readonly validUntil: string | null;
}

export interface EntitlementTokenRequest {
  readonly issuer: string;
  readonly audience: string;
  readonly sub: string;
  readonly providerId: string;
  readonly entitlements: readonly Entitlement[];
}

export interface SignedEntitlements {
  readonly token: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

type SigningKey = {
  readonly kid: string;
  readonly alg: string;
  readonly key: Awaited<ReturnType<typeof importJWK>>;
};

export class EntitlementTokenSigner {
  private cached: { readonly at: number; readonly key: SigningKey } | null = null;

  constructor(
    private readonly keys: Pick<SigningKeyStore, 'jwks'>,
    private readonly clock: Clock,
    private readonly ttlSeconds = ENTITLEMENT_TOKEN_TTL_SECONDS,
  ) {}

  async sign(request: EntitlementTokenRequest): Promise<SignedEntitlements> {
    const key = await this.currentKey();
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const ends = request.entitlements
      .map((e) => (e.validUntil === null ? Infinity : Math.floor(Date.parse(e.validUntil) / 1000)))
      .filter((end) => end > now);
    const expiresAt = Math.min(now + this.ttlSeconds, ...ends);
    const token = await new SignJWT({
      provider_id: request.providerId,
      entitlements: request.entitlements.map((e) => ({
        sku: e.sku,
        right_id: e.rightId,
        valid_until: e.validUntil,
      })),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE })
      .setIssuer(request.issuer)
      .setAudience(request.audience)
      .setSubject(request.sub)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(key.key);
    return { token, expiresAt };
  }

  /** The first key of the JWKS is the current one (SigningKeyStore lists current keys first). */
  private async currentKey(): Promise<SigningKey> {
    const now = Date.now();
    if (this.cached !== null && now - this.cached.at < KEY_REFRESH_MS) return this.cached.key;
    const [jwk] = (await this.keys.jwks()).keys as JWK[];
    if (jwk === undefined || jwk.kid === undefined || jwk.alg === undefined) {
      throw new Error('No current signing key');
    }
    const key = { kid: jwk.kid, alg: jwk.alg, key: await importJWK(jwk, jwk.alg) };
    this.cached = { at: now, key };
    return key;
  }
}
