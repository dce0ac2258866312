import { expect } from 'chai';
import {
  addMoney,
  applyBasisPoints,
  currencyExponent,
  formatMoney,
  MoneySchema,
  parseMoney,
  vatIncludedIn,
} from '../../../domain/shared/money.js';

describe('Money', () => {
  it('knows exponents 0, 2 and 3', () => {
    expect(currencyExponent('JPY')).to.equal(0);
    expect(currencyExponent('KRW')).to.equal(0);
    expect(currencyExponent('NOK')).to.equal(2);
    expect(currencyExponent('KWD')).to.equal(3);
    expect(currencyExponent('BHD')).to.equal(3);
    expect(() => currencyExponent('XXX')).to.throw(RangeError);
  });

  it('accepts only integer minor units and supported currencies', () => {
    expect(MoneySchema.safeParse({ amount: 4900, currency: 'NOK' }).success).to.equal(true);
    expect(MoneySchema.safeParse({ amount: 49.5, currency: 'NOK' }).success).to.equal(false);
    expect(MoneySchema.safeParse({ amount: 4900, currency: 'nok' }).success).to.equal(false);
    expect(MoneySchema.safeParse({ amount: 4900, currency: 'ZZZ' }).success).to.equal(false);
    expect(MoneySchema.safeParse({ amount: 2 ** 53, currency: 'NOK' }).success).to.equal(false);
  });

  it('parses decimal text exactly and refuses extra decimals', () => {
    expect(parseMoney('49.00', 'NOK')).to.deep.equal({ amount: 4900, currency: 'NOK' });
    expect(parseMoney('0.1', 'NOK')).to.deep.equal({ amount: 10, currency: 'NOK' });
    expect(parseMoney('1.25', 'KWD')).to.deep.equal({ amount: 1250, currency: 'KWD' });
    expect(parseMoney('-3', 'JPY')).to.deep.equal({ amount: -3, currency: 'JPY' });
    expect(() => parseMoney('1.5', 'JPY')).to.throw(RangeError);
    expect(() => parseMoney('1.005', 'NOK')).to.throw(RangeError);
    expect(() => parseMoney('1e3', 'NOK')).to.throw(RangeError);
  });

  it('formats with the currency exponent', () => {
    expect(formatMoney({ amount: 4900, currency: 'NOK' })).to.equal('49.00 NOK');
    expect(formatMoney({ amount: 5, currency: 'NOK' })).to.equal('0.05 NOK');
    expect(formatMoney({ amount: -1250, currency: 'KWD' })).to.equal('-1.250 KWD');
    expect(formatMoney({ amount: 4900, currency: 'JPY' })).to.equal('4900 JPY');
  });

  it('formats for reports: the code first, thousands grouped, a true minus sign', () => {
    expect(formatMoney({ amount: 1234567, currency: 'NOK' }, 'report')).to.equal('NOK 12\u202f345.67');
    expect(formatMoney({ amount: -5, currency: 'NOK' }, 'report')).to.equal('NOK \u22120.05');
    expect(formatMoney({ amount: 1234567, currency: 'JPY' }, 'report')).to.equal('JPY 1\u202f234\u202f567');
    expect(formatMoney({ amount: 999, currency: 'KWD' }, 'report')).to.equal('KWD 0.999');
  });

  it('adds only the same currency', () => {
    expect(addMoney({ amount: 1, currency: 'EUR' }, { amount: 2, currency: 'EUR' })).to.deep.equal({
      amount: 3,
      currency: 'EUR',
    });
    expect(() => addMoney({ amount: 1, currency: 'EUR' }, { amount: 2, currency: 'USD' })).to.throw(
      RangeError,
    );
  });

  it('applies basis points rounding half-up once', () => {
    expect(applyBasisPoints({ amount: 4900, currency: 'NOK' }, 2500).amount).to.equal(1225);
    expect(applyBasisPoints({ amount: 2, currency: 'NOK' }, 2500).amount).to.equal(1); // 0.5 → 1
    expect(applyBasisPoints({ amount: -2, currency: 'NOK' }, 2500).amount).to.equal(-1);
    expect(applyBasisPoints({ amount: 1, currency: 'NOK' }, 4999).amount).to.equal(0);
  });

  it('extracts the VAT contained in a gross price', () => {
    expect(vatIncludedIn({ amount: 4900, currency: 'NOK' }, 2500).amount).to.equal(980);
    expect(vatIncludedIn({ amount: 12900, currency: 'NOK' }, 2500).amount).to.equal(2580);
    expect(vatIncludedIn({ amount: 100, currency: 'NOK' }, 0).amount).to.equal(0);
    expect(vatIncludedIn({ amount: 9_007_199_254_740_991, currency: 'NOK' }, 2500).amount).to.equal(
      1_801_439_850_948_198,
    );
  });
});
