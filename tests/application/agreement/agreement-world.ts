import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgreementCharger } from '../../../application/agreement/agreement-charger.js';
import { AgreementCommands } from '../../../application/agreement/agreement-commands.js';
import { AgreementQueries } from '../../../application/agreement/agreement-queries.js';
import { AgreementRenewals } from '../../../application/agreement/agreement-renewals.js';
import { AgreementScheduler } from '../../../application/agreement/agreement-scheduler.js';
import { DEFAULT_AGREEMENT_SETTINGS } from '../../../application/agreement/agreement-settings.js';
import { CatalogCommands } from '../../../application/catalog/catalog-commands.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import { PaymentFlow } from '../../../application/payment/payment-flow.js';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import type { ChargeableMethod } from '../../../application/payment-method/payment-method-queries.js';
import { silentLogger } from '../../../application/ports/logger.js';
import { SubscriptionCommands } from '../../../application/subscription/subscription-commands.js';
import { SubscriptionScheduler } from '../../../application/subscription/subscription-scheduler.js';
import { agreementEvents } from '../../../domain/agreement/events.js';
import { catalogEvents } from '../../../domain/catalog/events.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { transactionDecider } from '../../../domain/payment/decider.js';
import { paymentEvents } from '../../../domain/payment/events.js';
import type { Transaction } from '../../../domain/payment/state.js';
import { orderReservationKey } from '../../../domain/payment/values.js';
import { subscriptionEvents } from '../../../domain/subscription/events.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import {
  AGREEMENTS_PROJECTION,
  type AgreementDoc,
  agreementsProjection,
} from '../../../projections/agreements.js';
import { catalogProjection } from '../../../projections/catalog.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import {
  SUBSCRIPTIONS_PROJECTION,
  type SubscriptionDoc,
  subscriptionsProjection,
} from '../../../projections/subscriptions.js';
import { transactionsProjection } from '../../../projections/transactions.js';
import { type CardSandbox, RETURN_ORIGIN, startCardSandbox } from '../../support/payment-sandboxes.js';
import { RecordingRightIssuer } from '../subscription/subscription-world.js';

export const ctx: CommandContext = { actor: { kind: 'client', id: 'client-a' }, correlationId: 'corr-test' };
export const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
export const methodId = '0190f3c2-7a1b-7c3d-8e4f-0000000000e1';
export const DAY = 86_400_000;

/**
 * Charging agreements on real SQLite stores with the real payment flow against the sandbox card
 * processor (over HTTP) and a manual clock. The user's saved card is a stand-in that can be switched
 * to a declining card and back, as a card that runs out of funds and is topped up again.
 */
export class AgreementWorld {
  readonly clock: ManualClock;
  readonly store: SqliteEventStore;
  readonly readModels: SqliteReadModelStore;
  readonly runner: ProjectionRunner;
  readonly issuer = new RecordingRightIssuer();
  readonly subscriptions: SubscriptionCommands;
  readonly commands: AgreementCommands;
  readonly queries: AgreementQueries;
  readonly renewals: AgreementRenewals;
  readonly charger: AgreementCharger;
  readonly scheduler: AgreementScheduler;
  readonly subscriptionScheduler: SubscriptionScheduler;
  providerA = '';
  providerB = '';
  /** The card the user's saved method charges now. */
  card: ChargeableMethod['method'] | null = null;
  /** Counts every charge the stand-in wallet opened. */
  opened = 0;

  private constructor(
    private readonly dir: string,
    start: string,
    readonly sandbox: CardSandbox,
  ) {
    this.clock = new ManualClock(start);
    this.store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([
        ...catalogEvents,
        ...subscriptionEvents,
        ...agreementEvents,
        ...paymentEvents,
      ]),
      clock: this.clock,
    });
    this.readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    this.runner = new ProjectionRunner({
      store: this.store,
      readModels: this.readModels,
      projections: [catalogProjection, subscriptionsProjection, agreementsProjection, transactionsProjection],
      checkpointIntervalMs: 10,
    });
    this.subscriptions = new SubscriptionCommands(this.handler(), this.runner, this.issuer, this.clock);
    this.renewals = this.renewalsProcess();
    this.charger = this.chargerOf(this.handler());
    this.commands = new AgreementCommands({
      handler: this.handler(),
      views: this.runner,
      renewals: this.renewals,
      methods: this.methods(),
    });
    this.queries = new AgreementQueries(this.runner);
    this.scheduler = this.schedulerOf(this.renewals);
    this.subscriptionScheduler = new SubscriptionScheduler(
      this.subscriptions,
      this.runner,
      this.clock,
      silentLogger,
    );
  }

  handler(): CommandHandler {
    return new CommandHandler(this.store, this.clock);
  }

  methods() {
    return {
      chargeableMethod: async (owner: string, id: string): Promise<ChargeableMethod> => {
        if (owner !== sub || id !== methodId || this.card === null) {
          throw new DomainError('not_found', 'payment_method_not_found', 'No such saved payment method.');
        }
        this.opened++;
        return { methodId: id, method: this.card, label: 'Visa •••• 4242', isDefault: true };
      },
    };
  }

  chargerOf(handler: CommandHandler): AgreementCharger {
    const transactions = new TransactionCommands(handler);
    const flow = this.paymentFlow(handler, transactions);
    return new AgreementCharger({ handler, store: this.store, transactions, flow, methods: this.methods() });
  }

  /** The payment flow against the sandbox card processor (its reconciliation settles unknown outcomes). */
  paymentFlow(handler = this.handler(), transactions = new TransactionCommands(handler)): PaymentFlow {
    return new PaymentFlow(
      transactions,
      handler,
      this.store,
      this.clock,
      silentLogger,
      { card: this.sandbox.provider() },
      { returnUrl: (t, a) => `${RETURN_ORIGIN}/pay/${t}/return?attempt=${a}` },
    );
  }

  /** Another process's renewal machinery over the same stores. */
  renewalsProcess(): AgreementRenewals {
    const handler = this.handler();
    return new AgreementRenewals({
      handler,
      subscriptions: new SubscriptionCommands(handler, this.runner, this.issuer, this.clock),
      charger: this.chargerOf(handler),
      clock: this.clock,
      settings: DEFAULT_AGREEMENT_SETTINGS,
    });
  }

  schedulerOf(renewals: AgreementRenewals): AgreementScheduler {
    return new AgreementScheduler({
      renewals,
      views: this.runner,
      clock: this.clock,
      logger: silentLogger,
      settings: DEFAULT_AGREEMENT_SETTINGS,
    });
  }

  static async open(start: string): Promise<AgreementWorld> {
    const sandbox = await startCardSandbox(new ManualClock(start));
    const world = new AgreementWorld(mkdtempSync(join(tmpdir(), 'tessera-agreements-')), start, sandbox);
    await world.runner.start();
    const catalog = new CatalogCommands(world.handler());
    world.providerA = (await catalog.registerProvider({ name: 'News A' }, ctx)).id;
    world.providerB = (await catalog.registerProvider({ name: 'Films B' }, ctx)).id;
    const base = { price: { amount: 9900, currency: 'NOK' }, vatRate: 2500, kind: 'subscription' } as const;
    await catalog.addProduct(
      world.providerA,
      { ...base, sku: 'monthly', name: 'Monthly', period: 'P1M' },
      ctx,
    );
    await catalog.addProduct(
      world.providerA,
      { ...base, sku: 'trial-monthly', name: 'Try', period: 'P1M', trial: 'P14D' },
      ctx,
    );
    await catalog.addProduct(world.providerB, { ...base, sku: 'films', name: 'Films', period: 'P1M' }, ctx);
    await world.caughtUp();
    return world;
  }

  async useCard(number: string): Promise<void> {
    const token = await this.sandbox.tokenize(number);
    this.card = { kind: 'card', token, brand: 'visa', last4: number.slice(-4), expMonth: 12, expYear: 2030 };
  }

  async caughtUp(): Promise<void> {
    const head = await this.store.headPosition();
    if (!(await this.runner.waitFor(head, { timeoutMs: 10_000 }))) throw new Error('projections lag behind');
  }

  /** A scheduler tick on caught-up read models (as a running server sees them a moment later). */
  async tick() {
    await this.caughtUp();
    const report = await this.scheduler.tick();
    await this.caughtUp();
    return report;
  }

  async doc(agreementId: string): Promise<AgreementDoc> {
    await this.caughtUp();
    return (await this.runner.view<AgreementDoc>(AGREEMENTS_PROJECTION, 'agreements').get(agreementId))!;
  }

  async subscription(subscriptionId: string): Promise<SubscriptionDoc> {
    await this.caughtUp();
    return (await this.runner
      .view<SubscriptionDoc>(SUBSCRIPTIONS_PROJECTION, 'subscriptions')
      .get(subscriptionId))!;
  }

  /** The period's transaction from its log, or null when none was created. */
  async transaction(providerId: string, agreementId: string, period: number): Promise<Transaction | null> {
    const held = await this.store.getReservation(
      orderReservationKey(providerId, `agreement:${agreementId}:${period}`),
    );
    if (held === null) return null;
    const { state } = await this.handler().load(transactionDecider, held.streamId);
    return state.status === 'none' ? null : state;
  }

  async create(extra: Partial<Parameters<AgreementCommands['create']>[1]> = {}) {
    const created = await this.commands.create(
      this.providerA,
      {
        sku: 'monthly',
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: 'client-a',
        ...extra,
      },
      ctx,
    );
    return created.agreementId;
  }

  async close(): Promise<void> {
    await this.runner.stop();
    await this.readModels.close();
    await this.store.close();
    await this.sandbox.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
