/**
 * Webhook signatures, in the scheme Stripe made familiar:
 *
 *   Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body, so a receiver that rejects old timestamps (five minutes
 * is the usual tolerance) is safe from replays of captured requests. To verify: split the header on
 * commas, take `t` and every `v1` (there may be several while a secret is rotated), compute the
 * HMAC of `t + "." + body` over the raw bytes received (not re-serialised JSON), compare in
 * constant time, and check that `t` is recent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Tessera-Signature';
export const EVENT_ID_HEADER = 'Tessera-Event-Id';
export const DELIVERY_ID_HEADER = 'Tessera-Delivery-Id';

/** Default tolerance of verifyWebhookSignature. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signatureHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The Tessera-Signature header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureHex(secret, timestamp, body)}`;
}

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' | 'too_old' };

/** Checks a Tessera-Signature header as a receiver should. `now` is in unix seconds. */
export function verifyWebhookSignature(
  header: string,
  body: string,
  secret: string,
  now: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signatureHex(secret, timestamp, body), 'hex');
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!match) return { ok: false, reason: 'mismatch' };
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: 'too_old' };
  return { ok: true, timestamp };
}
