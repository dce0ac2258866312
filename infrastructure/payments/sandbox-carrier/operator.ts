import type { Clock } from '../../../application/ports/clock.js';
import { SandboxControls } from '../sandbox-kit/api-router.js';
import {
  type BookPayment,
  type Decision,
  PaymentsBook,
  SandboxApiError,
} from '../sandbox-kit/payments-book.js';
import type { WireAuthorizeBody } from '../wire.js';

/**
 * The sandbox mobile operator: direct carrier billing, where a purchase is charged to the
 * subscriber's phone bill. Like real operator APIs it reserves an amount (authorize), charges it
 * (capture) and credits refunds, and it caps what a subscriber may spend per calendar month.
 *
 * Spend counts what is reserved or charged and not refunded, in the month the charge was reserved,
 * computed in the operator's time zone. A released reservation and a refund give the room back.
 * State is in memory (restart empties it), bounded like every sandbox book.
 */

export interface SandboxCarrierOptions {
  readonly clock: Clock;
  readonly secretKey: string;
  /** Per subscriber and calendar month, in minor units of `currency`. Default 250 000 (NOK 2,500.00). */
  readonly monthlyLimit?: number;
  /** The only currency the operator bills in. Default NOK. */
  readonly currency?: string;
  /** IANA zone that decides where a month starts. Default Europe/Oslo. */
  readonly timeZone?: string;
  /** Subscribers the operator refuses (barred lines), in E.164. */
  readonly barred?: readonly string[];
  readonly maxPayments?: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export class SandboxCarrierOperator {
  readonly controls = new SandboxControls();
  readonly book: PaymentsBook;
  readonly monthlyLimit: number;
  readonly currency: string;
  private readonly spent = new Map<string, number>();
  private readonly monthFormat: Intl.DateTimeFormat;

  constructor(readonly options: SandboxCarrierOptions) {
    this.monthlyLimit = options.monthlyLimit ?? 250_000;
    this.currency = options.currency ?? 'NOK';
    this.monthFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: options.timeZone ?? 'Europe/Oslo',
      year: 'numeric',
      month: '2-digit',
    });
    this.book = new PaymentsBook({
      prefix: 'chg',
      clock: options.clock,
      maxPayments: options.maxPayments,
      hooks: {
        decide: (request, now) => this.decide(request, now),
        released: (payment, minor) => this.release(payment, minor),
      },
    });
  }

  /** What the subscriber has spent (reserved or charged, less refunds) in the clock's current month. */
  spentThisMonth(msisdn: string): number {
    return this.spent.get(this.bucket(msisdn, this.options.clock.now())) ?? 0;
  }

  private bucket(msisdn: string, at: Date): string {
    return `${msisdn}|${this.monthFormat.format(at)}`;
  }

  private decide(request: WireAuthorizeBody, now: Date): Decision {
    if (request.method.type !== 'carrier') {
      throw new SandboxApiError(400, 'invalid_request', 'The operator bills phone numbers only');
    }
    const msisdn = request.method.msisdn;
    if (!E164.test(msisdn)) throw new SandboxApiError(400, 'invalid_request', 'msisdn must be in E.164 form');
    if (request.amount.currency !== this.currency) {
      throw new SandboxApiError(400, 'invalid_request', `The operator bills in ${this.currency} only`);
    }
    if (this.options.barred?.includes(msisdn)) {
      return {
        outcome: 'declined',
        code: 'carrier_declined',
        message: 'The operator refused the subscriber',
      };
    }
    const bucket = this.bucket(msisdn, now);
    const spent = this.spent.get(bucket) ?? 0;
    if (spent + request.amount.amount > this.monthlyLimit) {
      return {
        outcome: 'declined',
        code: 'spend_limit',
        message: 'The monthly spend limit would be exceeded',
      };
    }
    this.spent.set(bucket, spent + request.amount.amount);
    return { outcome: 'authorized' };
  }

  /** Gives room back in the month the payment was reserved in (its creation time is `decide`'s `now`). */
  private release(payment: BookPayment, minor: number): void {
    if (payment.method.type !== 'carrier') return;
    const bucket = this.bucket(payment.method.msisdn, payment.createdAt);
    this.spent.set(bucket, Math.max(0, (this.spent.get(bucket) ?? 0) - minor));
  }
}
