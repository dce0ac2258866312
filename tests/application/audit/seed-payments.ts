import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '../../../application/ports/event-store.js';

export interface SeedOptions {
  /** Transactions to write; each is created, paid by card and captured. */
  readonly transactions: number;
  /** Partial refunds of each transaction (default: one for every other transaction). */
  readonly refundsOf?: (n: number) => number;
  /** Appends in flight at once (they share group commits). */
  readonly concurrency?: number;
  readonly onProgress?: (done: number) => void;
}

const meta = {
  correlationId: 'seed',
  causationId: null,
  actor: { kind: 'client' as const, id: 'seed-client' },
};
const provider = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';

/** The events of one paid transaction, then `refunds` partial refunds of 100 minor units each. */
export function paidTransaction(n: number, refunds: number): { streamId: string; events: NewEvent[] } {
  const transactionId = randomUUID();
  const attemptId = `att-${n}`;
  const amount = { amount: 4900 + (n % 100), currency: n % 5 === 0 ? 'SEK' : 'NOK' };
  const events: NewEvent[] = [
    {
      type: 'TransactionCreated',
      data: {
        transactionId,
        providerId: provider,
        orderId: `order-${n}`,
        sub: randomUUID(),
        description: 'A film',
        amount,
        vatRate: 2500,
        products: [{ sku: 'rental-48h', name: 'Rental', price: amount, vatRate: 2500 }],
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: 'seed-client',
        expiresAt: null,
      },
      metadata: meta,
    },
    {
      type: 'PaymentAttemptStarted',
      data: {
        transactionId,
        attemptId,
        method: { kind: 'card', reference: 'tok_abcdefghabcdefgh visa **** 4242 12/2030' },
      },
      metadata: meta,
    },
    { type: 'PaymentCaptured', data: { transactionId, attemptId, amount }, metadata: meta },
  ];
  for (let r = 0; r < refunds; r++) {
    events.push({
      type: 'RefundIssued',
      data: {
        transactionId,
        refundId: `ref-${n}-${r}`,
        amount: { amount: 100, currency: amount.currency },
        reason: 'goodwill',
        issuer: { kind: 'provider', id: 'seed-client' },
      },
      metadata: meta,
    });
  }
  return { streamId: `payment-${transactionId}`, events };
}

/**
 * Writes paid transactions straight through the EventStore port, many appends in flight at once
 * so the embedded store commits them in large groups. Returns the number of events written.
 */
export async function seedPayments(store: Pick<EventStore, 'append'>, options: SeedOptions): Promise<number> {
  const concurrency = options.concurrency ?? 500;
  let written = 0;
  for (let start = 0; start < options.transactions; start += concurrency) {
    const end = Math.min(options.transactions, start + concurrency);
    const appends: Promise<unknown>[] = [];
    for (let n = start; n < end; n++) {
      const { streamId, events } = paidTransaction(n, options.refundsOf?.(n) ?? (n % 2 === 0 ? 1 : 0));
      written += events.length;
      appends.push(store.append(streamId, events, { expectedRevision: 'no_stream' }));
    }
    await Promise.all(appends);
    options.onProgress?.(end);
  }
  return written;
}
