import { z } from 'zod';
import { StaffRoleSchema } from '../../../domain/staff/values.js';
import type { toStaffResource } from '../staff/staff-resources.js';
import {
  GrantProviderBody,
  GrantRoleBody,
  NewStaffBody,
  RevokeQuery,
  StaffListQuery,
  StaffProviderParams,
  StaffRoleParams,
  StaffSubParams,
} from '../staff/staff-resources.js';
import { pageOf } from './catalog-api.js';
import {
  ADMIN,
  defineRoutes,
  type Documents,
  json,
  problem,
  type RouteDoc,
  WRITE_HEADERS,
} from './registry.js';

/** The staff endpoints of the admin API (staff-router.ts, mounted at /admin/v1). */

const Instant = z.iso.datetime();

export const StaffResource = z.object({
  sub: z.uuid(),
  roles: z.array(StaffRoleSchema),
  providerIds: z.array(z.uuid()).describe('Providers whose reports the account may read.'),
  since: Instant.describe('When the account was first made staff.'),
  updatedAt: Instant,
});

const StaffAccepted = z
  .object({ sub: z.uuid(), position: z.int().min(0) })
  .describe('Written, not yet readable; read it with `?minPosition=position`.');

const staffShapeMatches: Documents<z.input<typeof StaffResource>, ReturnType<typeof toStaffResource>> = true;
void staffShapeMatches;

const TAG = 'Admin: staff' as const;
const noStaff = problem('The account is not staff.', 'staff_not_found');
const RULES = 'A rule refused the change; `code` names it.';

const written = (what: string) => ({
  200: json(`${what}.`, StaffResource, WRITE_HEADERS),
  202: json(`${what}, not yet readable.`, StaffAccepted, WRITE_HEADERS),
});

export const STAFF_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'get',
    path: '/admin/v1/staff',
    operationId: 'listStaff',
    summary: 'List staff accounts (those holding a role or provider access)',
    tags: [TAG],
    security: ADMIN,
    query: StaffListQuery,
    readAfterWrite: true,
    responses: { 200: json('A page of staff accounts, oldest first.', pageOf(StaffResource)) },
  },
  {
    method: 'post',
    path: '/admin/v1/staff',
    operationId: 'addStaff',
    summary: 'Make an account staff',
    description:
      'Names the account by `sub` or by one of its verified phones or emails, and grants the roles ' +
      'and provider access given (what it holds already is kept). The account must exist and not ' +
      'be erased; every provider must exist, or nothing is granted.',
    tags: [TAG],
    security: ADMIN,
    body: NewStaffBody,
    responses: {
      ...written('Granted'),
      201: json('The account became staff.', StaffResource, {
        Location: 'The staff account’s URL.',
        ...WRITE_HEADERS,
      }),
      404: problem('No such account or provider.', 'user_not_found', 'provider_not_found'),
      409: problem('The account was erased.', 'user_erased'),
      422: problem(RULES, 'invalid_phone', 'invalid_email'),
    },
  },
  {
    method: 'get',
    path: '/admin/v1/staff/{sub}',
    operationId: 'getStaff',
    summary: 'A staff account',
    tags: [TAG],
    security: ADMIN,
    params: StaffSubParams,
    readAfterWrite: true,
    responses: { 200: json('The staff account.', StaffResource), 404: noStaff },
  },
  {
    method: 'post',
    path: '/admin/v1/staff/{sub}/roles',
    operationId: 'grantStaffRole',
    summary: 'Grant a platform role',
    description: 'Granting a role the account holds already changes nothing.',
    tags: [TAG],
    security: ADMIN,
    params: StaffSubParams,
    body: GrantRoleBody,
    responses: {
      ...written('Granted'),
      404: problem('No such account.', 'user_not_found'),
      409: problem('The account was erased.', 'user_erased'),
    },
  },
  {
    method: 'delete',
    path: '/admin/v1/staff/{sub}/roles/{role}',
    operationId: 'revokeStaffRole',
    summary: 'Revoke a platform role',
    description: 'Takes effect at once on staff pages and staff API tokens.',
    tags: [TAG],
    security: ADMIN,
    params: StaffRoleParams,
    query: RevokeQuery,
    responses: {
      ...written('Revoked'),
      404: noStaff,
      409: problem('The account does not hold the role.', 'role_not_held'),
    },
  },
  {
    method: 'post',
    path: '/admin/v1/staff/{sub}/providers',
    operationId: 'grantProviderAccess',
    summary: 'Let the account read a provider’s reports',
    description: 'Granting access the account has already changes nothing.',
    tags: [TAG],
    security: ADMIN,
    params: StaffSubParams,
    body: GrantProviderBody,
    responses: {
      ...written('Granted'),
      404: problem('No such account or provider.', 'user_not_found', 'provider_not_found'),
      409: problem('The account was erased.', 'user_erased'),
    },
  },
  {
    method: 'delete',
    path: '/admin/v1/staff/{sub}/providers/{providerId}',
    operationId: 'revokeProviderAccess',
    summary: 'Revoke access to a provider’s reports',
    tags: [TAG],
    security: ADMIN,
    params: StaffProviderParams,
    query: RevokeQuery,
    responses: {
      ...written('Revoked'),
      404: noStaff,
      409: problem('The account has no access to this provider.', 'provider_access_not_held'),
    },
  },
]);
