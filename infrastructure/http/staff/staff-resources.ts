import { z } from 'zod';
import type { StaffMember } from '../../../application/staff/staff-queries.js';
import {
  ProviderIdSchema,
  StaffReasonSchema,
  StaffRoleSchema,
  StaffSubSchema,
} from '../../../domain/staff/values.js';

/**
 * Request and response shapes of the staff admin API, checked with the decider's own value
 * schemas so every field problem is listed at once with its path. Unknown body fields are refused.
 */

export const StaffSubParams = z.object({ sub: StaffSubSchema });
export const StaffRoleParams = z.object({ sub: StaffSubSchema, role: StaffRoleSchema });
export const StaffProviderParams = z.object({ sub: StaffSubSchema, providerId: ProviderIdSchema });

const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'));

export const StaffListQuery = z.object({
  limit: Limit.optional(),
  cursor: z.string().min(1).max(1024).optional(),
});

/** A revocation's reason travels in the query string: DELETE requests carry no body. */
export const RevokeQuery = z.object({ reason: StaffReasonSchema });

/**
 * Makes an account staff, named by exactly one of `sub`, `phone` or `email` (a verified phone or
 * email of the account), with at least one role or provider.
 */
export const NewStaffBody = z
  .strictObject({
    sub: StaffSubSchema.optional(),
    phone: z.string().min(1).max(40).optional(),
    email: z.string().min(1).max(320).optional(),
    roles: z.array(StaffRoleSchema).max(10).optional(),
    providerIds: z.array(ProviderIdSchema).max(100).optional(),
    reason: StaffReasonSchema,
  })
  .refine((b) => [b.sub, b.phone, b.email].filter((v) => v !== undefined).length === 1, {
    error: 'name the account by exactly one of sub, phone or email',
    path: ['sub'],
  })
  .refine((b) => (b.roles?.length ?? 0) + (b.providerIds?.length ?? 0) > 0, {
    error: 'grant at least one role or provider',
    path: ['roles'],
  });
export type NewStaffBody = z.infer<typeof NewStaffBody>;

export const GrantRoleBody = z.strictObject({ role: StaffRoleSchema, reason: StaffReasonSchema });
export const GrantProviderBody = z.strictObject({ providerId: ProviderIdSchema, reason: StaffReasonSchema });

export function toStaffResource(member: StaffMember) {
  return {
    sub: member.sub,
    roles: [...member.roles],
    providerIds: [...member.providerIds],
    since: member.since,
    updatedAt: member.updatedAt,
  };
}
