import { hkdfSync } from 'node:crypto';
import type { Config } from './config.js';
import { resolveSecretFile } from './secret-file.js';

/** What a derived key is for; each purpose gets an independent key from the one master secret. */
export type SecretPurpose =
  | 'account-page-csrf'
  | 'oidc-cookies'
  | 'pay-page-csrf'
  | 'pay-agreement-csrf'
  | 'support-page-csrf'
  | 'one-time-codes'
  | 'personal-data-key-wrapping'
  | 'signing-key-sealing'
  | 'webhook-signing';

export const SECRET_KEY_FILE = 'secret-key';

/**
 * The master secret and the keys derived from it. One secret to configure (SECRET_KEY; in embedded
 * mode generated once into DATA_DIR/secret-key) instead of one per mechanism: HKDF-SHA256 with the
 * purpose as info gives independent keys, so knowing one derived key reveals neither the master nor
 * the others.
 */
export class Secrets {
  private constructor(private readonly master: Buffer) {}

  static fromConfig(config: Config): Secrets {
    if (config.secretKey !== null) return new Secrets(Buffer.from(config.secretKey, 'utf8'));
    if (config.mode !== 'embedded') throw new Error('SECRET_KEY is required in distributed mode');
    return new Secrets(Buffer.from(resolveSecretFile(config.dataDir, SECRET_KEY_FILE).value, 'utf8'));
  }

  static fromString(secret: string): Secrets {
    if (secret.length < 32) throw new RangeError('The master secret must be at least 32 characters');
    return new Secrets(Buffer.from(secret, 'utf8'));
  }

  /** A 32-byte key for one purpose. */
  derive(purpose: SecretPurpose, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), `tessera:${purpose}`, length));
  }
}
