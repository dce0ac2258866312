import { z } from 'zod';
import {
  ContactSchema,
  ProductKindSchema,
  SkuSchema,
  TimeSpecSchema,
} from '../../../domain/catalog/values.js';
import { MoneySchema } from '../../../domain/shared/money.js';
import type { toProductResource, toProviderResource } from '../catalog-resources.js';
import {
  ChangePriceBody,
  IdempotencyKeyHeader,
  NewProductBody,
  NewProviderBody,
  ProductIdParams,
  ProductListQuery,
  ProviderIdParams,
  ProviderListQuery,
  RenameProviderBody,
  RetireBody,
} from '../catalog-resources.js';
import {
  ADMIN,
  defineRoutes,
  json,
  problem,
  type RouteDoc,
  WRITE_HEADERS,
  type Documents,
} from './registry.js';

/** The service catalog endpoints of the admin API (catalog-router.ts, mounted at /admin/v1). */

const Instant = z.iso.datetime();

export const ProviderResource = z.object({
  id: z.uuid(),
  name: z.string(),
  contact: ContactSchema.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
});

export const ProductResource = z.object({
  id: z.uuid(),
  providerId: z.uuid(),
  sku: SkuSchema,
  name: z.string(),
  kind: ProductKindSchema,
  price: MoneySchema.describe('Integer minor units and an ISO 4217 currency.'),
  vatRate: z.int().min(0).max(10000).describe('In basis points: 2500 is 25 %.'),
  timeSpec: TimeSpecSchema.nullable().describe('One-time products: how long a purchase grants access.'),
  period: z.string().nullable().describe('Subscriptions: the ISO 8601 billing period.'),
  trial: z.string().nullable().describe('Subscriptions: the ISO 8601 trial, if any.'),
  status: z.enum(['active', 'retired']),
  createdAt: Instant,
  updatedAt: Instant,
  retiredAt: Instant.nullable(),
});

/** A page of a listing; pass `nextCursor` as `?cursor=` for the next one (null at the end). */
export function pageOf(item: z.ZodType) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** The 202 of a write whose projection is slow: the resource is written but not yet readable. */
export const WriteAccepted = z
  .object({ id: z.uuid(), position: z.int().min(0) })
  .describe('Written, not yet readable; read it with `?minPosition=position`.');

const providerShapeMatches: Documents<
  z.input<typeof ProviderResource>,
  ReturnType<typeof toProviderResource>
> = true;
const productShapeMatches: Documents<
  z.input<typeof ProductResource>,
  ReturnType<typeof toProductResource>
> = true;
void providerShapeMatches;
void productShapeMatches;

const TAG = 'Admin: catalog' as const;
const CREATED_HEADERS = { Location: 'The new resource’s URL.', ...WRITE_HEADERS } as const;
const REPLAY_HEADERS = {
  ...CREATED_HEADERS,
  'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
} as const;
const noProvider = problem('No such provider.', 'provider_not_found');
const noProduct = problem('No such product.', 'product_not_found');

export const CATALOG_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/admin/v1/providers',
    operationId: 'registerProvider',
    summary: 'Register a service provider',
    tags: [TAG],
    security: ADMIN,
    headers: IdempotencyKeyHeader,
    body: NewProviderBody,
    responses: {
      201: json('Registered.', ProviderResource, REPLAY_HEADERS),
      202: json('Registered, not yet readable.', WriteAccepted, CREATED_HEADERS),
      409: problem('A provider with this name exists.', 'provider_exists'),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/providers',
    operationId: 'listProviders',
    summary: 'List service providers',
    tags: [TAG],
    security: ADMIN,
    query: ProviderListQuery,
    readAfterWrite: true,
    responses: { 200: json('A page of providers.', pageOf(ProviderResource)) },
  },
  {
    method: 'get',
    path: '/admin/v1/providers/{providerId}',
    operationId: 'getProvider',
    summary: 'A service provider',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    readAfterWrite: true,
    responses: { 200: json('The provider.', ProviderResource), 404: noProvider },
  },
  {
    method: 'patch',
    path: '/admin/v1/providers/{providerId}',
    operationId: 'renameProvider',
    summary: 'Rename a service provider',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    body: RenameProviderBody,
    responses: {
      200: json('Renamed.', ProviderResource, WRITE_HEADERS),
      202: json('Renamed, not yet readable.', WriteAccepted, WRITE_HEADERS),
      404: noProvider,
      409: problem('Another provider has this name.', 'provider_exists'),
    },
  },
  {
    method: 'post',
    path: '/admin/v1/providers/{providerId}/products',
    operationId: 'addProduct',
    summary: 'Add a product (SKU) to a provider’s catalog',
    description: 'A one-time product has a `timeSpec`; a subscription plan a `period` and optional `trial`.',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    headers: IdempotencyKeyHeader,
    body: NewProductBody,
    responses: {
      201: json('Added.', ProductResource, REPLAY_HEADERS),
      202: json('Added, not yet readable.', WriteAccepted, CREATED_HEADERS),
      404: noProvider,
      409: problem('The provider already has this SKU.', 'sku_taken', 'product_exists'),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/providers/{providerId}/products',
    operationId: 'listProducts',
    summary: 'List a provider’s products',
    tags: [TAG],
    security: ADMIN,
    params: ProviderIdParams,
    query: ProductListQuery,
    readAfterWrite: true,
    responses: { 200: json('A page of products.', pageOf(ProductResource)), 404: noProvider },
  },
  {
    method: 'get',
    path: '/admin/v1/products/{productId}',
    operationId: 'getProduct',
    summary: 'A product',
    tags: [TAG],
    security: ADMIN,
    params: ProductIdParams,
    readAfterWrite: true,
    responses: { 200: json('The product.', ProductResource), 404: noProduct },
  },
  {
    method: 'patch',
    path: '/admin/v1/products/{productId}',
    operationId: 'changeProductPrice',
    summary: 'Change a product’s price or VAT rate',
    description: 'The currency cannot change.',
    tags: [TAG],
    security: ADMIN,
    params: ProductIdParams,
    body: ChangePriceBody,
    responses: {
      200: json('Changed.', ProductResource, WRITE_HEADERS),
      202: json('Changed, not yet readable.', WriteAccepted, WRITE_HEADERS),
      404: noProduct,
      409: problem('Retired, or another currency.', 'product_retired', 'currency_change_not_allowed'),
      422: problem('Nothing would change.', 'nothing_to_change'),
    },
  },
  {
    method: 'post',
    path: '/admin/v1/products/{productId}/retire',
    operationId: 'retireProduct',
    summary: 'Retire a product (no new sales)',
    tags: [TAG],
    security: ADMIN,
    params: ProductIdParams,
    body: RetireBody,
    bodyRequired: false,
    responses: {
      200: json('Retired.', ProductResource, WRITE_HEADERS),
      202: json('Retired, not yet readable.', WriteAccepted, WRITE_HEADERS),
      404: noProduct,
      409: problem('Already retired.', 'product_retired'),
    },
  },
]);
