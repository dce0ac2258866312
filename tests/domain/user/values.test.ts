import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import {
  LocaleSchema,
  lookupForm,
  normaliseEmail,
  normalisePhone,
  PasswordHashSchema,
} from '../../../domain/user/values.js';

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof DomainError ? err.code : 'not a DomainError';
  }
  return undefined;
}

describe('User values', () => {
  it('normalises phones to E.164, reading national formats with the default country', () => {
    expect(normalisePhone('+47 412 34 567')).to.equal('+4741234567');
    expect(normalisePhone('0047 41234567')).to.equal('+4741234567');
    expect(normalisePhone('412 34 567', 'NO')).to.equal('+4741234567');
    expect(normalisePhone(' 41-23-45-67 ', 'NO')).to.equal('+4741234567');
    expect(normalisePhone('07911 123456', 'GB')).to.equal('+447911123456');
    expect(normalisePhone('+44 7911 123456', 'NO')).to.equal('+447911123456');
  });

  it('refuses what is not a valid phone number', () => {
    for (const bad of ['', '12', '412 34 567', '+47 123', 'call me', '+4741234567'.repeat(5)]) {
      expect(
        code(() => normalisePhone(bad)),
        bad,
      ).to.equal('invalid_phone');
    }
    expect(code(() => normalisePhone('12345', 'NO'))).to.equal('invalid_phone');
  });

  it('normalises emails: trimmed, domain lower-cased, local part kept', () => {
    expect(normaliseEmail('  Kari.Nordmann@Example.NO ')).to.equal('Kari.Nordmann@example.no');
    expect(lookupForm('email', 'Kari.Nordmann@example.no')).to.equal('kari.nordmann@example.no');
    expect(lookupForm('phone', '+4741234567')).to.equal('+4741234567');
    for (const bad of [
      '',
      'kari',
      'kari@',
      '@example.no',
      'ka ri@example.no',
      `${'k'.repeat(65)}@example.no`,
    ]) {
      expect(
        code(() => normaliseEmail(bad)),
        bad,
      ).to.equal('invalid_email');
    }
  });

  it('canonicalises locales and accepts only argon2id hashes', () => {
    expect(LocaleSchema.parse('nb-no')).to.equal('nb-NO');
    expect(LocaleSchema.safeParse('no such locale').success).to.equal(false);
    expect(PasswordHashSchema.safeParse('$argon2id$v=19$m=19456,t=2,p=1$abc$def').success).to.equal(true);
    expect(PasswordHashSchema.safeParse('$2b$10$abcdefghijklmnopqrstuv').success).to.equal(false);
  });
});
