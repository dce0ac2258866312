/**
 * SMS and email delivery through an HTTP gateway: each message is POSTed as JSON to a configured
 * URL with a bearer token. Gateways fail in two ways that call for different answers: transient
 * trouble (network errors, time-outs, 5xx) is retried a bounded number of times with doubling
 * waits, while a refusal (4xx) is final and reported at once. Neither the token nor the message
 * (which carries a code) ever appears in an error or a log line.
 */
import type {
  DeliveryChannel,
  EmailMessage,
  EmailSender,
  SmsMessage,
  SmsSender,
} from '../../application/ports/message-sender.js';
import { MessageDeliveryError } from '../../application/ports/message-sender.js';

export interface HttpGatewayOptions {
  /** http(s) URL the messages are POSTed to. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Per-attempt time-out. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, for transient failures only. Default 2. */
  readonly retries?: number;
  /** Wait before the first retry; doubles for each further one. Default 250 ms. */
  readonly backoffMs?: number;
  /** Upper bound of one wait. Default 4000 ms. */
  readonly maxBackoffMs?: number;
  /** For tests: how to wait between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One attempt's outcome: done, or a failure with whether trying again may help. */
type Attempt =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly reason: string;
      readonly status?: number;
      readonly cause?: unknown;
    };

/** POSTs JSON documents to a gateway, with time-out and bounded retries. */
export class HttpGateway {
  private readonly url: URL;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly channel: DeliveryChannel,
    options: HttpGatewayOptions,
  ) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`The ${channel} gateway URL is not a valid URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`The ${channel} gateway URL must use http or https`);
    }
    if (typeof options.token !== 'string' || options.token.trim() === '' || /[\r\n]/.test(options.token)) {
      throw new TypeError(`The ${channel} gateway token must be a non-empty single-line string`);
    }
    this.url = url;
    this.token = options.token;
    this.timeoutMs = positive(options.timeoutMs ?? 5000, 'timeoutMs');
    this.retries = Math.max(0, Math.floor(options.retries ?? 2));
    this.backoffMs = positive(options.backoffMs ?? 250, 'backoffMs');
    this.maxBackoffMs = positive(options.maxBackoffMs ?? 4000, 'maxBackoffMs');
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Where messages go, without credentials or query, for error messages. */
  get target(): string {
    return `${this.url.origin}${this.url.pathname}`;
  }

  async post(body: Readonly<Record<string, unknown>>): Promise<void> {
    const payload = JSON.stringify(body);
    let last: Exclude<Attempt, { ok: true }> | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt += 1) {
      if (attempt > 0) await this.sleep(Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1)));
      const outcome = await this.attempt(payload);
      if (outcome.ok) return;
      last = outcome;
      if (!outcome.retryable) break;
    }
    const failure = last as Exclude<Attempt, { ok: true }>;
    const tries = failure.retryable ? ` after ${this.retries + 1} attempts` : '';
    throw new MessageDeliveryError(
      this.channel,
      `The ${this.channel} gateway at ${this.target} ${failure.reason}${tries}.`,
      failure.retryable,
      failure.status,
      { cause: failure.cause },
    );
  }

  private async attempt(payload: string): Promise<Attempt> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: payload,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return {
        ok: false,
        retryable: true,
        reason: timedOut ? `did not answer within ${this.timeoutMs} ms` : 'could not be reached',
        cause: err,
      };
    }
    // The body is read and dropped: it may echo the message, and the connection must be freed.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true };
    const status = response.status;
    if (status >= 500) return { ok: false, retryable: true, status, reason: `failed with HTTP ${status}` };
    const hint =
      status === 401 || status === 403
        ? ' (check the gateway token)'
        : status === 429
          ? ' (rate limited)'
          : '';
    return { ok: false, retryable: false, status, reason: `refused the message with HTTP ${status}${hint}` };
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** SmsSender that POSTs `{ to, text }`. */
export class HttpSmsSender implements SmsSender {
  private readonly gateway: HttpGateway;

  constructor(options: HttpGatewayOptions) {
    this.gateway = new HttpGateway('sms', options);
  }

  send(message: SmsMessage): Promise<void> {
    return this.gateway.post({ to: message.to, text: message.text });
  }
}

/** EmailSender that POSTs `{ to, subject, text, html }` (`html` omitted when absent). */
export class HttpEmailSender implements EmailSender {
  private readonly gateway: HttpGateway;

  constructor(options: HttpGatewayOptions) {
    this.gateway = new HttpGateway('email', options);
  }

  send(message: EmailMessage): Promise<void> {
    return this.gateway.post({
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
    });
  }
}
