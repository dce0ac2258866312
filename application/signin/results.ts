import type { DeliveryChannel } from '../ports/message-sender.js';
import type { Identifier } from './identifier.js';
import type { Locale } from './messages.js';

export interface CodeRequestContext {
  /** The client's IP address, for the per-IP limits. */
  readonly ip: string;
  readonly locale: Locale;
}

export interface CodeVerifyContext {
  readonly ip: string;
}

/**
 * A code was sent. The answer has the same shape for every identifier: whether an account exists
 * is none of this service's business, and nothing here could tell.
 */
export interface CodeIssued {
  readonly ok: true;
  /** Opaque handle to present with the code; 128 random bits, URL-safe. */
  readonly challengeId: string;
  readonly channel: DeliveryChannel;
  readonly expiresAt: Date;
  /** How long until another code for this identifier may be requested. */
  readonly resendAfterSeconds: number;
}

/** Too many requests; `scope` says which limit applied. */
export interface CodeThrottled {
  readonly ok: false;
  readonly reason: 'throttled';
  readonly scope: 'identifier' | 'ip';
  readonly retryAfterSeconds: number;
}

export type CodeRequestResult = CodeIssued | CodeThrottled;

export interface CodeAccepted {
  readonly ok: true;
  /** Whom the code was sent to: the person has proven control of it. */
  readonly identifier: Identifier;
}

export type CodeRejection =
  /** The code does not match; `attemptsLeft` more tries on this challenge. */
  | { readonly ok: false; readonly reason: 'wrong_code'; readonly attemptsLeft: number }
  /** Unknown, expired or already used challenge: request a new code. */
  | { readonly ok: false; readonly reason: 'expired' }
  /** The challenge used up its attempts and is dead; request a new code. */
  | { readonly ok: false; readonly reason: 'too_many_attempts' }
  /** Too many wrong codes for this identifier across challenges: no code is accepted until `until`. */
  | {
      readonly ok: false;
      readonly reason: 'locked';
      readonly until: Date;
      readonly retryAfterSeconds: number;
    }
  /** Too many wrong codes from this IP address. */
  | { readonly ok: false; readonly reason: 'rate_limited'; readonly retryAfterSeconds: number };

export type CodeVerifyResult = CodeAccepted | CodeRejection;
