import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import {
  IdentifierError,
  type IdentifierProblem,
  maskIdentifier,
  parseIdentifier,
} from '../../../application/signin/identifier.js';

function refusal(input: string, field?: string): IdentifierError {
  try {
    parseIdentifier(input, 'NO', field);
  } catch (err) {
    expect(err).to.be.instanceOf(IdentifierError);
    return err as IdentifierError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseIdentifier', () => {
  describe('phone numbers', () => {
    it('reads national numbers in the default country and returns E.164', () => {
      expect(parseIdentifier('412 34 567', 'NO')).to.deep.equal({ kind: 'phone', value: '+4741234567' });
      expect(parseIdentifier('  41234567 ', 'NO')).to.deep.equal({ kind: 'phone', value: '+4741234567' });
      expect(parseIdentifier('070-123 45 67', 'SE')).to.deep.equal({ kind: 'phone', value: '+46701234567' });
    });

    it('reads international forms whatever the default country', () => {
      expect(parseIdentifier('+47 412 34 567', 'SE').value).to.equal('+4741234567');
      expect(parseIdentifier('0047 412 34 567', 'NO').value).to.equal('+4741234567');
      expect(parseIdentifier('+1 (202) 555-0143', 'NO').value).to.equal('+12025550143');
    });

    it('refuses numbers that cannot receive text messages', () => {
      for (const input of ['22 12 34 56', '+47 22 12 34 56', '800 12 345']) {
        expect(refusal(input).problem, input).to.equal('not_mobile' satisfies IdentifierProblem);
      }
      expect(refusal('22 12 34 56').message).to.match(/cannot receive text messages/);
    });

    it('refuses invalid numbers and text around digits', () => {
      for (const input of ['+47 412 34', '12', '+999 1234567', 'call 412 34 567 now', '41234567x']) {
        expect(refusal(input).problem, input).to.equal('invalid_phone');
      }
    });
  });

  describe('email addresses', () => {
    it('trims and lower-cases the domain but keeps the local part as typed', () => {
      expect(parseIdentifier('  Kari.Nordmann+tv@Example.NO ', 'NO')).to.deep.equal({
        kind: 'email',
        value: 'Kari.Nordmann+tv@example.no',
      });
      expect(parseIdentifier('ola@sub.Example.com.', 'NO').value).to.equal('ola@sub.example.com');
      expect(parseIdentifier('bjørn@blåbær.no', 'NO').value).to.equal('bjørn@blåbær.no');
    });

    it('refuses malformed addresses', () => {
      for (const input of [
        '@example.com',
        'kari@',
        'kari@localhost',
        'kari@@example.com',
        'kari@exa mple.com',
        'ka ri@example.com',
        '.kari@example.com',
        'ka..ri@example.com',
        'kari@-example.com',
        'kari@example.c0m',
        `${'a'.repeat(65)}@example.com`,
        `kari@${'a'.repeat(64)}.com`,
      ]) {
        expect(refusal(input).problem, input).to.equal('invalid_email');
      }
    });
  });

  it('refuses empty input with a message and names the field', () => {
    const error = refusal('   ', 'login');
    expect(error.problem).to.equal('empty');
    expect(error).to.be.instanceOf(DomainError);
    expect(error.kind).to.equal('invalid');
    expect(error.code).to.equal('invalid_identifier');
    expect(error.field).to.equal('login');
    expect(refusal('nope').field).to.equal('identifier');
  });

  it('masks identifiers for logs', () => {
    expect(maskIdentifier({ kind: 'phone', value: '+4741234567' })).to.equal('+47*****567');
    expect(maskIdentifier({ kind: 'email', value: 'kari@example.no' })).to.equal('k***@example.no');
  });
});
