import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import {
  GrantedBySchema,
  ProviderIdSchema,
  StaffReasonSchema,
  StaffRoleSchema,
  StaffSubSchema,
} from './values.js';

/*
 * Events of the Staff aggregate (stream `staff-<sub>`): which platform roles an account holds and
 * whose reports it may read. Every change names who made it (`by`) and why (`reason`), so the
 * stream is its own audit trail.
 */

const change = { sub: StaffSubSchema, by: GrantedBySchema, reason: StaffReasonSchema };

export const StaffRoleGranted = defineEvent(
  'StaffRoleGranted',
  z.object({ ...change, role: StaffRoleSchema }),
);
export type StaffRoleGranted = EventOf<typeof StaffRoleGranted>;

export const StaffRoleRevoked = defineEvent(
  'StaffRoleRevoked',
  z.object({ ...change, role: StaffRoleSchema }),
);
export type StaffRoleRevoked = EventOf<typeof StaffRoleRevoked>;

/** The account may read this provider's reports (the provider dashboard). */
export const ProviderAccessGranted = defineEvent(
  'ProviderAccessGranted',
  z.object({ ...change, providerId: ProviderIdSchema }),
);
export type ProviderAccessGranted = EventOf<typeof ProviderAccessGranted>;

export const ProviderAccessRevoked = defineEvent(
  'ProviderAccessRevoked',
  z.object({ ...change, providerId: ProviderIdSchema }),
);
export type ProviderAccessRevoked = EventOf<typeof ProviderAccessRevoked>;

export type StaffEvent = StaffRoleGranted | StaffRoleRevoked | ProviderAccessGranted | ProviderAccessRevoked;

/** Every staff event definition, for the application's EventRegistry. */
export const staffEvents: readonly EventDefinition[] = [
  StaffRoleGranted,
  StaffRoleRevoked,
  ProviderAccessGranted,
  ProviderAccessRevoked,
];
