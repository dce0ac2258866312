import { expect } from 'chai';
import { addDuration, formatDuration, parseDuration } from '../../../domain/shared/iso8601.js';

describe('ISO 8601 durations', () => {
  it('parses whole-number durations', () => {
    expect(parseDuration('P1M')).to.include({ months: 1, days: 0 });
    expect(parseDuration('PT48H')).to.include({ hours: 48 });
    expect(parseDuration('P1Y2M3W4DT5H6M7S')).to.deep.equal({
      years: 1,
      months: 2,
      weeks: 3,
      days: 4,
      hours: 5,
      minutes: 6,
      seconds: 7,
    });
  });

  it('refuses empty, zero, fractional and malformed durations', () => {
    for (const text of ['', 'P', 'PT', 'P0D', 'PT0S', 'P1.5D', '1M', 'P1H', 'PT1D', 'p1m', 'P1M ', 'P-1D']) {
      expect(parseDuration(text), text).to.equal(null);
    }
  });

  it('adds months clamping to the end of the month', () => {
    expect(addDuration(new Date('2026-01-31T10:00:00Z'), parseDuration('P1M')!).toISOString()).to.equal(
      '2026-02-28T10:00:00.000Z',
    );
    expect(addDuration(new Date('2028-01-31T00:00:00Z'), parseDuration('P1M')!).toISOString()).to.equal(
      '2028-02-29T00:00:00.000Z',
    );
    expect(addDuration(new Date('2026-12-15T00:00:00Z'), parseDuration('P1Y1M')!).toISOString()).to.equal(
      '2028-01-15T00:00:00.000Z',
    );
  });

  it('adds days, weeks and time', () => {
    expect(addDuration(new Date('2026-03-01T00:00:00Z'), parseDuration('P2W1DT12H')!).toISOString()).to.equal(
      '2026-03-16T12:00:00.000Z',
    );
    expect(addDuration(new Date('2026-03-01T00:00:00Z'), parseDuration('PT48H')!).toISOString()).to.equal(
      '2026-03-03T00:00:00.000Z',
    );
  });

  it('formats canonically', () => {
    expect(formatDuration(parseDuration('P0Y1M')!)).to.equal('P1M');
    expect(formatDuration(parseDuration('P1DT0H30M')!)).to.equal('P1DT30M');
  });
});
