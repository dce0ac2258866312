/**
 * Webhook signing secrets at rest: AES-256-GCM under the `webhook-signing` key derived from the
 * master secret, with the provider id as additional data, so a copy of the feed store alone yields
 * no secret and a sealed secret moved to another provider's row does not open. Format:
 * `v1.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { WebhookSecretSealer } from '../../application/ports/provider-feed-store.js';
import type { Secrets } from '../secrets.js';

const IV_BYTES = 12;

export class AesWebhookSecretSealer implements WebhookSecretSealer {
  private readonly key: Buffer;

  /** `key`: 32 bytes. */
  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new RangeError('The webhook secret key must be 32 bytes');
    this.key = Buffer.from(key);
  }

  static fromSecrets(secrets: Secrets): AesWebhookSecretSealer {
    return new AesWebhookSecretSealer(secrets.derive('webhook-signing'));
  }

  seal(secret: string, providerId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(providerId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, ciphertext, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string, providerId: string): string {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || ciphertext === undefined || tag === undefined) {
      throw new Error(`The webhook secret of provider ${providerId} is malformed`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(providerId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(
        `The webhook secret of provider ${providerId} cannot be opened with the configured SECRET_KEY`,
      );
    }
  }
}
