/**
 * Outbound messages to people: one-time codes by SMS or email, later receipts and notices.
 * Adapters decide how a message travels (a development outbox, an HTTP gateway); the application
 * only says what to send and to whom. Message text may hold secrets (codes), so adapters never log it.
 */

export interface SmsMessage {
  /** E.164 phone number, e.g. `+4741234567`. */
  readonly to: string;
  readonly text: string;
}

export interface EmailMessage {
  /** A validated address with its domain lower-cased. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Optional HTML alternative of `text`; its dynamic parts are already escaped. */
  readonly html?: string;
}

export interface SmsSender {
  /** Resolves once the message is accepted for delivery; rejects with MessageDeliveryError. */
  send(message: SmsMessage): Promise<void>;
}

export interface EmailSender {
  /** Resolves once the message is accepted for delivery; rejects with MessageDeliveryError. */
  send(message: EmailMessage): Promise<void>;
}

export type DeliveryChannel = 'sms' | 'email';

/**
 * A message could not be handed over. `retryable` tells whether trying again later may help
 * (the gateway was down or overloaded) or not (the gateway refused the request).
 */
export class MessageDeliveryError extends Error {
  constructor(
    readonly channel: DeliveryChannel,
    message: string,
    readonly retryable: boolean,
    /** HTTP status of the last gateway answer, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MessageDeliveryError';
  }
}
