import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ManualClock } from '../../infrastructure/clock.js';
import { Browser } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
};
const FOREVER = { ...FILM, sku: 'lifetime', name: 'Lifetime pass', timeSpec: 'perpetual' };

/**
 * The rights API as a provider's backend uses it: grants, the lifecycle, access checks at exact
 * instants, explanations, entitlement tokens verified offline, and isolation between providers.
 */
describe('HTTP: rights and access checks', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let beta: ProviderBackend;

  const rightsOf = (p: ProviderBackend, sub: string) => `/v1/users/${sub}/rights`;

  before(async () => {
    clock = new ManualClock(new Date('2026-06-01T10:00:00.000Z'));
    server = await startTestServer({ clock });
    acme = await registerProviderBackend(server, 'Acme', [FILM, FOREVER]);
    // Beta sells a product under the same SKU: SKUs are per provider.
    beta = await registerProviderBackend(server, 'Beta', [FILM]);
  });
  after(() => server.close());

  it('grants a right valid for the product’s timeSpec and answers access at the exact instants', async () => {
    const sub = randomUUID();
    const granted = await acme.call('POST', rightsOf(acme, sub), { sku: 'film-48h', payload: 'title=42' });
    expect(granted.status, JSON.stringify(granted.body)).to.equal(201);
    expect(granted.headers.get('location')).to.equal(`/v1/users/${sub}/rights/${granted.body.rightId}`);
    expect(granted.body).to.deep.include({
      sub,
      sku: 'film-48h',
      state: 'ACTIVE',
      validFrom: '2026-06-01T10:00:00.000Z',
      validUntil: '2026-06-03T10:00:00.000Z',
      used: false,
      payload: 'title=42',
      grantor: { kind: 'provider', id: acme.clientId },
    });

    const access = (at?: string) =>
      acme.call('GET', `/v1/users/${sub}/access?sku=film-48h${at ? `&at=${encodeURIComponent(at)}` : ''}`);
    expect((await access()).body).to.deep.include({
      allowed: true,
      rightId: granted.body.rightId,
      validUntil: '2026-06-03T10:00:00.000Z',
      reason: 'active',
    });
    expect((await access('2026-06-03T09:59:59.999Z')).body.allowed).to.equal(true);
    expect((await access('2026-06-03T10:00:00.000Z')).body).to.deep.include({
      allowed: false,
      reason: 'expired',
    });
    expect((await access('2026-06-01T09:59:59.999Z')).body).to.deep.include({
      allowed: false,
      reason: 'not_yet_valid',
    });
    const other = await acme.call('GET', `/v1/users/${sub}/access?sku=lifetime`);
    expect(other.body).to.deep.include({ allowed: false, rightId: null, reason: 'no_right' });
  });

  it('grants perpetual rights and lists only what is active now', async () => {
    const sub = randomUUID();
    await acme.call('POST', rightsOf(acme, sub), { sku: 'lifetime' });
    await acme.call('POST', rightsOf(acme, sub), {
      sku: 'film-48h',
      validFrom: '2026-05-01T00:00:00Z',
      validUntil: '2026-05-02T00:00:00+00:00',
    });
    const all = await acme.call('GET', `${rightsOf(acme, sub)}`);
    expect(all.body.rights.map((r: { state: string }) => r.state).sort()).to.deep.equal([
      'ACTIVE',
      'EXPIRED',
    ]);
    const now = await acme.call('GET', `${rightsOf(acme, sub)}?active=now`);
    expect(now.body.rights).to.have.length(1);
    expect(now.body.rights[0]).to.deep.include({ sku: 'lifetime', validUntil: null, state: 'ACTIVE' });
    expect(now.body.rights[0].timeInterval).to.equal('2026-06-01T10:00:00.000Z/..');
  });

  it('runs the lifecycle: suspend, refuse usage, reactivate, use once, extend, terminate', async () => {
    const sub = randomUUID();
    const { body } = await acme.call('POST', rightsOf(acme, sub), { sku: 'film-48h' });
    const right = `${rightsOf(acme, sub)}/${body.rightId}`;

    const suspended = await acme.call('POST', `${right}/suspend`, { reason: 'chargeback' });
    expect(suspended.status).to.equal(200);
    expect(suspended.body.state).to.equal('SUSPENDED');
    expect((await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`)).body.reason).to.equal(
      'suspended',
    );
    const refused = await acme.call('POST', `${right}/usage`);
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal('right_not_active');

    expect((await acme.call('POST', `${right}/reactivate`)).body.state).to.equal('ACTIVE');
    const used = await acme.call('POST', `${right}/usage`, undefined, 'id.user.right.use');
    expect(used.body).to.deep.include({ used: true, usedAt: '2026-06-01T10:00:00.000Z' });
    expect((await acme.call('POST', `${right}/usage`)).body.used).to.equal(true);

    const extended = await acme.call('POST', `${right}/extend`, { by: 'P1D' });
    expect(extended.body.validUntil).to.equal('2026-06-04T10:00:00.000Z');
    const terminated = await acme.call('POST', `${right}/terminate`, { reason: 'refunded' });
    expect(terminated.body.state).to.equal('TERMINATED');
    const again = await acme.call('POST', `${right}/extend`, { validUntil: '2027-01-01T00:00:00Z' });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('right_terminated');

    const explained = await acme.call('GET', `/v1/users/${sub}/access/explain?sku=film-48h`);
    expect(explained.status).to.equal(200);
    expect(explained.body.answer).to.deep.include({ allowed: false, reason: 'terminated' });
    const types = explained.body.rights[0].events.map((e: { type: string }) => e.type);
    expect(types).to.deep.equal([
      'RightGranted',
      'RightSuspended',
      'RightReactivated',
      'RightUsed',
      'RightExtended',
      'RightTerminated',
    ]);
    expect(explained.body.rights[0].events[1].data).to.deep.include({ reason: 'chargeback' });
    expect(explained.body.rights[0].events[0].actor).to.deep.equal({ kind: 'client', id: acme.clientId });
  });

  it('refuses bad input with problem+json naming the field', async () => {
    const sub = randomUUID();
    const missing = await acme.call('POST', rightsOf(acme, sub), { validUntil: 'tomorrow' });
    expect(missing.status).to.equal(422);
    expect(missing.headers.get('content-type')).to.include('application/problem+json');
    expect(missing.body.errors.map((e: { path: string }) => e.path)).to.have.members([
      'body.sku',
      'body.validUntil',
    ]);
    const unknown = await acme.call('POST', rightsOf(acme, sub), { sku: 'no-such-sku' });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.code).to.equal('sku_not_found');
    const backwards = await acme.call('POST', rightsOf(acme, sub), {
      sku: 'film-48h',
      validFrom: '2026-07-01T00:00:00Z',
      validUntil: '2026-06-01T00:00:00Z',
    });
    expect(backwards.status).to.equal(422);
    const badSub = await acme.call('GET', '/v1/users/not-a-uuid/rights');
    expect(badSub.status).to.equal(400);
    expect(badSub.body.errors[0].path).to.equal('params.sub');
    const badExtend = await acme.call('POST', `${rightsOf(acme, sub)}/x/extend`, { by: 'forever' });
    expect(badExtend.status).to.be.oneOf([404, 422]);
    const me = await acme.call('GET', '/v1/users/me/rights');
    expect(me.status).to.equal(400);
    expect(me.body.code).to.equal('user_required');
    const extraField = await acme.call('POST', `${rightsOf(acme, sub)}/${randomUUID()}/usage`, {
      when: 'now',
    });
    expect(extraField.status).to.be.oneOf([404, 422]);
    const noToken = await server.request('GET', `/v1/users/${sub}/rights`, { token: null });
    expect(noToken.status).to.equal(401);
    const readOnly = await acme.call('POST', rightsOf(acme, sub), { sku: 'film-48h' }, 'id.user.right.read');
    expect(readOnly.status).to.equal(403);
    expect(readOnly.body.code).to.equal('insufficient_scope');
  });

  it('grants in batches, reporting each item, and checks access for many users at once', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const batch = await acme.call('POST', '/v1/rights/batch', {
      rights: [
        { sub: a, sku: 'film-48h' },
        { sub: b, sku: 'lifetime' },
        { sub: b, sku: 'nope' },
      ],
    });
    expect(batch.status).to.equal(200);
    expect(batch.body.results.map((r: { status: number }) => r.status)).to.deep.equal([201, 201, 422]);
    expect(batch.body.results[2].error.code).to.equal('sku_not_found');

    const checks = await acme.call('POST', '/v1/access/batch', {
      checks: [
        { sub: a, sku: 'film-48h' },
        { sub: a, sku: 'lifetime' },
        { sub: b, sku: 'lifetime' },
      ],
    });
    expect(checks.body.results.map((r: { allowed: boolean }) => r.allowed)).to.deep.equal([
      true,
      false,
      true,
    ]);
    const tooMany = await acme.call('POST', '/v1/access/batch', {
      checks: Array.from({ length: 101 }, () => ({ sub: a, sku: 'film-48h' })),
    });
    expect(tooMany.status).to.equal(422);
    expect(tooMany.body.errors[0].path).to.equal('body.checks');
  });

  it('signs an entitlement token a service verifies offline against the JWKS', async () => {
    const sub = randomUUID();
    await acme.call('POST', rightsOf(acme, sub), { sku: 'film-48h' });
    await acme.call('POST', rightsOf(acme, sub), { sku: 'lifetime' });
    const res = await acme.call('GET', `/v1/users/${sub}/entitlements`);
    expect(res.status).to.equal(200);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`));
    const { payload, protectedHeader } = await jwtVerify(res.body.token, jwks, {
      issuer: server.url,
      audience: acme.clientId,
      typ: 'entitlement+jwt',
      currentDate: clock.now(),
    });
    expect(protectedHeader.alg).to.equal('RS256');
    expect(payload.sub).to.equal(sub);
    expect(payload.provider_id).to.equal(acme.providerId);
    expect((payload.entitlements as Array<{ sku: string }>).map((e) => e.sku).sort()).to.deep.equal([
      'film-48h',
      'lifetime',
    ]);
    expect(payload.exp! - payload.iat!).to.equal(300);
    // Beta's backend is not the audience.
    const wrongAudience = await jwtVerify(res.body.token, jwks, {
      audience: beta.clientId,
      currentDate: clock.now(),
    }).then(
      () => 'accepted',
      () => 'refused',
    );
    expect(wrongAudience).to.equal('refused');
  });

  it('isolates providers: every route on another provider’s right answers 404 and leaks nothing', async () => {
    const sub = randomUUID();
    const { body } = await acme.call('POST', rightsOf(acme, sub), { sku: 'film-48h' });
    const right = `${rightsOf(acme, sub)}/${body.rightId}`;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', right],
      ['POST', `${right}/extend`, { by: 'P1D' }],
      ['POST', `${right}/suspend`, {}],
      ['POST', `${right}/reactivate`, {}],
      ['POST', `${right}/terminate`, {}],
      ['POST', `${right}/usage`],
    ];
    for (const [method, path, payload] of attempts) {
      const res = await beta.call(method, path, payload);
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.body.code).to.equal('right_not_found');
    }
    expect((await beta.call('GET', rightsOf(beta, sub))).body.rights).to.deep.equal([]);
    // Beta's own film-48h is another product: Acme's right does not open it.
    expect((await beta.call('GET', `/v1/users/${sub}/access?sku=film-48h`)).body.reason).to.equal('no_right');
    expect(
      (await beta.call('GET', `/v1/users/${sub}/access/explain?sku=film-48h`)).body.rights,
    ).to.deep.equal([]);
    expect((await beta.call('GET', `/v1/users/${sub}/entitlements`)).body.entitlements).to.deep.equal([]);
    // The right is untouched.
    expect((await acme.call('GET', right)).body).to.deep.include({ state: 'ACTIVE', used: false });
  });

  it('lets a user’s own token read that user’s rights at the client’s provider, and nothing more', async () => {
    const app = await registerConfidentialClient(server, acme.providerId, {
      name: 'Acme app',
      redirectUris: ['http://127.0.0.1/cb'],
      scopes: ['openid', 'id.user.right.read'],
    });
    const browser = new Browser(server.url);
    const request = await authorizationRequest(app.rp, 'http://127.0.0.1/cb', {
      scope: 'openid id.user.right.read',
    });
    const consent = await signInWithPhone(server, browser, await browser.get(request.url), '+4741800001');
    const tokens = await redeem(app.rp, request, await answerConsent(browser, consent, 'allow'));
    const sub = tokens.claims()!.sub;
    await acme.call('POST', rightsOf(acme, sub), { sku: 'lifetime' });
    await beta.call('POST', rightsOf(beta, sub), { sku: 'film-48h' });

    const asUser = (method: string, path: string, body?: unknown) =>
      server.request(method, path, { token: tokens.access_token, ...(body === undefined ? {} : { body }) });
    const mine = await asUser('GET', '/v1/users/me/rights');
    expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
    // Only Acme's right: the token was issued to Acme's client.
    expect(mine.body.rights.map((r: { sku: string }) => r.sku)).to.deep.equal(['lifetime']);
    expect((await asUser('GET', `/v1/users/${sub}/access?sku=lifetime`)).body.allowed).to.equal(true);
    expect((await asUser('GET', `/v1/users/${randomUUID()}/rights`)).status).to.equal(404);
    const write = await asUser('POST', '/v1/users/me/rights', { sku: 'lifetime' });
    expect(write.status).to.equal(403);
  });

  it('stops a disabled client’s token at once, even right after it was used', async () => {
    const gamma = await registerProviderBackend(server, 'Gamma', [FILM]);
    const token = await gamma.token();
    const sub = randomUUID();
    const check = () => server.request('GET', `/v1/users/${sub}/access?sku=film-48h`, { token });
    expect((await check()).status).to.equal(200);
    expect((await check()).status).to.equal(200);
    const disabled = await server.request('POST', `/admin/v1/clients/${gamma.clientId}/disable`, {
      body: {},
    });
    expect(disabled.status).to.equal(200);
    expect((await check()).status).to.equal(401);
  });
});
