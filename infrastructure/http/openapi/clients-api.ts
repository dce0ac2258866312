import { z } from 'zod';
import { ClientTypeSchema, GrantTypeSchema } from '../../../domain/catalog/client-values.js';
import { IdempotencyKeyHeader, ProviderIdParams } from '../catalog-resources.js';
import type { toClientResource } from '../clients-resources.js';
import {
  ClientIdParams,
  ClientListQuery,
  DisableClientBody,
  EmptyBody,
  NewClientBody,
  UpdateClientBody,
} from '../clients-resources.js';
import { pageOf } from './catalog-api.js';
import {
  ADMIN,
  defineRoutes,
  json,
  problem,
  type RouteDoc,
  WRITE_HEADERS,
  type Documents,
} from './registry.js';

/** The OAuth/OIDC client endpoints of the admin API (clients-router.ts, mounted at /admin/v1). */

const Instant = z.iso.datetime();

export const ClientResource = z.object({
  clientId: z.uuid(),
  providerId: z.uuid(),
  clientType: ClientTypeSchema,
  name: z.string(),
  logoUri: z.string().nullable(),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  backchannelLogoutUri: z.string().nullable(),
  scopes: z.array(z.string()),
  grantTypes: z.array(GrantTypeSchema),
  status: z.enum(['active', 'disabled']),
  secretIssuedAt: Instant.nullable().describe('Confidential clients: when the current secret was issued.'),
  createdAt: Instant,
  updatedAt: Instant,
  disabledAt: Instant.nullable(),
});

const Secret = z
  .string()
  .describe('The client secret, in this response only: store it now, it cannot be read again.');

const ClientWithSecret = ClientResource.extend({ clientSecret: Secret.optional() });

const ClientAccepted = z
  .object({ clientId: z.uuid(), position: z.int().min(0), clientSecret: Secret.optional() })
  .describe('Written, not yet readable; read it with `?minPosition=position`.');

const clientShapeMatches: Documents<
  z.input<typeof ClientResource>,
  ReturnType<typeof toClientResource>
> = true;
void clientShapeMatches;

const TAG = 'Admin: clients' as const;
const noClient = problem('No such client.', 'client_not_found');
const RULES =
  'A rule that ties fields together is broken (e.g. client_credentials for a public client); ' +
  '`code` names it.';
const ruleCodes = [
  'client_credentials_not_for_public_clients',
  'refresh_token_requires_authorization_code',
  'scope_not_for_public_clients',
  'invalid_redirect_uri',
  'duplicate_redirect_uri',
  'duplicate_scope',
  'duplicate_grant_type',
] as const;
const written = (what: string) => ({
  200: json(`${what}.`, ClientResource, WRITE_HEADERS),
  202: json(`${what}, not yet readable.`, ClientAccepted, WRITE_HEADERS),
  404: noClient,
});

export const CLIENTS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/admin/v1/providers/{providerId}/clients',
    operationId: 'registerClient',
    summary: 'Register an OAuth/OIDC client for a provider',
    description: 'A confidential client’s secret is in this response only (and not in an idempotent replay).',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    headers: IdempotencyKeyHeader,
    body: NewClientBody,
    responses: {
      201: json('Registered.', ClientWithSecret, {
        Location: 'The client’s URL.',
        'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
        ...WRITE_HEADERS,
      }),
      202: json('Registered, not yet readable.', ClientAccepted, WRITE_HEADERS),
      404: problem('No such provider.', 'provider_not_found'),
      409: problem('Exists already.', 'client_exists'),
      422: problem(RULES, ...ruleCodes),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/providers/{providerId}/clients',
    operationId: 'listClients',
    summary: 'List a provider’s clients',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    query: ClientListQuery,
    readAfterWrite: true,
    responses: {
      200: json('A page of clients.', pageOf(ClientResource)),
      404: problem('No such provider.', 'provider_not_found'),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/clients/{clientId}',
    operationId: 'getClient',
    summary: 'A client',
    tags: [TAG],
    security: ADMIN,
    params: ClientIdParams,
    readAfterWrite: true,
    responses: { 200: json('The client.', ClientResource), 404: noClient },
  },
  {
    method: 'patch',
    path: '/admin/v1/clients/{clientId}',
    operationId: 'updateClient',
    summary: 'Change a client’s registration',
    tags: [TAG],
    security: ADMIN,
    params: ClientIdParams,
    body: UpdateClientBody,
    responses: { ...written('Changed'), 422: problem(RULES, 'nothing_to_change', ...ruleCodes) },
  },
  {
    method: 'post',
    path: '/admin/v1/clients/{clientId}/secret',
    operationId: 'rotateClientSecret',
    summary: 'Issue a new secret (the old one stops working)',
    tags: [TAG],
    security: ADMIN,
    params: ClientIdParams,
    body: EmptyBody,
    bodyRequired: false,
    responses: {
      200: json('Rotated; the new secret is in this response only.', ClientWithSecret, WRITE_HEADERS),
      202: json('Rotated, not yet readable.', ClientAccepted, WRITE_HEADERS),
      404: noClient,
      409: problem('A public client has no secret.', 'public_client_has_no_secret'),
    },
  },
  {
    method: 'post',
    path: '/admin/v1/clients/{clientId}/disable',
    operationId: 'disableClient',
    summary: 'Disable a client (its tokens stop working)',
    tags: [TAG],
    security: ADMIN,
    params: ClientIdParams,
    body: DisableClientBody,
    bodyRequired: false,
    responses: written('Disabled'),
  },
  {
    method: 'post',
    path: '/admin/v1/clients/{clientId}/enable',
    operationId: 'enableClient',
    summary: 'Enable a disabled client',
    tags: [TAG],
    security: ADMIN,
    params: ClientIdParams,
    body: EmptyBody,
    bodyRequired: false,
    responses: written('Enabled'),
  },
]);
