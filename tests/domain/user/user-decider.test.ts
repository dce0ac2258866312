import { expect } from 'chai';
import type { SealedIdentifier } from '../../../domain/user/commands.js';
import { userDecider } from '../../../domain/user/decider.js';
import {
  EmailAdded,
  EmailRemoved,
  EmailVerified,
  PasswordRemoved,
  PasswordSet,
  PhoneAdded,
  PhoneRemoved,
  PhoneVerified,
  PrimaryEmailChanged,
  PrimaryPhoneChanged,
  ProfileChanged,
  SignInLocked,
  SignInUnlocked,
  type UserEvent,
  UserErased,
  UserRegistered,
} from '../../../domain/user/events.js';
import { heldReservationKeys, isSignInLocked } from '../../../domain/user/state.js';
import { deciderSpec } from '../../support/decider-spec.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const user = deciderSpec(userDecider, { now: NOW });
const userId = '0194f0c2-7a4e-7c3b-9d2e-1a2b3c4d5e6f';
const hash = (c: string) => c.repeat(43);
const sealed = (n: string) => `v1.key.iv${n}.ct${n}.tag`;
const P1 = hash('a');
const P2 = hash('b');
const E1 = hash('c');
const E2 = hash('d');
const phone = (h: string, s = sealed(h[0]!)): SealedIdentifier => ({ kind: 'phone', sealed: s, hash: h });
const email = (h: string, s = sealed(h[0]!)): SealedIdentifier => ({ kind: 'email', sealed: s, hash: h });
const ARGON = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

const registered = UserRegistered({ userId, via: 'phone', identifier: sealed('a'), identifierHash: P1 });
const withEmail = [registered, EmailAdded({ userId, email: sealed('c'), emailHash: E1 })];
const withVerifiedEmail = [
  ...withEmail,
  EmailVerified({ userId, emailHash: E1 }),
  PrimaryEmailChanged({ userId, emailHash: E1, previousEmailHash: null }),
];
const withTwoPhones = [
  registered,
  PhoneAdded({ userId, phone: sealed('b'), phoneHash: P2 }),
  PhoneVerified({ userId, phoneHash: P2 }),
];
const erased = [registered, UserErased({ userId })];

describe('User decider', () => {
  describe('registration', () => {
    it('registers with a verified, primary identifier and an optional locale', () => {
      user
        .given([])
        .when({ type: 'RegisterUser', userId, identifier: email(E1), locale: 'nb-no' })
        .then([
          UserRegistered({
            userId,
            via: 'email',
            identifier: sealed('c'),
            identifierHash: E1,
            locale: 'nb-NO',
          }),
        ]);
      const state = user
        .given([])
        .when({ type: 'RegisterUser', userId, identifier: phone(P1) })
        .thenState();
      expect(state).to.deep.include({ status: 'active', primaryPhone: P1, primaryEmail: null });
      expect(heldReservationKeys(state)).to.deep.equal([`phone:${P1}`]);
    });

    it('refuses a second registration, bad identifiers and bad locales', () => {
      user
        .given([registered])
        .when({ type: 'RegisterUser', userId, identifier: phone(P1) })
        .thenThrows('user_exists', 'conflict');
      user
        .given([])
        .when({ type: 'RegisterUser', userId, identifier: phone('short') })
        .thenThrows('invalid_phone', 'invalid');
      user
        .given([])
        .when({ type: 'RegisterUser', userId, identifier: email(E1, 'clear text@example.com') })
        .thenThrows('invalid_email', 'invalid');
      user
        .given([])
        .when({ type: 'RegisterUser', userId, identifier: phone(P1), locale: 'not a locale!' })
        .thenThrows('invalid_locale');
    });

    it('refuses every other command before registration', () => {
      user
        .given([])
        .when({ type: 'AddIdentifier', identifier: phone(P2) })
        .thenThrows('user_not_found', 'not_found');
      user.given([]).when({ type: 'EraseUser' }).thenThrows('user_not_found');
    });
  });

  describe('phones and emails', () => {
    it('adds an identifier unverified', () => {
      user
        .given([registered])
        .when({ type: 'AddIdentifier', identifier: email(E1) })
        .then([withEmail[1]!]);
      const state = user
        .given([registered])
        .when({ type: 'AddIdentifier', identifier: email(E1) })
        .thenState();
      expect(heldReservationKeys(state)).to.deep.equal([`phone:${P1}`]);
    });

    it('refuses an identifier already on the account, and more than five of a kind', () => {
      user
        .given(withEmail)
        .when({ type: 'AddIdentifier', identifier: email(E1) })
        .thenThrows('email_exists', 'conflict');
      const many: UserEvent[] = [registered];
      for (const c of 'bcde') many.push(PhoneAdded({ userId, phone: sealed(c), phoneHash: hash(c) }));
      user
        .given(many)
        .when({ type: 'AddIdentifier', identifier: phone(hash('f')) })
        .thenThrows('too_many_phones', 'conflict');
    });

    it('verifies an identifier, making it primary when its kind has none', () => {
      user
        .given(withEmail)
        .when({ type: 'VerifyIdentifier', kind: 'email', hash: E1 })
        .then([
          EmailVerified({ userId, emailHash: E1 }),
          PrimaryEmailChanged({ userId, emailHash: E1, previousEmailHash: null }),
        ]);
      user
        .given([registered, PhoneAdded({ userId, phone: sealed('b'), phoneHash: P2 })])
        .when({ type: 'VerifyIdentifier', kind: 'phone', hash: P2 })
        .then([PhoneVerified({ userId, phoneHash: P2 })]);
    });

    it('treats verifying a verified identifier as done, and refuses unknown ones', () => {
      user.given(withVerifiedEmail).when({ type: 'VerifyIdentifier', kind: 'email', hash: E1 }).then([]);
      user
        .given([registered])
        .when({ type: 'VerifyIdentifier', kind: 'email', hash: E2 })
        .thenThrows('email_not_found', 'not_found');
    });

    it('removes an identifier; a verified one stops being held', () => {
      user
        .given(withEmail)
        .when({ type: 'RemoveIdentifier', kind: 'email', hash: E1 })
        .then([EmailRemoved({ userId, emailHash: E1 })]);
      const state = user
        .given(withVerifiedEmail)
        .when({ type: 'RemoveIdentifier', kind: 'email', hash: E1 })
        .thenState();
      expect(state).to.deep.include({ primaryEmail: null, emails: [] });
      expect(heldReservationKeys(state)).to.deep.equal([`phone:${P1}`]);
    });

    it('never removes the last verified identifier, even with unverified ones left', () => {
      user
        .given(withEmail)
        .when({ type: 'RemoveIdentifier', kind: 'phone', hash: P1 })
        .thenThrows('last_identifier', 'conflict');
      user
        .given(withVerifiedEmail)
        .when({ type: 'RemoveIdentifier', kind: 'phone', hash: P1 })
        .then([PhoneRemoved({ userId, phoneHash: P1 })]);
    });

    it('hands the primary role to another verified identifier of the kind when the primary goes', () => {
      user
        .given(withTwoPhones)
        .when({ type: 'RemoveIdentifier', kind: 'phone', hash: P1 })
        .then([
          PrimaryPhoneChanged({ userId, phoneHash: P2, previousPhoneHash: P1 }),
          PhoneRemoved({ userId, phoneHash: P1 }),
        ]);
    });

    it('makes a verified identifier primary; never an unverified one', () => {
      user
        .given(withTwoPhones)
        .when({ type: 'MakeIdentifierPrimary', kind: 'phone', hash: P2 })
        .then([PrimaryPhoneChanged({ userId, phoneHash: P2, previousPhoneHash: P1 })]);
      user.given(withTwoPhones).when({ type: 'MakeIdentifierPrimary', kind: 'phone', hash: P1 }).then([]);
      user
        .given(withEmail)
        .when({ type: 'MakeIdentifierPrimary', kind: 'email', hash: E1 })
        .thenThrows('email_not_verified', 'conflict');
      user
        .given(withEmail)
        .when({ type: 'MakeIdentifierPrimary', kind: 'email', hash: E2 })
        .thenThrows('email_not_found');
    });
  });

  describe('profile', () => {
    it('changes only what is given, and ignores no-op changes', () => {
      user
        .given([registered])
        .when({ type: 'ChangeProfile', name: sealed('n'), locale: 'en-gb' })
        .then([ProfileChanged({ userId, name: sealed('n'), locale: 'en-GB' })]);
      const named = [registered, ProfileChanged({ userId, name: sealed('n'), locale: 'nb' })];
      user.given(named).when({ type: 'ChangeProfile', locale: 'nb' }).then([]);
      user
        .given(named)
        .when({ type: 'ChangeProfile', locale: null })
        .then([ProfileChanged({ userId, locale: null })]);
      user
        .given(named)
        .when({ type: 'ChangeProfile', name: null })
        .then([ProfileChanged({ userId, name: null })]);
      user.given([registered]).when({ type: 'ChangeProfile', name: null }).then([]);
      user.given([registered]).when({ type: 'ChangeProfile' }).then([]);
    });

    it('refuses a name that is not sealed and a bad locale', () => {
      user
        .given([registered])
        .when({ type: 'ChangeProfile', name: 'Kari Nordmann' })
        .thenThrows('invalid_name', 'invalid');
      user
        .given([registered])
        .when({ type: 'ChangeProfile', locale: 'en_GB!!' })
        .thenThrows('invalid_locale', 'invalid');
    });
  });

  describe('password', () => {
    it('sets and removes an argon2id hash; removing none is a no-op', () => {
      user
        .given([registered])
        .when({ type: 'SetPassword', passwordHash: ARGON })
        .then([PasswordSet({ userId, passwordHash: ARGON })]);
      user
        .given([registered, PasswordSet({ userId, passwordHash: ARGON })])
        .when({ type: 'RemovePassword' })
        .then([PasswordRemoved({ userId })]);
      user.given([registered]).when({ type: 'RemovePassword' }).then([]);
    });

    it('refuses anything but an argon2id PHC string', () => {
      user
        .given([registered])
        .when({ type: 'SetPassword', passwordHash: 'hunter22' })
        .thenThrows('invalid_password_hash', 'invalid');
      user
        .given([registered])
        .when({ type: 'SetPassword', passwordHash: ARGON.replace('argon2id', 'argon2i') })
        .thenThrows('invalid_password_hash');
    });
  });

  describe('sign-in locks', () => {
    const until = '2026-01-01T00:15:00.000Z';
    const locked = [registered, SignInLocked({ userId, reason: 'too_many_attempts', until })];

    it('locks until a future instant or indefinitely', () => {
      user
        .given([registered])
        .when({ type: 'LockSignIn', reason: 'too_many_attempts', until: '2026-01-01T01:15:00+01:00' })
        .then([SignInLocked({ userId, reason: 'too_many_attempts', until })]);
      const state = user
        .given([registered])
        .when({ type: 'LockSignIn', reason: 'support', until: null })
        .thenState();
      expect(isSignInLocked(state, new Date('2099-01-01T00:00:00Z'))).to.equal(true);
    });

    it('refuses a lock ending in the past or without a reason', () => {
      user
        .given([registered])
        .when({ type: 'LockSignIn', reason: 'x', until: NOW.toISOString() })
        .thenThrows('invalid_until', 'invalid');
      user
        .given([registered])
        .when({ type: 'LockSignIn', reason: 'x', until: 'soon' })
        .thenThrows('invalid_until');
      user
        .given([registered])
        .when({ type: 'LockSignIn', reason: '  ', until: null })
        .thenThrows('invalid_reason');
    });

    it('lets a lock lapse at its end and unlocks only a lock in force', () => {
      const state = user.given(locked).when({ type: 'ChangeProfile' }).thenState();
      expect(isSignInLocked(state, new Date('2026-01-01T00:14:59.999Z'))).to.equal(true);
      expect(isSignInLocked(state, new Date(until))).to.equal(false);
      user
        .given(locked)
        .when({ type: 'UnlockSignIn', reason: 'support' })
        .then([SignInUnlocked({ userId, reason: 'support' })]);
      user.given([registered]).when({ type: 'UnlockSignIn', reason: 'support' }).then([]);
      deciderSpec(userDecider, { now: new Date(until) })
        .given(locked)
        .when({ type: 'UnlockSignIn', reason: 'x' })
        .then([]);
    });
  });

  describe('erasure', () => {
    it('erases, releasing every verified identifier', () => {
      user
        .given(withVerifiedEmail)
        .when({ type: 'EraseUser', reason: 'asked by the user' })
        .then([UserErased({ userId, reason: 'asked by the user' })]);
      const before = user.given(withVerifiedEmail).when({ type: 'ChangeProfile' }).thenState();
      expect(heldReservationKeys(before)).to.deep.equal([`phone:${P1}`, `email:${E1}`]);
      const after = user.given(withVerifiedEmail).when({ type: 'EraseUser' }).thenState();
      expect(after).to.deep.equal({ status: 'erased', userId });
      expect(heldReservationKeys(after)).to.deep.equal([]);
    });

    it('refuses everything on an erased account, except a repeated erasure which changes nothing', () => {
      user.given(erased).when({ type: 'EraseUser' }).then([]);
      for (const command of [
        { type: 'AddIdentifier', identifier: phone(P2) },
        { type: 'VerifyIdentifier', kind: 'phone', hash: P1 },
        { type: 'RemoveIdentifier', kind: 'phone', hash: P1 },
        { type: 'MakeIdentifierPrimary', kind: 'phone', hash: P1 },
        { type: 'ChangeProfile', locale: 'nb' },
        { type: 'SetPassword', passwordHash: ARGON },
        { type: 'RemovePassword' },
        { type: 'LockSignIn', reason: 'x', until: null },
        { type: 'UnlockSignIn', reason: 'x' },
        { type: 'RegisterUser', userId, identifier: phone(P1) },
      ] as const) {
        const code = command.type === 'RegisterUser' ? 'user_exists' : 'user_erased';
        user.given(erased).when(command).thenThrows(code);
      }
    });
  });
});
