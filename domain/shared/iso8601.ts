import { z } from 'zod';

/**
 * ISO 8601 durations as used for validity periods, subscription periods and trials: `P1M`, `P30D`,
 * `P1Y2M`, `P2W`, `PT48H`, `P1DT12H`. Only whole-number components are accepted (no `PT0.5H`):
 * fractions of calendar units have no single meaning, and billing periods never need them.
 */
export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const PATTERN =
  /^P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;

/** Parses a duration; null when the text is not a valid, non-zero ISO 8601 duration. */
export function parseDuration(text: string): Duration | null {
  const m = PATTERN.exec(text);
  if (!m) return null;
  // "P" alone and "PT" without components are not durations.
  if (text === 'P' || text.endsWith('T')) return null;
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  const d: Duration = {
    years: n(1),
    months: n(2),
    weeks: n(3),
    days: n(4),
    hours: n(5),
    minutes: n(6),
    seconds: n(7),
  };
  if (Object.values(d).every((v) => v === 0)) return null;
  return d;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== null;
}

/** A non-zero ISO 8601 duration with whole-number components, e.g. `P1M` or `PT48H`. */
export const DurationSchema = z
  .string()
  .max(64)
  .refine(isDuration, 'must be a non-zero ISO 8601 duration with whole numbers, e.g. P1M, P30D or PT48H');

/**
 * Adds a duration to an instant, calendar-aware and in UTC: years and months first (a day that does
 * not exist in the target month is clamped to its last day, so 31 January + P1M = 28/29 February),
 * then weeks and days as calendar days, then the time components.
 */
export function addDuration(instant: Date, d: Duration): Date {
  const t = new Date(instant.getTime());
  if (d.years !== 0 || d.months !== 0) {
    const day = t.getUTCDate();
    t.setUTCDate(1);
    t.setUTCMonth(t.getUTCMonth() + d.years * 12 + d.months);
    const lastDay = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
    t.setUTCDate(Math.min(day, lastDay));
  }
  if (d.weeks !== 0 || d.days !== 0) t.setUTCDate(t.getUTCDate() + d.weeks * 7 + d.days);
  const ms = ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
  return new Date(t.getTime() + ms);
}

/** Canonical text of a duration (components in order, zero components left out). */
export function formatDuration(d: Duration): string {
  const date = `${d.years ? `${d.years}Y` : ''}${d.months ? `${d.months}M` : ''}${d.weeks ? `${d.weeks}W` : ''}${d.days ? `${d.days}D` : ''}`;
  const time = `${d.hours ? `${d.hours}H` : ''}${d.minutes ? `${d.minutes}M` : ''}${d.seconds ? `${d.seconds}S` : ''}`;
  return `P${date}${time ? `T${time}` : ''}`;
}
