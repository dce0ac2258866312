/**
 * The development outbox: SMS and email "delivery" that keeps each message instead of sending it,
 * so a developer (or a browser test) can read one-time codes at /dev/outbox. Messages live in the
 * EphemeralStore (namespace `outbox`, a day's time to live), so a code sent by one process is
 * visible to another sharing the store. It holds codes in clear by design: enable it only in
 * development and demos, never where real people sign in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type {
  DeliveryChannel,
  EmailMessage,
  EmailSender,
  SmsMessage,
  SmsSender,
} from '../../application/ports/message-sender.js';

export const OUTBOX_NAMESPACE = 'outbox';
const ALL_TAG = 'box';
const ALL_VALUE = 'all';
const RECIPIENT_TAG = 'to';

export interface OutboxMessage {
  readonly id: string;
  readonly channel: DeliveryChannel;
  readonly to: string;
  readonly subject?: string;
  readonly text: string;
  readonly html?: string;
  /** ISO 8601 instant the message was "sent", from the injected clock. */
  readonly sentAt: string;
}

export interface DevOutboxOptions {
  readonly store: EphemeralStore;
  readonly clock: Clock;
  /** The oldest messages beyond this many are dropped. Default 200. */
  readonly maxMessages?: number;
  /** How long a message is kept. Default one day. */
  readonly ttlSeconds?: number;
}

/**
 * Canonical lookup form of a recipient. Phone numbers lose spaces and get their `+` back (an
 * unencoded `+` in a query string arrives as a space); email addresses compare case-insensitively.
 */
export function recipientKey(to: string): string {
  const compact = to.replace(/\s+/g, '');
  return (/^\d+$/.test(compact) ? `+${compact}` : compact).toLowerCase();
}

export class DevOutbox {
  readonly sms: SmsSender;
  readonly email: EmailSender;
  private readonly store: EphemeralStore;
  private readonly clock: Clock;
  private readonly maxMessages: number;
  private readonly ttlSeconds: number;
  private sequence = 0;

  constructor(options: DevOutboxOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.maxMessages = options.maxMessages ?? 200;
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
    if (!Number.isInteger(this.maxMessages) || this.maxMessages < 1) {
      throw new RangeError(`maxMessages must be a positive integer, got ${this.maxMessages}`);
    }
    this.sms = { send: (message: SmsMessage) => this.keep('sms', message) };
    this.email = { send: (message: EmailMessage) => this.keep('email', message) };
  }

  /** Newest first, at most `limit` (default all kept). */
  async list(limit = this.maxMessages): Promise<OutboxMessage[]> {
    const entries = await this.store.findByTag<OutboxMessage>(OUTBOX_NAMESPACE, ALL_TAG, ALL_VALUE);
    return newestFirst(entries)
      .slice(0, Math.max(0, limit))
      .map((entry) => entry.value);
  }

  /** The newest message to `to` (phone or email, see recipientKey), or null. */
  async latest(to: string): Promise<OutboxMessage | null> {
    const entries = await this.store.findByTag<OutboxMessage>(
      OUTBOX_NAMESPACE,
      RECIPIENT_TAG,
      recipientKey(to),
    );
    return newestFirst(entries)[0]?.value ?? null;
  }

  async clear(): Promise<number> {
    return this.store.deleteByTag(OUTBOX_NAMESPACE, ALL_TAG, ALL_VALUE);
  }

  private async keep(channel: DeliveryChannel, message: SmsMessage | EmailMessage): Promise<void> {
    const now = this.clock.now();
    // Keys sort by send time (then by a per-process sequence), so key order is newest-last.
    this.sequence = (this.sequence + 1) % 1_000_000;
    const id = `${String(now.getTime()).padStart(15, '0')}-${String(this.sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    const record: OutboxMessage = {
      id,
      channel,
      to: message.to,
      ...('subject' in message ? { subject: message.subject } : {}),
      text: message.text,
      ...('html' in message && message.html !== undefined ? { html: message.html } : {}),
      sentAt: now.toISOString(),
    };
    await this.store.set(OUTBOX_NAMESPACE, id, record, {
      ttlSeconds: this.ttlSeconds,
      tags: { [ALL_TAG]: ALL_VALUE, [RECIPIENT_TAG]: recipientKey(message.to) },
    });
    await this.trim();
  }

  private async trim(): Promise<void> {
    const entries = await this.store.findByTag(OUTBOX_NAMESPACE, ALL_TAG, ALL_VALUE);
    for (const entry of newestFirst(entries).slice(this.maxMessages)) {
      await this.store.delete(OUTBOX_NAMESPACE, entry.key);
    }
  }
}

function newestFirst<T extends { key: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
}
