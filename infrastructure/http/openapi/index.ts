import { CATALOG_API } from './catalog-api.js';
import { CLIENTS_API } from './clients-api.js';
import { FEED_API } from './feed-api.js';
import { generateOpenApi, type OpenApiDocument } from './generate.js';
import { PAYMENT_METHODS_API } from './payment-methods-api.js';
import type { RouteDoc } from './registry.js';
import { RIGHTS_API } from './rights-api.js';
import { SUBSCRIPTIONS_API } from './subscriptions-api.js';
import { TRANSACTIONS_API } from './transactions-api.js';
import { USERS_API } from './users-api.js';
import { STAFF_API } from './staff-api.js';
import { AGREEMENTS_API } from './agreements-api.js';
import { SUPPORT_API } from './support-api.js';
import { AUDIT_API } from './audit-api.js';
import { REPORTS_API, REPORTS_TAG_DESCRIPTION } from './reports-api.js';

export { createOpenApiRouter, type OpenApiRouterOptions } from './router.js';
export { generateOpenApi, type OpenApiDocument } from './generate.js';
export * from './registry.js';

/**
 * Every documented route of the service-provider API (`/v1`) and the admin API (`/admin/v1`). A
 * router module adds its `*-api.ts` list here; the completeness test fails on any route the Express
 * app serves under those prefixes that is missing from this list (and on any listed route it does
 * not serve).
 */
export const TESSERA_API_ROUTES: readonly RouteDoc[] = [
  ...USERS_API,
  ...RIGHTS_API,
  ...SUBSCRIPTIONS_API,
  ...TRANSACTIONS_API,
  ...PAYMENT_METHODS_API,
  ...FEED_API,
  ...CATALOG_API,
  ...CLIENTS_API,
  ...STAFF_API,
  ...REPORTS_API,
  ...AGREEMENTS_API,
  ...SUPPORT_API,
  ...AUDIT_API,
];

/** Said of every provider-facing tag: what isolates one provider's data from another's. */
const PROVIDER_SCOPED =
  'Everything is answered for the provider of the calling client: a provider only ever sees its own ' +
  'rights and subscriptions, and anything else (another provider’s, or one that does not exist) is ' +
  'the same 404. A user’s own token (`id.user.right.read`) reads that user’s data at the provider ' +
  'of the client it was issued to, with `me` in place of `{sub}`; changes are for the provider’s ' +
  'backend (a client_credentials token).';

const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  Users:
    'The user-data API: a signed-in user’s own account (user tokens), and users who consented to a ' +
    'provider’s client (client_credentials tokens).',
  Rights:
    'Rights: a user’s entitlement to one of the provider’s SKUs for an interval (granted, extended, ' +
    'suspended, reactivated, terminated, used). ' +
    PROVIDER_SCOPED,
  Access:
    'Access checks (may this user use this SKU?), their explanation, and signed entitlement tokens ' +
    'for offline checks. ' +
    PROVIDER_SCOPED,
  Subscriptions:
    'Subscriptions to the provider’s plans; each period issues a right (see Rights). ' + PROVIDER_SCOPED,
  Transactions:
    'Payment transactions: a provider asks a user to pay (the hosted page at `links.payment` takes the ' +
    'payment), verifies the outcome and refunds. Amounts are integer minor units. Answered for the ' +
    'provider of the calling client only; anything else is 404.',
  'Payment methods':
    'A signed-in user’s saved payment methods (cards by their provider token, carrier billing by a ' +
    'verified phone), for the user’s own token: list (`id.user.read` or `payment.transactions.write`), ' +
    'save, make default and remove (`payment.transactions.write`). One-click payment ' +
    '(`POST /v1/transactions/{transactionId}/payment`, under Transactions) charges them. A ' +
    'client_credentials token has no user and is refused.',
  'Change feed':
    'The provider’s changes (rights and subscriptions), pulled from its own queue by its backend ' +
    '(a client_credentials token with `events.read`): lease, handle, acknowledge. A provider only ' +
    'ever sees its own messages; anything else is 404. The same changes can be pushed to a webhook.',
  'Admin: webhooks':
    'Providers’ webhook endpoints, their delivery log and replays. Deliveries are signed with the ' +
    'endpoint’s secret (`Tessera-Signature`). Admin token only.',
  'Admin: catalog': 'Service providers and their products (SKUs). Admin token only.',
  'Admin: clients': 'OAuth/OpenID Connect clients of the service providers. Admin token only.',
  'Admin: staff':
    'Staff accounts: platform roles (support agent, support lead, auditor) and access to providers’ ' +
    'reports. Admin token only.',
  Reports: REPORTS_TAG_DESCRIPTION,
  'Charging agreements':
    'Recurring payments: a provider proposes an agreement for one of its subscription plans, the user ' +
    'confirms it on the hosted page (`links.confirmation`) with a saved card, and Tessera charges each ' +
    'renewal off-session before the period ends, retrying failures on a dunning schedule. ' +
    PROVIDER_SCOPED,
  Support:
    'Customer support: find an account, read its whole history and its state at any instant, and act on ' +
    'it. For staff API tokens (`npm run cli -- staff token`) of support agents and leads; every action ' +
    'requires a reason and is recorded with the agent as actor.',
  Audit:
    'The transaction log for auditors: every money movement in a period as CSV or NDJSON, each row ' +
    'hash-chained to the previous one, ending with a manifest signed with the OpenID Connect keys ' +
    '(check it offline with `npm run cli -- verify`). For staff API tokens with the auditor role.',
};

export interface TesseraOpenApiOptions {
  /** The API version shown in `info.version` (the package version). */
  readonly version: string;
  /** The public base URL (ISSUER); makes the discovery link and `servers` absolute. */
  readonly issuer?: string;
  /** Routes to document; defaults to TESSERA_API_ROUTES. */
  readonly routes?: readonly RouteDoc[];
}

/** The OpenAPI 3.1 document of Tessera's HTTP APIs. Throws if any route cannot be documented. */
export function buildTesseraOpenApi(options: TesseraOpenApiOptions): OpenApiDocument {
  return generateOpenApi({
    title: 'Tessera API',
    version: options.version,
    description:
      'Identity, entitlement and payment APIs of Tessera. Errors are RFC 9457 problem documents ' +
      '(`application/problem+json`) with a stable `code` and, for invalid input, `errors` with each ' +
      'field’s path. Writes return their log position in `Tessera-Position`; reads accept ' +
      '`?minPosition=` to see them.',
    ...(options.issuer ? { issuer: options.issuer, servers: [options.issuer] } : {}),
    tags: TAG_DESCRIPTIONS,
    routes: options.routes ?? TESSERA_API_ROUTES,
  });
}
