import { Counter, Registry } from 'prom-client';
import type {
  PaymentOutcomeLabel,
  SignInMethodLabel,
  SignInResultLabel,
  Telemetry,
  WebhookResultLabel,
} from '../application/ports/telemetry.js';

/**
 * The Telemetry port as Prometheus counters, in a registry of their own that the HTTP app merges
 * into what /metrics serves. One per container (not the global registry), so several servers in one
 * process (tests) count apart.
 */
export class PrometheusTelemetry implements Telemetry {
  readonly registry = new Registry();
  private readonly payments = new Counter({
    name: 'tessera_payments_total',
    help: 'Payment attempts by method kind, outcome and whether the payer was present.',
    labelNames: ['method', 'outcome', 'off_session'] as const,
    registers: [this.registry],
  });
  private readonly signIns = new Counter({
    name: 'tessera_sign_ins_total',
    help: 'Sign-in steps answered, by method (sms, email, password) and result.',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'tessera_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result: delivered, retry (failed, will be retried) or failed (given up).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  payment(method: string, outcome: PaymentOutcomeLabel, offSession = false): void {
    // Method kinds are a closed set in the application; anything else is folded, never echoed.
    const kind = /^[a-z_]{1,20}$/.test(method) ? method : 'other';
    this.payments.inc({ method: kind, outcome, off_session: offSession ? 'true' : 'false' });
  }

  signIn(method: SignInMethodLabel, result: SignInResultLabel): void {
    this.signIns.inc({ method, result });
  }

  webhookDelivery(result: WebhookResultLabel): void {
    this.webhooks.inc({ result });
  }
}
