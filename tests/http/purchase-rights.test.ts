import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { PaymentFlow } from '../../application/payment/payment-flow.js';
import { FILM, filmTransaction } from '../support/film.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A purchase end to end on the real server: the provider creates a transaction for a product, the
 * user pays with a card tokenised at the sandbox processor, the right appears in the provider's
 * access check, and a full refund takes it away.
 */
describe('HTTP: rights from purchases', function () {
  this.timeout(30_000);
  let server: TestServer;
  let acme: ProviderBackend;

  async function cardToken(transactionId: string) {
    const res = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: '4242 4242 4242 4242',
        expiry: '12/30',
        cvc: '123',
        return_url: `${server.url}/pay/${transactionId}/card`,
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

  async function accessUntil(sub: string, want: boolean) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`);
      if (res.body.allowed === want || Date.now() > deadline) return res.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    server = await startTestServer();
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
  });
  after(() => server.close());

  it('grants the product’s right once the payment is captured, and terminates it on a full refund', async () => {
    const sub = randomUUID();
    const created = await acme.call('POST', '/v1/transactions', filmTransaction(sub));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.transactionId as string;
    expect((await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`)).body.allowed).to.equal(false);

    const paid = await server.server.container
      .get(PaymentFlow)
      .pay(
        id,
        { sub, method: await cardToken(id) },
        { actor: { kind: 'user', id: sub }, correlationId: randomUUID() },
      );
    expect(paid.status).to.equal('captured');

    const granted = await accessUntil(sub, true);
    expect(granted).to.deep.include({ allowed: true, reason: 'active' });
    type Right = { grantor: unknown; validFrom: string; validUntil: string };
    const rights = (await acme.call('GET', `/v1/users/${sub}/rights`)).body.rights as Right[];
    expect(rights).to.have.length(1);
    expect(rights[0]!.grantor).to.deep.equal({ kind: 'purchase', id });
    expect(Date.parse(rights[0]!.validUntil) - Date.parse(rights[0]!.validFrom)).to.equal(
      2 * 24 * 3600 * 1000,
    );

    const refund = await acme.call(
      'POST',
      `/v1/transactions/${id}/refunds`,
      { amount: { amount: 4900, currency: 'NOK' }, reason: 'Could not play' },
      'payment.transactions.write',
    );
    expect(refund.status, JSON.stringify(refund.body)).to.equal(201);
    expect(await accessUntil(sub, false)).to.deep.include({ allowed: false, reason: 'terminated' });
  });
});
