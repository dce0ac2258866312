import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditExporter,
  type ExportOptions,
  type ExportSummary,
} from '../../../application/audit/audit-exporter.js';
import type { AuditFormat } from '../../../application/audit/formats.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import { methodReference } from '../../../application/payment/payment-methods.js';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import type { PersonalDataVault } from '../../../application/ports/personal-data-vault.js';
import { UserCommands } from '../../../application/user/user-commands.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import { userEvents } from '../../../domain/user/events.js';
import { JwksManifestVerifier, JwsManifestSigner } from '../../../infrastructure/audit/jws-manifest.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { openSqliteVault } from '../../../infrastructure/vault/sqlite-vault.js';

export const providerA = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
export const payer = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
export const T0 = '2026-01-01T00:00:00.000Z';
export const ctx: CommandContext = { actor: { kind: 'client', id: 'client-a' }, correlationId: 'corr-audit' };
export const supportCtx: CommandContext = {
  actor: { kind: 'support', id: 'agent-7' },
  correlationId: 'corr-support',
};

export const visa4242 = methodReference({
  kind: 'card',
  token: 'tok_sandbox_visa',
  brand: 'visa',
  last4: '4242',
  expMonth: 12,
  expYear: 2030,
});
export const carrierMethod = methodReference({ kind: 'carrier', msisdn: '+4791234567' });

/**
 * Payment transactions written through the real TransactionCommands on SQLite files in a temp
 * directory, the OpenID Connect signing-key store on the SQLite read-model store, and the exporter.
 */
export class AuditWorld {
  readonly handler: CommandHandler;
  readonly transactions: TransactionCommands;
  readonly exporter: AuditExporter;
  private orders = 0;

  private constructor(
    readonly dir: string,
    readonly clock: ManualClock,
    readonly store: SqliteEventStore,
    readonly readModels: SqliteReadModelStore,
    readonly keys: SigningKeyStore,
    readonly vault: PersonalDataVault,
  ) {
    this.handler = new CommandHandler(store, clock);
    this.transactions = new TransactionCommands(this.handler);
    this.exporter = new AuditExporter(store, new JwsManifestSigner(keys), clock);
  }

  static async open(): Promise<AuditWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
    const clock = new ManualClock(T0);
    const store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...paymentEvents, ...userEvents]),
      clock,
    });
    const readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    const keys = await SigningKeyStore.open({ store: readModels, clock, maxTokenLifetimeSeconds: 3600 });
    await keys.ensureCurrent();
    const vault = await openSqliteVault({ file: join(dir, 'vault.db'), masterKey: randomBytes(32) });
    return new AuditWorld(dir, clock, store, readModels, keys, vault);
  }

  users(): UserCommands {
    return new UserCommands(this.handler, this.store, this.vault, { defaultCountry: 'NO' });
  }

  async verifier(): Promise<JwksManifestVerifier> {
    return JwksManifestVerifier.fromSet(await this.keys.publicJwks());
  }

  /** Moves the clock on by a minute and returns the new instant. */
  tick(ms = 60_000): string {
    this.clock.advance(ms);
    return this.clock.now().toISOString();
  }

  async create(amount: number, currency = 'NOK', sub = payer, orderId?: string): Promise<string> {
    this.orders += 1;
    const price = { amount, currency };
    const created = await this.transactions.create(
      providerA,
      {
        orderId: orderId ?? `order-${this.orders}`,
        sub,
        description: 'A film',
        amount: price,
        vatRate: 2500,
        products: [{ sku: 'rental-48h', name: 'Rental', price, vatRate: 2500 }],
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: 'client-a',
      },
      ctx,
    );
    return created.transactionId;
  }

  async pay(transactionId: string, method = visa4242): Promise<string> {
    const { attemptId } = await this.transactions.startAttempt(providerA, transactionId, { method }, ctx);
    await this.transactions.capture(providerA, transactionId, attemptId, {}, ctx);
    return attemptId;
  }

  async decline(transactionId: string, method = visa4242): Promise<string> {
    const { attemptId } = await this.transactions.startAttempt(providerA, transactionId, { method }, ctx);
    await this.transactions.fail(
      providerA,
      transactionId,
      attemptId,
      { code: 'card_declined', message: 'Declined' },
      ctx,
    );
    return attemptId;
  }

  async refund(transactionId: string, amount: number, currency = 'NOK'): Promise<string> {
    const { refundId } = await this.transactions.refund(
      providerA,
      transactionId,
      { amount: { amount, currency }, reason: 'goodwill', issuer: { kind: 'support', id: 'agent-7' } },
      supportCtx,
    );
    return refundId;
  }

  async exportText(
    from: string,
    to: string,
    format: AuditFormat,
    options: ExportOptions = {},
  ): Promise<{ text: string; summary: ExportSummary }> {
    const run = this.exporter.export({ from: new Date(from), to: new Date(to) }, format, options);
    let text = '';
    for (;;) {
      const next = await run.next();
      if (next.done) return { text, summary: next.value };
      text += next.value;
    }
  }

  async close(): Promise<void> {
    await this.vault.close();
    await this.readModels.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A LineSource over text held in memory (split at `\n`, as fileLines does). */
export function textLines(text: string) {
  return async function* lines() {
    const parts = text.split('\n');
    if (parts.at(-1) === '') parts.pop();
    yield* parts;
  };
}
