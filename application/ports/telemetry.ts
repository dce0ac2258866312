/**
 * Counts of what happens, for operators: payments by outcome, sign-ins by method and result, webhook
 * deliveries by result. Labels are small closed sets; nothing here ever carries an identifier, a
 * token or personal data. Production counts into Prometheus (infrastructure/telemetry.ts); tests and
 * tools that do not care pass NO_TELEMETRY.
 */

export type PaymentOutcomeLabel = 'captured' | 'authorized' | 'requires_action' | 'failed' | 'unknown';
export type SignInMethodLabel = 'sms' | 'email' | 'password';
export type SignInResultLabel =
  'success' | 'wrong_code' | 'expired_code' | 'wrong_password' | 'locked' | 'limited';
export type WebhookResultLabel = 'delivered' | 'retry' | 'failed';

export interface Telemetry {
  /** An attempt to pay reached an outcome (`method` is the method kind: card, carrier, …). */
  payment(method: string, outcome: PaymentOutcomeLabel, offSession?: boolean): void;
  /** A sign-in step was answered: a code or a password, accepted or refused (and why). */
  signIn(method: SignInMethodLabel, result: SignInResultLabel): void;
  /** A webhook delivery attempt ended: delivered, to be retried, or given up. */
  webhookDelivery(result: WebhookResultLabel): void;
}

export const NO_TELEMETRY: Telemetry = {
  payment: () => undefined,
  signIn: () => undefined,
  webhookDelivery: () => undefined,
};

export const TELEMETRY = Symbol.for('tessera.Telemetry');
