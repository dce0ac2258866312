import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import type { CreateTransactionInput } from '../../../application/payment/transaction-commands.js';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import { TransactionQueries } from '../../../application/payment/transaction-queries.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { ledgerProjection } from '../../../projections/ledger.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { transactionsProjection } from '../../../projections/transactions.js';

export const ctx: CommandContext = { actor: { kind: 'client', id: 'client-a' }, correlationId: 'corr-test' };
export const providerA = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
export const providerB = '0190f3c2-7a1b-7c3d-8e4f-0000000000b2';
export const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
export const otherSub = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
export const T0 = '2026-01-01T00:00:00.000Z';
export const nok = (amount: number) => ({ amount, currency: 'NOK' });

export function order(orderId: string, extra: Partial<CreateTransactionInput> = {}): CreateTransactionInput {
  return {
    orderId,
    sub,
    description: 'A film',
    amount: nok(4900),
    vatRate: 2500,
    products: [{ sku: 'rental-48h', name: 'Rental', price: nok(4900), vatRate: 2500, timeSpec: 'PT48H' }],
    successRedirect: 'https://shop.example/ok',
    cancelRedirect: 'https://shop.example/cancel',
    createdBy: 'client-a',
    ...extra,
  };
}

/** Payment transactions on real SQLite stores in a temp directory, with their projections running. */
export class PaymentWorld {
  readonly clock = new ManualClock(T0);
  readonly store: SqliteEventStore;
  readonly readModels: SqliteReadModelStore;
  readonly runner: ProjectionRunner;
  readonly commands: TransactionCommands;
  readonly queries: TransactionQueries;

  private constructor(private readonly dir: string) {
    this.store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry(paymentEvents),
      clock: this.clock,
    });
    this.readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    this.runner = new ProjectionRunner({
      store: this.store,
      readModels: this.readModels,
      projections: [transactionsProjection, ledgerProjection],
      checkpointIntervalMs: 10,
    });
    this.commands = new TransactionCommands(new CommandHandler(this.store, this.clock));
    this.queries = new TransactionQueries(this.runner);
  }

  static async start(): Promise<PaymentWorld> {
    const world = new PaymentWorld(mkdtempSync(join(tmpdir(), 'tessera-payment-')));
    await world.runner.start();
    return world;
  }

  async caughtUp(): Promise<void> {
    const head = await this.store.headPosition();
    if (!(await this.runner.waitFor(head, { timeoutMs: 10_000 }))) throw new Error('projections lag behind');
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.readModels.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
