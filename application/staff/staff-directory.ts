/**
 * Who works for whom. Staff are ordinary Tessera accounts (they sign in through Tessera's own OIDC
 * server) that hold roles: platform roles for customer support and audit, and per-provider access
 * to a provider's reports. Pages and APIs that serve staff ask this directory, never a list of
 * their own.
 */

/** Platform roles: support agents act on accounts, leads also reverse what agents did; auditors export. */
export const STAFF_ROLES = ['support-agent', 'support-lead', 'auditor'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffDirectory {
  /** The platform roles an account holds (empty for everyone who is not staff). */
  rolesOf(sub: string): Promise<readonly StaffRole[]>;
  /** The providers whose reports an account may read (empty for most accounts). */
  providersOf(sub: string): Promise<readonly string[]>;
}

export const STAFF_DIRECTORY = Symbol.for('tessera.StaffDirectory');
