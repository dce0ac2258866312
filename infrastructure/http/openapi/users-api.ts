import { z } from 'zod';
import type { toUserResource, toVerificationResource } from '../users-resources.js';
import {
  EmailParams,
  NewEmailBody,
  NewPhoneBody,
  PatchMeBody,
  PhoneParams,
  SubParams,
  VerifyCodeBody,
} from '../users-resources.js';
import {
  defineRoutes,
  empty,
  json,
  problem,
  type RouteDoc,
  scopes,
  WRITE_HEADERS,
  type Documents,
} from './registry.js';

/** The user-data API (users-router.ts, mounted at /v1), described for the OpenAPI document. */

const IdentifierResource = z.object({
  value: z.string().nullable().describe('E.164 phone number or email address.'),
  verified: z.boolean(),
  primary: z.boolean().describe('The one used for sign-in and shown in ID tokens.'),
});

export const UserResource = z
  .object({
    sub: z.uuid().describe('The user id (the OpenID Connect `sub`).'),
    name: z.string().nullable().optional().describe('With `profile` (or `id.user.read`).'),
    locale: z.string().nullable().optional().describe('BCP 47 tag; with `profile` (or `id.user.read`).'),
    phones: z.array(IdentifierResource).optional().describe('With `phone` (or `id.user.read`).'),
    emails: z.array(IdentifierResource).optional().describe('With `email` (or `id.user.read`).'),
  })
  .describe('An account, limited to the sections the token (or the user’s consent) reveals.');

export const VerificationResource = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('sent'),
    challengeId: z.string().describe('Send it back with the code to …/verify.'),
    channel: z.enum(['sms', 'email']),
    expiresAt: z.iso.datetime(),
    resendAfterSeconds: z.int().min(0),
  }),
  z.object({ status: z.literal('throttled'), retryAfterSeconds: z.int().min(0) }),
  z.object({ status: z.literal('unavailable') }).describe('This server sends no verification codes.'),
  z
    .object({ status: z.literal('delivery_failed') })
    .describe('The gateway failed; ask for a new code later.'),
]);

const AddedIdentifier = z.object({
  value: z.string().describe('The phone (E.164) or email as stored.'),
  verified: z.literal(false),
  primary: z.literal(false),
  verification: VerificationResource,
});

const VerifiedIdentifier = z.object({ value: z.string(), verified: z.literal(true) });

const ConsentResource = z.object({
  clientId: z.uuid(),
  name: z.string().describe('The client’s display name.'),
  logoUri: z.string().nullable(),
  scopes: z.array(z.string()),
  grantedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** The consent's client id; the router answers 404 for anything that is not a UUID. */
const ConsentParams = z.object({ clientId: z.string().describe('The client id (a UUID).') });

const ProfileAccepted = z
  .object({ sub: z.uuid(), position: z.int().min(0) })
  .describe('Written, but not yet readable; read with `?minPosition=position`.');

/** The documented shapes must accept what the router actually sends (checked at compile time). */
const userShapeMatches: Documents<z.input<typeof UserResource>, ReturnType<typeof toUserResource>> = true;
const verificationShapeMatches: Documents<
  z.input<typeof VerificationResource>,
  ReturnType<typeof toVerificationResource>
> = true;
void userShapeMatches;
void verificationShapeMatches;

const READ_ME = scopes('id.user.read', ['openid', 'profile'], ['openid', 'email'], ['openid', 'phone']);
const WRITE = scopes('id.user.write');
const TAG = 'Users' as const;

const userToken = problem(
  'A client_credentials token has no user; use a user’s token.',
  'user_token_required',
);
const accountGone = problem(
  'The token’s user has no account (or it was deleted).',
  'user_not_found',
  'user_erased',
);

function identifierRoutes(kind: 'phone' | 'email'): RouteDoc[] {
  const plural = kind === 'phone' ? 'phones' : 'emails';
  const Kind = kind === 'phone' ? 'Phone' : 'Email';
  const base = `/v1/users/me/${plural}`;
  const Params = kind === 'phone' ? PhoneParams : EmailParams;
  const what = kind === 'phone' ? 'a phone number' : 'an email address';
  return [
    {
      method: 'post',
      path: base,
      operationId: `addMy${Kind}`,
      summary: `Add ${what} (unverified)`,
      description: `Adds ${what} to the signed-in user’s account and sends a verification code when the server can.`,
      tags: [TAG],
      security: WRITE,
      body: kind === 'phone' ? NewPhoneBody : NewEmailBody,
      responses: {
        201: json('Added; `verification` tells whether a code was sent.', AddedIdentifier, {
          Location: 'The new identifier’s URL.',
          ...WRITE_HEADERS,
        }),
        403: userToken,
        404: accountGone,
        409: problem(
          `Already on the account, or the account has the most it may.`,
          `${kind}_exists`,
          `too_many_${kind}s`,
        ),
      },
    },
    {
      method: 'post',
      path: `${base}/verify`,
      operationId: `verifyMy${Kind}`,
      summary: `Verify ${what} with the code sent to it`,
      tags: [TAG],
      security: WRITE,
      body: VerifyCodeBody,
      responses: {
        200: json('Verified.', VerifiedIdentifier, WRITE_HEADERS),
        403: userToken,
        404: accountGone,
        422: problem(
          'The code is wrong, expired, used up, or was sent to the other kind of identifier.',
          'wrong_code',
          'code_expired',
          'code_attempts_exhausted',
          'wrong_identifier_kind',
        ),
        429: problem('Too many wrong codes; see Retry-After.', 'identifier_locked', 'rate_limited'),
        503: problem('This server cannot check codes.', 'verification_unavailable'),
      },
    },
    {
      method: 'post',
      path: `${base}/{${kind}}/verification`,
      operationId: `resendMy${Kind}Verification`,
      summary: `Send a new verification code to ${what}`,
      tags: [TAG],
      security: WRITE,
      params: Params,
      responses: {
        202: json('A code is on its way (or the state of the attempt).', VerificationResource),
        403: userToken,
        404: problem(`Not on the account.`, `${kind}_not_found`, 'user_not_found', 'user_erased'),
        409: problem('Already verified.', `${kind}_already_verified`),
        429: problem('A code was sent recently; see Retry-After.', 'code_throttled'),
        503: problem(
          'No code could be sent; see Retry-After.',
          'delivery_failed',
          'verification_unavailable',
        ),
      },
    },
    {
      method: 'post',
      path: `${base}/{${kind}}/primary`,
      operationId: `makeMy${Kind}Primary`,
      summary: `Make a verified ${kind} the primary one`,
      tags: [TAG],
      security: WRITE,
      params: Params,
      responses: {
        204: empty('Done.', WRITE_HEADERS),
        403: userToken,
        404: problem('Not on the account.', `${kind}_not_found`, 'user_not_found', 'user_erased'),
        409: problem('Not verified yet.', `${kind}_not_verified`),
      },
    },
    {
      method: 'delete',
      path: `${base}/{${kind}}`,
      operationId: `removeMy${Kind}`,
      summary: `Remove ${what}`,
      description: 'The last verified phone or email cannot be removed.',
      tags: [TAG],
      security: WRITE,
      params: Params,
      responses: {
        204: empty('Removed.', WRITE_HEADERS),
        403: userToken,
        404: problem('Not on the account.', `${kind}_not_found`, 'user_not_found', 'user_erased'),
        409: problem('It is the last verified identifier.', 'last_identifier'),
      },
    },
  ];
}

export const USERS_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'get',
    path: '/v1/users/me',
    operationId: 'getMe',
    summary: 'The signed-in user’s account',
    description:
      'Limited by the token’s scopes: `id.user.read` shows everything, `profile`, `email` and `phone` ' +
      'each show their section.',
    tags: [TAG],
    security: READ_ME,
    readAfterWrite: true,
    responses: { 200: json('The account.', UserResource), 403: userToken, 404: accountGone },
  },
  {
    method: 'patch',
    path: '/v1/users/me',
    operationId: 'updateMe',
    summary: 'Change the signed-in user’s name or locale',
    tags: [TAG],
    security: WRITE,
    body: PatchMeBody,
    responses: {
      200: json('The account as changed.', UserResource, WRITE_HEADERS),
      202: json('Written, not yet readable.', ProfileAccepted, WRITE_HEADERS),
      403: userToken,
      404: accountGone,
    },
  },
  ...identifierRoutes('phone'),
  ...identifierRoutes('email'),
  {
    method: 'get',
    path: '/v1/users/me/consents',
    operationId: 'listMyConsents',
    summary: 'Services the user has connected (consents)',
    tags: [TAG],
    security: scopes('id.user.read'),
    readAfterWrite: true,
    responses: {
      200: json('The consents.', z.object({ items: z.array(ConsentResource) })),
      403: userToken,
    },
  },
  {
    method: 'delete',
    path: '/v1/users/me/consents/{clientId}',
    operationId: 'revokeMyConsent',
    summary: 'Withdraw a consent',
    description:
      'Revokes the client’s grants and tokens for this user; answers once reads no longer show it.',
    tags: [TAG],
    security: scopes('id.user.write'),
    params: ConsentParams,
    responses: {
      204: empty('Withdrawn.', WRITE_HEADERS),
      403: userToken,
      404: problem('The user has not allowed this client anything.', 'consent_not_found'),
    },
  },
  {
    method: 'get',
    path: '/v1/users/{sub}',
    operationId: 'getUser',
    summary: 'A user who consented to the calling client',
    description:
      'For a provider backend’s client_credentials token. Shows the sections the user’s consent to ' +
      'this client reveals. An unknown user and a user without consent are the same 404.',
    tags: [TAG],
    security: scopes('id.user.read'),
    params: SubParams,
    readAfterWrite: true,
    responses: {
      200: json('The account, as far as the consent reaches.', UserResource),
      403: problem('A user’s token cannot read others.', 'client_token_required'),
      404: problem('No such user, or no consent to this client.', 'user_not_found'),
    },
  },
]);
