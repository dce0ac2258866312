import { z } from 'zod';
import { DomainError } from '../../domain/kernel/decider.js';
import type { Money } from '../../domain/shared/money.js';
import type { CommandContext } from '../kernel/command-handler.js';
import type { StaffRole } from '../staff/staff-directory.js';

/**
 * Who may do what in customer support, and the reason every action must carry.
 *
 * Roles (application/staff/staff-directory.ts):
 * - `support-agent` finds users, reads their history and state, and takes the everyday actions:
 *   refunds up to a limit per currency, goodwill rights and extensions up to a number of days,
 *   suspending and reactivating rights, canceling subscriptions, locking sign-in and resending a
 *   verification code.
 * - `support-lead` does all of that without the limits, and also unlocks sign-in: a lock is often
 *   a security measure (too many wrong codes or passwords, or an agent's suspicion), so lifting it
 *   is a second person's decision.
 * - `auditor` has no access to support: auditors read exports, not individual accounts.
 *
 * Every action records the agent as the events' actor (`support`, the staff member's `sub`) and the
 * mandatory reason in the events' metadata (and in the event itself where it has a reason field).
 */

/** The signed-in staff member acting (what the staff guard puts in `res.locals.staff`). */
export interface StaffPrincipal {
  readonly sub: string;
  readonly roles: readonly StaffRole[];
}

export interface SupportPolicy {
  /**
   * Largest refund, in minor units per currency, an agent may issue; above it (or in a currency not
   * listed) a support lead must. A partial refund counts by its own amount.
   */
  readonly agentRefundLimits: Readonly<Record<string, number>>;
  /** Longest goodwill right, or extension, in days an agent may grant; perpetual ones need a lead. */
  readonly agentMaxGoodwillDays: number;
}

export const DEFAULT_SUPPORT_POLICY: SupportPolicy = {
  agentRefundLimits: { NOK: 100_000, SEK: 100_000, DKK: 75_000, EUR: 10_000, USD: 10_000, GBP: 10_000 },
  agentMaxGoodwillDays: 31,
};

export const SUPPORT_POLICY = Symbol.for('tessera.SupportPolicy');

/** A support action's reason: said in words, kept with the events it caused. */
export const SupportReasonSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty: say why you are doing this')
  .max(500, 'must be at most 500 characters');

/** True when the staff member holds `role` (a lead holds every agent power). */
export function holds(staff: StaffPrincipal, role: StaffRole): boolean {
  if (staff.roles.includes(role)) return true;
  return role === 'support-agent' && staff.roles.includes('support-lead');
}

/** Throws DomainError('forbidden', 'support_role_required') unless the staff member holds `role`. */
export function requireRole(staff: StaffPrincipal, role: StaffRole, what = 'this'): void {
  if (!holds(staff, role)) {
    throw new DomainError('forbidden', 'support_role_required', `Only a ${role} may do ${what}.`);
  }
}

/** The trimmed reason, or DomainError('invalid', 'reason_required') naming the field `reason`. */
export function requireReason(reason: unknown): string {
  const parsed = SupportReasonSchema.safeParse(reason);
  if (!parsed.success) {
    throw new DomainError(
      'invalid',
      'reason_required',
      `reason: ${parsed.error.issues[0]?.message ?? 'required'}.`,
      'reason',
    );
  }
  return parsed.data;
}

/** The command context of a support action: the agent as actor, the reason in the metadata. */
export function supportContext(staff: StaffPrincipal, reason: string, correlationId: string): CommandContext {
  return { actor: { kind: 'support', id: staff.sub }, correlationId, reason };
}

/** Refuses an agent's refund above the policy's limit for its currency. */
export function checkRefundLimit(staff: StaffPrincipal, policy: SupportPolicy, amount: Money): void {
  if (holds(staff, 'support-lead')) return;
  const limit = policy.agentRefundLimits[amount.currency];
  if (limit === undefined || amount.amount > limit) {
    throw new DomainError(
      'forbidden',
      'support_lead_required',
      `A refund of this size${limit === undefined ? ' in this currency' : ''} needs a support lead.`,
    );
  }
}

/** Refuses an agent's grant or extension reaching further than the policy allows (from `from`). */
export function checkGoodwillLimit(
  staff: StaffPrincipal,
  policy: SupportPolicy,
  from: Date,
  until: string | null,
): void {
  if (holds(staff, 'support-lead')) return;
  const days = until === null ? Infinity : (Date.parse(until) - from.getTime()) / 86_400_000;
  if (!(days <= policy.agentMaxGoodwillDays)) {
    throw new DomainError(
      'forbidden',
      'support_lead_required',
      `Goodwill beyond ${policy.agentMaxGoodwillDays} days (or without an end) needs a support lead.`,
    );
  }
}
