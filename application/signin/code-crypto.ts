/**
 * The secrets of a one-time-code challenge. Codes are drawn uniformly (crypto.randomInt, no modulo
 * bias) from 000000–999999; only a keyed hash of a code is ever stored, bound to its challenge, so
 * reading the ephemeral store reveals no code and no table of hashes can be reused across challenges.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_DIGITS = 6;
const CODE_SPACE = 10 ** CODE_DIGITS;
const CODE_FORMAT = /^\d{6}$/;
/** base64url of 16 random bytes. */
const CHALLENGE_FORMAT = /^[A-Za-z0-9_-]{22}$/;

export function generateCode(): string {
  return String(randomInt(0, CODE_SPACE)).padStart(CODE_DIGITS, '0');
}

/** An opaque, unguessable challenge id: 128 random bits, URL-safe. */
export function newChallengeId(): string {
  return randomBytes(16).toString('base64url');
}

export function isChallengeId(value: string): boolean {
  return CHALLENGE_FORMAT.test(value);
}

/** What a person typed, with spaces and dashes removed; null unless it then is six digits. */
export function normalizeCode(input: string): string | null {
  const code = typeof input === 'string' ? input.replace(/[\s-]/g, '') : '';
  return CODE_FORMAT.test(code) ? code : null;
}

/** Keys counters by a keyed hash of the identifier, so store keys hold no phone or address in clear. */
export class CodeHasher {
  private readonly key: Buffer;

  constructor(secret: string | Uint8Array) {
    this.key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (this.key.length < 32) throw new RangeError('The one-time-code secret must be at least 32 bytes long');
  }

  /** base64url HMAC-SHA-256 of the code, bound to its challenge. */
  hashCode(challengeId: string, code: string): string {
    return this.mac(`code\0${challengeId}\0${code}`).toString('base64url');
  }

  /** Constant-time comparison of a candidate code against the stored hash. */
  matches(challengeId: string, code: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, 'base64url');
    const actual = this.mac(`code\0${challengeId}\0${code}`);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** Stable, non-reversible key for per-identifier counters. */
  subjectKey(kind: string, value: string): string {
    return this.mac(`subject\0${kind}\0${value}`).subarray(0, 18).toString('base64url');
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.key).update(data, 'utf8').digest();
  }
}
