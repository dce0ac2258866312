import { userDecider } from '../../../domain/user/decider.js';
import {
  SignedIn,
  SignInLocked,
  SignInUnlocked,
  UserErased,
  UserRegistered,
} from '../../../domain/user/events.js';
import { deciderSpec } from '../../support/decider-spec.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const user = deciderSpec(userDecider, { now: NOW });
const userId = '0194f0c2-7a4e-7c3b-9d2e-1a2b3c4d5e6f';
const registered = UserRegistered({
  userId,
  via: 'phone',
  identifier: 'v1.key.iva.cta.tag',
  identifierHash: 'a'.repeat(43),
});
const bySms = { type: 'RecordSignIn', method: 'sms', withPassword: false, clientId: 'client-1' } as const;

describe('User decider: recording sign-ins', () => {
  it('records a completed sign-in with its method, password flag and client', () => {
    user
      .given([registered])
      .when(bySms)
      .then([SignedIn({ userId, method: 'sms', withPassword: false, clientId: 'client-1' })]);
    user
      .given([registered])
      .when({ type: 'RecordSignIn', method: 'email', withPassword: true, clientId: null })
      .then([SignedIn({ userId, method: 'email', withPassword: true, clientId: null })]);
  });

  it('records every sign-in, also repeated ones (each is a separate fact)', () => {
    const once = SignedIn({ userId, method: 'sms', withPassword: false, clientId: 'client-1' });
    user.given([registered, once]).when(bySms).then([once]);
  });

  it('refuses while sign-in is locked, and records again once the lock ended or was lifted', () => {
    const locked = SignInLocked({ userId, reason: 'support', until: null });
    user.given([registered, locked]).when(bySms).thenThrows('sign_in_locked', 'conflict');
    const lapsed = SignInLocked({
      userId,
      reason: 'too_many_wrong_codes',
      until: '2025-12-31T23:00:00.000Z',
    });
    user
      .given([registered, lapsed])
      .when(bySms)
      .then([SignedIn({ userId, method: 'sms', withPassword: false, clientId: 'client-1' })]);
    user
      .given([registered, locked, SignInUnlocked({ userId, reason: 'support' })])
      .when(bySms)
      .then([SignedIn({ userId, method: 'sms', withPassword: false, clientId: 'client-1' })]);
  });

  it('refuses for an erased or unknown account', () => {
    user
      .given([registered, UserErased({ userId })])
      .when(bySms)
      .thenThrows('user_erased', 'not_found');
    user.given([]).when(bySms).thenThrows('user_not_found', 'not_found');
  });

  it('refuses a client id that is not one', () => {
    user
      .given([registered])
      .when({ ...bySms, clientId: 'x'.repeat(201) })
      .thenThrows('invalid_client_id', 'invalid');
  });
});
