import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import { TransactionCommands } from '../../application/payment/transaction-commands.js';
import { ReportQueries } from '../../application/reports/report-queries.js';
import { SubscriptionCommands } from '../../application/subscription/subscription-commands.js';
import { SubscriptionScheduler } from '../../application/subscription/subscription-scheduler.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { conversionReportProjection } from '../../projections/reports-conversion.js';
import { revenueReportProjection } from '../../projections/reports-revenue.js';
import { subscriptionReportProjection } from '../../projections/reports-subscriptions.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { type ProviderBackend, registerProviderBackend } from './provider-backend.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

export const REPORT_PROJECTIONS = [
  revenueReportProjection,
  subscriptionReportProjection,
  conversionReportProjection,
];

const PRICE = { price: { amount: 9900, currency: 'NOK' }, vatRate: 2500 };
export const PRODUCTS = [
  { sku: 'film', name: 'Film', kind: 'one_time', timeSpec: 'P2D', ...PRICE },
  { sku: 'premium', name: 'Premium', kind: 'subscription', period: 'P1M', trial: 'P7D', ...PRICE },
  { sku: 'basic', name: 'Basic', kind: 'subscription', period: 'P1M', ...PRICE },
];
export const DAY_MS = 24 * 3600 * 1000;

/** A product line of a transaction. */
interface Line {
  readonly sku?: string;
  readonly name: string;
  readonly price: { readonly amount: number; readonly currency: string };
  readonly vatRate: number;
}

/**
 * The real server (embedded, temp dir, manual clock) with two providers, plus the report
 * projections run by their own runner over the server's event and read-model stores, the way the
 * composition root runs every projection.
 */
export class ReportsWorld {
  readonly runner: ProjectionRunner;
  readonly queries: ReportQueries;
  private seq = 0;

  private constructor(
    readonly server: TestServer,
    readonly clock: ManualClock,
    readonly acme: ProviderBackend,
    readonly beta: ProviderBackend,
  ) {
    const container = server.server.container;
    this.runner = new ProjectionRunner({
      store: container.get<EventStore>(TOKENS.EventStore),
      readModels: container.get<ReadModelStore>(TOKENS.ReadModelStore),
      projections: REPORT_PROJECTIONS,
      checkpointIntervalMs: 10,
    });
    this.queries = new ReportQueries(this.runner);
  }

  static async start(options: TestServerOptions & { readonly start?: string } = {}): Promise<ReportsWorld> {
    const clock = new ManualClock(new Date(options.start ?? '2026-03-01T09:00:00.000Z'));
    const server = await startTestServer({ ...options, clock });
    try {
      const acme = await registerProviderBackend(server, 'Acme', PRODUCTS);
      const beta = await registerProviderBackend(server, 'Beta', PRODUCTS);
      const world = new ReportsWorld(server, clock, acme, beta);
      await world.runner.start();
      return world;
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  get eventStore(): EventStore {
    return this.server.server.container.get<EventStore>(TOKENS.EventStore);
  }

  private ctx(): CommandContext {
    return { actor: { kind: 'system', id: 'reports-test' }, correlationId: randomUUID() };
  }

  /** A client_credentials token of a new client of the provider holding exactly `scopes`. */
  async clientToken(providerId: string, scopes: readonly string[]): Promise<string> {
    const client = await this.server.request('POST', `/admin/v1/providers/${providerId}/clients`, {
      body: { clientType: 'confidential', name: 'Reports', grantTypes: ['client_credentials'], scopes },
    });
    expect(client.status, JSON.stringify(client.body)).to.equal(201);
    const { clientId, clientSecret } = client.body as { clientId: string; clientSecret: string };
    const res = await fetch(`${this.server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    expect(res.status, JSON.stringify(body)).to.equal(200);
    return body.access_token!;
  }

  /** A new account (a real registration), returning its sub. */
  async user(): Promise<string> {
    const phone = `+47418${String(10000 + this.seq++).padStart(5, '0')}`;
    const result = await this.server.server.container
      .get(UserCommands)
      .registerWithIdentifier({ kind: 'phone', value: phone }, this.ctx());
    return result.sub;
  }

  async signIn(sub: string, clientId: string | null): Promise<void> {
    await this.server.server.container
      .get(UserCommands)
      .recordSignIn(sub, { method: 'sms', withPassword: false, clientId }, this.ctx());
  }

  /** Creates a transaction (lines may be empty) and, unless `capture` is false, captures it. */
  async purchase(
    provider: ProviderBackend,
    sub: string,
    amount: { amount: number; currency: string },
    lines: readonly Line[],
    capture = true,
  ): Promise<string> {
    const commands = this.server.server.container.get(TransactionCommands);
    const created = await commands.create(
      provider.providerId,
      {
        orderId: `order-${randomUUID()}`,
        sub,
        description: 'Report test',
        amount,
        vatRate: 2500,
        ...(lines.length === 0 ? {} : { products: [...lines] }),
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: provider.clientId,
      },
      this.ctx(),
    );
    const id = created.transactionId;
    if (capture) {
      const attempt = await commands.startAttempt(
        provider.providerId,
        id,
        { method: { kind: 'card', reference: `tok_${randomUUID().slice(0, 8)}` } },
        this.ctx(),
      );
      await commands.capture(provider.providerId, id, attempt.attemptId, {}, this.ctx());
    }
    return id;
  }

  async refund(
    provider: ProviderBackend,
    transactionId: string,
    amount: { amount: number; currency: string },
  ) {
    await this.server.server.container
      .get(TransactionCommands)
      .refund(
        provider.providerId,
        transactionId,
        { amount, reason: 'test', issuer: { kind: 'provider', id: provider.clientId } },
        this.ctx(),
      );
  }

  async subscribe(provider: ProviderBackend, sub: string, sku: string): Promise<string> {
    const result = await this.server.server.container
      .get(SubscriptionCommands)
      .start(provider.providerId, sub, sku, this.ctx());
    return result.subscriptionId;
  }

  async cancel(provider: ProviderBackend, subscriptionId: string, atPeriodEnd: boolean): Promise<void> {
    await this.server.server.container
      .get(SubscriptionCommands)
      .cancel(provider.providerId, subscriptionId, { atPeriodEnd }, this.ctx());
  }

  /** Moves the clock on and lets the subscription scheduler do what became due. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.server.server.container.get(SubscriptionScheduler).tick();
  }

  /** Waits until the report projections have applied the whole log. */
  async caughtUp(): Promise<void> {
    const head = await this.eventStore.headPosition();
    if (!(await this.runner.waitFor(head, { timeoutMs: 10_000 })))
      throw new Error('report projections lag behind');
  }

  async close(): Promise<void> {
    await this.runner.stop();
    await this.server.close();
  }
}
