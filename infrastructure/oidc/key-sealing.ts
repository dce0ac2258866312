/**
 * Optional encryption at rest for private signing keys: AES-256-GCM under a 32-byte secret that
 * lives in configuration, outside the document store. A copy of the store alone then yields no key
 * able to forge tokens. Without a secret, keys are stored as plain JWKs (the embedded default,
 * where the configuration and the data sit on the same disk anyway).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

/** A private JWK as stored: sealed when a secret is configured, plain otherwise. */
export type StoredJwk =
  | { readonly sealed: false; readonly jwk: JWK }
  | { readonly sealed: true; readonly iv: string; readonly tag: string; readonly ciphertext: string };

const KEY_BYTES = 32;
const IV_BYTES = 12;

export class KeySealer {
  private readonly secret: Buffer | null;

  /** `secret`: 32 bytes, or null to store keys unencrypted. */
  constructor(secret: Uint8Array | null) {
    if (secret !== null && secret.byteLength !== KEY_BYTES) {
      throw new RangeError(`The signing-key encryption secret must be ${KEY_BYTES} bytes`);
    }
    this.secret = secret === null ? null : Buffer.from(secret);
  }

  /** `aad` binds the ciphertext to its key id, so sealed keys cannot be swapped between documents. */
  seal(jwk: JWK, aad: string): StoredJwk {
    if (this.secret === null) return { sealed: false, jwk };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.secret, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
    return {
      sealed: true,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
    };
  }

  open(stored: StoredJwk, aad: string): JWK {
    if (!stored.sealed) return stored.jwk;
    if (this.secret === null) {
      throw new Error(`Signing key ${aad} is encrypted, but no encryption secret is configured`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.secret, Buffer.from(stored.iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(stored.tag, 'base64url'));
    try {
      const plain = Buffer.concat([
        decipher.update(Buffer.from(stored.ciphertext, 'base64url')),
        decipher.final(),
      ]);
      return JSON.parse(plain.toString('utf8')) as JWK;
    } catch {
      throw new Error(`Signing key ${aad} cannot be decrypted with the configured secret`);
    }
  }
}
