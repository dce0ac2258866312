/**
 * The payment slice of the composition root: payment transactions and their read models (the
 * transactions list and the ledger), the payment flow with its providers, the reconciliation job, and
 * users' saved payment methods (the wallet) with the card provider's tokenizer.
 *
 * With SANDBOX_PAYMENTS the providers are the sandbox card processor and carrier operator, served
 * in-process at /sandbox/card and /sandbox/carrier and reached over HTTP like any PSP. Their URLs
 * are known only once the server listens (PORT=0 picks the port), so server.ts fills in
 * PaymentEndpoints then; the sandboxes themselves are built on their first request. Without
 * SANDBOX_PAYMENTS and without a real provider, no method kind has a provider: transactions can be
 * created and read, but paying answers `payment_method_unavailable`.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler, Router } from 'express';
import { PaymentFlow } from '../../application/payment/payment-flow.js';
import { PAYMENT_PROVIDERS, type PaymentProviders } from '../../application/payment/payment-methods.js';
import { PaymentReconcileJob } from '../../application/payment/payment-reconcile-job.js';
import { StuckAttemptSweeper } from '../../application/payment/stuck-attempts.js';
import { PAYMENT_FLOW_SETTINGS, type PaymentFlowSettings } from '../../application/payment/payment-steps.js';
import { TransactionCommands } from '../../application/payment/transaction-commands.js';
import { TransactionQueries } from '../../application/payment/transaction-queries.js';
import { RightsOnPurchase } from '../../application/payment/rights-on-purchase.js';
import { RightCommands } from '../../application/right/right-commands.js';
import { PaymentMethodCommands } from '../../application/payment-method/payment-method-commands.js';
import { PaymentMethodQueries } from '../../application/payment-method/payment-method-queries.js';
import type { CardTokenizer } from '../../application/ports/payment-provider.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import type { CommandHandler } from '../../application/kernel/command-handler.js';
import { TOKENS } from '../tokens.js';
import { SandboxCardProcessor } from '../payments/sandbox-card/card-processor.js';
import { SandboxCardProvider } from '../payments/sandbox-card/provider.js';
import { createSandboxCardRouter } from '../payments/sandbox-card/router.js';
import { SandboxCarrierOperator } from '../payments/sandbox-carrier/operator.js';
import { CarrierBillingProvider } from '../payments/sandbox-carrier/provider.js';
import { createSandboxCarrierRouter } from '../payments/sandbox-carrier/router.js';
import type { Wiring } from './wiring.js';

/** Where this process is reached: by itself (the listening URL) and by browsers (the issuer). */
export class PaymentEndpoints {
  private urls: { readonly internal: string; readonly public: string } | null = null;

  /** Called by the server once it listens. */
  set(internal: string, publicUrl: string): void {
    this.urls = { internal: internal.replace(/\/+$/, ''), public: publicUrl.replace(/\/+$/, '') };
  }

  internal(): string {
    return this.current().internal;
  }

  public(): string {
    return this.current().public;
  }

  private current() {
    if (!this.urls) throw new Error('Payment endpoints are known only once the server listens');
    return this.urls;
  }
}

/** The sandbox processors' HTTP surfaces, mounted by the app at /sandbox/card and /sandbox/carrier. */
export interface PaymentSandboxRoutes {
  readonly card: RequestHandler;
  readonly carrier: RequestHandler;
}

export const PAYMENT_ENDPOINTS = Symbol.for('tessera.PaymentEndpoints');
export const PAYMENT_SANDBOX_ROUTES = Symbol.for('tessera.PaymentSandboxRoutes');
/**
 * The card provider's tokenising side (CardTokenizer), or null when no card provider is configured.
 * Saving a card asks it what a token is (brand, last4, expiry) server to server.
 */
export const CARD_TOKENIZER = Symbol.for('tessera.CardTokenizer');
export const CARD_SANDBOX_PATH = '/sandbox/card';
export const CARRIER_SANDBOX_PATH = '/sandbox/carrier';

/** A handler that builds its router on the first request (when the URLs it needs are known). */
function lazy(build: () => Router): RequestHandler {
  let router: Router | null = null;
  return (req, res, next) => (router ??= build())(req, res, next);
}

function sandboxes(w: Wiring, endpoints: PaymentEndpoints) {
  const { clock, config } = w;
  const timeoutMs = config.paymentProviderTimeoutMs;
  const cardKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const carrierKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const origins = () => [
    ...new Set([new URL(endpoints.public()).origin, new URL(endpoints.internal()).origin]),
  ];
  const routes: PaymentSandboxRoutes = {
    card: lazy(() =>
      createSandboxCardRouter(
        new SandboxCardProcessor({
          clock,
          secretKey: cardKey,
          publicUrl: () => endpoints.public() + CARD_SANDBOX_PATH,
          allowedReturnOrigins: origins(),
        }),
      ),
    ),
    carrier: lazy(() =>
      createSandboxCarrierRouter(new SandboxCarrierOperator({ clock, secretKey: carrierKey })),
    ),
  };
  const card = new SandboxCardProvider({
    baseUrl: () => endpoints.internal() + CARD_SANDBOX_PATH,
    secretKey: cardKey,
    timeoutMs,
    logger: w.logger,
  });
  const providers: PaymentProviders = {
    card,
    carrier: new CarrierBillingProvider({
      baseUrl: () => endpoints.internal() + CARRIER_SANDBOX_PATH,
      secretKey: carrierKey,
      timeoutMs,
      logger: w.logger,
    }),
  };
  return { routes, providers, tokenizer: card };
}

export function bindPayments(w: Wiring): void {
  const { container, config } = w;
  const endpoints = new PaymentEndpoints();
  const sandbox = config.sandboxPayments ? sandboxes(w, endpoints) : null;
  const settings: PaymentFlowSettings = {
    returnUrl: (transactionId, attemptId) =>
      `${endpoints.public()}/pay/${transactionId}/return?attempt=${encodeURIComponent(attemptId)}`,
  };
  container.bind(TransactionCommands).toSelf();
  container.bind(TransactionQueries).toSelf();
  container.bind<PaymentEndpoints>(PAYMENT_ENDPOINTS).toConstantValue(endpoints);
  container.bind<PaymentProviders>(PAYMENT_PROVIDERS).toConstantValue(sandbox?.providers ?? {});
  container
    .bind<PaymentSandboxRoutes | null>(PAYMENT_SANDBOX_ROUTES)
    .toConstantValue(sandbox?.routes ?? null);
  container.bind<PaymentFlowSettings>(PAYMENT_FLOW_SETTINGS).toConstantValue(settings);
  container.bind(PaymentFlow).toSelf();
  container.bind<CardTokenizer | null>(CARD_TOKENIZER).toConstantValue(sandbox?.tokenizer ?? null);
  container.bind(PaymentMethodCommands).toSelf();
  container.bind(PaymentMethodQueries).toSelf();
  container.bind(StuckAttemptSweeper).toSelf();
  container.bind(PaymentReconcileJob).toSelf();
  // Paid products become rights exactly once; the manager keeps its checkpoint with the feed's.
  container.bind(RightsOnPurchase).toDynamicValue(
    (ctx) =>
      new RightsOnPurchase({
        store: w.stores.eventStore,
        checkpoints: w.stores.feed,
        rights: ctx.get(RightCommands),
        catalogViews: ctx.get<ProjectionRunner>(TOKENS.ProjectionRunner),
        states: ctx.get<CommandHandler>(TOKENS.CommandHandler),
        logger: w.logger,
      }),
  );
}
