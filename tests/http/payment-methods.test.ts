import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Browser } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  type RegisteredClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { FILM, filmTransaction as filmBody } from '../support/film.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { type ApiResponse, startTestServer, type TestServer } from '../support/test-server.js';

const REDIRECT_URI = 'http://127.0.0.1/cb';

type Method = {
  methodId: string;
  kind: string;
  brand: string | null;
  last4: string | null;
  isDefault: boolean;
};

/**
 * Saved payment methods and one-click purchase on the real server: a user signed in through the
 * authorization code flow saves cards tokenised at the sandbox processor, and pays a provider's
 * transaction with them; the product's right appears in the provider's access check.
 */
describe('HTTP: saved payment methods and one-click payment', function () {
  this.timeout(60_000);
  let server: TestServer;
  let acme: ProviderBackend;
  let app: RegisteredClient;

  /** A user signed in at Acme's app with a phone, and a caller with that user's token. */
  async function signedInUser(phone: string, scope = 'openid id.user.read payment.transactions.write') {
    const browser = new Browser(server.url);
    const request = await authorizationRequest(app.rp, REDIRECT_URI, { scope });
    const consent = await signInWithPhone(server, browser, await browser.get(request.url), phone);
    const tokens = await redeem(app.rp, request, await answerConsent(browser, consent, 'allow'));
    const sub = tokens.claims()!.sub;
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.request(method, path, {
        token: tokens.access_token,
        headers,
        ...(body === undefined ? {} : { body }),
      });
    return { sub, browser, call };
  }
  type User = Awaited<ReturnType<typeof signedInUser>>;

  /** Tokenises a test card at the sandbox's hosted form, as a browser would; returns the token. */
  async function cardToken(number: string): Promise<string> {
    const res = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number,
        expiry: '12/30',
        cvc: '123',
        return_url: `${server.url}/pay/wallet/card`,
        state: 's',
      }),
    });
    expect(res.status).to.equal(303);
    return new URL(res.headers.get('location')!).searchParams.get('token')!;
  }

  async function saveCard(user: User, number: string, headers: Record<string, string> = {}) {
    const saved = await user.call(
      'POST',
      '/v1/users/me/payment-methods/cards',
      { token: await cardToken(number) },
      headers,
    );
    expect(saved.status, JSON.stringify(saved.body)).to.equal(201);
    return saved.body as Method;
  }

  async function list(user: User): Promise<Method[]> {
    const res = await user.call('GET', '/v1/users/me/payment-methods');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.items as Method[];
  }

  /** A transaction the provider's backend asks the user to pay, for the film. */
  async function filmTransaction(sub: string): Promise<string> {
    const created = await acme.call('POST', '/v1/transactions', filmBody(sub));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.transactionId as string;
  }

  const pay = (user: User, id: string, body: unknown = {}, key?: string) =>
    user.call(
      'POST',
      `/v1/transactions/${id}/payment`,
      body,
      key === undefined ? {} : { 'idempotency-key': key },
    );

  /** The transaction as the provider's backend reads it, once it shows `status`. */
  async function transactionUntil(id: string, status: string) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await acme.call('GET', `/v1/transactions/${id}`);
      if (res.body.status === status || Date.now() > deadline) return res.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function accessUntil(sub: string, want: boolean) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await acme.call('GET', `/v1/users/${sub}/access?sku=film-48h`);
      if (res.body.allowed === want || Date.now() > deadline) return res.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  function expectProblem(res: ApiResponse, status: number, code: string) {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect((res.body as { code: string }).code).to.equal(code);
  }

  before(async () => {
    server = await startTestServer();
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
    app = await registerConfidentialClient(server, acme.providerId, {
      name: 'Acme app',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'id.user.read', 'payment.transactions.write'],
    });
  });
  after(() => server.close());

  it('saves a card as the provider describes it, and one-click pays with it: captured once, the right granted', async () => {
    const user = await signedInUser('+4741900001');
    const card = await saveCard(user, '4242 4242 4242 4242');
    expect(card).to.deep.include({
      kind: 'card',
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      expYear: 2030,
      isDefault: true,
      expired: false,
      maskedPhone: null,
    });
    expect(await list(user)).to.deep.equal([card]);

    const id = await filmTransaction(user.sub);
    expect((await accessUntil(user.sub, false)).allowed).to.equal(false);
    const paid = await pay(user, id, {}, 'buy-film-1');
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    expect(paid.body).to.deep.include({
      transactionId: id,
      methodId: card.methodId,
      status: 'captured',
      transactionStatus: 'captured',
      code: null,
      actionUrl: null,
    });
    expect(paid.headers.get('idempotent-replayed')).to.equal(null);
    // The answer names the purchased right and comes once it is readable: the very next check allows.
    const granted = paid.body.rights as Array<{ rightId: string; sku: string }>;
    expect(granted).to.have.length(1);
    expect(granted[0]!.sku).to.equal('film-48h');
    const check = await acme.call('GET', `/v1/users/${user.sub}/access?sku=film-48h`);
    expect(check.body).to.deep.include({ allowed: true, reason: 'active', rightId: granted[0]!.rightId });

    // The same key again: the same attempt's answer, nothing charged again.
    const again = await pay(user, id, {}, 'buy-film-1');
    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.include({ attemptId: paid.body.attemptId, status: 'captured' });
    // Without the key it is a new request for a paid transaction: refused, nothing charged.
    expectProblem(await pay(user, id), 409, 'transaction_paid');
    const tx = await transactionUntil(id, 'captured');
    expect(tx.attempts as unknown[]).to.have.length(1);
    expect(tx.captured).to.deep.equal({ amount: 4900, currency: 'NOK' });
    const rights = (await acme.call('GET', `/v1/users/${user.sub}/rights`)).body.rights as unknown[];
    expect(rights).to.have.length(1);
  });

  it('charges once when the same Idempotency-Key arrives many times at once', async () => {
    const user = await signedInUser('+4741900002');
    await saveCard(user, '4242 4242 4242 4242');
    const id = await filmTransaction(user.sub);
    const answers = await Promise.all(Array.from({ length: 8 }, () => pay(user, id, {}, 'same-key')));
    for (const res of answers) {
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(['captured', 'processing']).to.include(res.body.status);
    }
    expect(new Set(answers.map((r) => r.body.attemptId)).size).to.equal(1);
    expect(answers.some((r) => r.body.status === 'captured')).to.equal(true);
    const tx = await transactionUntil(id, 'captured');
    expect(tx.attempts as unknown[]).to.have.length(1);
    expect(tx.captured).to.deep.equal({ amount: 4900, currency: 'NOK' });
  });

  it('answers a declined card with the decline code, and the transaction stays payable with another card', async () => {
    const user = await signedInUser('+4741900003');
    const good = await saveCard(user, '5555 5555 5555 4444');
    const declining = await saveCard(user, '4000 0000 0000 0002');
    expect(good.isDefault).to.equal(true);
    expect(declining.isDefault).to.equal(false);
    const id = await filmTransaction(user.sub);

    const declined = await pay(user, id, { methodId: declining.methodId }, 'try-1');
    expect(declined.status, JSON.stringify(declined.body)).to.equal(200);
    expect(declined.body).to.deep.include({
      methodId: declining.methodId,
      status: 'failed',
      transactionStatus: 'failed',
      code: 'card_declined',
    });
    // The key named the declining card: asking it for the other card is a reused key.
    expectProblem(await pay(user, id, { methodId: good.methodId }, 'try-1'), 409, 'idempotency_key_reused');

    const paid = await pay(user, id, { methodId: good.methodId }, 'try-2');
    expect(paid.body).to.deep.include({ methodId: good.methodId, status: 'captured' });
    expect(await accessUntil(user.sub, true)).to.deep.include({ allowed: true });
    const tx = await transactionUntil(id, 'captured');
    expect((tx.attempts as { status: string }[]).map((a) => a.status)).to.deep.equal(['failed', 'captured']);
  });

  it('makes another method the default, removes methods, and then needs a methodId', async () => {
    const user = await signedInUser('+4741900004');
    const first = await saveCard(user, '4242 4242 4242 4242');
    const second = await saveCard(user, '5555 5555 5555 4444');
    const made = await user.call('POST', `/v1/users/me/payment-methods/${second.methodId}/default`);
    expect(made.status, JSON.stringify(made.body)).to.equal(204);
    const position = made.headers.get('tessera-position');
    expect(position).to.match(/^\d+$/);
    const after = await user.call('GET', `/v1/users/me/payment-methods?minPosition=${position}`);
    expect((after.body.items as Method[]).map((m) => [m.methodId, m.isDefault])).to.deep.equal([
      [first.methodId, false],
      [second.methodId, true],
    ]);

    const removed = await user.call('DELETE', `/v1/users/me/payment-methods/${second.methodId}`);
    expect(removed.status).to.equal(204);
    const again = await user.call('DELETE', `/v1/users/me/payment-methods/${second.methodId}`);
    expect(again.status).to.equal(204);
    const left = await user.call(
      'GET',
      `/v1/users/me/payment-methods?minPosition=${removed.headers.get('tessera-position')}`,
    );
    expect((left.body.items as Method[]).map((m) => [m.methodId, m.isDefault])).to.deep.equal([
      [first.methodId, false],
    ]);

    // The default was removed: one-click will not pick a card the person did not choose.
    const id = await filmTransaction(user.sub);
    expectProblem(await pay(user, id), 409, 'no_default_payment_method');
    expectProblem(await pay(user, id, { methodId: second.methodId }), 404, 'payment_method_not_found');
    expectProblem(
      await user.call('POST', `/v1/users/me/payment-methods/${second.methodId}/default`),
      404,
      'payment_method_not_found',
    );
    const paid = await pay(user, id, { methodId: first.methodId });
    expect(paid.body).to.deep.include({ status: 'captured', methodId: first.methodId });
  });

  it('saves carrier billing to the account’s verified phone and pays with it', async () => {
    const user = await signedInUser('+4741900005');
    expectProblem(
      await user.call('POST', '/v1/users/me/payment-methods/carrier', { phone: '+4741900099' }),
      422,
      'phone_not_verified',
    );
    const saved = await user.call(
      'POST',
      '/v1/users/me/payment-methods/carrier',
      {},
      { 'idempotency-key': 'c1' },
    );
    expect(saved.status, JSON.stringify(saved.body)).to.equal(201);
    expect(saved.body).to.deep.include({
      kind: 'carrier',
      maskedPhone: '+47 ••••••05',
      isDefault: true,
      brand: null,
    });
    // A repeat with the key saves nothing new and answers the same method.
    const repeat = await user.call(
      'POST',
      '/v1/users/me/payment-methods/carrier',
      {},
      { 'idempotency-key': 'c1' },
    );
    expect(repeat.status).to.equal(201);
    expect(repeat.body.methodId).to.equal(saved.body.methodId);
    expect(repeat.headers.get('idempotent-replayed')).to.equal('true');
    expect(await list(user)).to.have.length(1);

    const id = await filmTransaction(user.sub);
    const paid = await pay(user, id);
    expect(paid.body).to.deep.include({ status: 'captured', methodId: saved.body.methodId });
  });

  it('keeps wallets and transactions to their own user, and refuses provider tokens', async () => {
    const user = await signedInUser('+4741900006');
    const card = await saveCard(user, '4242 4242 4242 4242');
    const other = await signedInUser('+4741900007');
    // Another user's transaction is not found, whatever method is named.
    const theirs = await filmTransaction(other.sub);
    expectProblem(await pay(user, theirs), 404, 'transaction_not_found');
    expectProblem(await pay(user, randomUUID()), 404, 'transaction_not_found');
    // Another user's method is not in this wallet.
    expectProblem(await pay(other, theirs, { methodId: card.methodId }), 404, 'payment_method_not_found');
    expectProblem(
      await other.call('DELETE', `/v1/users/me/payment-methods/${card.methodId}`),
      404,
      'payment_method_not_found',
    );
    expect(await list(other)).to.deep.equal([]);
    expect(await list(user)).to.have.length(1);

    // A provider's backend (client_credentials) has no user: no wallet, no one-click.
    const backend = await acme.token();
    const asBackend = (method: string, path: string, body?: unknown) =>
      server.request(method, path, { token: backend, ...(body === undefined ? {} : { body }) });
    expectProblem(await asBackend('GET', '/v1/users/me/payment-methods'), 403, 'user_token_required');
    expectProblem(
      await asBackend('POST', `/v1/transactions/${theirs}/payment`, { methodId: card.methodId }),
      403,
      'user_token_required',
    );
    expect((await acme.call('GET', `/v1/transactions/${theirs}`)).body.attempts).to.deep.equal([]);
  });

  it('lets a read-only token list the wallet but not change it', async () => {
    const user = await signedInUser('+4741900008');
    const card = await saveCard(user, '4242 4242 4242 4242');
    // The same browser, already signed in and consented to more, gets a token with id.user.read only.
    const request = await authorizationRequest(app.rp, REDIRECT_URI, { scope: 'openid id.user.read' });
    const visit = await user.browser.get(request.url);
    expect(visit.leftTo, visit.body).to.be.a('string');
    const tokens = await redeem(app.rp, request, new URL(visit.leftTo!));
    expect(tokens.scope).to.not.include('payment.transactions.write');
    const readOnly = (method: string, path: string) =>
      server.request(method, path, { token: tokens.access_token });
    const listed = await readOnly('GET', '/v1/users/me/payment-methods');
    expect(listed.status, JSON.stringify(listed.body)).to.equal(200);
    expect((listed.body.items as Method[]).map((m) => m.methodId)).to.deep.equal([card.methodId]);
    expectProblem(
      await readOnly('DELETE', `/v1/users/me/payment-methods/${card.methodId}`),
      403,
      'insufficient_scope',
    );
  });

  it('answers bad input with problem+json', async () => {
    const user = await signedInUser('+4741900009');
    expectProblem(
      await user.call('POST', '/v1/users/me/payment-methods/cards', { token: 'pm_unknown' }),
      422,
      'unknown_card_token',
    );
    expectProblem(
      await user.call('POST', '/v1/users/me/payment-methods/cards', {}),
      422,
      'validation_failed',
    );
    expectProblem(
      await user.call('POST', '/v1/users/me/payment-methods/cards', {
        token: await cardToken('4242 4242 4242 4242'),
        last4: '0000',
      }),
      422,
      'validation_failed',
    );
    expectProblem(
      await user.call('POST', `/v1/users/me/payment-methods/${randomUUID()}/default`),
      404,
      'payment_method_not_found',
    );
    expectProblem(
      await user.call('DELETE', '/v1/users/me/payment-methods/not-a-uuid'),
      400,
      'invalid_request',
    );
    const id = await filmTransaction(user.sub);
    expectProblem(await pay(user, id, { methodId: randomUUID() }), 404, 'payment_method_not_found');
    expectProblem(await pay(user, id, { methodId: 'card-1' }), 422, 'validation_failed');
    expectProblem(await pay(user, id), 409, 'no_default_payment_method');
    // The same card twice is refused: one card, one saved method.
    const token = await cardToken('4242 4242 4242 4242');
    expect((await user.call('POST', '/v1/users/me/payment-methods/cards', { token })).status).to.equal(201);
    expectProblem(
      await user.call('POST', '/v1/users/me/payment-methods/cards', { token }),
      409,
      'payment_method_exists',
    );
  });
});
