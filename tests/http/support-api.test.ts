import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import { silentLogger } from '../../application/ports/logger.js';
import { STAFF_ROLES, type StaffRole } from '../../application/staff/staff-directory.js';
import { holds } from '../../application/support/support-access.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler } from '../../infrastructure/http/error-handler.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { createSupportApiRouter } from '../../infrastructure/http/support-api-router.js';
import { agent, lead, type Story, SupportWorld } from '../application/support/support-world.js';
import { expectProblem } from '../support/catalog-api.js';
import type { ApiResponse } from '../support/test-server.js';

/**
 * A stand-in for the staff token guard: `X-Test-Staff: <sub> <role,role>` is the signed-in staff
 * member. No header is 401; a header without the role is 403, as the real guard answers.
 */
const fakeGuard =
  (role: StaffRole): RequestHandler =>
  (req, res, next) => {
    const header = req.get('x-test-staff');
    if (!header) return next(new HttpProblem(401, 'unauthorized', 'Sign in as staff.'));
    const [sub = '', list = ''] = header.split(' ');
    const roles = list
      .split(',')
      .filter((r): r is StaffRole => (STAFF_ROLES as readonly string[]).includes(r));
    if (!holds({ sub, roles }, role)) return next(new HttpProblem(403, 'forbidden', `Needs ${role}.`));
    res.locals.staff = { sub, roles };
    next();
  };

describe('HTTP: support API (/v1/support)', function () {
  this.timeout(60_000);
  const world = new SupportWorld();
  let story: Story;
  let server: Server;
  let base: string;

  async function call(
    method: string,
    path: string,
    options: { staff?: string | null; body?: unknown } = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<ApiResponse<any>> {
    const staff = options.staff === undefined ? `${agent.sub} support-agent` : options.staff;
    const headers: Record<string, string> = staff === null ? {} : { 'x-test-staff': staff };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? text : JSON.parse(text) };
  }

  before(async () => {
    await world.open();
    story = await world.story('+4741250611');
    const app = express();
    app.use(correlation(silentLogger));
    app.use(
      '/v1/support',
      createSupportApiRouter({
        guard: fakeGuard,
        lookup: world.lookup,
        timeline: world.timeline,
        state: world.state,
        actions: world.actions,
      }),
    );
    app.use(errorHandler());
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await world.close();
  });

  it('finds a user by phone and by sub; 404 when none matches', async () => {
    const byPhone = await call('GET', `/v1/support/users?phone=${encodeURIComponent('+47 412 50 611')}`);
    expect(byPhone.status, JSON.stringify(byPhone.body)).to.equal(200);
    expect(byPhone.body.user.sub).to.equal(story.sub);
    expect((await call('GET', `/v1/support/users?sub=${story.sub}`)).body.user.phones[0].value).to.equal(
      '+4741250611',
    );
    expectProblem(await call('GET', '/v1/support/users?email=nobody%40example.com'), 404, 'user_not_found');
  });

  it('answers 400 naming the query field for bad searches', async () => {
    const none = expectProblem(await call('GET', '/v1/support/users'), 400, 'invalid_request');
    expect(none.errors?.map((e) => e.path)).to.deep.equal(['query.sub']);
    const two = expectProblem(
      await call('GET', `/v1/support/users?sub=${story.sub}&phone=1`),
      400,
      'invalid_request',
    );
    expect(two.errors?.map((e) => e.path)).to.deep.equal(['query.sub']);
    const phone = expectProblem(
      await call('GET', '/v1/support/users?phone=call%20me'),
      400,
      'invalid_request',
    );
    expect(phone.errors?.map((e) => e.path)).to.deep.equal(['query.phone']);
  });

  it('serves the timeline with kind and period filters and a cursor; 400 for bad values', async () => {
    const all = await call('GET', `/v1/support/users/${story.sub}/timeline`);
    expect(all.status).to.equal(200);
    expect(all.body.entries.map((e: { type: string }) => e.type)).to.include.members([
      'SignedIn',
      'RefundIssued',
    ]);
    const signIns = await call('GET', `/v1/support/users/${story.sub}/timeline?kind=sign-in`);
    expect(signIns.body.entries.map((e: { type: string }) => e.type)).to.deep.equal(['SignedIn']);
    const paged = await call('GET', `/v1/support/users/${story.sub}/timeline?limit=2`);
    expect(paged.body.entries).to.have.length(2);
    const next = await call(
      'GET',
      `/v1/support/users/${story.sub}/timeline?limit=2&cursor=${paged.body.nextCursor}`,
    );
    expect(next.body.entries[0].position).to.equal(all.body.entries[2].position);
    const period = await call(
      'GET',
      `/v1/support/users/${story.sub}/timeline?from=${story.paidAt}&to=${story.refundedAt}&kind=payment`,
    );
    expect(period.body.entries.map((e: { type: string }) => e.type)).to.include('PaymentCaptured');
    expect(period.body.entries.map((e: { type: string }) => e.type)).not.to.include('RefundIssued');

    const bad = expectProblem(
      await call('GET', `/v1/support/users/${story.sub}/timeline?kind=bogus&from=yesterday`),
      400,
      'invalid_request',
    );
    expect(bad.errors?.map((e) => e.path)).to.have.members(['query.kind.0', 'query.from']);
    const badSub = expectProblem(
      await call('GET', '/v1/support/users/nope/timeline'),
      400,
      'invalid_request',
    );
    expect(badSub.errors?.map((e) => e.path)).to.deep.equal(['params.sub']);
  });

  it('serves the state as of an instant', async () => {
    const txOf = (body: { transactions: Array<{ transactionId: string; refunded: { amount: number } }> }) =>
      body.transactions.find((t) => t.transactionId === story.transactionId)!;
    const atRefund = await call('GET', `/v1/support/users/${story.sub}/state?at=${story.refundedAt}`);
    expect(atRefund.status).to.equal(200);
    expect(txOf(atRefund.body).refunded.amount).to.equal(2000);
    const justBefore = new Date(Date.parse(story.refundedAt) - 1).toISOString();
    const before = await call('GET', `/v1/support/users/${story.sub}/state?at=${justBefore}`);
    expect(txOf(before.body).refunded.amount).to.equal(0);
    const early = await call('GET', `/v1/support/users/${story.sub}/state?at=2000-01-01T00:00:00Z`);
    expect(early.body.account.status).to.equal('unregistered');
    const bad = expectProblem(
      await call('GET', `/v1/support/users/${story.sub}/state?at=soon`),
      400,
      'invalid_request',
    );
    expect(bad.errors?.map((e) => e.path)).to.deep.equal(['query.at']);
  });

  it('runs an action as the signed-in agent with the reason, and reports its position', async () => {
    const res = await call('POST', `/v1/support/users/${story.sub}/actions/suspend-right`, {
      body: { rightId: story.rightId, reason: 'Chargeback' },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ action: 'suspend-right' });
    expect(res.headers.get('tessera-position')).to.equal(String(res.body.position));
    const last = (await world.store.readStream(`right-${story.rightId}`)).at(-1)!;
    expect(last.type).to.equal('RightSuspended');
    expect(last.metadata.actor).to.deep.equal({ kind: 'support', id: agent.sub });
    expect(last.metadata.reason).to.equal('Chargeback');
  });

  it('answers 422 naming body.reason when the reason is missing or blank', async () => {
    for (const body of [{ rightId: story.rightId }, { rightId: story.rightId, reason: '  ' }]) {
      const res = await call('POST', `/v1/support/users/${story.sub}/actions/reactivate-right`, { body });
      const problem = expectProblem(res, 422, 'validation_failed');
      expect(problem.errors?.map((e) => e.path)).to.deep.equal(['body.reason']);
    }
    const badBody = expectProblem(
      await call('POST', `/v1/support/users/${story.sub}/actions/refund`, {
        body: { transactionId: 'x', amount: { amount: -1, currency: 'NOK' }, reason: 'r' },
      }),
      422,
      'validation_failed',
    );
    expect(badBody.errors?.map((e) => e.path)).to.include('body.transactionId');
  });

  it('answers 401 without staff, 403 without the role, and 403 for an agent beyond their powers', async () => {
    const path = `/v1/support/users/${story.sub}/actions/lock-sign-in`;
    const body = { reason: 'Takeover suspected' };
    expectProblem(await call('POST', path, { staff: null, body }), 401, 'unauthorized');
    expectProblem(await call('POST', path, { staff: `${agent.sub} auditor`, body }), 403, 'forbidden');
    expectProblem(
      await call('GET', `/v1/support/users?sub=${story.sub}`, { staff: `${agent.sub} auditor` }),
      403,
      'forbidden',
    );
    const unlock = `/v1/support/users/${story.sub}/actions/unlock-sign-in`;
    expectProblem(await call('POST', unlock, { body: { reason: 'ok' } }), 403, 'forbidden');
    const tooLong = await call('POST', `/v1/support/users/${story.sub}/actions/grant-right`, {
      body: { providerId: world.acme.providerId, sku: 'film-48h', validUntil: null, reason: 'Goodwill' },
    });
    expectProblem(tooLong, 403, 'support_lead_required');

    expect((await call('POST', path, { body })).status).to.equal(200);
    const unlocked = await call('POST', unlock, {
      staff: `${lead.sub} support-lead`,
      body: { reason: 'Owner verified' },
    });
    expect(unlocked.status, JSON.stringify(unlocked.body)).to.equal(200);
  });
});
