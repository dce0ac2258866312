import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server.js';
import {
  createProvider as create,
  expectProblem,
  planBody as plan,
  rentalBody as rental,
  UNKNOWN_ID,
} from '../support/catalog-api.js';

describe('HTTP: service catalog errors, authentication, idempotency, read-after-write', function () {
  this.timeout(30_000);
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.close();
  });

  const createProvider = (name?: string) => create(t, name);

  describe('bad input', () => {
    let providerId: string;
    before(async () => {
      providerId = await createProvider('Validation Owner');
    });

    it('answers 422 with every field path for an invalid body', async () => {
      const res = await t.request('POST', `/admin/v1/providers/${providerId}/products`, {
        body: {
          ...rental,
          sku: 'has space',
          price: { amount: 49.5, currency: 'NOK' },
          vatRate: 25000,
          colour: 'red',
        },
      });
      expectProblem(res, 422, 'validation_failed');
      const paths = (res.body.errors as Array<{ path: string }>).map((e) => e.path);
      expect(paths).to.include.members(['body.sku', 'body.price.amount', 'body.vatRate']);
      expect(paths.some((p) => p === 'body' || p === 'body.colour')).to.equal(true);
    });

    it('answers 422 for an unknown kind and for a missing period', async () => {
      const kind = await t.request('POST', `/admin/v1/providers/${providerId}/products`, {
        body: { ...rental, kind: 'rental' },
      });
      expectProblem(kind, 422, 'validation_failed');
      expect(kind.body.errors.map((e: { path: string }) => e.path)).to.include('body.kind');
      const { period: _period, ...noPeriod } = plan;
      const missing = await t.request('POST', `/admin/v1/providers/${providerId}/products`, {
        body: noPeriod,
      });
      expect(missing.body.errors.map((e: { path: string }) => e.path)).to.include('body.period');
    });

    it('answers 422 for an empty provider name and a non-object body', async () => {
      const empty = await t.request('POST', '/admin/v1/providers', { body: { name: '   ' } });
      expectProblem(empty, 422, 'validation_failed');
      expect(empty.body.errors[0].path).to.equal('body.name');
      const array = await t.request('POST', '/admin/v1/providers', { body: [] });
      expectProblem(array, 422, 'validation_failed');
    });

    it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
      const malformed = await t.request('POST', '/admin/v1/providers', {
        rawBody: '{"name": "oops",',
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(malformed, 400, 'malformed_json');
      const form = await t.request('POST', '/admin/v1/providers', {
        rawBody: 'name=oops',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectProblem(form, 415, 'unsupported_media_type');
    });

    it('answers 400 with field paths for bad query and path parameters', async () => {
      const limit = await t.request('GET', `/admin/v1/providers/${providerId}/products?limit=0&kind=rental`);
      expectProblem(limit, 400, 'invalid_request');
      expect(limit.body.errors.map((e: { path: string }) => e.path)).to.have.members([
        'query.limit',
        'query.kind',
      ]);
      const id = await t.request('GET', '/admin/v1/products/not-a-uuid');
      expectProblem(id, 400, 'invalid_request');
      expect(id.body.errors[0].path).to.equal('params.productId');
      const cursor = await t.request('GET', `/admin/v1/providers/${providerId}/products?cursor=garbage`);
      expectProblem(cursor, 400, 'invalid_request');
    });

    it('answers 404 problems for unknown providers, products and routes', async () => {
      expectProblem(await t.request('GET', `/admin/v1/providers/${UNKNOWN_ID}`), 404, 'provider_not_found');
      expectProblem(await t.request('GET', `/admin/v1/products/${UNKNOWN_ID}`), 404, 'product_not_found');
      expectProblem(
        await t.request('GET', `/admin/v1/providers/${UNKNOWN_ID}/products`),
        404,
        'provider_not_found',
      );
      expectProblem(
        await t.request('POST', `/admin/v1/providers/${UNKNOWN_ID}/products`, { body: rental }),
        404,
        'provider_not_found',
      );
      expectProblem(
        await t.request('PATCH', `/admin/v1/products/${UNKNOWN_ID}`, { body: { vatRate: 0 } }),
        404,
        'product_not_found',
      );
      expectProblem(
        await t.request('POST', `/admin/v1/products/${UNKNOWN_ID}/retire`),
        404,
        'product_not_found',
      );
      expectProblem(await t.request('DELETE', '/admin/v1/providers'), 404, 'route_not_found');
      expectProblem(await t.request('GET', '/nowhere', { token: null }), 404, 'route_not_found');
    });
  });

  describe('admin authentication', () => {
    it('answers 401 with WWW-Authenticate without a token, with a wrong token, or another scheme', async () => {
      const none = await t.request('GET', '/admin/v1/providers', { token: null });
      expectProblem(none, 401, 'unauthorized');
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer realm="tessera-admin"/);
      const wrong = await t.request('GET', '/admin/v1/providers', { token: `${t.adminToken}x` });
      expectProblem(wrong, 401, 'invalid_token');
      expect(wrong.headers.get('www-authenticate')).to.include('error="invalid_token"');
      const basic = await t.request('GET', '/admin/v1/providers', {
        token: null,
        headers: { authorization: `Basic ${Buffer.from(`admin:${t.adminToken}`).toString('base64')}` },
      });
      expect(basic.status).to.equal(401);
    });

    it('refuses unauthenticated writes before reading them, and hides which routes exist', async () => {
      const res = await t.request('POST', '/admin/v1/providers', { token: null, body: { name: 'Sneaky' } });
      expect(res.status).to.equal(401);
      expect((await t.request('GET', '/admin/v1/secret-route', { token: null })).status).to.equal(401);
    });
  });

  describe('idempotency', () => {
    it('replays the same resource for a repeated key and refuses the key with another body', async () => {
      const headers = { 'idempotency-key': 'create-provider-1' };
      const first = await t.request('POST', '/admin/v1/providers', { body: { name: 'Once Only' }, headers });
      const second = await t.request('POST', '/admin/v1/providers', { body: { name: 'Once Only' }, headers });
      expect(first.status).to.equal(201);
      expect(second.status).to.equal(201);
      expect(second.body).to.deep.equal(first.body);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.headers.get('tessera-position')).to.equal(first.headers.get('tessera-position'));

      const other = await t.request('POST', '/admin/v1/providers', {
        body: { name: 'Something else' },
        headers,
      });
      expectProblem(other, 409, 'idempotency_key_reused');
    });

    it('creates one product for concurrent requests with one key', async () => {
      const owner = (await t.request('POST', '/admin/v1/providers', { body: { name: 'Idem Owner' } })).body
        .id;
      const headers = { 'idempotency-key': 'add-rental' };
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.request('POST', `/admin/v1/providers/${owner}/products`, {
            body: { ...rental, sku: 'idem-sku' },
            headers,
          }),
        ),
      );
      expect(results.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).to.equal(1);
      const list = await t.request('GET', `/admin/v1/providers/${owner}/products`);
      expect(list.body.items).to.have.length(1);
      // The same key on another endpoint with another request is refused.
      const cross = await t.request('POST', '/admin/v1/providers', { body: { name: 'X' }, headers });
      expectProblem(cross, 409, 'idempotency_key_reused');
    });

    it('refuses a malformed Idempotency-Key', async () => {
      const res = await t.request('POST', '/admin/v1/providers', {
        body: { name: 'Bad Key' },
        headers: { 'idempotency-key': 'has space' },
      });
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.errors[0].path).to.equal('headers.idempotency-key');
    });
  });

  describe('read-after-write', () => {
    it('reads a write at once with ?minPosition from its Tessera-Position', async () => {
      const created = await t.request('POST', '/admin/v1/providers', { body: { name: 'Fresh' } });
      const owner = created.body.id as string;
      const add = await t.request('POST', `/admin/v1/providers/${owner}/products`, { body: rental });
      const position = add.headers.get('tessera-position');
      expect(position).to.match(/^\d+$/);
      const list = await t.request('GET', `/admin/v1/providers/${owner}/products?minPosition=${position}`);
      expect(list.status).to.equal(200);
      expect(list.body.items.map((p: { id: string }) => p.id)).to.deep.equal([add.body.id]);
    });

    it('refuses a minPosition beyond the end of the log, or not a number', async () => {
      const beyond = await t.request('GET', '/admin/v1/providers?minPosition=999999999');
      expectProblem(beyond, 400, 'invalid_request');
      expect(beyond.body.errors[0].path).to.equal('query.minPosition');
      expectProblem(await t.request('GET', '/admin/v1/providers?minPosition=-1'), 400, 'invalid_request');
    });
  });
});
