import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CatalogQueries } from '../../../application/catalog/catalog-queries.js';
import { ClientQueries } from '../../../application/catalog/client-queries.js';
import type { CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import { PaymentFlow } from '../../../application/payment/payment-flow.js';
import { TransactionCommands } from '../../../application/payment/transaction-commands.js';
import type { EventStore } from '../../../application/ports/event-store.js';
import type { Logger } from '../../../application/ports/logger.js';
import {
  PERSONAL_DATA_VAULT,
  type PersonalDataVault,
} from '../../../application/ports/personal-data-vault.js';
import { RightCommands } from '../../../application/right/right-commands.js';
import { OneTimeCodes } from '../../../application/signin/one-time-codes.js';
import type { StaffRole } from '../../../application/staff/staff-directory.js';
import { SubscriptionCommands } from '../../../application/subscription/subscription-commands.js';
import { CatalogNames } from '../../../application/support/names.js';
import { StateAsOfQuery } from '../../../application/support/state-as-of.js';
import {
  DEFAULT_SUPPORT_POLICY,
  type StaffPrincipal,
  type SupportPolicy,
} from '../../../application/support/support-access.js';
import { type ActionMeta, SupportActions } from '../../../application/support/support-actions.js';
import { AccountTimeline } from '../../../application/support/timeline.js';
import { UserLookup } from '../../../application/support/user-lookup.js';
import { UserStreams } from '../../../application/support/user-streams.js';
import { PORTS } from '../../../application/tokens.js';
import { UserCommands } from '../../../application/user/user-commands.js';
import { UserQueries } from '../../../application/user/user-queries.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { supportStreamsProjection } from '../../../projections/support-streams.js';
import { Browser } from '../../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  type RegisteredClient,
  registerConfidentialClient,
  signInWithPhone,
} from '../../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../../support/provider-backend.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

export const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
};
export const PLAN = {
  sku: 'premium-monthly',
  name: 'Premium',
  kind: 'subscription',
  price: { amount: 12900, currency: 'NOK' },
  vatRate: 2500,
  period: 'P1M',
};
export const REDIRECT_URI = 'http://127.0.0.1/cb';
export const HOUR = 3_600_000;
export const nok = (amount: number) => ({ amount, currency: 'NOK' });

export const agent: StaffPrincipal = {
  sub: '0190f3c2-7a1b-7c3d-8e4f-00000000a9e7',
  roles: ['support-agent'],
};
export const lead: StaffPrincipal = { sub: '0190f3c2-7a1b-7c3d-8e4f-0000000001ead', roles: ['support-lead'] };
export const auditor: StaffPrincipal = { sub: '0190f3c2-7a1b-7c3d-8e4f-0000000a0d17', roles: ['auditor'] };

export const meta = (staff: StaffPrincipal, reason: string): ActionMeta => ({
  staff,
  reason,
  correlationId: `corr-${randomUUID()}`,
});

/** The instants of the story's steps, each an hour apart. */
export interface Story {
  readonly sub: string;
  readonly phone: string;
  readonly client: RegisteredClient;
  readonly signedInAt: string;
  readonly rightId: string;
  readonly rightAt: string;
  readonly subscriptionId: string;
  readonly subscribedAt: string;
  readonly transactionId: string;
  readonly paidAt: string;
  readonly refundedAt: string;
}

/**
 * The real server (embedded, manual clock) with the support services built on its container, and
 * the support_user_streams projection run by its own runner on a temp read-model file (it is not
 * among the server's projections until the composition root adds it).
 */
export class SupportWorld {
  readonly clock = new ManualClock(new Date());
  server!: TestServer;
  acme!: ProviderBackend;
  runner!: ProjectionRunner;
  store!: EventStore;
  vault!: PersonalDataVault;
  lookup!: UserLookup;
  timeline!: AccountTimeline;
  state!: StateAsOfQuery;
  actions!: SupportActions;
  private dir!: string;
  private readModels!: SqliteReadModelStore;

  async open(): Promise<void> {
    this.server = await startTestServer({ clock: this.clock });
    const c = this.server.server.container;
    this.store = c.get<EventStore>(PORTS.EventStore);
    this.vault = c.get<PersonalDataVault>(PERSONAL_DATA_VAULT);
    this.dir = mkdtempSync(join(tmpdir(), 'tessera-support-'));
    this.readModels = SqliteReadModelStore.open({ file: join(this.dir, 'support.db') });
    this.runner = new ProjectionRunner({
      store: this.store,
      readModels: this.readModels,
      projections: [supportStreamsProjection],
      checkpointIntervalMs: 10,
    });
    await this.runner.start();
    const streams = new UserStreams(this.runner, this.store);
    this.lookup = new UserLookup(c.get(UserQueries), { defaultCountry: 'NO' });
    this.timeline = new AccountTimeline(
      streams,
      new CatalogNames(c.get(CatalogQueries), c.get(ClientQueries)),
    );
    this.state = new StateAsOfQuery(streams, this.vault);
    this.actions = this.supportActions(DEFAULT_SUPPORT_POLICY);
    this.acme = await registerProviderBackend(this.server, 'Acme', [FILM, PLAN]);
  }

  supportActions(policy: SupportPolicy): SupportActions {
    const c = this.server.server.container;
    return new SupportActions(
      c.get<CommandHandler>(PORTS.CommandHandler),
      this.clock,
      c.get<Logger>(PORTS.Logger),
      this.vault,
      policy,
      c.get(PaymentFlow),
      c.get(RightCommands),
      c.get(SubscriptionCommands),
      c.get(UserCommands),
      c.get(OneTimeCodes),
    );
  }

  get<T>(id: Parameters<typeof this.server.server.container.get<T>>[0]): T {
    return this.server.server.container.get<T>(id);
  }

  async close(): Promise<void> {
    await this.runner.stop();
    await this.readModels.close();
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Waits until the support projection has applied the whole log. */
  async caughtUp(): Promise<void> {
    const head = await this.store.headPosition();
    expect(await this.runner.waitFor(head, { timeoutMs: 5000 })).to.equal(true);
  }

  /** Signs a new person in through the OIDC flow (phone code, consent); returns their sub. */
  async signIn(phone: string, client: RegisteredClient): Promise<string> {
    this.clock.advance(10 * 60_000);
    const browser = new Browser(this.server.url);
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope: 'openid phone' });
    const afterCode = await signInWithPhone(this.server, browser, await browser.get(request.url), phone);
    const callback =
      afterCode.leftTo !== null
        ? new URL(afterCode.leftTo)
        : await answerConsent(browser, afterCode, 'allow');
    const tokens = await redeem(client.rp, request, callback);
    return tokens.claims()!.sub;
  }

  async cardMethod(transactionId: string) {
    const res = await fetch(`${this.server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: '4242 4242 4242 4242',
        expiry: '12/30',
        cvc: '123',
        return_url: `${this.server.url}/pay/${transactionId}/card`,
        state: 's',
      }),
    });
    expect(res.status).to.equal(303);
    const back = new URL(res.headers.get('location')!);
    return {
      kind: 'card' as const,
      token: back.searchParams.get('token')!,
      brand: back.searchParams.get('brand')!,
      last4: back.searchParams.get('last4')!,
      expMonth: Number(back.searchParams.get('exp_month')),
      expYear: Number(back.searchParams.get('exp_year')),
    };
  }

  /**
   * The story the timeline tests read: sign-in with consent, a right from the provider, a
   * subscription, a card purchase, and a partial refund by support, an hour apart each.
   */
  async story(phone: string): Promise<Story> {
    const client = await registerConfidentialClient(this.server, this.acme.providerId, {
      name: 'Acme App',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone'],
    });
    const providerCtx: CommandContext = {
      actor: { kind: 'client', id: this.acme.clientId },
      correlationId: `corr-${randomUUID()}`,
    };
    const sub = await this.signIn(phone, client);
    const signedInAt = this.clock.now().toISOString();

    this.clock.advance(HOUR);
    const rightAt = this.clock.now().toISOString();
    const { rightId } = await this.get<RightCommands>(RightCommands).grant(
      {
        sub,
        providerId: this.acme.providerId,
        sku: FILM.sku,
        grantor: { kind: 'provider', id: this.acme.clientId },
      },
      providerCtx,
    );

    this.clock.advance(HOUR);
    const subscribedAt = this.clock.now().toISOString();
    const { subscriptionId } = await this.get<SubscriptionCommands>(SubscriptionCommands).start(
      this.acme.providerId,
      sub,
      PLAN.sku,
      providerCtx,
    );

    this.clock.advance(HOUR);
    const paidAt = this.clock.now().toISOString();
    const created = await this.get<TransactionCommands>(TransactionCommands).create(
      this.acme.providerId,
      {
        orderId: `order-${randomUUID()}`,
        sub,
        description: 'Film night',
        amount: nok(4900),
        vatRate: 2500,
        successRedirect: 'https://shop.example/ok',
        cancelRedirect: 'https://shop.example/cancel',
        createdBy: this.acme.clientId,
      },
      providerCtx,
    );
    const transactionId = created.transactionId;
    const paid = await this.get<PaymentFlow>(PaymentFlow).pay(
      transactionId,
      { sub, method: await this.cardMethod(transactionId) },
      { actor: { kind: 'user', id: sub }, correlationId: `corr-${randomUUID()}` },
    );
    expect(paid.status).to.equal('captured');

    this.clock.advance(HOUR);
    const refundedAt = this.clock.now().toISOString();
    await this.actions.refund(sub, { transactionId, amount: nok(2000) }, meta(agent, 'Film would not play'));
    await this.caughtUp();
    return {
      sub,
      phone,
      client,
      signedInAt,
      rightId,
      rightAt,
      subscriptionId,
      subscribedAt,
      transactionId,
      paidAt,
      refundedAt,
    };
  }
}

export const roles = (...r: StaffRole[]): StaffPrincipal => ({ sub: randomUUID(), roles: r });
