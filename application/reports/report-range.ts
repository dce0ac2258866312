/**
 * The period a report covers: whole UTC days from `from` to `to`, both included. Reports are kept
 * per day, so a day is the finest grain; a period is at most MAX_REPORT_DAYS long, which keeps every
 * report a bounded read.
 */

export const MAX_REPORT_DAYS = 366;

export interface ReportRange {
  /** First day, YYYY-MM-DD (UTC). */
  readonly from: string;
  /** Last day, included. */
  readonly to: string;
}

export interface RangeProblem {
  readonly field: 'from' | 'to';
  readonly message: string;
}

const DAY_MS = 86_400_000;

/** Milliseconds of a valid calendar day at 00:00 UTC, or null. */
function dayMs(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00.000Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return null;
  return ms;
}

/** What is wrong with a range, field by field (empty when it is fine). */
export function rangeProblems(from: string, to: string): RangeProblem[] {
  const problems: RangeProblem[] = [];
  const start = dayMs(from);
  const end = dayMs(to);
  if (start === null) problems.push({ field: 'from', message: 'must be a calendar day, YYYY-MM-DD' });
  if (end === null) problems.push({ field: 'to', message: 'must be a calendar day, YYYY-MM-DD' });
  if (start === null || end === null) return problems;
  if (end < start) problems.push({ field: 'to', message: 'must not be before from' });
  else if ((end - start) / DAY_MS + 1 > MAX_REPORT_DAYS) {
    problems.push({ field: 'to', message: `the period may span at most ${MAX_REPORT_DAYS} days` });
  }
  return problems;
}

/** Every day of the range, in order. The range must be valid (see rangeProblems). */
export function daysOf(range: ReportRange): string[] {
  const days: string[] = [];
  const end = Date.parse(`${range.to}T00:00:00.000Z`);
  for (let ms = Date.parse(`${range.from}T00:00:00.000Z`); ms <= end; ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** The UTC day `days` days before or after `day`. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
