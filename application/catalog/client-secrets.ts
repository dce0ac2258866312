import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets. Tessera generates them (256 random bits, base64url: 43 characters), shows each
 * once, and keeps only its SHA-256 digest.
 *
 * Why a plain SHA-256 and not a salted, slow password hash (argon2, bcrypt): salts and work factors
 * exist to slow down guessing of low-entropy secrets people choose. A 256-bit random secret cannot
 * be guessed or found in a dictionary, so a fast one-way digest protects it just as well, and
 * keeps every client authentication at the token endpoint cheap (a slow hash there would cap
 * client_credentials throughput at a few hundred per second per core).
 */

const SECRET_BYTES = 32;

/** A fresh client secret: 32 random bytes, base64url without padding. */
export function generateClientSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** What is stored (and recorded in events) for a secret: its SHA-256 digest, lowercase hex. */
export function digestClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Whether a presented secret is the one whose digest is stored. Compares digests in constant time,
 * so the time taken says nothing about how much of the secret was right. False for a missing or
 * malformed stored digest (a public client has none).
 */
export function verifyClientSecret(presented: string, storedDigest: string | null | undefined): boolean {
  if (typeof storedDigest !== 'string' || !/^[0-9a-f]{64}$/.test(storedDigest)) return false;
  const expected = Buffer.from(storedDigest, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(actual, expected);
}
