/**
 * Commands of the Staff aggregate. Values are plain strings because commands come from the CLI,
 * the admin API and (later) staff pages alike; the decider checks every one of them.
 */

interface StaffChange {
  /** The account the change is about. */
  readonly sub: string;
  /** `operator`, or the `sub` of the staff member making the change. */
  readonly by: string;
  readonly reason: string;
}

export interface GrantStaffRole extends StaffChange {
  readonly type: 'GrantStaffRole';
  readonly role: string;
}

export interface RevokeStaffRole extends StaffChange {
  readonly type: 'RevokeStaffRole';
  readonly role: string;
}

export interface GrantProviderAccess extends StaffChange {
  readonly type: 'GrantProviderAccess';
  readonly providerId: string;
}

export interface RevokeProviderAccess extends StaffChange {
  readonly type: 'RevokeProviderAccess';
  readonly providerId: string;
}

export type StaffCommand = GrantStaffRole | RevokeStaffRole | GrantProviderAccess | RevokeProviderAccess;
