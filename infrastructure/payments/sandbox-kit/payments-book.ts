import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../application/ports/clock.js';
import { isKnownCurrency } from '../../../domain/shared/money.js';
import type { WireAuthorizeBody, WireMoney, WirePayment, WirePaymentStatus, WireRefund } from '../wire.js';

/**
 * The book of a sandbox processor: its payments, their state machine and the idempotency of every
 * call, in memory. It is what the sandbox card processor and the sandbox carrier operator share;
 * each supplies its own decision about a new payment (a test card's behaviour, a spend limit).
 *
 * Everything here is synchronous, so a check and the write it guards can never interleave with
 * another request: 200 concurrent repeats of one call find the first call's result and move money
 * once. Limit: the book holds at most `maxPayments` payments (default 100 000) and refuses new
 * ones beyond that with 503; a restart empties it. That is enough for tests, demos and benchmarks.
 */

/** A refusal of the request itself, answered as `{ error: { type, code, message } }`. */
export class SandboxApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxApiError';
  }

  get type(): string {
    if (this.status === 401) return 'authentication_error';
    if (this.code === 'idempotency_conflict') return 'idempotency_error';
    return this.status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** What the processor decides about a new payment. */
export type Decision =
  | { readonly outcome: 'authorized' }
  | { readonly outcome: 'requires_action' }
  | { readonly outcome: 'declined'; readonly code: string; readonly message: string };

export interface BookPayment {
  readonly id: string;
  status: WirePaymentStatus;
  readonly reference: string;
  readonly description: string;
  readonly method: WireAuthorizeBody['method'];
  readonly amount: WireMoney;
  captured: number;
  refunded: number;
  declineCode: string | null;
  declineMessage: string | null;
  /** The secret that opens the challenge page; null once no challenge is pending. */
  challengeSecret: string | null;
  readonly returnUrl: string;
  /** Captured in full as soon as authorized (the authorize call asked for it). */
  readonly captureAutomatically: boolean;
  readonly createdAt: Date;
}

export interface BookHooks {
  /** Decides a new payment; may throw SandboxApiError for a request the processor will not take. */
  decide(request: WireAuthorizeBody, now: Date): Decision;
  /** Money that no longer counts against the payer: a released authorization or a refund. */
  released?(payment: BookPayment, minor: number): void;
}

export interface PaymentsBookOptions {
  /** Prefix of payment ids (`pay`, `chg`). */
  readonly prefix: string;
  readonly clock: Clock;
  readonly hooks: BookHooks;
  /** Builds the URL of the challenge page for a payment in `requires_action`. */
  readonly challengeUrl?: (payment: BookPayment) => string;
  readonly maxPayments?: number;
}

interface Remembered {
  readonly fingerprint: string;
  readonly result: unknown;
}

export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export class PaymentsBook {
  private readonly payments = new Map<string, BookPayment>();
  private readonly remembered = new Map<string, Remembered>();
  private readonly maxPayments: number;

  constructor(private readonly options: PaymentsBookOptions) {
    this.maxPayments = options.maxPayments ?? 100_000;
  }

  /** Payments that were authorized (money held or moved); declined and pending challenges excluded. */
  authorizedCount(): number {
    let n = 0;
    for (const p of this.payments.values())
      if (p.status !== 'declined' && p.status !== 'requires_action') n++;
    return n;
  }

  /** Every payment the book holds, for tests and inspection. */
  all(): readonly BookPayment[] {
    return [...this.payments.values()];
  }

  get(id: string): BookPayment {
    const payment = this.payments.get(id);
    if (!payment) throw new SandboxApiError(404, 'not_found', `No payment ${id}`);
    return payment;
  }

  /** The payment created by the authorize call with this idempotency key. */
  byIdempotencyKey(key: string): BookPayment {
    const hit = this.remembered.get(`authorize:${key}`);
    if (!hit) throw new SandboxApiError(404, 'not_found', 'No payment was created with that idempotency key');
    return this.get((hit.result as WirePayment).id);
  }

  authorize(key: string, request: WireAuthorizeBody): WirePayment {
    return this.once(`authorize:${key}`, request, () => {
      checkMoney(request.amount);
      if (this.payments.size >= this.maxPayments) {
        throw new SandboxApiError(
          503,
          'sandbox_full',
          'The sandbox holds its maximum of payments; restart it',
        );
      }
      const now = this.options.clock.now();
      const decision = this.options.hooks.decide(request, now);
      const automatic = request.capture_method === 'automatic';
      const payment: BookPayment = {
        id: randomId(this.options.prefix),
        status: decision.outcome === 'authorized' && automatic ? 'captured' : decision.outcome,
        reference: request.reference,
        description: request.description,
        method: request.method,
        amount: request.amount,
        captured: decision.outcome === 'authorized' && automatic ? request.amount.amount : 0,
        refunded: 0,
        declineCode: decision.outcome === 'declined' ? decision.code : null,
        declineMessage: decision.outcome === 'declined' ? decision.message : null,
        challengeSecret:
          decision.outcome === 'requires_action' ? randomBytes(18).toString('base64url') : null,
        returnUrl: request.return_url,
        captureAutomatically: automatic,
        createdAt: now,
      };
      this.payments.set(payment.id, payment);
      return this.view(payment);
    });
  }

  capture(id: string, key: string, amount: WireMoney): WirePayment {
    return this.once(`capture:${key}`, { id, amount }, () => {
      const payment = this.get(id);
      checkMoney(amount, payment.amount.currency);
      if (payment.status !== 'authorized') {
        throw new SandboxApiError(409, 'invalid_state', `A ${payment.status} payment cannot be captured`);
      }
      if (amount.amount > payment.amount.amount) {
        throw new SandboxApiError(400, 'amount_too_large', 'The capture exceeds the authorized amount');
      }
      payment.captured = amount.amount;
      payment.status = 'captured';
      if (amount.amount < payment.amount.amount) {
        this.options.hooks.released?.(payment, payment.amount.amount - amount.amount);
      }
      return this.view(payment);
    });
  }

  refund(id: string, key: string, amount: WireMoney): WireRefund {
    return this.once(`refund:${key}`, { id, amount }, () => {
      const payment = this.get(id);
      checkMoney(amount, payment.amount.currency);
      if (payment.status !== 'captured' && payment.status !== 'partially_refunded') {
        throw new SandboxApiError(409, 'invalid_state', `A ${payment.status} payment cannot be refunded`);
      }
      if (payment.refunded + amount.amount > payment.captured) {
        throw new SandboxApiError(
          400,
          'amount_too_large',
          'The refund exceeds the captured amount less refunds',
        );
      }
      payment.refunded += amount.amount;
      payment.status = payment.refunded === payment.captured ? 'refunded' : 'partially_refunded';
      this.options.hooks.released?.(payment, amount.amount);
      return { object: 'refund', id: randomId('re'), amount, payment: this.view(payment) };
    });
  }

  cancel(id: string, key: string): WirePayment {
    return this.once(`cancel:${key}`, { id }, () => {
      const payment = this.get(id);
      if (payment.status !== 'authorized' && payment.status !== 'requires_action') {
        throw new SandboxApiError(409, 'invalid_state', `A ${payment.status} payment cannot be canceled`);
      }
      if (payment.status === 'authorized') this.options.hooks.released?.(payment, payment.amount.amount);
      payment.status = 'canceled';
      payment.challengeSecret = null;
      return this.view(payment);
    });
  }

  /**
   * The payer's answer on the challenge page. Answering again (a double submit, the back button)
   * changes nothing. Returns null when the secret does not open this payment's challenge.
   */
  completeChallenge(id: string, secret: string, approve: boolean): BookPayment | null {
    const payment = this.payments.get(id);
    if (!payment) return null;
    if (payment.challengeSecret === null) return payment.status === 'requires_action' ? null : payment;
    if (!safeEqual(payment.challengeSecret, secret)) return null;
    payment.challengeSecret = null;
    if (approve && payment.captureAutomatically) {
      payment.status = 'captured';
      payment.captured = payment.amount.amount;
    } else if (approve) {
      payment.status = 'authorized';
    } else {
      payment.status = 'declined';
      payment.declineCode = 'authentication_failed';
      payment.declineMessage = 'The cardholder did not complete the authentication';
    }
    return payment;
  }

  /** The challenge secret of a pending payment; only the processor's own pages use it. */
  pendingChallenge(id: string, secret: string): BookPayment | null {
    const payment = this.payments.get(id);
    if (!payment || payment.challengeSecret === null || !safeEqual(payment.challengeSecret, secret))
      return null;
    return payment;
  }

  view(payment: BookPayment): WirePayment {
    const challenge =
      payment.status === 'requires_action' && this.options.challengeUrl
        ? { redirect_url: this.options.challengeUrl(payment) }
        : null;
    return {
      object: 'payment',
      id: payment.id,
      status: payment.status,
      reference: payment.reference,
      amount: payment.amount,
      amount_captured: payment.captured,
      amount_refunded: payment.refunded,
      decline_code: payment.declineCode,
      decline_message: payment.declineMessage,
      next_action: challenge,
    };
  }

  /**
   * Runs `work` once per key: a repeat with the same parameters answers the remembered result, a
   * repeat with other parameters is refused. Failed calls are not remembered, so a request refused
   * for a state that later changes (capture before the challenge is passed) can be repeated.
   */
  private once<T>(key: string, params: unknown, work: () => T): T {
    const fingerprint = JSON.stringify(params);
    const hit = this.remembered.get(key);
    if (hit) {
      if (hit.fingerprint !== fingerprint) {
        throw new SandboxApiError(
          422,
          'idempotency_conflict',
          'The idempotency key was used with other parameters',
        );
      }
      return hit.result as T;
    }
    if (this.remembered.size >= this.maxPayments * 4) {
      throw new SandboxApiError(503, 'sandbox_full', 'The sandbox holds its maximum of requests; restart it');
    }
    const result = work();
    this.remembered.set(key, { fingerprint, result });
    return result;
  }
}

function checkMoney(money: WireMoney, currency?: string): void {
  if (!isKnownCurrency(money.currency)) {
    throw new SandboxApiError(400, 'invalid_request', `Unsupported currency ${money.currency}`);
  }
  if (currency !== undefined && money.currency !== currency) {
    throw new SandboxApiError(400, 'invalid_request', `The payment is in ${currency}`);
  }
  if (!Number.isSafeInteger(money.amount) || money.amount <= 0) {
    throw new SandboxApiError(400, 'invalid_request', 'Amounts are positive integers of minor units');
  }
}

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
