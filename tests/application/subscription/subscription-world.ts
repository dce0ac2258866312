import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogEvents } from '../../../domain/catalog/events.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { subscriptionEvents } from '../../../domain/subscription/events.js';
import { CatalogCommands } from '../../../application/catalog/catalog-commands.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import { silentLogger } from '../../../application/ports/logger.js';
import type {
  GrantRightInput,
  GrantRightResult,
  RightIssuer,
} from '../../../application/right/right-issuer.js';
import { SubscriptionCommands } from '../../../application/subscription/subscription-commands.js';
import { SubscriptionScheduler } from '../../../application/subscription/subscription-scheduler.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { catalogProjection } from '../../../projections/catalog.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import {
  SUBSCRIPTIONS_PROJECTION,
  type SubscriptionDoc,
  subscriptionsProjection,
} from '../../../projections/subscriptions.js';

export const ctx: CommandContext = {
  actor: { kind: 'client', id: 'provider-client' },
  correlationId: 'corr-test',
};
export const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';

/**
 * Stands in for the Right aggregate: records every grant, idempotent by rightId as the real one is.
 * `failNext` simulates a crash before ('before') or after ('after') the grant is stored.
 */
export class RecordingRightIssuer implements RightIssuer {
  readonly rights = new Map<string, GrantRightInput>();
  /** Every call, including repeats. */
  calls = 0;
  failNext: 'before' | 'after' | null = null;

  async grant(input: GrantRightInput): Promise<GrantRightResult> {
    this.calls++;
    const failure = this.failNext;
    if (failure === 'before') {
      this.failNext = null;
      throw new Error('simulated crash before the grant');
    }
    const rightId = input.rightId!;
    const created = !this.rights.has(rightId);
    if (created) this.rights.set(rightId, input);
    if (failure === 'after') {
      this.failNext = null;
      throw new Error('simulated crash after the grant');
    }
    return { rightId, position: created ? 1 : null, created };
  }

  /** Granted rights of one subscription, by period start. */
  of(subscriptionId: string): GrantRightInput[] {
    return [...this.rights.values()]
      .filter((r) => r.grantor.id === subscriptionId)
      .sort((a, b) => a.validFrom!.localeCompare(b.validFrom!));
  }
}

export interface SubscriptionWorld {
  readonly clock: ManualClock;
  readonly store: SqliteEventStore;
  readonly issuer: RecordingRightIssuer;
  readonly commands: SubscriptionCommands;
  readonly scheduler: SubscriptionScheduler;
  /** A second scheduler over the same stores, as another process would run it. */
  readonly otherScheduler: SubscriptionScheduler;
  readonly providerA: string;
  readonly providerB: string;
  caughtUp(): Promise<void>;
  doc(subscriptionId: string): Promise<SubscriptionDoc>;
  close(): Promise<void>;
}

/** Catalog and subscriptions on real SQLite stores in a temp directory, with a manual clock. */
export async function openSubscriptionWorld(start: string): Promise<SubscriptionWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-subscriptions-'));
  const clock = new ManualClock(start);
  const store = SqliteEventStore.open({
    file: join(dir, 'events.db'),
    registry: new EventRegistry([...catalogEvents, ...subscriptionEvents]),
    clock,
  });
  const readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
  const runner = new ProjectionRunner({
    store,
    readModels,
    projections: [catalogProjection, subscriptionsProjection],
    checkpointIntervalMs: 10,
  });
  await runner.start();
  const handler = new CommandHandler(store, clock);
  const issuer = new RecordingRightIssuer();
  const commands = new SubscriptionCommands(handler, runner, issuer, clock);
  const otherCommands = new SubscriptionCommands(new CommandHandler(store, clock), runner, issuer, clock);
  const catalog = new CatalogCommands(handler);
  const providerA = (await catalog.registerProvider({ name: 'News A' }, ctx)).id;
  const providerB = (await catalog.registerProvider({ name: 'Film B' }, ctx)).id;
  const base = { price: { amount: 9900, currency: 'NOK' }, vatRate: 2500 };
  const products = [
    [providerA, { ...base, sku: 'monthly', name: 'Monthly', kind: 'subscription', period: 'P1M' }],
    [
      providerA,
      { ...base, sku: 'trial-monthly', name: 'Try', kind: 'subscription', period: 'P1M', trial: 'P14D' },
    ],
    [providerA, { ...base, sku: 'weekly', name: 'Weekly', kind: 'subscription', period: 'P1W' }],
    [providerA, { ...base, sku: 'day-pass', name: 'Day pass', kind: 'one_time', timeSpec: 'P1D' }],
    [providerB, { ...base, sku: 'film-monthly', name: 'Films', kind: 'subscription', period: 'P1M' }],
  ] as const;
  for (const [providerId, input] of products) await catalog.addProduct(providerId, input, ctx);

  const caughtUp = async () => {
    const head = await store.headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 5000 }))) throw new Error('projections lag behind');
  };
  await caughtUp();
  return {
    clock,
    store,
    issuer,
    commands,
    scheduler: new SubscriptionScheduler(commands, runner, clock, silentLogger),
    otherScheduler: new SubscriptionScheduler(otherCommands, runner, clock, silentLogger),
    providerA,
    providerB,
    caughtUp,
    async doc(subscriptionId) {
      await caughtUp();
      const doc = await runner
        .view<SubscriptionDoc>(SUBSCRIPTIONS_PROJECTION, 'subscriptions')
        .get(subscriptionId);
      if (!doc) throw new Error(`no subscription ${subscriptionId}`);
      return doc;
    },
    async close() {
      await runner.stop();
      await readModels.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
