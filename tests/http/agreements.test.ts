import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';
import { silentLogger } from '../../application/ports/logger.js';
import { createAgreementsRouter } from '../../infrastructure/http/agreements-router.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { createReadAfterWrite } from '../../infrastructure/http/read-after-write.js';
import { AgreementWorld, DAY, methodId, sub } from '../application/agreement/agreement-world.js';

const OTHER_SUB = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
const ISSUER = 'https://id.example';
const WRITE = ['payment.transactions.write'];

/**
 * The agreements API over HTTP on a small app with the real router, problem handling and SQLite
 * stores; tokens are verified by a stand-in that knows a few tokens (a backend of provider A, one
 * of provider B, a user token, a token without the scope).
 */
describe('Charging agreements API (/v1/agreements)', function () {
  this.timeout(60_000);
  let w: AgreementWorld;
  let server: Server;
  let base = '';

  const tokens = (): Record<string, VerifiedToken> => ({
    'backend-a': { clientId: 'client-a', sub: null, scopes: WRITE, expiresAt: 2e9 },
    'backend-b': { clientId: 'client-b', sub: null, scopes: WRITE, expiresAt: 2e9 },
    'user-a': { clientId: 'client-a', sub, scopes: WRITE, expiresAt: 2e9 },
    'reader-a': { clientId: 'client-a', sub: null, scopes: ['id.user.read'], expiresAt: 2e9 },
  });

  before(async () => {
    w = await AgreementWorld.open('2026-01-31T10:00:00.000Z');
    await w.useCard('4242 4242 4242 4242');
    const known = tokens();
    const verifier: TokenVerifier = { verify: async (token) => known[token] ?? null };
    const providers: Record<string, string> = { 'client-a': w.providerA, 'client-b': w.providerB };
    const app = express();
    app.use(correlation(silentLogger));
    app.use(
      '/v1',
      express.json(),
      createAgreementsRouter({
        commands: w.commands,
        queries: w.queries,
        issuer: () => ISSUER,
        verifier,
        providerOf: async (clientId) => providers[clientId] ?? null,
        views: w.runner,
        awaitMinPosition: createReadAfterWrite({
          views: w.runner,
          headPosition: () => w.store.headPosition(),
          timeoutMs: 5000,
        }),
        writeVisibleTimeoutMs: 5000,
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await w.close();
  });

  async function call(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as any };
  }

  const valid = {
    sku: 'monthly',
    successRedirect: 'https://shop.example/ok',
    cancelRedirect: 'https://shop.example/cancel',
  };

  it('creates an agreement with the plan’s terms and a confirmation link', async () => {
    const res = await call('POST', '/v1/agreements', 'backend-a', { ...valid, sub, recurrence: 'R12/P1M' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const id = res.body.agreementId as string;
    expect(res.headers.get('location')).to.equal(`/v1/agreements/${id}`);
    expect(res.headers.get('tessera-position')).to.match(/^\d+$/);
    expect(res.body).to.deep.include({
      status: 'pending',
      sub,
      sku: 'monthly',
      price: { amount: 9900, currency: 'NOK' },
      vat: { amount: 1980, currency: 'NOK' },
      recurrence: 'R12/P1M',
      count: 12,
      trial: null,
      firstPayment: true,
      paymentMethod: null,
    });
    expect(res.body.links.confirmation).to.equal(`${ISSUER}/pay/agreements/${id}`);
  });

  it('takes the plan’s trial and lets the provider override it', async () => {
    const trial = await call('POST', '/v1/agreements', 'backend-a', { ...valid, sku: 'trial-monthly' });
    expect(trial.body).to.deep.include({ trial: 'P14D', firstPayment: false });
    const shorter = await call('POST', '/v1/agreements', 'backend-a', {
      ...valid,
      sku: 'trial-monthly',
      trial: 'P7D',
    });
    expect(shorter.body).to.deep.include({ trial: 'P7D', firstPayment: false });
  });

  it('answers a repeated Idempotency-Key with the first agreement, and another body with 409', async () => {
    const headers = { 'idempotency-key': 'agr-key-1' };
    const first = await call('POST', '/v1/agreements', 'backend-a', valid, headers);
    const again = await call('POST', '/v1/agreements', 'backend-a', valid, headers);
    expect(again.status).to.equal(201);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body.agreementId).to.equal(first.body.agreementId);
    const other = await call(
      'POST',
      '/v1/agreements',
      'backend-a',
      { ...valid, sku: 'trial-monthly' },
      headers,
    );
    expect(other.status).to.equal(409);
    expect(other.body.type).to.match(/idempotency-key-reused$/);
  });

  it('refuses bad input with problem+json and field paths', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...valid, sku: undefined }, 'body.sku'],
      [{ ...valid, recurrence: 'monthly' }, 'body.recurrence'],
      [{ ...valid, price: { amount: 99.5, currency: 'NOK' } }, 'body.price.amount'],
      [{ ...valid, trial: 'two weeks' }, 'body.trial'],
      [{ ...valid, successRedirect: 'javascript:alert(1)' }, 'body.successRedirect'],
      [{ ...valid, extra: true }, 'body'],
      [{ ...valid, sub: 'not-a-uuid' }, 'body.sub'],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/v1/agreements', 'backend-a', body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(res.body),
      ).to.include(path);
    }
  });

  it('refuses terms the plan does not allow, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...valid, price: { amount: 100, currency: 'NOK' } }, 422, 'price_mismatch'],
      [{ ...valid, recurrence: 'R/P1W' }, 422, 'recurrence_mismatch'],
      [{ ...valid, sku: 'trial-monthly', firstPayment: true }, 422, 'trial_with_first_payment'],
      [{ ...valid, sku: 'films' }, 422, 'plan_not_found'],
      [{ ...valid, sku: 'no-such-plan' }, 422, 'plan_not_found'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('POST', '/v1/agreements', 'backend-a', body);
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.body.type).to.equal(`https://tessera.dev/problems/${code.replaceAll('_', '-')}`);
    }
  });

  it('needs a token with payment.transactions.write', async () => {
    expect((await call('POST', '/v1/agreements', null, valid)).status).to.equal(401);
    expect((await call('POST', '/v1/agreements', 'nonsense', valid)).status).to.equal(401);
    expect((await call('GET', '/v1/agreements', 'reader-a')).status).to.equal(403);
  });

  it('a user token makes agreements for its own user only', async () => {
    const own = await call('POST', '/v1/agreements', 'user-a', valid);
    expect(own.status).to.equal(201);
    expect(own.body.sub).to.equal(sub);
    const other = await call('POST', '/v1/agreements', 'user-a', { ...valid, sub: OTHER_SUB });
    expect(other.status).to.equal(422);
    expect(other.body.errors[0].path).to.equal('body.sub');
  });

  it('lists and reads only the caller’s provider’s agreements; another’s is 404', async () => {
    const created = await call('POST', '/v1/agreements', 'backend-a', { ...valid, sub });
    const id = created.body.agreementId as string;
    const mine = await call('GET', `/v1/agreements/${id}`, 'backend-a');
    expect(mine.status).to.equal(200);
    expect(mine.body.agreementId).to.equal(id);
    const theirs = await call('GET', `/v1/agreements/${id}`, 'backend-b');
    expect(theirs.status).to.equal(404);
    expect(theirs.body.type).to.match(/agreement-not-found$/);
    expect((await call('POST', `/v1/agreements/${id}/stop`, 'backend-b', {})).status).to.equal(404);
    expect((await call('GET', '/v1/agreements/not-a-uuid', 'backend-a')).status).to.equal(400);

    const listA = await call('GET', '/v1/agreements?limit=100', 'backend-a');
    expect(listA.status).to.equal(200);
    expect(listA.body.items.map((a: { agreementId: string }) => a.agreementId)).to.include(id);
    expect(listA.body.items.every((a: { providerId: string }) => a.providerId === w.providerA)).to.equal(
      true,
    );
    const listB = await call('GET', '/v1/agreements', 'backend-b');
    expect(listB.body.items).to.deep.equal([]);
    const pending = await call('GET', `/v1/agreements?status=pending&sub=${sub}`, 'backend-a');
    expect(pending.body.items.length).to.be.greaterThan(0);
    expect((await call('GET', '/v1/agreements?status=paused', 'backend-a')).status).to.equal(400);
  });

  it('stops a confirmed agreement: status stopped, the subscription ends with its paid period', async () => {
    const created = await call('POST', '/v1/agreements', 'backend-a', { ...valid, sub });
    const id = created.body.agreementId as string;
    await w.commands.confirm(id, sub, methodId, { actor: { kind: 'user', id: sub }, correlationId: 'c' });
    const stopped = await call('POST', `/v1/agreements/${id}/stop`, 'backend-a', {
      reason: 'closed the account',
    });
    expect(stopped.status, JSON.stringify(stopped.body)).to.equal(200);
    expect(stopped.body).to.deep.include({
      status: 'stopped',
      stoppedBy: { kind: 'provider', id: 'client-a' },
    });
    expect((await w.subscription(id)).status).to.equal('canceled_at_period_end');
    const again = await call('POST', `/v1/agreements/${id}/stop`, 'backend-a', {});
    expect(again.status).to.equal(200);
    expect(again.body.status).to.equal('stopped');
    w.clock.advance(40 * DAY);
    await w.tick();
    expect(await w.transaction(w.providerA, id, 2)).to.equal(null);
  });

  it('stopping a pending agreement cancels it', async () => {
    const created = await call('POST', '/v1/agreements', 'backend-a', { ...valid, sub });
    const res = await call('POST', `/v1/agreements/${created.body.agreementId}/stop`, 'backend-a');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.status).to.equal('canceled');
  });
});
