import { expect } from 'chai';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { ClientCommands } from '../../application/catalog/client-commands.js';
import { ClientQueries } from '../../application/catalog/client-queries.js';
import { digestClientSecret, verifyClientSecret } from '../../application/catalog/client-secrets.js';
import { CommandHandler } from '../../application/kernel/command-handler.js';
import { silentLogger } from '../../application/ports/logger.js';
import { catalogEvents } from '../../domain/catalog/events.js';
import { clientEvents } from '../../domain/catalog/client-events.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import { SystemClock } from '../../infrastructure/clock.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { adminAuth } from '../../infrastructure/http/admin-auth.js';
import { createClientsRouter } from '../../infrastructure/http/clients-router.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { createReadAfterWrite } from '../../infrastructure/http/read-after-write.js';
import { noStore } from '../../infrastructure/http/security-headers.js';
import { catalogProjection } from '../../projections/catalog.js';
import { clientsProjection } from '../../projections/clients.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { expectProblem, UNKNOWN_ID } from '../support/catalog-api.js';
import type { ApiResponse } from '../support/test-server.js';

const ADMIN_TOKEN = 'clients-test-admin-token-0123456789abcdef';
const ctx = { actor: { kind: 'support' as const, id: 'test' }, correlationId: 'clients-test' };

const webClient = {
  clientType: 'confidential',
  name: 'Acme TV',
  logoUri: 'https://cdn.acme.example/logo.png',
  redirectUris: ['https://tv.acme.example/callback', 'http://localhost:8081/callback'],
  postLogoutRedirectUris: ['https://tv.acme.example/'],
  backchannelLogoutUri: 'https://tv.acme.example/backchannel-logout',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
};

const nativeApp = {
  clientType: 'public',
  name: 'Acme app',
  redirectUris: ['com.acme.app:/oauth/callback'],
  scopes: ['openid', 'phone'],
};

/**
 * The clients router mounted the way the application mounts admin routers (correlation id, no-store,
 * admin auth, JSON body, problem+json error handling) on real SQLite stores in a temp directory.
 */
async function startHarness(options: { writeVisibleTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-clients-http-'));
  const clock = new SystemClock();
  const store = SqliteEventStore.open({
    file: join(dir, 'events.db'),
    registry: new EventRegistry([...catalogEvents, ...clientEvents]),
    clock,
  });
  const readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
  const runner = new ProjectionRunner({
    store,
    readModels,
    projections: [catalogProjection, clientsProjection],
  });
  await runner.start();
  const handler = new CommandHandler(store, clock);
  const catalog = new CatalogCommands(handler);
  const commands = new ClientCommands(handler);
  const queries = new ClientQueries(runner);

  const app = express();
  app.use(correlation(silentLogger));
  app.use(
    '/admin/v1',
    noStore(),
    adminAuth(ADMIN_TOKEN),
    express.json({ limit: '64kb' }),
    createClientsRouter({
      commands,
      queries,
      views: runner,
      awaitMinPosition: createReadAfterWrite({
        views: runner,
        headPosition: () => store.headPosition(),
        timeoutMs: 5000,
      }),
      writeVisibleTimeoutMs: options.writeVisibleTimeoutMs ?? 5000,
    }),
  );
  app.use(notFound());
  app.use(errorHandler());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    const body = /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body: body as T };
  }

  async function provider(name = 'Acme Streaming'): Promise<string> {
    const { id, position } = await catalog.registerProvider({ name }, ctx);
    await runner.waitFor(position!, { timeoutMs: 5000 });
    return id;
  }

  return {
    request,
    provider,
    queries,
    store,
    runner,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runner.stop();
      await readModels.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Harness = Awaited<ReturnType<typeof startHarness>>;

describe('HTTP: OAuth/OIDC clients (admin API)', function () {
  this.timeout(30_000);
  let h: Harness;
  let providerId: string;

  before(async () => {
    h = await startHarness();
    providerId = await h.provider();
  });
  after(async () => {
    await h?.close();
  });

  const create = async (body: object = webClient, pid = providerId) => {
    const res = await h.request('POST', `/admin/v1/providers/${pid}/clients`, { body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res;
  };

  describe('register', () => {
    it('registers a confidential client and shows its secret exactly once', async () => {
      const res = await create();
      const { clientSecret, clientId } = res.body;
      expect(clientId).to.match(/^[0-9a-f-]{36}$/);
      expect(clientSecret).to.match(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
      expect(res.headers.get('location')).to.equal(`/admin/v1/clients/${clientId}`);
      expect(Number(res.headers.get('tessera-position'))).to.be.greaterThan(0);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.body).to.deep.include({
        providerId,
        clientType: 'confidential',
        name: 'Acme TV',
        logoUri: webClient.logoUri,
        redirectUris: webClient.redirectUris,
        postLogoutRedirectUris: webClient.postLogoutRedirectUris,
        backchannelLogoutUri: webClient.backchannelLogoutUri,
        scopes: webClient.scopes,
        grantTypes: webClient.grantTypes,
        status: 'active',
        disabledAt: null,
      });
      expect(res.body.secretIssuedAt).to.be.a('string');
      expect(res.body).to.not.have.property('secretDigest');

      const got = await h.request('GET', `/admin/v1/clients/${clientId}`);
      expect(got.status).to.equal(200);
      const { clientSecret: _shownOnce, ...withoutSecret } = res.body;
      expect(got.body).to.deep.equal(withoutSecret);
      const listed = await h.request('GET', `/admin/v1/providers/${providerId}/clients?limit=100`);
      for (const text of [JSON.stringify(got.body), JSON.stringify(listed.body)]) {
        expect(text).to.not.include(clientSecret);
        expect(text).to.not.include(digestClientSecret(clientSecret));
        expect(text).to.not.include('secretDigest');
      }
    });

    it('records only the digest of the secret in the event log', async () => {
      const res = await create();
      const [event] = await h.store.readStream(`client-${res.body.clientId}`);
      expect(event?.type).to.equal('OAuthClientRegistered');
      expect(JSON.stringify(event)).to.not.include(res.body.clientSecret);
      expect((event?.data as { secretDigest: string }).secretDigest).to.equal(
        digestClientSecret(res.body.clientSecret),
      );
    });

    it('gives the authorization server what it needs, and the secret verifies against it', async () => {
      const res = await create();
      const found = await h.queries.findForAuthorization(res.body.clientId);
      expect(found).to.deep.include({
        clientId: res.body.clientId,
        providerId,
        clientType: 'confidential',
        status: 'active',
        redirectUris: webClient.redirectUris,
        scopes: webClient.scopes,
      });
      expect(verifyClientSecret(res.body.clientSecret, found!.secretDigest)).to.equal(true);
      expect(verifyClientSecret(`${res.body.clientSecret}x`, found!.secretDigest)).to.equal(false);
      expect(verifyClientSecret('', found!.secretDigest)).to.equal(false);
      expect(await h.queries.findForAuthorization(UNKNOWN_ID)).to.equal(null);
    });

    it('registers a public native app without a secret, with default grant types', async () => {
      const res = await create(nativeApp);
      expect(res.body).to.not.have.property('clientSecret');
      expect(res.body).to.deep.include({
        clientType: 'public',
        redirectUris: ['com.acme.app:/oauth/callback'],
        postLogoutRedirectUris: [],
        grantTypes: ['authorization_code', 'refresh_token'],
        logoUri: null,
        backchannelLogoutUri: null,
        secretIssuedAt: null,
      });
      const found = await h.queries.findForAuthorization(res.body.clientId);
      expect(found?.secretDigest).to.equal(null);
      expect(verifyClientSecret('anything', found?.secretDigest)).to.equal(false);
    });

    it('lists every invalid field with its path', async () => {
      const res = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, {
        body: {
          clientType: 'secret-ish',
          name: '',
          redirectUris: ['https://ok.example/cb#frag', 'https://ok.example/a', 'https://OK.example/a'],
          scopes: ['openid', 'admin'],
          logoUri: 'http://cdn.example/logo.png',
          extra: true,
        },
      });
      const problem = expectProblem(res, 422, 'validation_failed');
      const paths = problem.errors!.map((e) => e.path);
      expect(paths).to.include.members([
        'body.clientType',
        'body.name',
        'body.redirectUris.0',
        'body.redirectUris.2',
        'body.scopes.1',
        'body.logoUri',
      ]);
      expect(paths.some((p) => p === 'body' || p.startsWith('body.extra') || p === 'body.')).to.equal(true);
    });

    const refusals: Array<[string, object, string, string]> = [
      [
        'a public client with client_credentials',
        { ...nativeApp, grantTypes: ['authorization_code', 'client_credentials'] },
        'client_credentials_not_for_public_clients',
        'body.grantTypes',
      ],
      [
        'id.user.write for a public client',
        { ...nativeApp, scopes: ['openid', 'id.user.write'] },
        'scope_not_for_public_clients',
        'body.scopes.1',
      ],
      [
        'authorization_code without a redirect URI',
        { ...webClient, redirectUris: [] },
        'redirect_uri_required',
        'body.redirectUris',
      ],
      [
        'sign-in without the openid scope',
        { ...webClient, scopes: ['profile'] },
        'openid_scope_required',
        'body.scopes',
      ],
    ];
    for (const [what, body, code, path] of refusals) {
      it(`refuses ${what} with ${code} at ${path}`, async () => {
        const res = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, { body });
        const problem = expectProblem(res, 422, code);
        expect(problem.errors?.map((e) => e.path)).to.deep.equal([path]);
      });
    }

    it('answers 404 for an unknown provider and 400 for a malformed provider id', async () => {
      expectProblem(
        await h.request('POST', `/admin/v1/providers/${UNKNOWN_ID}/clients`, { body: webClient }),
        404,
        'provider_not_found',
      );
      const bad = expectProblem(
        await h.request('POST', '/admin/v1/providers/nope/clients', { body: webClient }),
        400,
        'invalid_request',
      );
      expect(bad.errors?.[0]?.path).to.equal('params.providerId');
    });

    it('replays a create with the same Idempotency-Key without repeating the secret', async () => {
      const headers = { 'idempotency-key': `clients-${Date.now()}` };
      const first = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, {
        body: webClient,
        headers,
      });
      expect(first.status).to.equal(201);
      expect(first.body.clientSecret).to.be.a('string');
      const again = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, {
        body: webClient,
        headers,
      });
      expect(again.status).to.equal(201);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body.clientId).to.equal(first.body.clientId);
      expect(again.body).to.not.have.property('clientSecret');
      const found = await h.queries.findForAuthorization(first.body.clientId);
      expect(verifyClientSecret(first.body.clientSecret, found!.secretDigest)).to.equal(true);

      const other = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, {
        body: { ...webClient, name: 'Another' },
        headers,
      });
      expectProblem(other, 409, 'idempotency_key_reused');
    });

    it('requires the admin token', async () => {
      expectProblem(
        await h.request('POST', `/admin/v1/providers/${providerId}/clients`, {
          body: webClient,
          token: null,
        }),
        401,
        'unauthorized',
      );
      expectProblem(
        await h.request('GET', `/admin/v1/providers/${providerId}/clients`, { token: 'wrong-token' }),
        401,
        'invalid_token',
      );
    });
  });

  describe('list', () => {
    it('lists a provider’s clients in registration order, page by page, and only its own', async () => {
      const a = await h.provider('Provider A');
      const b = await h.provider('Provider B');
      const ids: string[] = [];
      for (const name of ['A1', 'A2', 'A3'])
        ids.push((await create({ ...nativeApp, name }, a)).body.clientId);
      const bClient = (await create({ ...nativeApp, name: 'B1' }, b)).body.clientId;

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = await h.request('GET', `/admin/v1/providers/${a}/clients${query}`);
        expect(page.status).to.equal(200);
        expect(page.body.items.length).to.be.at.most(2);
        seen.push(...page.body.items.map((c: { clientId: string }) => c.clientId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).to.deep.equal(ids);

      const ofB = await h.request('GET', `/admin/v1/providers/${b}/clients`);
      expect(ofB.body.items.map((c: { clientId: string }) => c.clientId)).to.deep.equal([bClient]);
    });

    it('answers 404 for an unknown provider and 400 for a bad limit', async () => {
      expectProblem(
        await h.request('GET', `/admin/v1/providers/${UNKNOWN_ID}/clients`),
        404,
        'provider_not_found',
      );
      const bad = expectProblem(
        await h.request('GET', `/admin/v1/providers/${providerId}/clients?limit=0`),
        400,
        'invalid_request',
      );
      expect(bad.errors?.[0]?.path).to.equal('query.limit');
    });
  });

  describe('update', () => {
    it('changes what is given, keeps the rest, and removes optional URIs with null', async () => {
      const { clientId } = (await create()).body;
      const res = await h.request('PATCH', `/admin/v1/clients/${clientId}`, {
        body: { name: 'Acme TV+', redirectUris: ['https://new.acme.example/cb'], logoUri: null },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.include({
        name: 'Acme TV+',
        redirectUris: ['https://new.acme.example/cb'],
        logoUri: null,
        scopes: webClient.scopes,
        backchannelLogoutUri: webClient.backchannelLogoutUri,
      });
      expect(res.body).to.not.have.property('clientSecret');
      expect((await h.request('GET', `/admin/v1/clients/${clientId}`)).body).to.deep.equal(res.body);
      const found = await h.queries.findForAuthorization(clientId);
      expect(found?.redirectUris).to.deep.equal(['https://new.acme.example/cb']);
    });

    it('refuses bad values, an empty change and an incoherent result', async () => {
      const { clientId } = (await create()).body;
      const bad = expectProblem(
        await h.request('PATCH', `/admin/v1/clients/${clientId}`, {
          body: { redirectUris: ['https://ok.example/cb', 'http://public.example/cb'] },
        }),
        422,
        'validation_failed',
      );
      expect(bad.errors?.map((e) => e.path)).to.deep.equal(['body.redirectUris.1']);
      expectProblem(
        await h.request('PATCH', `/admin/v1/clients/${clientId}`, { body: {} }),
        422,
        'validation_failed',
      );
      const incoherent = expectProblem(
        await h.request('PATCH', `/admin/v1/clients/${clientId}`, {
          body: { grantTypes: ['authorization_code'] },
        }),
        422,
        'offline_access_requires_refresh_token',
      );
      expect(incoherent.errors?.map((e) => e.path)).to.deep.equal(['body.scopes']);
      const unchanged = await h.request('GET', `/admin/v1/clients/${clientId}`);
      expect(unchanged.body.grantTypes).to.deep.equal(webClient.grantTypes);
    });
  });

  describe('secret rotation', () => {
    it('issues a new secret once; the old one stops working', async () => {
      const created = (await create()).body;
      const rotated = await h.request('POST', `/admin/v1/clients/${created.clientId}/secret`);
      expect(rotated.status, JSON.stringify(rotated.body)).to.equal(200);
      expect(rotated.headers.get('cache-control')).to.equal('no-store');
      const newSecret: string = rotated.body.clientSecret;
      expect(newSecret)
        .to.match(/^[A-Za-z0-9_-]{43}$/)
        .and.not.equal(created.clientSecret);
      expect(rotated.body.clientId).to.equal(created.clientId);
      expect(Date.parse(rotated.body.secretIssuedAt)).to.be.at.least(Date.parse(created.secretIssuedAt));

      const found = await h.queries.findForAuthorization(created.clientId);
      expect(verifyClientSecret(newSecret, found!.secretDigest)).to.equal(true);
      expect(verifyClientSecret(created.clientSecret, found!.secretDigest)).to.equal(false);

      const got = await h.request('GET', `/admin/v1/clients/${created.clientId}`);
      expect(got.body).to.not.have.property('clientSecret');
      expect(JSON.stringify(got.body)).to.not.include(newSecret);
    });

    it('refuses for a public client', async () => {
      const { clientId } = (await create(nativeApp)).body;
      expectProblem(
        await h.request('POST', `/admin/v1/clients/${clientId}/secret`),
        409,
        'public_client_has_no_secret',
      );
    });
  });

  describe('disable and enable', () => {
    it('disables and enables a client; the authorization server sees the status', async () => {
      const { clientId } = (await create()).body;
      const disabled = await h.request('POST', `/admin/v1/clients/${clientId}/disable`, {
        body: { reason: 'secret leaked' },
      });
      expect(disabled.status).to.equal(200);
      expect(disabled.body.status).to.equal('disabled');
      expect(disabled.body.disabledAt).to.be.a('string');
      expect((await h.queries.findForAuthorization(clientId))?.status).to.equal('disabled');

      const again = await h.request('POST', `/admin/v1/clients/${clientId}/disable`);
      expect(again.status).to.equal(200);
      expect(again.headers.get('tessera-position')).to.equal(null);

      const enabled = await h.request('POST', `/admin/v1/clients/${clientId}/enable`);
      expect(enabled.status).to.equal(200);
      expect(enabled.body).to.include({ status: 'active', disabledAt: null });
      expect((await h.queries.findForAuthorization(clientId))?.status).to.equal('active');
    });

    it('refuses unknown body fields', async () => {
      const { clientId } = (await create(nativeApp)).body;
      expectProblem(
        await h.request('POST', `/admin/v1/clients/${clientId}/enable`, { body: { force: true } }),
        422,
        'validation_failed',
      );
    });
  });

  describe('unknown and malformed client ids', () => {
    const routes: Array<[string, string, object | undefined]> = [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'x' }],
      ['POST', '/secret', undefined],
      ['POST', '/disable', undefined],
      ['POST', '/enable', undefined],
    ];
    for (const [method, suffix, body] of routes) {
      it(`${method} /clients/:clientId${suffix} answers 404 for an unknown id and 400 for a malformed one`, async () => {
        expectProblem(
          await h.request(method, `/admin/v1/clients/${UNKNOWN_ID}${suffix}`, body ? { body } : {}),
          404,
          'client_not_found',
        );
        const bad = expectProblem(
          await h.request(method, `/admin/v1/clients/not-a-uuid${suffix}`, body ? { body } : {}),
          400,
          'invalid_request',
        );
        expect(bad.errors?.[0]?.path).to.equal('params.clientId');
      });
    }
  });
});

describe('HTTP: OAuth/OIDC clients when the projection lags', function () {
  this.timeout(30_000);

  it('answers 202 with the id, position and the secret, which is never withheld', async () => {
    const h = await startHarness({ writeVisibleTimeoutMs: 50 });
    try {
      const providerId = await h.provider();
      await h.runner.stop();
      const res = await h.request('POST', `/admin/v1/providers/${providerId}/clients`, { body: webClient });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      expect(res.body.clientId).to.match(/^[0-9a-f-]{36}$/);
      expect(res.body.position).to.equal(Number(res.headers.get('tessera-position')));
      expect(res.body.clientSecret).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(res.headers.get('location')).to.equal(`/admin/v1/clients/${res.body.clientId}`);
      const [event] = await h.store.readStream(`client-${res.body.clientId}`);
      expect((event?.data as { secretDigest: string }).secretDigest).to.equal(
        digestClientSecret(res.body.clientSecret),
      );
    } finally {
      await h.close();
    }
  });
});
