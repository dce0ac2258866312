import type { StaffRole } from './staff-directory.js';

/**
 * What a staff page or API asks of its caller: any one of the listed roles, or `provider-access`
 * (access to at least one provider's reports). An empty list asks only that the caller is staff
 * at all (holds a role or provider access).
 */
export const PROVIDER_ACCESS = 'provider-access';
export type StaffRequirement = StaffRole | typeof PROVIDER_ACCESS;

export interface StaffHoldings {
  readonly roles: readonly StaffRole[];
  readonly providerIds: readonly string[];
}

export function isStaff(held: StaffHoldings): boolean {
  return held.roles.length > 0 || held.providerIds.length > 0;
}

/** Whether the holdings meet the requirement (see StaffRequirement). */
export function meetsRequirement(held: StaffHoldings, anyOf: readonly StaffRequirement[]): boolean {
  if (anyOf.length === 0) return isStaff(held);
  return anyOf.some((r) => (r === PROVIDER_ACCESS ? held.providerIds.length > 0 : held.roles.includes(r)));
}

/** "support-agent or support-lead": the requirement in words, for refusals. */
export function describeRequirement(anyOf: readonly StaffRequirement[]): string {
  if (anyOf.length === 0) return 'a staff role or provider access';
  return anyOf.map((r) => (r === PROVIDER_ACCESS ? 'access to a provider' : `the ${r} role`)).join(' or ');
}
