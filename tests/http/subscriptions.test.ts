import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SubscriptionScheduler } from '../../application/subscription/subscription-scheduler.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PRICE = { price: { amount: 12900, currency: 'NOK' }, vatRate: 2500 };
const MONTHLY = {
  sku: 'premium',
  name: 'Premium',
  kind: 'subscription',
  period: 'P1M',
  trial: 'P14D',
  ...PRICE,
};
const YEARLY = {
  sku: 'premium-yearly',
  name: 'Premium yearly',
  kind: 'subscription',
  period: 'P1Y',
  ...PRICE,
};
const RENTAL = { sku: 'film', name: 'Film', kind: 'one_time', timeSpec: 'P2D', ...PRICE };
const DAY = 24 * 3600 * 1000;

/**
 * Subscriptions over HTTP with the clock moved by hand and the scheduler ticked: trial, renewals
 * that issue one right per period, cancellation at period end and resumption, suspension, plan
 * changes from the next period, and isolation between providers.
 */
describe('HTTP: subscriptions', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let beta: ProviderBackend;

  const tick = () => server.server.container.get(SubscriptionScheduler).tick();
  const base = (sub: string) => `/v1/users/${sub}/subscriptions`;
  const rights = async (sub: string) =>
    (await acme.call('GET', `/v1/users/${sub}/rights`)).body.rights as Array<Record<string, unknown>>;
  const access = async (sub: string, sku = 'premium') =>
    (await acme.call('GET', `/v1/users/${sub}/access?sku=${sku}`)).body as Record<string, unknown>;
  /** After a tick, reads wait for the projections to catch up with everything written. */
  async function advance(ms: number) {
    clock.advance(ms);
    await tick();
  }
  const get = async (sub: string, id: string) =>
    (await acme.call('GET', `${base(sub)}/${id}?minPosition=0`)).body as Record<string, unknown>;

  before(async () => {
    clock = new ManualClock(new Date('2026-01-31T12:00:00.000Z'));
    server = await startTestServer({ clock });
    acme = await registerProviderBackend(server, 'Acme', [MONTHLY, YEARLY, RENTAL]);
    beta = await registerProviderBackend(server, 'Beta', [MONTHLY]);
  });
  after(() => server.close());

  it('starts in trial with a right for the trial, then renews monthly with one right per period', async () => {
    const sub = randomUUID();
    const started = await acme.call('POST', base(sub), { sku: 'premium' });
    expect(started.status, JSON.stringify(started.body)).to.equal(201);
    expect(started.body).to.deep.include({
      status: 'trialing',
      sku: 'premium',
      currentPeriod: 1,
      periodStart: '2026-01-31T12:00:00.000Z',
      periodEnd: '2026-02-14T12:00:00.000Z',
      inTrial: true,
      // Started by the provider, not by a charging agreement: renewed at each period end.
      renewal: 'automatic',
      agreementId: null,
      pastDue: false,
    });
    const id = started.body.subscriptionId as string;
    let issued = await rights(sub);
    expect(issued).to.have.length(1);
    expect(issued[0]).to.deep.include({
      validUntil: '2026-02-14T12:00:00.000Z',
      grantor: { kind: 'subscription', id },
    });
    expect((await access(sub)).allowed).to.equal(true);

    await advance(14 * DAY);
    const active = await get(sub, id);
    expect(active).to.deep.include({ status: 'active', currentPeriod: 2, inTrial: false });
    expect(active.periodEnd).to.equal('2026-03-14T12:00:00.000Z');
    await tick(); // a second tick changes nothing
    issued = await rights(sub);
    expect(issued.map((r) => r.validUntil)).to.deep.equal([
      '2026-02-14T12:00:00.000Z',
      '2026-03-14T12:00:00.000Z',
    ]);
  });

  it('cancels at period end, resumes, cancels again and expires at the exact end without a new right', async () => {
    const sub = randomUUID();
    const id = (await acme.call('POST', base(sub), { sku: 'premium-yearly' })).body.subscriptionId as string;
    const scheduled = await acme.call('POST', `${base(sub)}/${id}/cancel`, { atPeriodEnd: true });
    expect(scheduled.body).to.deep.include({ status: 'canceled_at_period_end', cancelAtPeriodEnd: true });
    const resumed = await acme.call('POST', `${base(sub)}/${id}/resume`, {});
    expect(resumed.body).to.deep.include({ status: 'active', cancelAtPeriodEnd: false });
    await acme.call('POST', `${base(sub)}/${id}/cancel`, {});
    const end = Date.parse(String(resumed.body.periodEnd));
    clock.set(new Date(end - 1));
    await tick();
    expect((await get(sub, id)).status).to.equal('canceled_at_period_end');
    expect((await access(sub, 'premium-yearly')).allowed).to.equal(true);
    clock.set(new Date(end));
    await tick();
    expect((await get(sub, id)).status).to.equal('expired');
    expect(await rights(sub)).to.have.length(1);
    expect((await access(sub, 'premium-yearly')).reason).to.equal('expired');
    const late = await acme.call('POST', `${base(sub)}/${id}/resume`, {});
    expect(late.status).to.equal(409);
  });

  it('issues suspended rights while suspended; reactivation takes effect from the next period', async () => {
    const sub = randomUUID();
    const id = (await acme.call('POST', base(sub), { sku: 'premium' })).body.subscriptionId as string;
    expect(
      (await acme.call('POST', `${base(sub)}/${id}/suspend`, { reason: 'payment failed' })).body.status,
    ).to.equal('suspended');
    await advance(14 * DAY);
    const issued = (await rights(sub)).sort((a, b) => String(a.validFrom).localeCompare(String(b.validFrom)));
    expect(issued.map((r) => r.state)).to.deep.equal(['EXPIRED', 'SUSPENDED']);
    expect((await access(sub)).reason).to.equal('suspended');
    await acme.call('POST', `${base(sub)}/${id}/reactivate`, {});
    expect((await access(sub)).allowed).to.equal(false);
    await advance(31 * DAY);
    expect((await access(sub)).allowed).to.equal(true);
  });

  it('changes the plan from the next period', async () => {
    const sub = randomUUID();
    const id = (await acme.call('POST', base(sub), { sku: 'premium' })).body.subscriptionId as string;
    const changed = await acme.call('POST', `${base(sub)}/${id}/plan`, { sku: 'premium-yearly' });
    expect(changed.body).to.deep.include({ sku: 'premium', scheduledSku: 'premium-yearly' });
    await advance(14 * DAY);
    expect(await get(sub, id)).to.deep.include({
      sku: 'premium-yearly',
      scheduledSku: null,
      currentPeriod: 2,
    });
    expect((await rights(sub)).map((r) => r.sku)).to.deep.equal(['premium', 'premium-yearly']);
  });

  it('refuses bad input and other providers', async () => {
    const sub = randomUUID();
    const unknown = await acme.call('POST', base(sub), { sku: 'nope' });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.code).to.equal('plan_not_found');
    const oneTime = await acme.call('POST', base(sub), { sku: 'film' });
    expect(oneTime.status).to.equal(422);
    const missing = await acme.call('POST', base(sub), {});
    expect(missing.status).to.equal(422);
    expect(missing.body.errors[0].path).to.equal('body.sku');

    const id = (await acme.call('POST', base(sub), { sku: 'premium' })).body.subscriptionId as string;
    for (const [method, path] of [
      ['GET', `${base(sub)}/${id}`],
      ['POST', `${base(sub)}/${id}/cancel`],
      ['POST', `${base(sub)}/${id}/suspend`],
      ['POST', `${base(sub)}/${id}/plan`],
    ] as const) {
      const res = await beta.call(method, path, method === 'POST' ? { sku: 'premium' } : undefined);
      expect(res.status, `${method} ${path}`).to.be.oneOf([404]);
    }
    expect((await beta.call('GET', base(sub))).body.subscriptions).to.deep.equal([]);
    const badCancel = await acme.call('POST', `${base(sub)}/${id}/cancel`, { atPeriodEnd: 'soon' });
    expect(badCancel.status).to.equal(422);
    expect(badCancel.body.errors[0].path).to.equal('body.atPeriodEnd');
    const noPlan = await acme.call('POST', `${base(sub)}/${id}/plan`, {});
    expect(noPlan.body.errors[0].path).to.equal('body.sku');
    const extra = await acme.call('POST', `${base(sub)}/${id}/resume`, { now: true });
    expect(extra.status).to.equal(422);
    const me = await acme.call('GET', '/v1/users/me/subscriptions');
    expect(me.status).to.equal(400);
    expect(me.body.code).to.equal('user_required');
    const badId = await acme.call('GET', `${base(sub)}/not-an-id`);
    expect(badId.status).to.equal(400);
    expect(badId.body.errors[0].path).to.equal('params.subscriptionId');
    expect((await acme.call('GET', base(sub))).body.subscriptions).to.have.length(1);
  });
});
