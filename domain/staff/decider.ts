import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type { StaffCommand } from './commands.js';
import {
  ProviderAccessGranted,
  ProviderAccessRevoked,
  type StaffEvent,
  StaffRoleGranted,
  StaffRoleRevoked,
} from './events.js';
import {
  GrantedBySchema,
  ProviderIdSchema,
  StaffReasonSchema,
  type StaffRoleName,
  StaffRoleSchema,
  StaffSubSchema,
} from './values.js';

/** What an account holds: its platform roles and the providers whose reports it may read. */
export interface StaffState {
  readonly roles: readonly StaffRoleName[];
  readonly providerIds: readonly string[];
}

const without = <T>(list: readonly T[], value: T): T[] => list.filter((v) => v !== value);

/** Checks what every change carries: the account, who acts, and a reason. */
function checkChange(command: StaffCommand) {
  const sub = ensureValid(StaffSubSchema, command.sub, 'sub', 'invalid_sub');
  const by = ensureValid(GrantedBySchema, command.by, 'by', 'invalid_actor');
  const reason = ensureValid(StaffReasonSchema, command.reason, 'reason', 'reason_required');
  return { sub, by, reason };
}

/**
 * Staff roles and provider access of one account. Granting what is already held changes nothing
 * (so a repeated grant is harmless and records nothing); taking away what is not held is refused,
 * since it most likely names the wrong account or role. Nobody grants to themselves: a staff member
 * widening their own access is the one change the audit trail must never show.
 */
export const staffDecider: Decider<StaffState, StaffCommand, StaffEvent> = {
  initialState: () => ({ roles: [], providerIds: [] }),

  evolve(state, event) {
    switch (event.type) {
      case 'StaffRoleGranted':
        return state.roles.includes(event.data.role)
          ? state
          : { ...state, roles: [...state.roles, event.data.role] };
      case 'StaffRoleRevoked':
        return { ...state, roles: without(state.roles, event.data.role) };
      case 'ProviderAccessGranted':
        return state.providerIds.includes(event.data.providerId)
          ? state
          : { ...state, providerIds: [...state.providerIds, event.data.providerId] };
      case 'ProviderAccessRevoked':
        return { ...state, providerIds: without(state.providerIds, event.data.providerId) };
    }
  },

  decide(command, state) {
    const change = checkChange(command);
    switch (command.type) {
      case 'GrantStaffRole': {
        const role = ensureValid(StaffRoleSchema, command.role, 'role', 'invalid_role');
        if (change.by === change.sub) {
          throw new DomainError('forbidden', 'self_grant', 'Nobody may grant staff roles to themselves.');
        }
        return state.roles.includes(role) ? [] : [StaffRoleGranted({ ...change, role })];
      }
      case 'RevokeStaffRole': {
        const role = ensureValid(StaffRoleSchema, command.role, 'role', 'invalid_role');
        if (!state.roles.includes(role)) {
          throw new DomainError(
            'conflict',
            'role_not_held',
            `The account does not hold the role ${role}.`,
            'role',
          );
        }
        return [StaffRoleRevoked({ ...change, role })];
      }
      case 'GrantProviderAccess': {
        const providerId = ensureValid(
          ProviderIdSchema,
          command.providerId,
          'providerId',
          'invalid_provider_id',
        );
        if (change.by === change.sub) {
          throw new DomainError('forbidden', 'self_grant', 'Nobody may grant provider access to themselves.');
        }
        return state.providerIds.includes(providerId)
          ? []
          : [ProviderAccessGranted({ ...change, providerId })];
      }
      case 'RevokeProviderAccess': {
        const providerId = ensureValid(
          ProviderIdSchema,
          command.providerId,
          'providerId',
          'invalid_provider_id',
        );
        if (!state.providerIds.includes(providerId)) {
          throw new DomainError(
            'conflict',
            'provider_access_not_held',
            'The account has no access to this provider.',
            'providerId',
          );
        }
        return [ProviderAccessRevoked({ ...change, providerId })];
      }
    }
  },
};
