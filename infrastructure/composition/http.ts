/**
 * The HTTP application as the composition root assembles it: every router with the services it
 * serves, the change feed's provider resolution, and the OpenAPI document.
 */
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import { ClientCommands } from '../../application/catalog/client-commands.js';
import { ClientQueries } from '../../application/catalog/client-queries.js';
import { ConsentCommands } from '../../application/consent/consent-commands.js';
import { ConsentQueries } from '../../application/consent/consent-queries.js';
import { EventQueue } from '../../application/feed/event-queue.js';
import { WebhookService } from '../../application/feed/webhooks.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Logger } from '../../application/ports/logger.js';
import { AccessExplainer } from '../../application/right/access-explainer.js';
import { RightCommands } from '../../application/right/right-commands.js';
import { RightQueries } from '../../application/right/right-queries.js';
import type { CountryCode } from '../../application/signin/identifier.js';
import { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import { SubscriptionCommands } from '../../application/subscription/subscription-commands.js';
import { SubscriptionQueries } from '../../application/subscription/subscription-queries.js';
import { AccountDeletion } from '../../application/user/account-deletion.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { PaymentFlow } from '../../application/payment/payment-flow.js';
import { RightsOnPurchase } from '../../application/payment/rights-on-purchase.js';
import { TransactionCommands } from '../../application/payment/transaction-commands.js';
import { TransactionQueries } from '../../application/payment/transaction-queries.js';
import { PaymentMethodCommands } from '../../application/payment-method/payment-method-commands.js';
import { PaymentMethodQueries } from '../../application/payment-method/payment-method-queries.js';
import type { CardTokenizer } from '../../application/ports/payment-provider.js';
import { DomainError } from '../../domain/kernel/decider.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import type { AdminToken } from '../admin-token.js';
import { createAccountRouter } from '../http/account/account-router.js';
import { createPayRouter, PAY_SESSION_SCOPE } from '../http/pay/pay-router.js';
import { PAYMENT_PROVIDERS, type PaymentProviders } from '../../application/payment/payment-methods.js';
import { AccountSessions } from '../http/account/account-session.js';
import { createApp, type TesseraApp } from '../http/app.js';
import { bearerAuth, bearerToken } from '../http/bearer-auth.js';
import { cachedProviderOf } from '../http/caller.js';
import { createInteractionRouter } from '../http/interaction-router.js';
import { buildTesseraOpenApi } from '../http/openapi/index.js';
import { CsrfTokens } from '../http/pages/csrf.js';
import { HttpProblem } from '../http/problem.js';
import { EntitlementTokenSigner } from '../oidc/entitlement-tokens.js';
import { SignInFlow } from '../oidc/interactions-signin.js';
import { interactionCsrfKey } from '../oidc/tessera-oidc.js';
import { openTesseraSigningKeys } from '../oidc/tessera-keys.js';
import { TOKENS } from '../tokens.js';
import { PACKAGE_VERSION } from '../version.js';
import type { IdentityWiring } from './identity.js';
import { CARD_TOKENIZER, PAYMENT_SANDBOX_ROUTES, type PaymentSandboxRoutes } from './payments.js';
import type { Wiring } from './wiring.js';
import { staffRoutes } from './staff.js';
import { agreementRoutes } from './agreements.js';
import { AgreementCommands } from '../../application/agreement/agreement-commands.js';
import { AgreementQueries } from '../../application/agreement/agreement-queries.js';
import { supportRoutes } from './support.js';
import { PrometheusTelemetry } from '../telemetry.js';
import type { AppRoutes, MountContext } from '../http/app.js';

export interface HttpOverrides {
  readonly readAfterWriteTimeoutMs?: number;
}

export function bindHttpApp(w: Wiring, identity: IdentityWiring, overrides: HttpOverrides): void {
  const { container, config, stores, clock, secrets, oidcSlot } = w;
  const { tokenVerifier, tokensRevoked, userSessions, devOutbox } = identity;
  // Entitlement tokens are signed with the OpenID Connect keys, opened on first use.
  let signingKeys: ReturnType<typeof openTesseraSigningKeys> | null = null;
  const lazySigningKeys = {
    jwks: async () =>
      (
        await (signingKeys ??= openTesseraSigningKeys({ readModels: stores.readModels, clock, secrets }))
      ).jwks(),
  };
  const providerOf = cachedProviderOf((clientId) =>
    container.get(ClientQueries).findForAuthorization(clientId),
  );
  container.bind<TesseraApp>(TOKENS.HttpApp).toDynamicValue((ctx) => {
    const runner = ctx.get<ProjectionRunner>(TOKENS.ProjectionRunner);
    const eventStore = ctx.get<EventStore>(TOKENS.EventStore);
    const sandboxes = ctx.get<PaymentSandboxRoutes | null>(PAYMENT_SANDBOX_ROUTES);
    return createApp({
      logger: ctx.get<Logger>(TOKENS.Logger),
      adminToken: ctx.get<AdminToken>(TOKENS.AdminToken).token,
      catalogCommands: ctx.get(CatalogCommands),
      catalogQueries: ctx.get(CatalogQueries),
      clientCommands: ctx.get(ClientCommands),
      clientQueries: ctx.get(ClientQueries),
      oidc: oidcSlot,
      views: runner,
      headPosition: () => eventStore.headPosition(),
      projections: runner,
      readyMaxLag: config.readyMaxLag,
      interactions: createInteractionRouter({
        provider: () => oidcSlot.provider(),
        signIn: ctx.get(SignInFlow),
        consents: ctx.get(ConsentCommands),
        csrf: new CsrfTokens(interactionCsrfKey(secrets)),
        logger: ctx.get<Logger>(TOKENS.Logger),
      }),
      ...(devOutbox ? { devOutbox } : {}),
      account: createAccountRouter({
        provider: () => oidcSlot.provider(),
        accountSessions: new AccountSessions({ store: stores.ephemeral, sessions: userSessions, clock }),
        users: ctx.get(UserCommands),
        queries: ctx.get(UserQueries),
        consents: { queries: ctx.get(ConsentQueries), commands: ctx.get(ConsentCommands) },
        sessions: userSessions,
        deletion: ctx.get(AccountDeletion),
        codes: ctx.get(OneTimeCodes),
        csrf: new CsrfTokens(secrets.derive('account-page-csrf')),
        views: runner,
        defaultCountry: config.defaultPhoneCountry as CountryCode,
        paymentMethods: {
          queries: ctx.get(PaymentMethodQueries),
          commands: ctx.get(PaymentMethodCommands),
          tokenizer: ctx.get<CardTokenizer | null>(CARD_TOKENIZER),
          store: stores.ephemeral,
        },
        agreements: { queries: ctx.get(AgreementQueries), commands: ctx.get(AgreementCommands) },
        ...(overrides.readAfterWriteTimeoutMs === undefined
          ? {}
          : { writeVisibleTimeoutMs: overrides.readAfterWriteTimeoutMs }),
      }),
      pay: createPayRouter({
        provider: () => oidcSlot.provider(),
        sessions: new AccountSessions({
          store: stores.ephemeral,
          sessions: userSessions,
          clock,
          scope: PAY_SESSION_SCOPE,
        }),
        transactions: ctx.get(TransactionQueries),
        commands: ctx.get(TransactionCommands),
        flow: ctx.get(PaymentFlow),
        methods: ctx.get(PaymentMethodQueries),
        wallet: ctx.get(PaymentMethodCommands),
        users: ctx.get(UserQueries),
        tokenizer: ctx.get<CardTokenizer | null>(CARD_TOKENIZER),
        carrierBilling: ctx.get<PaymentProviders>(PAYMENT_PROVIDERS).carrier !== undefined,
        store: stores.ephemeral,
        csrf: new CsrfTokens(secrets.derive('pay-page-csrf')),
        rightsReadable: (outcome) => ctx.get(RightsOnPurchase).outcomeReadable(outcome, runner),
      }),
      feed: {
        queue: ctx.get(EventQueue),
        webhooks: ctx.get(WebhookService),
        resolveProvider: async (req, res) => {
          await new Promise<void>((resolve, reject) => {
            const auth = bearerAuth(tokenVerifier, { anyOf: ['events.read'] });
            Promise.resolve(auth(req, res, (err?: unknown) => (err ? reject(err) : resolve()))).catch(reject);
          });
          const token = bearerToken(res);
          if (token.sub !== null) {
            throw new HttpProblem(
              403,
              'client_token_required',
              "The change feed is for a provider's backend (client_credentials).",
            );
          }
          const providerId = await providerOf(token.clientId);
          if (providerId === null)
            throw new HttpProblem(401, 'invalid_token', 'The access token belongs to no active client.');
          return providerId;
        },
        providerExists: async (providerId) => {
          try {
            await ctx.get(CatalogQueries).getProvider(providerId);
            return true;
          } catch (err) {
            if (err instanceof DomainError && err.kind === 'not_found') return false;
            throw err;
          }
        },
      },
      onClientChanged: tokensRevoked,
      openApi: buildTesseraOpenApi({
        version: PACKAGE_VERSION,
        ...(config.publicUrl === null ? {} : { issuer: config.publicUrl }),
      }),
      rightsApi: {
        rights: {
          commands: ctx.get(RightCommands),
          queries: ctx.get(RightQueries),
          explainer: ctx.get(AccessExplainer),
          entitlements: new EntitlementTokenSigner(lazySigningKeys, clock),
          issuer: () => oidcSlot.provider().issuer,
        },
        subscriptions: { commands: ctx.get(SubscriptionCommands), queries: ctx.get(SubscriptionQueries) },
        verifier: tokenVerifier,
        providerOf,
        clock,
      },
      transactionsApi: {
        commands: ctx.get(TransactionCommands),
        queries: ctx.get(TransactionQueries),
        flow: ctx.get(PaymentFlow),
        issuer: () => oidcSlot.provider().issuer,
        verifier: tokenVerifier,
        providerOf,
      },
      oneClickApi: {
        flow: ctx.get(PaymentFlow),
        transactions: ctx.get(TransactionQueries),
        methods: ctx.get(PaymentMethodQueries),
        issuer: () => oidcSlot.provider().issuer,
        verifier: tokenVerifier,
        providerOf,
        rightsReadable: (outcome) => ctx.get(RightsOnPurchase).outcomeReadable(outcome, runner),
      },
      paymentMethodsApi: {
        commands: ctx.get(PaymentMethodCommands),
        queries: ctx.get(PaymentMethodQueries),
        tokenizer: ctx.get<CardTokenizer | null>(CARD_TOKENIZER),
        verifier: tokenVerifier,
      },
      ...(sandboxes ? { paymentSandboxes: sandboxes } : {}),
      userApi: {
        users: ctx.get(UserCommands),
        queries: ctx.get(UserQueries),
        verifier: tokenVerifier,
        codes: ctx.get(OneTimeCodes),
        defaultCountry: config.defaultPhoneCountry,
        consentedScopes: (sub, clientId) => ctx.get(ConsentQueries).consentedScopes(sub, clientId),
        consents: { queries: ctx.get(ConsentQueries), commands: ctx.get(ConsentCommands) },
      },
      routes: (mc) => {
        const callers = { verifier: tokenVerifier, providerOf, userSessions };
        return mergeRoutes([agreementRoutes(w, mc, callers), staffRoutes(w, mc, callers), supportRoutes(w)]);
      },
      metricRegistries: [ctx.get(PrometheusTelemetry).registry],
      ...(overrides.readAfterWriteTimeoutMs === undefined
        ? {}
        : { readAfterWriteTimeoutMs: overrides.readAfterWriteTimeoutMs }),
    });
  });
}

/** The slices' routers, in the order given. */
function mergeRoutes(parts: readonly AppRoutes[]): AppRoutes {
  return {
    v1: parts.flatMap((p) => p.v1 ?? []),
    admin: parts.flatMap((p) => p.admin ?? []),
    pages: parts.flatMap((p) => p.pages ?? []),
  };
}
export type { MountContext };
