import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { PaymentFlow } from '../../application/payment/payment-flow.js';
import { startTestServer, type ApiResponse, type TestServer } from '../support/test-server.js';

const WRITE = 'payment.transactions.write';

interface Backend {
  readonly providerId: string;
  readonly clientId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
}

/** A provider with a confidential backend client allowed to create transactions. */
async function registerPayingProvider(server: TestServer, name: string): Promise<Backend> {
  const provider = await server.request('POST', '/admin/v1/providers', { body: { name } });
  expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
  const client = await server.request('POST', `/admin/v1/providers/${provider.body.id}/clients`, {
    body: {
      clientType: 'confidential',
      name: `${name} backend`,
      grantTypes: ['client_credentials'],
      scopes: [WRITE],
    },
  });
  expect(client.status, JSON.stringify(client.body)).to.equal(201);
  const { clientId, clientSecret } = client.body as { clientId: string; clientSecret: string };
  const res = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: WRITE }).toString(),
  });
  const token = ((await res.json()) as { access_token: string }).access_token;
  return {
    providerId: provider.body.id as string,
    clientId,
    call: (method, path, body, headers = {}) =>
      server.request(method, path, { token, headers, ...(body === undefined ? {} : { body }) }),
  };
}

const sub = randomUUID();

function transaction(orderId: string, extra: Record<string, unknown> = {}) {
  return {
    orderId,
    description: 'Film rental',
    amount: { amount: 4900, currency: 'NOK' },
    vatRate: 2500,
    products: [
      {
        sku: 'film-48h',
        name: 'Film',
        price: { amount: 4900, currency: 'NOK' },
        vatRate: 2500,
        timeSpec: 'P2D',
      },
    ],
    successRedirect: 'https://shop.example/ok',
    cancelRedirect: 'https://shop.example/cancel',
    sub,
    ...extra,
  };
}

function fieldPaths(res: ApiResponse): string[] {
  return ((res.body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);
}

/**
 * The transactions API through the real server: creation with a backend token, the refusals of bad
 * input as problem+json with field paths, orderId uniqueness, Idempotency-Key, provider isolation,
 * listings, and refunds of a payment made through the sandbox card processor.
 */
describe('HTTP: payment transactions', function () {
  this.timeout(30_000);
  let server: TestServer;
  let acme: Backend;
  let beta: Backend;

  before(async () => {
    server = await startTestServer();
    acme = await registerPayingProvider(server, 'Acme');
    beta = await registerPayingProvider(server, 'Beta');
  });
  after(() => server?.close());

  it('creates a transaction with a backend token and answers the payment link', async () => {
    const created = await acme.call('POST', '/v1/transactions', transaction('order-1'));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.transactionId as string;
    expect(created.headers.get('location')).to.equal(`/v1/transactions/${id}`);
    expect(created.body).to.deep.include({
      providerId: acme.providerId,
      orderId: 'order-1',
      sub,
      status: 'created',
      amount: { amount: 4900, currency: 'NOK' },
      vat: { amount: 980, currency: 'NOK' },
      createdBy: acme.clientId,
      links: { payment: `${server.url}/pay/${id}` },
    });
    const read = await acme.call('GET', `/v1/transactions/${id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal(created.body);
  });

  it('refuses bad input as problem+json naming the field', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [transaction('bad-1', { amount: { amount: 49.5, currency: 'NOK' } }), 422, 'body.amount.amount'],
      [transaction('bad-2', { amount: { amount: 4900, currency: 'XXX' } }), 422, 'body.amount.currency'],
      [transaction('bad-3', { amount: { amount: 5000, currency: 'NOK' } }), 422, 'body.products'],
      [transaction('bad-4', { sub: undefined }), 422, 'body.sub'],
      [transaction('bad-5', { successRedirect: 'javascript:alert(1)' }), 422, 'body.successRedirect'],
      [transaction('bad 6'), 422, 'body.orderId'],
    ];
    for (const [body, status, path] of cases) {
      const res = await acme.call('POST', '/v1/transactions', body);
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.headers.get('content-type')).to.contain('application/problem+json');
      expect(fieldPaths(res), JSON.stringify(res.body)).to.include(path);
    }
    const mismatch = await acme.call('POST', '/v1/transactions', transaction('bad-3'));
    expect(mismatch.status).to.equal(201);
  });

  it('keeps orderId unique per provider: a duplicate is 409, another provider may reuse it', async () => {
    expect((await acme.call('POST', '/v1/transactions', transaction('dup'))).status).to.equal(201);
    const again = await acme.call('POST', '/v1/transactions', transaction('dup'));
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('order_exists');
    expect((await beta.call('POST', '/v1/transactions', transaction('dup'))).status).to.equal(201);
  });

  it('answers a repeated Idempotency-Key with the first transaction, and refuses another body', async () => {
    const key = { 'Idempotency-Key': `k-${randomUUID()}` };
    const first = await acme.call('POST', '/v1/transactions', transaction('idem-1'), key);
    const repeat = await acme.call('POST', '/v1/transactions', transaction('idem-1'), key);
    expect([first.status, repeat.status]).to.deep.equal([201, 201]);
    expect(repeat.headers.get('idempotent-replayed')).to.equal('true');
    expect(repeat.body.transactionId).to.equal(first.body.transactionId);
    const other = await acme.call('POST', '/v1/transactions', transaction('idem-2'), key);
    expect(other.status).to.equal(409);
    expect(other.body.code).to.equal('idempotency_key_reused');
  });

  it('creates exactly one transaction per key for 20 concurrent requests over 5 keys', async () => {
    const buyer = randomUUID();
    const keys = Array.from({ length: 5 }, (_, i) => ({ key: `conc-${randomUUID()}`, order: `conc-${i}` }));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const { key, order } = keys[i % 5]!;
        return acme.call('POST', '/v1/transactions', transaction(order, { sub: buyer }), {
          'Idempotency-Key': key,
        });
      }),
    );
    expect(answers.map((a) => a.status)).to.satisfy((s: number[]) => s.every((x) => x === 201));
    expect(new Set(answers.map((a) => a.body.transactionId)).size).to.equal(5);
    const listed = await acme.call('GET', `/v1/transactions?sub=${buyer}`);
    expect(listed.status).to.equal(200);
    expect(listed.body.items).to.have.length(5);
  });

  it('lists by user (newest first) and by period, paged', async () => {
    const buyer = randomUUID();
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(
        (await acme.call('POST', '/v1/transactions', transaction(`list-${n}`, { sub: buyer }))).body
          .transactionId,
      );
    }
    const page1 = await acme.call('GET', `/v1/transactions?sub=${buyer}&limit=2`);
    expect(page1.body.items.map((t: { transactionId: string }) => t.transactionId)).to.deep.equal([
      ids[2],
      ids[1],
    ]);
    const page2 = await acme.call(
      'GET',
      `/v1/transactions?sub=${buyer}&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
    );
    expect(page2.body.items.map((t: { transactionId: string }) => t.transactionId)).to.deep.equal([ids[0]]);
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const period = await acme.call('GET', `/v1/transactions?from=${from}&to=${to}&limit=100`);
    expect(period.status).to.equal(200);
    expect(period.body.items.map((t: { transactionId: string }) => t.transactionId)).to.include.members(ids);
    expect(period.body.items.every((t: { providerId: string }) => t.providerId === acme.providerId)).to.equal(
      true,
    );
    expect((await acme.call('GET', '/v1/transactions')).status).to.equal(400);
  });

  it('isolates providers: another provider’s transaction is 404', async () => {
    const id = (await acme.call('POST', '/v1/transactions', transaction('iso-1'))).body
      .transactionId as string;
    const seen = await beta.call('GET', `/v1/transactions/${id}`);
    expect(seen.status).to.equal(404);
    expect(seen.body.code).to.equal('transaction_not_found');
    const refund = await beta.call('POST', `/v1/transactions/${id}/refunds`, {
      amount: { amount: 100, currency: 'NOK' },
      reason: 'x',
    });
    expect(refund.status).to.equal(404);
    expect((await beta.call('GET', `/v1/transactions?sub=${sub}`)).body.items).to.satisfy(
      (items: { transactionId: string }[]) => items.every((t) => t.transactionId !== id),
    );
  });

  it('refunds a payment made through the sandbox card processor, once per key, never above captured', async () => {
    const id = (await acme.call('POST', '/v1/transactions', transaction('refund-1'))).body
      .transactionId as string;
    const tokenised = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: '4242 4242 4242 4242',
        expiry: '12/30',
        cvc: '123',
        return_url: `${server.url}/pay/${id}/card`,
        state: 's',
      }),
    });
    expect(tokenised.status).to.equal(303);
    const back = new URL(tokenised.headers.get('location')!);
    const flow = server.server.container.get(PaymentFlow);
    const paid = await flow.pay(
      id,
      {
        sub,
        method: {
          kind: 'card',
          token: back.searchParams.get('token'),
          brand: back.searchParams.get('brand'),
          last4: back.searchParams.get('last4'),
          expMonth: Number(back.searchParams.get('exp_month')),
          expYear: Number(back.searchParams.get('exp_year')),
        },
      },
      { actor: { kind: 'user', id: sub }, correlationId: randomUUID() },
    );
    expect(paid.status).to.equal('captured');

    const path = `/v1/transactions/${id}/refunds`;
    const key = { 'Idempotency-Key': `r-${randomUUID()}` };
    const body = { amount: { amount: 1000, currency: 'NOK' }, reason: 'Scratched disc' };
    const first = await acme.call('POST', path, body, key);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body.transaction).to.deep.include({
      status: 'partially_refunded',
      refunded: { amount: 1000, currency: 'NOK' },
      refundable: { amount: 3900, currency: 'NOK' },
    });
    expect(first.body.transaction.refunds[0]).to.deep.include({
      reason: 'Scratched disc',
      issuer: { kind: 'provider', id: acme.clientId },
    });
    const repeat = await acme.call('POST', path, body, key);
    expect(repeat.status).to.equal(201);
    expect(repeat.body.refundId).to.equal(first.body.refundId);
    expect(repeat.body.transaction.refunded).to.deep.equal({ amount: 1000, currency: 'NOK' });

    const over = await acme.call('POST', path, { ...body, amount: { amount: 3901, currency: 'NOK' } });
    expect(over.status).to.equal(422);
    expect(over.body.code).to.equal('refund_exceeds_captured');
    expect(fieldPaths(over)).to.include('body.amount');
    const float = await acme.call('POST', path, { ...body, amount: { amount: 10.5, currency: 'NOK' } });
    expect(float.status).to.equal(422);
    expect(fieldPaths(float)).to.include('body.amount.amount');

    const rest = await acme.call('POST', path, { ...body, amount: { amount: 3900, currency: 'NOK' } });
    expect(rest.status).to.equal(201);
    expect(rest.body.transaction.status).to.equal('refunded');
    const read = await acme.call('GET', `/v1/transactions/${id}`);
    expect(read.body.refunds).to.have.length(2);
    expect(JSON.stringify(read.body)).not.to.contain('4242424242424242');
  });
});
