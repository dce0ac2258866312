/**
 * One-time sign-in codes: issue a six-digit code to a phone (SMS) or an email address, and verify
 * it once. Everything lives in the EphemeralStore, so any process can verify a code another issued.
 *
 * Why it is shaped this way:
 * - Every limit that must hold under concurrency is an atomic store operation, never a read followed
 *   by a write: the attempt counter is incremented *before* the code is compared (so a burst of
 *   parallel guesses cannot exceed the limit), the resend gate is a counter whose first holder wins,
 *   and success consumes the challenge with EphemeralStore.consume (so a code works exactly once).
 * - Only an HMAC of the code, bound to the challenge, is stored; counters are keyed by HMACs of the
 *   identifier and IP, so the store holds no code and no phone number or address in its keys.
 * - Answers never depend on whether an account exists: this service does not know about accounts.
 */
import type { Clock } from '../ports/clock.js';
import type { EphemeralStore } from '../ports/ephemeral-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { EmailSender, SmsSender } from '../ports/message-sender.js';
import { CodeHasher, generateCode, isChallengeId, newChallengeId, normalizeCode } from './code-crypto.js';
import { type Identifier, maskIdentifier } from './identifier.js';
import {
  lockSeconds,
  type OneTimeCodePolicy,
  resendGapSeconds,
  resolvePolicy,
  secondsUntil,
} from './limits.js';
import { codeEmail, codeSms, type Locale } from './messages.js';
import type {
  CodeRejection,
  CodeRequestContext,
  CodeRequestResult,
  CodeThrottled,
  CodeVerifyContext,
  CodeVerifyResult,
} from './results.js';

/** EphemeralStore namespaces used by this service. */
export const OTP_NAMESPACES = {
  challenge: 'otp-challenge',
  attempts: 'otp-attempts',
  sends: 'otp-sends',
  gate: 'otp-gate',
  ipRequests: 'otp-ip-requests',
  ipFailures: 'otp-ip-failures',
  failures: 'otp-failures',
  lock: 'otp-lock',
  lockouts: 'otp-lockouts',
} as const;

const NS = OTP_NAMESPACES;

/** What the store keeps for a challenge. Never the code itself. */
export interface ChallengeRecord {
  readonly identifier: Identifier;
  /** base64url HMAC-SHA-256 of the code, bound to the challenge id. */
  readonly codeHash: string;
  /** Epoch milliseconds. */
  readonly issuedAt: number;
}

/** Called once per lockout, e.g. to record it as an event on the User aggregate. */
export type LockoutListener = (identifier: Identifier, until: Date) => void | Promise<void>;

export interface OneTimeCodesDeps {
  readonly store: EphemeralStore;
  readonly clock: Clock;
  readonly sms: SmsSender;
  readonly email: EmailSender;
  /** Key of the HMACs (≥ 32 bytes); all processes sharing a store must use the same one. */
  readonly secret: string | Uint8Array;
  readonly policy?: Partial<OneTimeCodePolicy>;
  readonly logger?: Logger;
  readonly onLockout?: LockoutListener;
}

export class OneTimeCodes {
  readonly policy: OneTimeCodePolicy;
  private readonly store: EphemeralStore;
  private readonly clock: Clock;
  private readonly hasher: CodeHasher;
  private readonly logger: Logger;

  constructor(private readonly deps: OneTimeCodesDeps) {
    this.policy = resolvePolicy(deps.policy);
    this.store = deps.store;
    this.clock = deps.clock;
    this.hasher = new CodeHasher(deps.secret);
    this.logger = (deps.logger ?? silentLogger).child({ component: 'one-time-codes' });
  }

  /**
   * Sends a fresh code to `identifier` (replacing any earlier live one), unless a limit applies.
   * Rejects with the sender's error (MessageDeliveryError) when the message cannot be handed over;
   * the challenge and the resend wait are then undone so the person can try again at once.
   */
  async request(identifier: Identifier, context: CodeRequestContext): Promise<CodeRequestResult> {
    const { policy, store } = this;
    const ipKey = this.hasher.subjectKey('ip', context.ip);
    const ipRequests = await store.increment(NS.ipRequests, ipKey, policy.ipWindowSeconds);
    if (ipRequests > policy.maxRequestsPerIp) return this.throttled('ip', NS.ipRequests, ipKey);

    const subject = this.subject(identifier);
    // A locked identifier gets no codes: they could not be used, and each one costs an SMS.
    const lock = await store.get(NS.lock, subject);
    if (lock) {
      return {
        ok: false,
        reason: 'throttled',
        scope: 'identifier',
        retryAfterSeconds: this.until(lock.expiresAt),
      };
    }
    const sends = await store.get<number>(NS.sends, subject);
    const sent = sends?.value ?? 0;
    if (sends && sent >= policy.maxSendsPerWindow) {
      return {
        ok: false,
        reason: 'throttled',
        scope: 'identifier',
        retryAfterSeconds: this.until(sends.expiresAt),
      };
    }
    // The gate's first holder may send; its time to live is the wait before the next code.
    const gap = resendGapSeconds(policy, sent + 1);
    if ((await store.increment(NS.gate, subject, gap)) > 1)
      return this.throttled('identifier', NS.gate, subject);
    await store.increment(NS.sends, subject, policy.sendWindowSeconds);

    const challengeId = newChallengeId();
    const code = generateCode();
    const issuedAt = this.clock.now().getTime();
    const record: ChallengeRecord = {
      identifier,
      codeHash: this.hasher.hashCode(challengeId, code),
      issuedAt,
    };
    await store.deleteByTag(NS.challenge, 'subject', subject);
    await store.set(NS.challenge, challengeId, record, {
      ttlSeconds: policy.codeTtlSeconds,
      tags: { subject },
    });

    try {
      await this.deliver(identifier, code, context.locale);
    } catch (err) {
      await store.delete(NS.challenge, challengeId);
      await store.delete(NS.gate, subject);
      await store.increment(NS.sends, subject, policy.sendWindowSeconds, -1);
      this.logger.warn(
        { channel: channelOf(identifier), to: maskIdentifier(identifier) },
        'code delivery failed',
      );
      throw err;
    }
    this.logger.info({ channel: channelOf(identifier), to: maskIdentifier(identifier) }, 'code sent');
    return {
      ok: true,
      challengeId,
      channel: channelOf(identifier),
      expiresAt: new Date(issuedAt + policy.codeTtlSeconds * 1000),
      resendAfterSeconds: gap,
    };
  }

  /**
   * Checks `code` against the challenge. On success the challenge is consumed (atomically: of
   * concurrent calls with the right code exactly one succeeds) and the identifier's failure count is
   * cleared. A wrong code counts against the challenge, the identifier and the IP address.
   */
  async verify(challengeId: string, code: string, context: CodeVerifyContext): Promise<CodeVerifyResult> {
    const { policy, store } = this;
    const ipKey = this.hasher.subjectKey('ip', context.ip);
    const ipFailures = await store.get<number>(NS.ipFailures, ipKey);
    if (ipFailures && ipFailures.value >= policy.maxFailuresPerIp) {
      return { ok: false, reason: 'rate_limited', retryAfterSeconds: this.until(ipFailures.expiresAt) };
    }
    if (typeof challengeId !== 'string' || !isChallengeId(challengeId))
      return { ok: false, reason: 'expired' };
    const challenge = await store.get<ChallengeRecord>(NS.challenge, challengeId);
    if (!challenge || challenge.consumedAt !== null) return { ok: false, reason: 'expired' };
    const { identifier, codeHash } = challenge.value;
    const subject = this.subject(identifier);

    const lock = await store.get(NS.lock, subject);
    if (lock) return this.lockedAnswer(lock.expiresAt);

    // Counted before comparing, so parallel guesses cannot get more than the allowed comparisons.
    const ttl = this.until(challenge.expiresAt);
    const attempt = await store.increment(NS.attempts, challengeId, ttl);
    if (attempt > policy.maxAttemptsPerCode) return { ok: false, reason: 'too_many_attempts' };

    const candidate = normalizeCode(code);
    if (candidate !== null && this.hasher.matches(challengeId, candidate, codeHash)) {
      if (!(await store.consume(NS.challenge, challengeId))) return { ok: false, reason: 'expired' };
      await store.delete(NS.failures, subject);
      this.logger.info({ to: maskIdentifier(identifier) }, 'code accepted');
      return { ok: true, identifier };
    }

    await store.increment(NS.ipFailures, ipKey, policy.ipWindowSeconds);
    const failures = await store.increment(NS.failures, subject, policy.failureWindowSeconds);
    if (failures >= policy.failuresBeforeLock) return this.lockOut(identifier, subject);
    return {
      ok: false,
      reason: 'wrong_code',
      attemptsLeft: Math.max(0, policy.maxAttemptsPerCode - attempt),
    };
  }

  /** The identifier's current lockout end, or null when it is not locked. */
  async lockedUntil(identifier: Identifier): Promise<Date | null> {
    const lock = await this.store.get(NS.lock, this.subject(identifier));
    return lock ? new Date(lock.expiresAt) : null;
  }

  private async lockOut(identifier: Identifier, subject: string): Promise<CodeRejection> {
    const { policy, store } = this;
    const previous = (await store.get<number>(NS.lockouts, subject))?.value ?? 0;
    const seconds = lockSeconds(policy, previous + 1);
    // Like the resend gate: whoever starts the lock records it; concurrent failures join it.
    const holder = (await store.increment(NS.lock, subject, seconds)) === 1;
    const lock = await store.get(NS.lock, subject);
    const until = lock?.expiresAt ?? this.clock.now().getTime() + seconds * 1000;
    if (holder) {
      await store.increment(NS.lockouts, subject, policy.lockMemorySeconds);
      this.logger.warn({ to: maskIdentifier(identifier), lockedForSeconds: seconds }, 'sign-in locked');
      await this.notifyLockout(identifier, new Date(until));
    }
    return this.lockedAnswer(until);
  }

  private async notifyLockout(identifier: Identifier, until: Date): Promise<void> {
    if (!this.deps.onLockout) return;
    try {
      await this.deps.onLockout(identifier, until);
    } catch (err) {
      // The lockout itself is in force regardless; only its record failed.
      this.logger.error(
        { to: maskIdentifier(identifier), err: err instanceof Error ? err.message : String(err) },
        'recording a lockout failed',
      );
    }
  }

  private lockedAnswer(until: number): CodeRejection {
    return { ok: false, reason: 'locked', until: new Date(until), retryAfterSeconds: this.until(until) };
  }

  private async throttled(
    scope: CodeThrottled['scope'],
    namespace: string,
    key: string,
  ): Promise<CodeThrottled> {
    const entry = await this.store.get(namespace, key);
    const retryAfterSeconds = entry ? this.until(entry.expiresAt) : 1;
    return { ok: false, reason: 'throttled', scope, retryAfterSeconds };
  }

  private async deliver(identifier: Identifier, code: string, locale: Locale): Promise<void> {
    const minutes = Math.ceil(this.policy.codeTtlSeconds / 60);
    if (identifier.kind === 'phone') {
      await this.deps.sms.send({ to: identifier.value, text: codeSms(locale, code, minutes) });
    } else {
      await this.deps.email.send({ to: identifier.value, ...codeEmail(locale, code, minutes) });
    }
  }

  private subject(identifier: Identifier): string {
    return this.hasher.subjectKey(identifier.kind, identifier.value);
  }

  private until(expiresAt: number): number {
    return secondsUntil(expiresAt, this.clock.now().getTime());
  }
}

function channelOf(identifier: Identifier): 'sms' | 'email' {
  return identifier.kind === 'phone' ? 'sms' : 'email';
}
