import { expect } from 'chai';
import type { EventStore } from '../../application/ports/event-store.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import {
  createProvider as create,
  expectProblem,
  planBody as plan,
  rentalBody as rental,
} from '../support/catalog-api.js';

describe('HTTP: service catalog (admin API)', function () {
  this.timeout(30_000);
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.close();
  });

  const createProvider = (name?: string) => create(t, name);

  describe('providers', () => {
    it('registers a provider and answers with the resource, its location and log position', async () => {
      const res = await t.request('POST', '/admin/v1/providers', {
        body: { name: 'Acme Streaming', contact: { email: 'ops@acme.example' } },
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ name: 'Acme Streaming' });
      expect(res.body.contact).to.deep.equal({ email: 'ops@acme.example' });
      expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('location')).to.equal(`/admin/v1/providers/${res.body.id}`);
      expect(Number(res.headers.get('tessera-position'))).to.be.greaterThan(0);
      expect(res.headers.get('cache-control')).to.equal('no-store');

      const got = await t.request('GET', `/admin/v1/providers/${res.body.id}`);
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(res.body);
    });

    it('records the request’s correlation id and the admin actor in the event metadata', async () => {
      const res = await t.request('POST', '/admin/v1/providers', {
        body: { name: 'Traced' },
        headers: { 'x-correlation-id': 'trace-me-7' },
      });
      const store = t.server.container.get<EventStore>(TOKENS.EventStore);
      const [event] = await store.readStream(`provider-${res.body.id}`);
      expect(event?.type).to.equal('ServiceProviderRegistered');
      expect(event?.metadata).to.include({ correlationId: 'trace-me-7' });
      expect(event?.metadata.actor).to.deep.equal({ kind: 'support', id: 'admin' });
      expect(event?.globalPosition).to.equal(Number(res.headers.get('tessera-position')));
    });

    it('renames a provider', async () => {
      const id = await createProvider('Old Name');
      const res = await t.request('PATCH', `/admin/v1/providers/${id}`, { body: { name: 'New Name' } });
      expect(res.status).to.equal(200);
      expect(res.body.name).to.equal('New Name');
      expect((await t.request('GET', `/admin/v1/providers/${id}`)).body.name).to.equal('New Name');
    });

    it('lists providers in registration order with cursor pagination', async () => {
      const ids = [await createProvider('P1'), await createProvider('P2'), await createProvider('P3')];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = await t.request('GET', `/admin/v1/providers${query}`);
        expect(page.status).to.equal(200);
        expect(page.body.items.length).to.be.at.most(2);
        seen.push(...page.body.items.map((p: { id: string }) => p.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const positions = ids.map((id) => seen.indexOf(id));
      expect(positions.every((p) => p >= 0)).to.equal(true);
      expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
      expect(new Set(seen).size).to.equal(seen.length);
    });
  });

  describe('products', () => {
    let providerId: string;
    before(async () => {
      providerId = await createProvider('Catalog Owner');
    });

    it('adds a one-time product and a subscription, each readable at once', async () => {
      const one = await t.request('POST', `/admin/v1/providers/${providerId}/products`, { body: rental });
      expect(one.status, JSON.stringify(one.body)).to.equal(201);
      expect(one.body).to.deep.include({
        providerId,
        sku: 'film-rental-48h',
        kind: 'one_time',
        price: { amount: 4900, currency: 'NOK' },
        vatRate: 2500,
        timeSpec: 'PT48H',
        period: null,
        trial: null,
        status: 'active',
      });
      expect(one.headers.get('location')).to.equal(`/admin/v1/products/${one.body.id}`);

      const sub = await t.request('POST', `/admin/v1/providers/${providerId}/products`, { body: plan });
      expect(sub.status).to.equal(201);
      expect(sub.body).to.include({ kind: 'subscription', period: 'P1M', trial: 'P14D', timeSpec: null });

      const got = await t.request('GET', `/admin/v1/products/${sub.body.id}`);
      expect(got.body).to.deep.equal(sub.body);
    });

    it('lists a provider’s products with pagination and a kind filter', async () => {
      const owner = await createProvider('Many Products');
      for (let i = 0; i < 5; i++) {
        const body = i % 2 === 0 ? { ...rental, sku: `rent-${i}` } : { ...plan, sku: `plan-${i}` };
        expect((await t.request('POST', `/admin/v1/providers/${owner}/products`, { body })).status).to.equal(
          201,
        );
      }
      const first = await t.request('GET', `/admin/v1/providers/${owner}/products?limit=2`);
      expect(first.status).to.equal(200);
      expect(first.body.items.map((p: { sku: string }) => p.sku)).to.deep.equal(['rent-0', 'plan-1']);
      expect(first.body.nextCursor).to.be.a('string');
      const second = await t.request(
        'GET',
        `/admin/v1/providers/${owner}/products?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      );
      expect(second.body.items.map((p: { sku: string }) => p.sku)).to.deep.equal(['rent-2', 'plan-3']);
      const third = await t.request(
        'GET',
        `/admin/v1/providers/${owner}/products?limit=2&cursor=${encodeURIComponent(second.body.nextCursor)}`,
      );
      expect(third.body.items.map((p: { sku: string }) => p.sku)).to.deep.equal(['rent-4']);
      expect(third.body.nextCursor).to.equal(null);

      const subs = await t.request('GET', `/admin/v1/providers/${owner}/products?kind=subscription`);
      expect(subs.body.items.map((p: { sku: string }) => p.sku)).to.deep.equal(['plan-1', 'plan-3']);
      // Another provider's products never show up.
      const others = await t.request('GET', `/admin/v1/providers/${providerId}/products?limit=100`);
      expect(others.body.items.map((p: { sku: string }) => p.sku)).to.not.include('rent-0');
    });

    it('refuses a duplicate SKU for the same provider with 409, but allows it for another provider', async () => {
      const owner = await createProvider('Dup Owner');
      expect(
        (await t.request('POST', `/admin/v1/providers/${owner}/products`, { body: rental })).status,
      ).to.equal(201);
      const dup = await t.request('POST', `/admin/v1/providers/${owner}/products`, {
        body: { ...rental, name: 'Another name' },
      });
      expectProblem(dup, 409, 'sku_taken');
      const other = await createProvider('Other Owner');
      expect(
        (await t.request('POST', `/admin/v1/providers/${other}/products`, { body: rental })).status,
      ).to.equal(201);
    });

    it('lets exactly one of 10 concurrent requests for one SKU succeed', async () => {
      const owner = await createProvider('Race Owner');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.request('POST', `/admin/v1/providers/${owner}/products`, {
            body: { ...rental, sku: 'contested', name: `Try ${i}` },
          }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(9);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).to.equal('sku_taken');
      const list = await t.request('GET', `/admin/v1/providers/${owner}/products`);
      expect(list.body.items).to.have.length(1);
    });

    it('changes a price, keeps the VAT rate, and refuses a currency change', async () => {
      const created = await t.request('POST', `/admin/v1/providers/${providerId}/products`, {
        body: { ...rental, sku: 'reprice-me' },
      });
      const id = created.body.id as string;
      const changed = await t.request('PATCH', `/admin/v1/products/${id}`, {
        body: { price: { amount: 5900, currency: 'NOK' } },
      });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.deep.include({ price: { amount: 5900, currency: 'NOK' }, vatRate: 2500 });
      expect(Number(changed.headers.get('tessera-position'))).to.be.greaterThan(
        Number(created.headers.get('tessera-position')),
      );

      const currency = await t.request('PATCH', `/admin/v1/products/${id}`, {
        body: { price: { amount: 500, currency: 'SEK' } },
      });
      expectProblem(currency, 422, 'currency_change_not_allowed');
      expect(currency.body.errors).to.deep.equal([
        { path: 'body.price.currency', message: currency.body.detail },
      ]);

      const empty = await t.request('PATCH', `/admin/v1/products/${id}`, { body: {} });
      expectProblem(empty, 422, 'validation_failed');
    });

    it('retires a product; a retired product cannot be repriced', async () => {
      const created = await t.request('POST', `/admin/v1/providers/${providerId}/products`, {
        body: { ...rental, sku: 'retire-me' },
      });
      const id = created.body.id as string;
      const retired = await t.request('POST', `/admin/v1/products/${id}/retire`, {
        body: { reason: 'Licence ended' },
      });
      expect(retired.status).to.equal(200);
      expect(retired.body.status).to.equal('retired');
      expect(retired.body.retiredAt).to.be.a('string');
      const again = await t.request('POST', `/admin/v1/products/${id}/retire`);
      expect(again.status).to.equal(200);
      expect(again.body.retiredAt).to.equal(retired.body.retiredAt);
      const reprice = await t.request('PATCH', `/admin/v1/products/${id}`, { body: { vatRate: 1500 } });
      expectProblem(reprice, 409, 'product_retired');
    });
  });
});
