import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { SealedValueError, VaultMasterKeyError } from '../../application/ports/personal-data-vault.js';

/**
 * The vault's cryptography, independent of where keys are kept:
 *
 * - Data keys: one random 256-bit AES key per subject, sealing values with AES-256-GCM, a random
 *   96-bit IV per value, and the subject id as associated data (a value moved to another subject's
 *   events fails to open). Sealed form: `v1.<keyId>.<iv>.<ciphertext>.<tag>`, parts in base64url.
 * - Wrapping: a data key is stored encrypted (AES-256-GCM) under a key-encryption key derived from
 *   the master key with HKDF-SHA256; the associated data binds it to its subject and key id.
 * - Look-ups: HMAC-SHA256 under another HKDF-derived key, one per purpose.
 * - A check value (HMAC of a constant under a third derived key) stored beside the keys lets a
 *   wrong master key be reported at start-up instead of as unreadable data later.
 */

export const SEALED_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HKDF_SALT = Buffer.from('tessera-vault', 'utf8');

export interface DerivedKeys {
  readonly keyEncryptionKey: Buffer;
  readonly lookupKey: Buffer;
  /** base64url HMAC that identifies the master key without revealing it. */
  readonly checkValue: string;
}

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info, KEY_BYTES));
}

export function deriveKeys(masterKey: Buffer): DerivedKeys {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== KEY_BYTES) {
    throw new TypeError(`The vault master key must be exactly ${KEY_BYTES} bytes`);
  }
  const checkKey = derive(masterKey, 'tessera/vault/check/v1');
  return {
    keyEncryptionKey: derive(masterKey, 'tessera/vault/kek/v1'),
    lookupKey: derive(masterKey, 'tessera/vault/lookup/v1'),
    checkValue: createHmac('sha256', checkKey).update('tessera vault master key check').digest('base64url'),
  };
}

/** Throws VaultMasterKeyError when a stored check value is not the one of the configured key. */
export function assertCheckValue(stored: string, expected: string): void {
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new VaultMasterKeyError('check value differs');
}

export function newDataKey(): { keyId: string; key: Buffer } {
  return { keyId: randomBytes(9).toString('base64url'), key: randomBytes(KEY_BYTES) };
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws (the cipher's own error) when authentication fails. */
function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

const sealAad = (subjectId: string, keyId: string) =>
  Buffer.from(`tessera-vault:${SEALED_VERSION}:${keyId}:${subjectId}`, 'utf8');
const wrapAad = (subjectId: string, keyId: string) =>
  Buffer.from(`tessera-vault-key:${SEALED_VERSION}:${keyId}:${subjectId}`, 'utf8');

export function seal(key: Buffer, keyId: string, subjectId: string, plaintext: string): string {
  const { iv, ciphertext, tag } = gcmEncrypt(key, Buffer.from(plaintext, 'utf8'), sealAad(subjectId, keyId));
  return [
    SEALED_VERSION,
    keyId,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

export interface SealedParts {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function parseSealed(subjectId: string, sealed: string): SealedParts {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  if (parts.length !== 5 || parts[0] !== SEALED_VERSION || !parts.every((p) => B64URL.test(p))) {
    throw new SealedValueError(subjectId, 'not a sealed value of a known version');
  }
  const [, keyId, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  const parsed = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (keyId === '' || parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) {
    throw new SealedValueError(subjectId, 'malformed sealed value');
  }
  return parsed;
}

export function open(key: Buffer, subjectId: string, parts: SealedParts): string {
  try {
    const plain = gcmDecrypt(key, parts.iv, parts.ciphertext, parts.tag, sealAad(subjectId, parts.keyId));
    return plain.toString('utf8');
  } catch {
    throw new SealedValueError(subjectId, 'authentication failed (altered, or sealed for another subject)');
  }
}

/** The stored form of a data key: `<iv>.<ciphertext>.<tag>` under the key-encryption key. */
export function wrapKey(kek: Buffer, subjectId: string, keyId: string, key: Buffer): string {
  const { iv, ciphertext, tag } = gcmEncrypt(kek, key, wrapAad(subjectId, keyId));
  return [iv, ciphertext, tag].map((b) => b.toString('base64url')).join('.');
}

export function unwrapKey(kek: Buffer, subjectId: string, keyId: string, wrapped: string): Buffer {
  const [iv, ciphertext, tag] = wrapped.split('.').map((p) => Buffer.from(p, 'base64url'));
  try {
    if (!iv || !ciphertext || !tag) throw new Error('malformed');
    const key = gcmDecrypt(kek, iv, ciphertext, tag, wrapAad(subjectId, keyId));
    if (key.length !== KEY_BYTES) throw new Error('wrong length');
    return key;
  } catch {
    throw new VaultMasterKeyError(`cannot unwrap the key of subject ${subjectId}`);
  }
}

export function keyedHash(lookupKey: Buffer, purpose: string, value: string): string {
  if (typeof purpose !== 'string' || purpose === '' || purpose.includes('\u0000')) {
    throw new TypeError('keyedHash purpose must be a non-empty string without NUL');
  }
  return createHmac('sha256', lookupKey).update(`${purpose}\u0000${value}`, 'utf8').digest('base64url');
}
