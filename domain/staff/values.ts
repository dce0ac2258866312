import { z } from 'zod';

/**
 * Value schemas of staff accounts. The role names are the platform roles of the application's
 * StaffDirectory (application/staff/staff-directory.ts); the domain keeps its own list because it
 * imports nothing outside itself, and the application checks at compile time that both agree.
 */

/** Support agents act on accounts, leads also reverse what agents did, auditors export. */
export const STAFF_ROLE_NAMES = ['support-agent', 'support-lead', 'auditor'] as const;
export const StaffRoleSchema = z.enum(STAFF_ROLE_NAMES, {
  error: `must be one of: ${STAFF_ROLE_NAMES.join(', ')}`,
});
export type StaffRoleName = z.infer<typeof StaffRoleSchema>;

/** A staff account is a Tessera account: its OpenID Connect `sub`. */
export const StaffSubSchema = z.uuid({ error: 'must be an account `sub` (a UUID)' });

export const ProviderIdSchema = z.uuid({ error: 'must be a provider id (a UUID)' });

/** Why a role or access was granted or taken away: mandatory, for the audit trail. */
export const StaffReasonSchema = z
  .string()
  .trim()
  .min(1, { error: 'give a reason' })
  .max(500, { error: 'must be at most 500 characters' });

/** The operator (CLI, admin API) grants as `operator`; a staff member grants under their own `sub`. */
export const OPERATOR = 'operator';
export const GrantedBySchema = z.union([z.literal(OPERATOR), StaffSubSchema], {
  error: 'must be "operator" or a staff account `sub`',
});

export const STAFF_STREAM_PREFIX = 'staff-';
/** One stream per account: `staff-<sub>`. */
export const staffStreamId = (sub: string): string => `${STAFF_STREAM_PREFIX}${sub}`;
