import type { IncomingMessage, ServerResponse } from 'node:http';
import express, {
  type Express,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { Registry } from 'prom-client';
import type { Logger } from '../../application/ports/logger.js';
import type { Views } from '../../application/ports/views.js';
import type { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import type { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { ClientCommands } from '../../application/catalog/client-commands.js';
import type { ClientQueries } from '../../application/catalog/client-queries.js';
import type { OidcSlot } from '../oidc/tessera-oidc.js';
import type { DevOutbox } from '../delivery/dev-outbox.js';
import { createDevOutboxRouter } from './dev-outbox-router.js';
import { createClientsRouter } from './clients-router.js';
import { createUsersRouter, type UsersRouterDeps } from './users-router.js';
import { adminAuth } from './admin-auth.js';
import { catalogRouter } from './catalog-router.js';
import { correlation } from './correlation.js';
import { errorHandler, notFound } from './error-handler.js';
import { platformRouter } from './health.js';
import { createMetrics, type HttpMetrics, type ProjectionHealthSource } from './metrics.js';
import { answerJsonWhole, observeRequests, rememberMount } from './observe.js';
import { HttpProblem } from './problem.js';
import { type AwaitMinPosition, createReadAfterWrite } from './read-after-write.js';
import { noStore, securityHeaders } from './security-headers.js';
import type { Clock } from '../../application/ports/clock.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { ProviderOfClient } from './caller.js';
import { accessFastPath, createRightsRouter, type RightsRouterDeps } from './rights-router.js';
import { createSubscriptionsRouter, type SubscriptionsRouterDeps } from './subscriptions-router.js';
import { createOpenApiRouter, type OpenApiDocument } from './openapi/index.js';
import { createEventQueueRouter, type EventQueueRouterDeps } from './event-queue-router.js';
import { createWebhooksRouter, type WebhooksRouterDeps } from './webhooks-router.js';
import { createTransactionsRouter, type TransactionsRouterDeps } from './transactions-router.js';
import { createOneClickRouter, type OneClickRouterDeps } from './one-click-router.js';
import { createPaymentMethodsRouter, type PaymentMethodsRouterDeps } from './payment-methods-router.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly adminToken: string;
  readonly catalogCommands: CatalogCommands;
  readonly catalogQueries: CatalogQueries;
  readonly clientCommands: ClientCommands;
  readonly clientQueries: ClientQueries;
  /** The OpenID Connect provider (discovery and /oauth/…), filled in once the issuer is known. */
  readonly oidc: Pick<OidcSlot, 'middleware'>;
  readonly views: Views;
  /** Where the log ends (EventStore.headPosition). */
  readonly headPosition: () => Promise<number>;
  readonly projections: ProjectionHealthSource;
  /** /readyz answers 503 while any projection is further behind than this. */
  readonly readyMaxLag: number;
  /** How long `?minPosition=` and write responses wait for projections (default 5000 ms). */
  readonly readAfterWriteTimeoutMs?: number;
  /** The sign-in and consent pages at /interaction/… (createInteractionRouter). */
  readonly interactions?: Router;
  /** Told after an admin disabled a client or replaced its secret. */
  readonly onClientChanged?: () => void;
  /** The account page at /account (createAccountRouter). */
  readonly account?: Router;
  /** The hosted payment page at /pay (createPayRouter). */
  readonly pay?: Router;
  /** The development outbox, shown at /dev/outbox when it is the configured delivery. */
  readonly devOutbox?: DevOutbox;
  /** Rights, access checks, entitlements and subscriptions at /v1/… for providers and users. */
  readonly rightsApi?: {
    readonly rights: Pick<RightsRouterDeps, 'commands' | 'queries' | 'explainer' | 'entitlements' | 'issuer'>;
    readonly subscriptions: Pick<SubscriptionsRouterDeps, 'commands' | 'queries'>;
    readonly verifier: TokenVerifier;
    readonly providerOf: ProviderOfClient;
    readonly clock: Clock;
  };
  /** The providers' change feed: /v1/events/… for backends, webhook settings in the admin API. */
  readonly feed?: Pick<EventQueueRouterDeps, 'queue' | 'resolveProvider'> &
    Pick<WebhooksRouterDeps, 'webhooks' | 'providerExists'>;
  /** The OpenAPI document, served at /openapi.json and /docs. */
  readonly openApi?: OpenApiDocument;
  /** Payment transactions at /v1/transactions… for providers' backends and users' tokens. */
  readonly transactionsApi?: Pick<
    TransactionsRouterDeps,
    'commands' | 'queries' | 'flow' | 'issuer' | 'verifier' | 'providerOf'
  >;
  /** One-click payment with a saved method at /v1/transactions/{id}/payment, for users' tokens. */
  readonly oneClickApi?: Omit<OneClickRouterDeps, 'awaitMinPosition'>;
  /** A user's saved payment methods at /v1/users/me/payment-methods, for users' tokens. */
  readonly paymentMethodsApi?: Omit<
    PaymentMethodsRouterDeps,
    'views' | 'awaitMinPosition' | 'writeVisibleTimeoutMs'
  >;
  /** The in-process sandbox payment processors (SANDBOX_PAYMENTS), at /sandbox/card and /sandbox/carrier. */
  readonly paymentSandboxes?: { readonly card: RequestHandler; readonly carrier: RequestHandler };
  /** The user-data API for bearer tokens at /v1/users/… */
  readonly userApi?: Omit<UsersRouterDeps, 'views' | 'awaitMinPosition' | 'writeVisibleTimeoutMs'>;
  /** Further routers, built by the composition root with what only the app knows (see MountContext). */
  readonly routes?: (ctx: MountContext) => AppRoutes;
  /** Further Prometheus registries served at /metrics with the app's own (e.g. the Telemetry port's). */
  readonly metricRegistries?: readonly Registry[];
}

/** What routers mounted through `routes` share with the app's own. */
export interface MountContext {
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write response waits for its read models. */
  readonly writeVisibleTimeoutMs: number;
}

/**
 * Routers the app mounts in its fixed order: APIs under /v1 (JSON bodies, no caching) after its own
 * /v1 routers, admin routers under /admin/v1 behind the admin token, and pages after the OIDC
 * provider's middleware, each only for its path prefixes.
 */
export interface AppRoutes {
  readonly v1?: readonly Router[];
  readonly admin?: readonly Router[];
  readonly pages?: readonly PageRoutes[];
}

/**
 * A page router: one that defines its full paths runs only for `prefixes`; one written relative to
 * where it is mounted names that place as `mountPath` instead.
 */
export type PageRoutes =
  | { readonly prefixes: readonly string[]; readonly router: Router }
  | { readonly mountPath: string; readonly router: Router };

export interface TesseraApp {
  /** Every route, behind the shared middleware. */
  readonly app: Express;
  /**
   * What the HTTP server runs: the access check's fast path first, straight on Node's request and
   * response (no Express dispatch for the hottest request), then `app` for everything else.
   */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly metrics: HttpMetrics;
}

/**
 * Runs `handler` only for paths under one of `prefixes`: routers that define their own full paths
 * (pages, platform endpoints) are skipped without walking their routes on every API request.
 */
function only(prefixes: readonly string[], handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (prefixes.some((p) => req.path.startsWith(p))) return handler(req, res, next);
    next();
  };
}

/** Whether a request carries a body at all (a length above zero, or chunked). */
function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.get('Content-Length');
  return length !== undefined ? length !== '0' : req.get('Transfer-Encoding') !== undefined;
}

/**
 * express.json for requests that have a body; the many GETs of the API (access checks) skip the
 * body parser's stream handling entirely.
 */
function jsonBody(limit: string): RequestHandler {
  const parse = express.json({ limit, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => (hasBody(req) ? parse(req, res, next) : next());
}

/** Request bodies must be JSON; anything else is refused before it is read. */
function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
      throw new HttpProblem(
        415,
        'unsupported_media_type',
        'Send the request body as `Content-Type: application/json`.',
      );
    }
    next();
  };
}

/**
 * The HTTP application: one router per audience behind shared middleware (correlation id, request
 * log and metrics, security headers), with problem+json for every error.
 */
export function createApp(deps: AppDeps): TesseraApp {
  const metrics = createMetrics(deps.projections);
  const timeoutMs = deps.readAfterWriteTimeoutMs ?? 5000;
  const awaitMinPosition = createReadAfterWrite({
    views: deps.views,
    headPosition: deps.headPosition,
    timeoutMs,
  });

  const extra = deps.routes?.({ awaitMinPosition, writeVisibleTimeoutMs: timeoutMs }) ?? {};
  const served: HttpMetrics =
    deps.metricRegistries === undefined || deps.metricRegistries.length === 0
      ? metrics
      : { ...metrics, registry: Registry.merge([metrics.registry, ...deps.metricRegistries]) };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // The common access check is answered ahead of everything else (see TesseraApp.listener), with
  // the same headers, log line and metric as the chain below would give it.
  const fast = deps.rightsApi
    ? accessFastPath({
        queries: deps.rightsApi.rights.queries,
        verifier: deps.rightsApi.verifier,
        providerOf: deps.rightsApi.providerOf,
        clock: deps.rightsApi.clock,
        answer: answerJsonWhole(deps.logger, metrics),
      })
    : null;
  app.use(correlation(deps.logger));
  app.use(observeRequests(metrics));
  app.use(securityHeaders());

  // The provider-facing /v1 APIs come first: access checks are the hottest requests and need none
  // of the page, platform or protocol routers below. One chain for all of them, so a request runs
  // the shared steps (and parses its body) once, whichever router answers it.
  const v1: RequestHandler[] = [];
  if (deps.rightsApi) {
    const api = deps.rightsApi;
    const shared = {
      verifier: api.verifier,
      providerOf: api.providerOf,
      views: deps.views,
      awaitMinPosition,
      writeVisibleTimeoutMs: timeoutMs,
    };
    v1.push(
      createRightsRouter({ ...api.rights, ...shared, clock: api.clock }),
      createSubscriptionsRouter({ ...api.subscriptions, ...shared }),
    );
  }
  if (deps.transactionsApi) {
    v1.push(
      createTransactionsRouter({
        ...deps.transactionsApi,
        views: deps.views,
        awaitMinPosition,
        writeVisibleTimeoutMs: timeoutMs,
      }),
    );
  }
  if (deps.oneClickApi) v1.push(createOneClickRouter({ ...deps.oneClickApi, awaitMinPosition }));
  if (deps.paymentMethodsApi) {
    v1.push(
      createPaymentMethodsRouter({
        ...deps.paymentMethodsApi,
        views: deps.views,
        awaitMinPosition,
        writeVisibleTimeoutMs: timeoutMs,
      }),
    );
  }
  v1.push(...(extra.v1 ?? []));
  if (v1.length > 0) {
    app.use('/v1', rememberMount(), noStore(), requireJsonBody(), jsonBody('256kb'), ...v1);
  }

  // The sandbox processors stand in for external PSPs: their own paths, bodies and pages.
  if (deps.paymentSandboxes) {
    app.use('/sandbox/card', deps.paymentSandboxes.card);
    app.use('/sandbox/carrier', deps.paymentSandboxes.carrier);
  }

  app.use(
    only(
      ['/healthz', '/readyz', '/metrics'],
      platformRouter({ projections: deps.projections, metrics: served, readyMaxLag: deps.readyMaxLag }),
    ),
  );

  // Before any body parser: the provider reads its own (form-encoded) request bodies.
  app.use(deps.oidc.middleware());
  if (deps.interactions) app.use(only(['/interaction/'], deps.interactions));
  if (deps.account) app.use(only(['/account'], deps.account));
  if (deps.pay) app.use(only(['/pay/'], deps.pay));
  if (deps.devOutbox) app.use(only(['/dev/'], createDevOutboxRouter({ outbox: deps.devOutbox })));
  for (const page of extra.pages ?? []) {
    if ('mountPath' in page) app.use(page.mountPath, page.router);
    else app.use(only(page.prefixes, page.router));
  }

  app.use(
    '/admin/v1',
    rememberMount(),
    noStore(),
    adminAuth(deps.adminToken),
    requireJsonBody(),
    jsonBody('64kb'),
    catalogRouter({
      commands: deps.catalogCommands,
      queries: deps.catalogQueries,
      views: deps.views,
      awaitMinPosition,
      writeVisibleTimeoutMs: timeoutMs,
    }),
    createClientsRouter({
      ...(deps.onClientChanged ? { onClientChanged: deps.onClientChanged } : {}),
      commands: deps.clientCommands,
      queries: deps.clientQueries,
      views: deps.views,
      awaitMinPosition,
      writeVisibleTimeoutMs: timeoutMs,
    }),
    ...(deps.feed
      ? [createWebhooksRouter({ webhooks: deps.feed.webhooks, providerExists: deps.feed.providerExists })]
      : []),
    ...(extra.admin ?? []),
  );

  if (deps.feed) {
    app.use(
      '/v1',
      rememberMount(),
      requireJsonBody(),
      createEventQueueRouter({ queue: deps.feed.queue, resolveProvider: deps.feed.resolveProvider }),
    );
  }

  if (deps.openApi)
    app.use(only(['/openapi.json', '/docs'], createOpenApiRouter({ document: deps.openApi })));

  if (deps.userApi) {
    app.use(
      '/v1',
      rememberMount(),
      requireJsonBody(),
      createUsersRouter({
        ...deps.userApi,
        views: deps.views,
        awaitMinPosition,
        writeVisibleTimeoutMs: timeoutMs,
      }),
    );
  }

  app.use(notFound());
  app.use(errorHandler());
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (fast === null) return void app(req, res);
    // The fast path hands on (before writing anything) whatever it does not answer itself; a
    // failure after it answered can only end the connection.
    const onward = (err?: unknown) => {
      if (err !== undefined && res.headersSent) res.destroy();
      else app(req, res);
    };
    fast(req as Request, res as Response, onward);
  };
  return { app, listener, metrics };
}
