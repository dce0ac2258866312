/**
 * Sends scheduled webhook deliveries. Everything it knows is in the feed store (claims, attempts,
 * next attempt times), so it can be stopped or killed at any moment and another worker, in this
 * process or another, carries on: a delivery claimed by a worker that died is retried once its
 * claim runs out.
 *
 * A 2xx answer is success. Anything else (another status, a network error, a time-out; redirects
 * are not followed) is retried with exponential backoff: 10 s, doubling, at most 1 h between
 * attempts, until the delivery is 24 h old or has had 40 attempts; then it is marked failed and
 * can be replayed. Deliveries are independent: one failing message never holds up the others, so
 * a receiver may see messages out of order and should order them by `position`.
 */
import type { Clock } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { NO_TELEMETRY, type Telemetry } from '../ports/telemetry.js';
import type {
  AttemptRecord,
  ClaimedDelivery,
  ProviderFeedStore,
  WebhookEndpoint,
  WebhookSecretSealer,
} from '../ports/provider-feed-store.js';
import { QUEUE_RETENTION_MS } from './event-queue.js';
import { messageOf } from './process-manager.js';
import { DELIVERY_ID_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export interface BackoffPolicy {
  /** Wait after the first failed attempt (default 10 s); doubles after each further one. */
  readonly initialMs: number;
  /** Longest wait between attempts (default 1 h). */
  readonly maxMs: number;
  /** A delivery older than this is not retried any more (default 24 h). */
  readonly giveUpAfterMs: number;
  /** Nor one that has had this many attempts (default 40). */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 10_000,
  maxMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  maxAttempts: 40,
};

/** How long finished deliveries stay in the log: 30 days. */
export const DELIVERY_LOG_RETENTION_MS = 30 * 24 * 3_600_000;

export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface WebhookWorkerOptions {
  readonly feed: ProviderFeedStore;
  readonly sealer: WebhookSecretSealer;
  readonly clock: Clock;
  /** Outgoing HTTP (default: the global fetch). */
  readonly fetch?: WebhookFetch;
  readonly logger?: Logger;
  readonly backoff?: Partial<BackoffPolicy>;
  /** Per-request time-out (default 10 s). */
  readonly timeoutMs?: number;
  /** Deliveries claimed and sent concurrently per round (default 16). */
  readonly batchSize?: number;
  /** Pause between rounds when nothing was due (default 1 s). */
  readonly pollIntervalMs?: number;
  /** How often old queue messages and finished deliveries are pruned (default 1 h). */
  readonly housekeepingIntervalMs?: number;
  /** Counts deliveries by result (default: not counted). */
  readonly telemetry?: Telemetry;
}

/** The wait after the `attempts`-th failed attempt. */
export function backoffDelay(policy: BackoffPolicy, attempts: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  return Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
}

/** The JSON body POSTed for a delivery. */
export function deliveryBody(claimed: ClaimedDelivery): string {
  const { message } = claimed.delivery;
  return JSON.stringify({
    id: message.eventId,
    deliveryId: claimed.delivery.id,
    type: message.type,
    subject: message.subject,
    data: message.data,
    occurredAt: message.occurredAt,
    position: message.position,
  });
}

const MAX_ERROR_LENGTH = 300;

export class WebhookWorker {
  private readonly backoff: BackoffPolicy;
  private readonly fetch: WebhookFetch;
  private readonly logger: Logger;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private round: Promise<unknown> = Promise.resolve();
  private lastHousekeeping = -Infinity;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.logger = (options.logger ?? silentLogger).child({ component: 'webhook-worker' });
  }

  /** Starts polling; the timer does not keep the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling and waits for the round in progress (its requests time out at the latest). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round.catch(() => undefined);
  }

  /**
   * Claims and sends the deliveries due now, once; returns how many were attempted. The polling
   * loop calls it; tests call it directly with a manual clock.
   */
  async runOnce(): Promise<number> {
    const { feed, clock } = this.options;
    await this.housekeeping();
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const claimed = await feed.claimDueDeliveries(clock.now(), this.options.batchSize ?? 16, timeoutMs * 3);
    const endpoints = new Map<string, Promise<WebhookEndpoint | null>>();
    const endpointOf = (providerId: string) => {
      let found = endpoints.get(providerId);
      if (!found) endpoints.set(providerId, (found = feed.getWebhook(providerId)));
      return found;
    };
    await Promise.all(
      claimed.map(async (c) => this.deliver(c, await endpointOf(c.delivery.providerId), timeoutMs)),
    );
    return claimed.length;
  }

  private async deliver(
    claimed: ClaimedDelivery,
    endpoint: WebhookEndpoint | null,
    timeoutMs: number,
  ): Promise<void> {
    const { clock, feed } = this.options;
    const { delivery } = claimed;
    const startedAt = clock.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let final = false;
    if (!endpoint) {
      error = 'no webhook registered';
      final = true;
    } else {
      try {
        const body = deliveryBody(claimed);
        const secret = this.options.sealer.open(endpoint.sealedSecret, endpoint.providerId);
        const timestamp = Math.floor(startedAt.getTime() / 1000);
        const response = await this.fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'Tessera-Webhooks/1',
            [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
            [EVENT_ID_HEADER]: delivery.message.eventId,
            [DELIVERY_ID_HEADER]: delivery.id,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        statusCode = response.status;
        await response.body?.cancel().catch(() => undefined);
        if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
      } catch (err) {
        error = describeFailure(err, timeoutMs);
      }
    }
    const attempt = {
      at: startedAt.toISOString(),
      statusCode,
      error,
      durationMs: Math.round(performance.now() - started),
    };
    const attempts = delivery.attemptCount + 1;
    let record: AttemptRecord;
    if (error === null) {
      record = { attempt, status: 'delivered', nextAttemptAt: null };
    } else {
      const next = clock.now().getTime() + backoffDelay(this.backoff, attempts);
      const giveUp =
        final ||
        attempts >= this.backoff.maxAttempts ||
        next - Date.parse(delivery.createdAt) > this.backoff.giveUpAfterMs;
      record = giveUp
        ? { attempt, status: 'failed', nextAttemptAt: null }
        : { attempt, status: 'pending', nextAttemptAt: new Date(next).toISOString() };
    }
    (this.options.telemetry ?? NO_TELEMETRY).webhookDelivery(
      record.status === 'delivered' ? 'delivered' : record.status === 'failed' ? 'failed' : 'retry',
    );
    const written = await feed.recordAttempt(delivery.id, claimed.claimId, record);
    if (!written) this.logger.warn({ deliveryId: delivery.id }, 'claim lost before the attempt was recorded');
    if (record.status === 'failed') {
      this.logger.warn(
        { deliveryId: delivery.id, providerId: delivery.providerId, attempts, error },
        'webhook delivery gave up',
      );
    }
  }

  private async housekeeping(): Promise<void> {
    const now = this.options.clock.now().getTime();
    if (now - this.lastHousekeeping < (this.options.housekeepingIntervalMs ?? 3_600_000)) return;
    this.lastHousekeeping = now;
    try {
      await this.options.feed.pruneQueue(new Date(now - QUEUE_RETENTION_MS));
      await this.options.feed.pruneDeliveries(new Date(now - DELIVERY_LOG_RETENTION_MS));
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'feed housekeeping failed');
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const round = this.runOnce();
      this.round = round;
      round.then(
        (count) => this.schedule(count > 0 ? 0 : (this.options.pollIntervalMs ?? 1000)),
        (err: unknown) => {
          this.logger.error({ err: messageOf(err) }, 'webhook round failed');
          this.schedule(this.options.pollIntervalMs ?? 1000);
        },
      );
    }, delayMs);
    this.timer.unref();
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${messageOf(err)}${cause}`.slice(0, MAX_ERROR_LENGTH);
}
