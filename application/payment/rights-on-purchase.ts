/**
 * Rights on success (issue "Payment", item 5): a process manager that turns a captured payment into
 * the rights its product lines stand for, and takes them back when the payment is fully refunded.
 *
 * Exactly once, also across restarts and replays, without a store of its own:
 * - every right's id is derived from `<transactionId>:<lineIndex>` (UUID v5), and granting the same
 *   rightId with the same data again grants nothing new;
 * - the transaction is read from its own stream up to the event being handled, never from a read
 *   model, so a redelivered or replayed event computes exactly the same grant (same validity, same
 *   payload) as the first time;
 * - terminating a right that is already terminated counts as done;
 * - the checkpoint is its own (RIGHTS_ON_PURCHASE_CHECKPOINT), kept with the other process managers'
 *   checkpoints and never with a projection's, so rebuilding the read models does not run it again.
 * A crash between a grant and the checkpoint hands the same events over again; the above makes that
 * harmless. The checkpoint is stored at most about once a second (see ProcessManager), so after a
 * crash the last second's captures and refunds come again, in log order: a capture whose right was
 * since taken back by a refund grants nothing (the same rightId with the same data is no new grant,
 * whatever the right's state), and the refund then finds the right already terminated.
 */
import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../domain/kernel/decider.js';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import { evolve, type Transaction, type TransactionState } from '../../domain/payment/state.js';
import type { ProductLine } from '../../domain/payment/values.js';
import { addDuration, parseDuration } from '../../domain/shared/iso8601.js';
import { ProcessManager } from '../feed/process-manager.js';
import type { PayOutcome } from './payment-steps.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import type { EventStore } from '../ports/event-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { CheckpointStore } from '../ports/provider-feed-store.js';
import type { Views } from '../ports/views.js';
import type { RightIssuer } from '../right/right-issuer.js';
import { CATALOG_PROJECTION } from '../../projections/catalog.js';
import { RIGHTS_PROJECTION } from '../../projections/rights.js';

export const RIGHTS_ON_PURCHASE_CHECKPOINT = 'rights-on-purchase';

/** Namespace of the UUID v5 right ids derived from `<transactionId>:<lineIndex>`. Never change it. */
export const PURCHASE_RIGHT_NAMESPACE = 'c1d3a0f4-5e2b-4c8f-9a71-3f6b2d8e4a15';

/** The reason recorded on a right taken back because its purchase was refunded in full. */
export const REFUND_TERMINATION_REASON = 'refunded';

const STREAM_PREFIX = 'payment-';
/** How long a capture waits for the catalog read model before the batch is retried. */
const CATALOG_WAIT_MS = 5000;

/** The id of the right that product line `lineIndex` of a transaction grants: the same everywhere. */
export function purchaseRightId(transactionId: string, lineIndex: number): string {
  return uuidv5(`${transactionId}:${lineIndex}`, PURCHASE_RIGHT_NAMESPACE);
}

/**
 * Whether a SKU's rights survive a full refund (default: they are terminated). A per-SKU policy that
 * belongs on the catalog product; until the catalog carries it, the composition root supplies it.
 */
export type KeepRightsOnRefund = (providerId: string, sku: string) => Promise<boolean>;

/** How rights are taken back; RightCommands implements it. */
export interface RightTerminator {
  terminate(
    providerId: string,
    rightId: string,
    reason: string | undefined,
    ctx: CommandContext,
  ): Promise<unknown>;
}

export interface RightsOnPurchaseOptions {
  readonly store: EventStore;
  /** Where the checkpoint lives: the process managers' store (e.g. the ProviderFeedStore). */
  readonly checkpoints: CheckpointStore;
  readonly rights: RightIssuer & RightTerminator;
  /**
   * The read models the grant's catalog lookup reads. When given, a capture is handled only once the
   * catalog projection has applied the log up to it, so a lagging projection (e.g. just after start)
   * delays the grant instead of having it refused as `sku_not_found`.
   */
  readonly catalogViews?: Pick<Views, 'waitFor'>;
  /**
   * Folded transaction states the command side already holds (the CommandHandler): a capture is
   * usually the newest event of its stream, whose state is then known without reading and decoding
   * the stream again. Only a state standing exactly at the handled event's revision is used.
   */
  readonly states?: Pick<CommandHandler, 'load'>;
  /** Default: every SKU's rights are terminated on a full refund. */
  readonly keepRightsOnRefund?: KeepRightsOnRefund;
  readonly logger?: Logger;
  readonly batchSize?: number;
  /** Wait before retrying after a failure (default 5,000 ms, see ProcessManager). */
  readonly retryDelayMs?: number;
  /** Least time between checkpoint writes while nobody waits (see ProcessManagerOptions). */
  readonly checkpointIntervalMs?: number;
  /** Checkpoint name; only tests that replay with a fresh checkpoint need another one. */
  readonly name?: string;
}

/** A product line that grants a right, with its position in the transaction's products. */
export interface RightLine {
  readonly lineIndex: number;
  readonly sku: string;
  readonly timeSpec: string;
}

/** The lines of a purchase that grant rights: those with both a `sku` and a `timeSpec`. */
export function rightLines(products: readonly ProductLine[]): RightLine[] {
  const lines: RightLine[] = [];
  for (const [lineIndex, p] of products.entries()) {
    if (p.sku !== undefined && p.timeSpec !== undefined)
      lines.push({ lineIndex, sku: p.sku, timeSpec: p.timeSpec });
  }
  return lines;
}

/**
 * The end of a right bought at `validFrom`: null for `perpetual`, else validFrom + the duration
 * (calendar-aware, UTC). A duration that leaves the range of dates is refused like the decider would.
 */
export function purchaseValidUntil(validFrom: string, timeSpec: string): string | null {
  if (timeSpec === 'perpetual') return null;
  const duration = parseDuration(timeSpec);
  // The event schema only admits `perpetual` or a valid duration; anything else is a broken log.
  if (duration === null) throw new Error(`Product line timeSpec "${timeSpec}" is not an ISO 8601 duration`);
  const end = addDuration(new Date(validFrom), duration);
  // Six-digit years run past what a Date can hold: a refusal like any other out-of-range validity.
  if (Number.isNaN(end.getTime())) {
    throw new DomainError(
      'invalid',
      'invalid_validity',
      `validUntil: ${timeSpec} after ${validFrom} is out of range.`,
      'validUntil',
    );
  }
  return end.toISOString();
}

export class RightsOnPurchase {
  readonly manager: ProcessManager;
  /** Log position of the last grant this instance wrote (0 before the first). */
  private lastGrantPosition = 0;
  private readonly keep: KeepRightsOnRefund;
  private readonly logger: Logger;

  constructor(private readonly options: RightsOnPurchaseOptions) {
    this.keep = options.keepRightsOnRefund ?? (() => Promise.resolve(false));
    this.logger = (options.logger ?? silentLogger).child({ component: 'rights-on-purchase' });
    this.manager = new ProcessManager({
      name: options.name ?? RIGHTS_ON_PURCHASE_CHECKPOINT,
      store: options.store,
      checkpoints: options.checkpoints,
      filter: { types: ['PaymentCaptured', 'RefundIssued'], streamPrefixes: [STREAM_PREFIX] },
      handle: (events) => this.handle(events),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.checkpointIntervalMs !== undefined
        ? { checkpointIntervalMs: options.checkpointIntervalMs }
        : {}),
    });
  }

  /** Reads the checkpoint and follows the log from it; resolves once subscribed. */
  start(): Promise<void> {
    return this.manager.start();
  }

  /** Stops following the log; resolves when no grant or termination is running any more. */
  stop(): Promise<void> {
    return this.manager.stop();
  }

  /** Resolves true once every event up to `position` has been handled and checkpointed. */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    return this.manager.waitFor(position, timeoutMs);
  }

  /**
   * rightsReadable for a payment's outcome: waits only for a capture recorded by this call whose
   * products grant rights; true at once for anything else.
   */
  outcomeReadable(outcome: PayOutcome, views: Pick<Views, 'waitFor'>, timeoutMs = 5000): Promise<boolean> {
    if (outcome.status !== 'captured' || outcome.position === undefined) return Promise.resolve(true);
    if (rightLines(outcome.transaction.products).length === 0) return Promise.resolve(true);
    return this.rightsReadable(outcome.position, views, timeoutMs);
  }

  /**
   * Resolves true once the rights a capture at `position` grants can be read through `views` (the
   * rights projection has applied the grants), false after `timeoutMs`. A payment's answer waits for
   * this, so a shop that is told "captured" finds the right at its very next access check.
   */
  async rightsReadable(position: number, views: Pick<Views, 'waitFor'>, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (!(await this.manager.waitForHandled(position, timeoutMs))) return false;
    // Every grant handled so far is at or before this position; the capture's own are among them.
    const granted = this.lastGrantPosition;
    if (granted === 0) return true;
    return views.waitFor(granted, {
      projections: [RIGHTS_PROJECTION],
      timeoutMs: Math.max(0, deadline - Date.now()),
    });
  }

  /**
   * Handles a batch; a rejection makes the runner hand it over again later. Each transaction's
   * events are handled in log order, and different transactions concurrently: their grants touch
   * different rights (the right id is derived from the transaction), so their order does not matter,
   * and concurrent grants share the event store's group commit instead of waiting for one commit
   * each. The catalog is awaited once, up to the batch's last capture.
   */
  private async handle(events: readonly RecordedEvent[]): Promise<void> {
    const byStream = new Map<string, RecordedEvent[]>();
    let lastCapture = 0;
    for (const event of events) {
      if (event.type !== 'PaymentCaptured' && event.type !== 'RefundIssued') continue;
      if (event.type === 'PaymentCaptured') lastCapture = Math.max(lastCapture, event.globalPosition);
      const list = byStream.get(event.streamId);
      if (list) list.push(event);
      else byStream.set(event.streamId, [event]);
    }
    if (lastCapture > 0) await this.catalogAt(lastCapture);
    const results = await Promise.allSettled(
      [...byStream.values()].map(async (list) => {
        for (const event of list) {
          if (event.type === 'PaymentCaptured') await this.onCaptured(event);
          else await this.onRefunded(event);
        }
      }),
    );
    // Every transaction got its turn; the first failure hands the whole batch over again (the
    // handled ones are idempotent).
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  private async onCaptured(event: RecordedEvent): Promise<void> {
    const transaction = await this.transactionAt(event);
    if (transaction === null) return;
    const lines = rightLines(transaction.products);
    if (lines.length === 0) return;
    const validFrom = new Date(event.occurredAt).toISOString();
    const ctx = contextOf(event);
    for (const line of lines) {
      const rightId = purchaseRightId(transaction.transactionId, line.lineIndex);
      try {
        const granted = await this.options.rights.grant(
          {
            rightId,
            sub: transaction.sub,
            providerId: transaction.providerId,
            sku: line.sku,
            grantor: { kind: 'purchase', id: transaction.transactionId },
            validFrom,
            validUntil: purchaseValidUntil(validFrom, line.timeSpec),
            payload: JSON.stringify({ orderId: transaction.orderId }),
          },
          ctx,
        );
        if (granted.position !== null) {
          this.lastGrantPosition = Math.max(this.lastGrantPosition, granted.position);
        }
      } catch (err) {
        // A refusal (e.g. a SKU missing from the catalog) would be refused again on every retry, and
        // retrying would hold up every later purchase: record it loudly and go on. Anything else
        // (the store failing) is thrown, so the batch is handed over again.
        if (!(err instanceof DomainError)) throw err;
        this.logger.error(
          {
            transactionId: transaction.transactionId,
            providerId: transaction.providerId,
            lineIndex: line.lineIndex,
            sku: line.sku,
            rightId,
            code: err.code,
            err: err.message,
          },
          'a purchased right could not be granted',
        );
      }
    }
  }

  private async onRefunded(event: RecordedEvent): Promise<void> {
    const transaction = await this.transactionAt(event);
    // Only the refund that completes it: earlier, partial refunds leave the rights alone.
    if (transaction === null || transaction.status !== 'refunded') return;
    const ctx = contextOf(event);
    for (const line of rightLines(transaction.products)) {
      if (await this.keep(transaction.providerId, line.sku)) continue;
      const rightId = purchaseRightId(transaction.transactionId, line.lineIndex);
      try {
        await this.options.rights.terminate(transaction.providerId, rightId, REFUND_TERMINATION_REASON, ctx);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        // Already terminated (a redelivery, or someone took it back first): the goal is reached.
        if (err.code === 'right_terminated') continue;
        // Never granted (its grant was refused, see onCaptured): there is nothing to take back.
        this.logger.warn(
          { transactionId: transaction.transactionId, rightId, code: err.code, err: err.message },
          'a refunded purchase right could not be terminated',
        );
      }
    }
  }

  /** Throws (so the batch is retried later) while the catalog read model is behind `position`. */
  private async catalogAt(position: number): Promise<void> {
    const views = this.options.catalogViews;
    if (!views) return;
    if (!(await views.waitFor(position, { projections: [CATALOG_PROJECTION], timeoutMs: CATALOG_WAIT_MS }))) {
      throw new Error(`The catalog read model has not reached position ${position} yet`);
    }
  }

  /**
   * The transaction as it stood right after `event`: the command side's fold when it stands at the
   * event's own revision, else read from the stream up to that revision, so the answer never
   * depends on what was appended later.
   */
  private async transactionAt(event: RecordedEvent): Promise<Transaction | null> {
    const state = (await this.knownStateAt(event)) ?? (await this.foldUpTo(event));
    if (state.status === 'none') {
      this.logger.error(
        { streamId: event.streamId, eventId: event.eventId },
        'payment stream has no transaction',
      );
      return null;
    }
    return state;
  }

  /** The command side's state of the stream, when it stands exactly at `event` (else null). */
  private async knownStateAt(event: RecordedEvent): Promise<TransactionState | null> {
    if (!this.options.states) return null;
    const known = await this.options.states.load(transactionDecider, event.streamId);
    return known.revision === event.revision ? known.state : null;
  }

  private async foldUpTo(event: RecordedEvent): Promise<TransactionState> {
    const history = await this.options.store.readStream(event.streamId, { maxCount: event.revision + 1 });
    let state: TransactionState = { status: 'none' };
    for (const e of history) state = evolve(state, e as unknown as PaymentEvent);
    return state;
  }
}

/** Commands caused by a payment event keep its correlation and name it as their cause. */
function contextOf(event: RecordedEvent): CommandContext {
  return {
    actor: { kind: 'system', id: RIGHTS_ON_PURCHASE_CHECKPOINT },
    correlationId: event.metadata.correlationId,
    causationId: event.eventId,
  };
}
