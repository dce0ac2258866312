import { z } from 'zod';
import type { GrantManyItem } from '../../../application/right/right-commands.js';
import type { AccessExplanation, ExplainedEvent } from '../../../application/right/access-explainer.js';
import { SkuSchema } from '../../../domain/catalog/values.js';
import { GrantorSchema, RightStateSchema } from '../../../domain/right/values.js';
import type { Entitlement } from '../../oidc/entitlement-tokens.js';
import { IdempotencyKeyHeader } from '../catalog-resources.js';
import type { toAccessResource, toRightResource } from '../rights-resources.js';
import {
  AccessBatchBody,
  AccessQuery,
  ExtendBody,
  GrantBatchBody,
  GrantBody,
  MAX_BATCH,
  ReasonBody,
  RightParams,
  RightsQuery,
} from '../rights-resources.js';
import {
  defineRoutes,
  json,
  problem,
  type ProblemResponseDoc,
  type RouteDoc,
  scopes,
  WRITE_HEADERS,
  type Documents,
} from './registry.js';

/**
 * The rights and access API (rights-router.ts, mounted at /v1), described for the OpenAPI document.
 * Every route answers for the calling client's provider only: another provider's right, or another
 * user's right seen through a user token, is the same 404 as a right that does not exist.
 */

const Instant = z.iso.datetime();

/**
 * `{sub}` in a path: the router takes a user id, or `me` for the user a user token acts for. The
 * UUID half is the router's own schema, so a change to it shows here.
 */
export const SubOrMe = z
  .union([z.literal('me'), RightParams.shape.sub])
  .describe('The user id (the OIDC `sub`, a UUID), or `me` for the user of a user token.');

const UserPathParams = z.object({ sub: SubOrMe });
const RightPathParams = z.object({ sub: SubOrMe, rightId: RightParams.shape.rightId });

export const RightResource = z
  .object({
    rightId: z.string(),
    sub: z.uuid(),
    providerId: z.uuid(),
    sku: SkuSchema,
    productId: z.uuid(),
    state: RightStateSchema.describe(
      'The state at `stateAt`: CREATED (not valid yet), ACTIVE, SUSPENDED, EXPIRED or TERMINATED.',
    ),
    stateAt: Instant.describe('The instant `state` refers to.'),
    validFrom: Instant,
    validUntil: Instant.nullable().describe('Exclusive end; null for a perpetual right.'),
    timeInterval: z
      .string()
      .describe(
        'The validity as an ISO 8601 interval, `validFrom/validUntil` (`validFrom/..` if perpetual).',
      ),
    used: z.boolean(),
    usedAt: Instant.nullable(),
    grantor: GrantorSchema.describe('Who granted it: the provider, a purchase, a subscription or support.'),
    payload: z.string().nullable().describe('The provider’s own text, stored as given.'),
    createdAt: Instant,
    updatedAt: Instant,
    generation: z.int().min(0).describe('Grows with every change to the right.'),
  })
  .describe('A right: a user’s entitlement to one of the provider’s SKUs for an interval.');

const RightAccepted = z
  .object({ rightId: z.string(), position: z.int().min(0) })
  .describe('Written, not yet readable; read it with `?minPosition=position`.');

const AccessReasonSchema = z
  .enum(['active', 'no_right', 'expired', 'suspended', 'not_yet_valid', 'terminated'])
  .describe('Why: `active` when allowed, otherwise the state of the right closest to being usable.');

const AccessAnswerShape = {
  allowed: z.boolean(),
  rightId: z.string().nullable().describe('The right that decides the answer; null without any.'),
  validUntil: Instant.nullable().describe('That right’s end; null when perpetual or without a right.'),
  reason: AccessReasonSchema,
};

export const AccessResource = z
  .object({ sub: z.uuid(), sku: SkuSchema, at: Instant, ...AccessAnswerShape })
  .describe('Whether the user may use the SKU at `at`.');

const BatchGrantItem = z.union([
  z.object({
    index: z.int().min(0).describe('Position of the item in `rights`.'),
    status: z.union([z.literal(201), z.literal(200)]).describe('201 granted; 200 already granted.'),
    rightId: z.string(),
  }),
  z.object({
    index: z.int().min(0),
    status: z.union([z.literal(404), z.literal(409), z.literal(422)]),
    error: z.object({
      kind: z.enum(['invalid', 'not_found', 'conflict', 'forbidden']),
      code: z.string().describe('The code a single grant would answer with, e.g. `sku_not_found`.'),
      message: z.string(),
      field: z.string().optional(),
    }),
  }),
]);

const BatchGrantResult = z
  .object({ results: z.array(BatchGrantItem) })
  .describe('One result per item, in request order; each item is granted or refused on its own.');

const AccessBatchResult = z.object({ at: Instant, results: z.array(AccessResource) });

const ExplainedEventResource = z.object({
  type: z.string().describe('The event type, e.g. `RightGranted`, `RightSuspended`.'),
  occurredAt: Instant,
  position: z.int().min(0).describe('Position in the global log.'),
  actor: z.unknown().describe('Who did it: `{ kind, id }`.'),
  data: z.unknown().describe('The event’s data as recorded.'),
});

export const AccessExplanationResource = z
  .object({
    sub: z.uuid(),
    sku: SkuSchema,
    at: Instant,
    answer: z.object(AccessAnswerShape),
    rights: z
      .array(z.object({ right: RightResource, events: z.array(ExplainedEventResource) }))
      .describe('Every right of this user and SKU at the provider, with the events that made it.'),
  })
  .describe('The access answer and the history behind it.');

const EntitlementResource = z.object({
  sku: SkuSchema,
  rightId: z.string(),
  validUntil: Instant.nullable().describe('Null for a perpetual right.'),
});

export const EntitlementsResource = z.object({
  token: z
    .string()
    .describe(
      'A signed JWT (`typ: entitlement+jwt`, verify it against the JWKS): `aud` is the calling ' +
        'client, `provider_id`, and `entitlements: [{ sku, right_id, valid_until }]`.',
    ),
  expiresAt: Instant.describe('The token’s `exp`: at most a few minutes, never after a listed right ends.'),
  entitlements: z.array(EntitlementResource).describe('The rights active now, as in the token.'),
});

/** The documented shapes must accept what the router actually sends (checked at compile time). */
const rightShapeMatches: Documents<z.input<typeof RightResource>, ReturnType<typeof toRightResource>> = true;
const accessShapeMatches: Documents<
  z.input<typeof AccessResource>,
  ReturnType<typeof toAccessResource>
> = true;
const batchErrorMatches: Documents<
  z.input<(typeof BatchGrantItem.options)[1]>['error'],
  Extract<GrantManyItem, { ok: false }>['error']
> = true;
const explanationMatches: Documents<
  z.input<typeof AccessExplanationResource>,
  Omit<AccessExplanation, 'rights'> & {
    rights: { right: ReturnType<typeof toRightResource>; events: readonly ExplainedEvent[] }[];
  }
> = true;
const entitlementsMatch: Documents<
  z.input<typeof EntitlementsResource>,
  { token: string; expiresAt: string; entitlements: readonly Entitlement[] }
> = true;
void rightShapeMatches;
void accessShapeMatches;
void batchErrorMatches;
void explanationMatches;
void entitlementsMatch;

const READ = scopes('id.user.right.read');
const WRITE = scopes('id.user.right.write');
const USE = scopes('id.user.right.use', 'id.user.right.write');
const RIGHTS = 'Rights' as const;
const ACCESS = 'Access' as const;

const CREATED_HEADERS = {
  Location: 'The new right’s URL.',
  'Idempotent-Replayed': '`true` when this answers a repeated Idempotency-Key.',
  ...WRITE_HEADERS,
} as const;

const userRequired = problem('`me` was used with a client_credentials token.', 'user_required');
const backendOnly = problem(
  'A user’s token cannot change rights; use the provider backend’s client_credentials token.',
  'client_token_required',
);
const noRight = problem(
  'No such right for this provider and user (including another provider’s right, or another ' +
    'user’s through a user token).',
  'right_not_found',
);
const otherUser = problem(
  'A user token named another user: that user’s rights are not found.',
  'right_not_found',
);

/** The shared parts of extend, suspend, reactivate and terminate. */
function change(
  action: string,
  operationId: string,
  summary: string,
  body: z.ZodType,
  conflicts: ProblemResponseDoc,
  extra: Partial<RouteDoc> = {},
): RouteDoc {
  return {
    method: 'post',
    path: `/v1/users/{sub}/rights/{rightId}/${action}`,
    operationId,
    summary,
    tags: [RIGHTS],
    security: WRITE,
    params: RightPathParams,
    body,
    bodyRequired: extra.bodyRequired ?? false,
    responses: {
      200: json('The right as changed.', RightResource, WRITE_HEADERS),
      202: json('Changed, not yet readable.', RightAccepted, WRITE_HEADERS),
      400: userRequired,
      403: backendOnly,
      404: noRight,
      409: conflicts,
      ...(extra.responses ?? {}),
    },
    ...(extra.description ? { description: extra.description } : {}),
  };
}

export const RIGHTS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'post',
    path: '/v1/users/{sub}/rights',
    operationId: 'grantRight',
    summary: 'Grant a right to a user',
    description:
      'For the provider’s backend. The SKU must be in the provider’s catalog. Without `validUntil` ' +
      'the right lasts as the product’s time spec says (a subscription plan needs an explicit end); ' +
      '`validUntil: null` grants a perpetual right. Send an Idempotency-Key to make retries safe.',
    tags: [RIGHTS],
    security: WRITE,
    params: UserPathParams,
    headers: IdempotencyKeyHeader,
    body: GrantBody,
    responses: {
      201: json('Granted.', RightResource, CREATED_HEADERS),
      202: json('Granted, not yet readable.', RightAccepted, CREATED_HEADERS),
      400: userRequired,
      403: backendOnly,
      409: problem('The Idempotency-Key was used with a different request.', 'idempotency_key_reused'),
      422: problem(
        'The SKU is not in this provider’s catalog, or the validity is not usable.',
        'sku_not_found',
        'validity_required',
        'invalid_validity',
      ),
    },
  },
  {
    method: 'post',
    path: '/v1/rights/batch',
    operationId: 'grantRights',
    summary: 'Grant many rights at once',
    description:
      `For the provider’s backend: up to ${MAX_BATCH} grants, each written on its own. The answer is ` +
      '200 even when items are refused; each result carries the status and problem code a single ' +
      'grant would have answered with.',
    tags: [RIGHTS],
    security: WRITE,
    body: GrantBatchBody,
    responses: {
      200: json('One result per item.', BatchGrantResult, WRITE_HEADERS),
      403: backendOnly,
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/rights',
    operationId: 'listRights',
    summary: 'A user’s rights at the provider',
    description:
      'Oldest first. `?active=now` (or an instant) keeps only rights ACTIVE then, with states computed ' +
      'for that instant; `?sku=` keeps one SKU. A user token reads its own user’s rights.',
    tags: [RIGHTS],
    security: READ,
    params: UserPathParams,
    query: RightsQuery,
    readAfterWrite: true,
    responses: {
      200: json('The rights.', z.object({ rights: z.array(RightResource) })),
      400: userRequired,
      404: otherUser,
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/rights/{rightId}',
    operationId: 'getRight',
    summary: 'A right',
    tags: [RIGHTS],
    security: READ,
    params: RightPathParams,
    readAfterWrite: true,
    responses: { 200: json('The right.', RightResource), 400: userRequired, 404: noRight },
  },
  change(
    'extend',
    'extendRight',
    'Extend a right',
    ExtendBody,
    problem(
      'The right is over (terminated or expired) or perpetual.',
      'right_terminated',
      'right_expired',
      'right_perpetual',
    ),
    {
      description: 'Moves its end to a later `validUntil`, or later `by` an ISO 8601 duration.',
      bodyRequired: true,
      responses: {
        422: problem('The new end is not later than the current one.', 'invalid_validity'),
      },
    },
  ),
  change(
    'suspend',
    'suspendRight',
    'Suspend a right',
    ReasonBody,
    problem(
      'The right is over, or already suspended.',
      'right_terminated',
      'right_expired',
      'right_not_active',
    ),
    { description: 'A suspended right denies access until it is reactivated; its end does not move.' },
  ),
  change(
    'reactivate',
    'reactivateRight',
    'Reactivate a suspended right',
    ReasonBody,
    problem(
      'The right is over, or not suspended.',
      'right_terminated',
      'right_expired',
      'right_not_suspended',
    ),
  ),
  change(
    'terminate',
    'terminateRight',
    'Terminate a right for good',
    ReasonBody,
    problem('Already terminated.', 'right_terminated'),
  ),
  {
    method: 'post',
    path: '/v1/users/{sub}/rights/{rightId}/usage',
    operationId: 'recordRightUsage',
    summary: 'Record that a right was used',
    description:
      'For single-use products: marks the right used (once; repeating it changes nothing). Only a ' +
      'right valid and active now can be used.',
    tags: [RIGHTS],
    security: USE,
    params: RightPathParams,
    responses: {
      200: json('The right, now used.', RightResource, WRITE_HEADERS),
      202: json('Recorded, not yet readable.', RightAccepted, WRITE_HEADERS),
      400: userRequired,
      403: backendOnly,
      404: noRight,
      409: problem(
        'The right is not usable now.',
        'right_terminated',
        'right_expired',
        'right_not_yet_valid',
        'right_not_active',
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/access',
    operationId: 'checkAccess',
    summary: 'May the user use a SKU?',
    description:
      'Answers from the provider’s rights for the user and SKU, now or at `?at=`. Allowed by the ' +
      'active right that lasts longest; otherwise names the right closest to being usable.',
    tags: [ACCESS],
    security: READ,
    params: UserPathParams,
    query: AccessQuery,
    responses: { 200: json('The answer.', AccessResource), 400: userRequired, 404: otherUser },
  },
  {
    method: 'post',
    path: '/v1/access/batch',
    operationId: 'checkAccessBatch',
    summary: 'Many access checks, for many users',
    description: `For the provider’s backend: up to ${MAX_BATCH} checks, all at one instant (now by default).`,
    tags: [ACCESS],
    security: READ,
    body: AccessBatchBody,
    responses: {
      200: json('One answer per check, in request order.', AccessBatchResult),
      403: problem('A user’s token cannot check other users.', 'client_token_required'),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/access/explain',
    operationId: 'explainAccess',
    summary: 'Why the access check answers what it does',
    description:
      'For the provider’s backend and support: the answer now, and every right of the user for the ' +
      'SKU with the events behind it. Reads the log: not for the request path of every check.',
    tags: [ACCESS],
    security: READ,
    params: UserPathParams,
    query: AccessQuery.pick({ sku: true }),
    responses: {
      200: json('The answer and its history.', AccessExplanationResource),
      400: userRequired,
      403: problem('For client_credentials tokens only.', 'client_token_required'),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}/entitlements',
    operationId: 'getEntitlements',
    summary: 'A signed entitlement token for offline checks',
    description:
      'Lists the user’s rights active now, and the same list in a short-lived JWT signed with the ' +
      'ID-token keys, so a service can check access offline. A suspended or terminated right stays in ' +
      'an issued token until it expires; follow the change feed to hear of it sooner.',
    tags: [ACCESS],
    security: READ,
    params: UserPathParams,
    responses: {
      200: json('The token and what it lists.', EntitlementsResource),
      400: userRequired,
      404: otherUser,
    },
  },
]);
