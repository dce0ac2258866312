/**
 * Charging agreements in the composition root: the aggregate's commands and queries, the renewal
 * process (charges through the payment flow, renewals through the subscription), its scheduler, the
 * provider API at /v1/agreements and the confirmation page at /pay/agreements/{id}.
 */
import { AgreementCharger } from '../../application/agreement/agreement-charger.js';
import { AgreementCommands } from '../../application/agreement/agreement-commands.js';
import { AgreementQueries } from '../../application/agreement/agreement-queries.js';
import { AgreementRenewals } from '../../application/agreement/agreement-renewals.js';
import { AgreementScheduler } from '../../application/agreement/agreement-scheduler.js';
import {
  AGREEMENT_SETTINGS,
  type AgreementSettings,
  DEFAULT_AGREEMENT_SETTINGS,
} from '../../application/agreement/agreement-settings.js';
import type { CommandHandler } from '../../application/kernel/command-handler.js';
import { PaymentFlow } from '../../application/payment/payment-flow.js';
import { TransactionCommands } from '../../application/payment/transaction-commands.js';
import { PaymentMethodCommands } from '../../application/payment-method/payment-method-commands.js';
import { PaymentMethodQueries } from '../../application/payment-method/payment-method-queries.js';
import type { CardTokenizer } from '../../application/ports/payment-provider.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import { SubscriptionCommands } from '../../application/subscription/subscription-commands.js';
import type { UserSessions } from '../../application/user/user-sessions.js';
import { UserQueries } from '../../application/user/user-queries.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { AccountSessions } from '../http/account/account-session.js';
import type { AppRoutes, MountContext } from '../http/app.js';
import { createAgreementsRouter } from '../http/agreements-router.js';
import type { ProviderOfClient } from '../http/caller.js';
import { CsrfTokens } from '../http/pages/csrf.js';
import { createAgreementPageRouter } from '../http/pay/agreement-page-router.js';
import { PAY_SESSION_SCOPE } from '../http/pay/pay-router.js';
import { TOKENS } from '../tokens.js';
import { CARD_TOKENIZER } from './payments.js';
import type { Wiring } from './wiring.js';

export function bindAgreements(w: Wiring): void {
  const { container, stores, clock, logger } = w;
  const settings: AgreementSettings = DEFAULT_AGREEMENT_SETTINGS;
  const handler = () => container.get<CommandHandler>(TOKENS.CommandHandler);
  const runner = () => container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
  container.bind<AgreementSettings>(AGREEMENT_SETTINGS).toConstantValue(settings);
  container.bind(AgreementCharger).toDynamicValue(
    (ctx) =>
      new AgreementCharger({
        handler: handler(),
        store: stores.eventStore,
        transactions: ctx.get(TransactionCommands),
        flow: ctx.get(PaymentFlow),
        methods: ctx.get(PaymentMethodQueries),
      }),
  );
  container.bind(AgreementRenewals).toDynamicValue(
    (ctx) =>
      new AgreementRenewals({
        handler: handler(),
        subscriptions: ctx.get(SubscriptionCommands),
        charger: ctx.get(AgreementCharger),
        clock,
        settings,
      }),
  );
  container.bind(AgreementCommands).toDynamicValue(
    (ctx) =>
      new AgreementCommands({
        handler: handler(),
        views: runner(),
        renewals: ctx.get(AgreementRenewals),
        methods: ctx.get(PaymentMethodQueries),
      }),
  );
  container.bind(AgreementQueries).toDynamicValue(() => new AgreementQueries(runner()));
  container.bind(AgreementScheduler).toDynamicValue(
    (ctx) =>
      new AgreementScheduler({
        renewals: ctx.get(AgreementRenewals),
        views: runner(),
        clock,
        logger,
        settings,
      }),
  );
}

export interface AgreementRouteDeps {
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly userSessions: UserSessions;
}

/** The provider API for agreements and the hosted confirmation page. */
export function agreementRoutes(w: Wiring, mc: MountContext, deps: AgreementRouteDeps): AppRoutes {
  const { container, stores, clock, secrets, oidcSlot } = w;
  const issuer = () => oidcSlot.provider().issuer;
  return {
    v1: [
      createAgreementsRouter({
        commands: container.get(AgreementCommands),
        queries: container.get(AgreementQueries),
        issuer,
        verifier: deps.verifier,
        providerOf: deps.providerOf,
        views: container.get<ProjectionRunner>(TOKENS.ProjectionRunner),
        awaitMinPosition: mc.awaitMinPosition,
        writeVisibleTimeoutMs: mc.writeVisibleTimeoutMs,
      }),
    ],
    pages: [
      {
        prefixes: ['/pay/agreements/'],
        router: createAgreementPageRouter({
          issuer,
          sessions: new AccountSessions({
            store: stores.ephemeral,
            sessions: deps.userSessions,
            clock,
            scope: PAY_SESSION_SCOPE,
          }),
          agreements: container.get(AgreementCommands),
          methods: container.get(PaymentMethodQueries),
          wallet: container.get(PaymentMethodCommands),
          users: container.get(UserQueries),
          tokenizer: container.get<CardTokenizer | null>(CARD_TOKENIZER),
          store: stores.ephemeral,
          csrf: new CsrfTokens(secrets.derive('pay-agreement-csrf')),
        }),
      },
    ],
  };
}
