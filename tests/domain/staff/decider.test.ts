import { expect } from 'chai';
import { staffDecider } from '../../../domain/staff/decider.js';
import {
  ProviderAccessGranted,
  ProviderAccessRevoked,
  StaffRoleGranted,
  StaffRoleRevoked,
} from '../../../domain/staff/events.js';
import { deciderSpec } from '../../support/decider-spec.js';

const staff = deciderSpec(staffDecider);
const sub = '0190a000-0000-7000-8000-000000000001';
const lead = '0190a000-0000-7000-8000-000000000002';
const provider = '0190a000-0000-7000-8000-0000000000aa';
const other = '0190a000-0000-7000-8000-0000000000bb';
const by = 'operator';
const reason = 'joins the support team';

const agentGranted = StaffRoleGranted({ sub, role: 'support-agent', by, reason });
const accessGranted = ProviderAccessGranted({ sub, providerId: provider, by, reason });

describe('Staff decider', () => {
  describe('roles', () => {
    it('grants a role to an account that holds none', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'support-agent', by, reason })
        .then([agentGranted]);
    });

    it('records a staff member as the one who granted, and trims the reason', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'auditor', by: lead, reason: '  audit 2026  ' })
        .then([StaffRoleGranted({ sub, role: 'auditor', by: lead, reason: 'audit 2026' })]);
    });

    it('grants a second, different role alongside the first', () => {
      const state = staff
        .given([agentGranted])
        .when({ type: 'GrantStaffRole', sub, role: 'support-lead', by, reason })
        .thenState();
      expect(state.roles).to.deep.equal(['support-agent', 'support-lead']);
    });

    it('treats granting a role already held as a no-op: nothing is recorded', () => {
      staff
        .given([agentGranted])
        .when({ type: 'GrantStaffRole', sub, role: 'support-agent', by, reason })
        .then([]);
    });

    it('grants a role again after it was revoked', () => {
      const revoked = StaffRoleRevoked({ sub, role: 'support-agent', by, reason: 'left' });
      staff
        .given([agentGranted, revoked])
        .when({ type: 'GrantStaffRole', sub, role: 'support-agent', by, reason })
        .then([agentGranted]);
    });

    it('revokes a role that is held, leaving the others', () => {
      const lead = StaffRoleGranted({ sub, role: 'support-lead', by, reason });
      const when = { type: 'RevokeStaffRole', sub, role: 'support-agent', by, reason: 'promoted' } as const;
      staff
        .given([agentGranted, lead])
        .when(when)
        .then([StaffRoleRevoked({ sub, role: 'support-agent', by, reason: 'promoted' })]);
      expect(staff.given([agentGranted, lead]).when(when).thenState().roles).to.deep.equal(['support-lead']);
    });

    it('refuses to revoke a role that is not held', () => {
      staff
        .given([])
        .when({ type: 'RevokeStaffRole', sub, role: 'auditor', by, reason })
        .thenThrows('role_not_held', 'conflict');
      staff
        .given([agentGranted])
        .when({ type: 'RevokeStaffRole', sub, role: 'auditor', by, reason })
        .thenThrows('role_not_held', 'conflict');
    });

    it('refuses an unknown role', () => {
      const error = staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'admin', by, reason })
        .thenThrows('invalid_role', 'invalid');
      expect(error.field).to.equal('role');
      staff
        .given([agentGranted])
        .when({ type: 'RevokeStaffRole', sub, role: 'root', by, reason })
        .thenThrows('invalid_role');
    });

    it('refuses a grant or a revocation without a reason', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'auditor', by, reason: '   ' })
        .thenThrows('reason_required', 'invalid');
      staff
        .given([agentGranted])
        .when({ type: 'RevokeStaffRole', sub, role: 'support-agent', by, reason: '' })
        .thenThrows('reason_required');
    });

    it('refuses a grant by anyone but the operator or a staff sub', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'auditor', by: 'mallory', reason })
        .thenThrows('invalid_actor', 'invalid');
    });

    it('refuses an account id that is not a sub', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub: 'alice', role: 'auditor', by, reason })
        .thenThrows('invalid_sub', 'invalid');
    });

    it('refuses self-grants', () => {
      staff
        .given([])
        .when({ type: 'GrantStaffRole', sub, role: 'support-lead', by: sub, reason })
        .thenThrows('self_grant', 'forbidden');
    });
  });

  describe('provider access', () => {
    it('grants access to a provider', () => {
      staff
        .given([])
        .when({ type: 'GrantProviderAccess', sub, providerId: provider, by, reason })
        .then([accessGranted]);
    });

    it('treats granting access already held as a no-op', () => {
      staff
        .given([accessGranted])
        .when({ type: 'GrantProviderAccess', sub, providerId: provider, by, reason })
        .then([]);
    });

    it('keeps access to several providers apart', () => {
      const state = staff
        .given([accessGranted])
        .when({ type: 'GrantProviderAccess', sub, providerId: other, by, reason })
        .thenState();
      expect(state.providerIds).to.deep.equal([provider, other]);
      expect(state.roles).to.deep.equal([]);
    });

    it('revokes access that is held', () => {
      staff
        .given([accessGranted])
        .when({ type: 'RevokeProviderAccess', sub, providerId: provider, by, reason: 'contract ended' })
        .then([ProviderAccessRevoked({ sub, providerId: provider, by, reason: 'contract ended' })]);
    });

    it('refuses to revoke access that is not held', () => {
      staff
        .given([accessGranted])
        .when({ type: 'RevokeProviderAccess', sub, providerId: other, by, reason })
        .thenThrows('provider_access_not_held', 'conflict');
    });

    it('refuses a provider id that is not a UUID, a missing reason and self-grants', () => {
      staff
        .given([])
        .when({ type: 'GrantProviderAccess', sub, providerId: 'acme', by, reason })
        .thenThrows('invalid_provider_id');
      staff
        .given([])
        .when({ type: 'GrantProviderAccess', sub, providerId: provider, by, reason: '' })
        .thenThrows('reason_required');
      staff
        .given([])
        .when({ type: 'GrantProviderAccess', sub, providerId: provider, by: sub, reason })
        .thenThrows('self_grant', 'forbidden');
    });
  });
});
