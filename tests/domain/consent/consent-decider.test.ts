import { expect } from 'chai';
import type { GrantConsent } from '../../../domain/consent/commands.js';
import { consentDecider, consentStreamId } from '../../../domain/consent/decider.js';
import {
  ConsentDenied,
  consentEvents,
  ConsentGranted,
  ConsentRevoked,
  ConsentScopesAdded,
} from '../../../domain/consent/events.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { deciderSpec } from '../../support/decider-spec.js';

const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const clientId = '0190f3c2-7a1b-7c3d-8e4f-0000000000c1';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const otherUser = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';

const consent = deciderSpec(consentDecider);

const grant = (scopes: string[], claims?: string[]): GrantConsent => ({
  type: 'GrantConsent',
  sub,
  clientId,
  providerId,
  scopes,
  ...(claims ? { claims } : {}),
});

const granted = ConsentGranted({ sub, clientId, providerId, scopes: ['openid', 'phone'] });
const revokedByUser = ConsentRevoked({ sub, clientId, by: 'user' });

describe('Consent decider', () => {
  it('names one stream per user and client', () => {
    expect(consentStreamId(sub, clientId)).to.equal(`consent-${sub}-${clientId}`);
  });

  describe('GrantConsent', () => {
    it('records a first consent with the scopes and claims allowed, each once', () => {
      consent
        .given([])
        .when(grant(['openid', 'phone', 'openid'], ['email_verified']))
        .then([
          ConsentGranted({
            sub,
            clientId,
            providerId,
            scopes: ['openid', 'phone'],
            claims: ['email_verified'],
          }),
        ]);
    });

    it('records nothing when everything asked for is already granted', () => {
      consent
        .given([granted])
        .when(grant(['phone', 'openid']))
        .then([]);
      consent
        .given([granted])
        .when(grant(['openid']))
        .then([]);
    });

    it('records only the additions when a consented client asks for more', () => {
      consent
        .given([granted])
        .when(grant(['openid', 'phone', 'email'], ['name']))
        .then([ConsentScopesAdded({ sub, clientId, scopes: ['email'], claims: ['name'] })]);
      const state = consent
        .given([granted])
        .when(grant(['email']))
        .thenState();
      expect(state).to.deep.include({ status: 'active', scopes: ['openid', 'phone', 'email'] });
    });

    it('records a new grant (not an addition) after a revocation, holding only what is now allowed', () => {
      consent
        .given([granted, revokedByUser])
        .when(grant(['openid']))
        .then([ConsentGranted({ sub, clientId, providerId, scopes: ['openid'] })]);
    });

    it('records a new grant after a denial', () => {
      const denied = ConsentDenied({ sub, clientId, providerId, scopes: ['openid', 'email'] });
      consent
        .given([denied])
        .when(grant(['openid']))
        .then([ConsentGranted({ sub, clientId, providerId, scopes: ['openid'] })]);
    });

    it('refuses a first consent that allows nothing', () => {
      consent.given([]).when(grant([])).thenThrows('no_scopes', 'invalid');
    });

    it('refuses malformed scopes and ids', () => {
      consent
        .given([])
        .when(grant(['open id']))
        .thenThrows('invalid_scope', 'invalid');
      consent
        .given([])
        .when({ ...grant(['openid']), clientId: 'not-a-uuid' })
        .thenThrows('invalid_client_id', 'invalid');
    });

    it("refuses a command naming another user than the stream's", () => {
      consent
        .given([granted])
        .when({ ...grant(['email']), sub: otherUser })
        .thenThrows('consent_parties_mismatch', 'conflict');
    });
  });

  describe('DenyConsent', () => {
    const deny = { type: 'DenyConsent', sub, clientId, providerId, scopes: ['openid', 'email'] } as const;

    it('records the denial of a client never consented to', () => {
      consent
        .given([])
        .when(deny)
        .then([ConsentDenied({ sub, clientId, providerId, scopes: ['openid', 'email'] })]);
      expect(consent.given([]).when(deny).thenState()).to.deep.include({ status: 'denied' });
    });

    it('records every denial, and leaves an active consent as it was', () => {
      consent
        .given([granted])
        .when(deny)
        .then([ConsentDenied({ sub, clientId, providerId, scopes: ['openid', 'email'] })]);
      expect(consent.given([granted]).when(deny).thenState()).to.deep.include({
        status: 'active',
        scopes: ['openid', 'phone'],
      });
    });
  });

  describe('RevokeConsent', () => {
    it('revokes an active consent, saying who did it and why', () => {
      consent
        .given([granted])
        .when({ type: 'RevokeConsent', by: 'support', reason: ' asked by phone ' })
        .then([ConsentRevoked({ sub, clientId, by: 'support', reason: 'asked by phone' })]);
      const state = consent.given([granted]).when({ type: 'RevokeConsent', by: 'user' }).thenState();
      expect(state).to.deep.include({ status: 'revoked' });
      expect(state).to.not.have.property('scopes');
    });

    it('records nothing for a consent that is not active', () => {
      const revoke = { type: 'RevokeConsent', by: 'user' } as const;
      consent.given([]).when(revoke).then([]);
      consent.given([granted, revokedByUser]).when(revoke).then([]);
      consent
        .given([ConsentDenied({ sub, clientId, providerId, scopes: ['openid'] })])
        .when(revoke)
        .then([]);
    });

    it('refuses an unknown revoker', () => {
      consent
        .given([granted])
        .when({ type: 'RevokeConsent', by: 'client' as 'user' })
        .thenThrows('invalid_revoked_by', 'invalid');
    });
  });

  it('registers its events with schemas that accept what the decider writes', () => {
    const registry = new EventRegistry(consentEvents);
    for (const e of [granted, revokedByUser, ConsentScopesAdded({ sub, clientId, scopes: ['email'] })]) {
      expect(registry.decode(e.type, 1, registry.encode(e.type, e.data).data)).to.deep.equal(e.data);
    }
    expect(() => registry.encode('ConsentGranted', { ...granted.data, scopes: [] })).to.throw(/scopes/);
  });
});
