/**
 * Abuse limits of one-time-code sign-in and the arithmetic of their backoff. Every limit is a
 * counter in the EphemeralStore (atomic increment with a time to live), so they hold across
 * processes and survive restarts; the numbers below are the defaults and can be overridden.
 */

export interface OneTimeCodePolicy {
  /** How long a code stays valid. */
  readonly codeTtlSeconds: number;
  /** Guesses a single challenge allows; after that it is dead, even for the right code. */
  readonly maxAttemptsPerCode: number;
  /** Wait before the second code to the same identifier; it doubles for each further code. */
  readonly resendBaseSeconds: number;
  /** Upper bound of the resend wait. */
  readonly resendMaxSeconds: number;
  /** Codes per identifier per window (`sendWindowSeconds`). */
  readonly maxSendsPerWindow: number;
  readonly sendWindowSeconds: number;
  /** Code requests per client IP per window, across identifiers. */
  readonly maxRequestsPerIp: number;
  readonly ipWindowSeconds: number;
  /** Wrong codes per IP per window, across identifiers, before that IP must wait. */
  readonly maxFailuresPerIp: number;
  /** Wrong codes per identifier within `failureWindowSeconds`, across challenges, before a lockout. */
  readonly failuresBeforeLock: number;
  readonly failureWindowSeconds: number;
  /** First lockout length; each further lockout within `lockMemorySeconds` doubles it. */
  readonly lockBaseSeconds: number;
  readonly lockMaxSeconds: number;
  readonly lockMemorySeconds: number;
}

export const DEFAULT_POLICY: OneTimeCodePolicy = {
  codeTtlSeconds: 600,
  maxAttemptsPerCode: 5,
  resendBaseSeconds: 30,
  resendMaxSeconds: 600,
  maxSendsPerWindow: 5,
  sendWindowSeconds: 3600,
  maxRequestsPerIp: 20,
  ipWindowSeconds: 3600,
  maxFailuresPerIp: 50,
  failuresBeforeLock: 10,
  failureWindowSeconds: 3600,
  lockBaseSeconds: 900,
  lockMaxSeconds: 86_400,
  lockMemorySeconds: 86_400,
};

/** Fills in defaults and refuses nonsense (zero or negative limits), naming the setting. */
export function resolvePolicy(overrides: Partial<OneTimeCodePolicy> = {}): OneTimeCodePolicy {
  const policy = { ...DEFAULT_POLICY, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`One-time-code policy: ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return policy;
}

/** Doubling backoff: base, 2·base, 4·base, … capped at max. `step` counts from 1. */
export function backoffSeconds(base: number, max: number, step: number): number {
  const exponent = Math.min(Math.max(step, 1) - 1, 30);
  return Math.min(max, base * 2 ** exponent);
}

/**
 * How long to wait after the `sendNumber`-th code of a window before the next one may be sent:
 * 30 s after the first, 60 s after the second, 120 s after the third, … capped.
 */
export function resendGapSeconds(policy: OneTimeCodePolicy, sendNumber: number): number {
  return backoffSeconds(policy.resendBaseSeconds, policy.resendMaxSeconds, sendNumber);
}

/** Length of the `lockNumber`-th lockout within the lock memory. */
export function lockSeconds(policy: OneTimeCodePolicy, lockNumber: number): number {
  return backoffSeconds(policy.lockBaseSeconds, policy.lockMaxSeconds, lockNumber);
}

/** Whole seconds from `now` until `until` (epoch ms), at least 1, for Retry-After. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}
