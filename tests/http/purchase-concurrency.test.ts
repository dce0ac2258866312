import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Browser } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { type ApiResponse, startTestServer, type TestServer } from '../support/test-server.js';
import { FILM, filmTransaction } from '../support/film.js';

const REDIRECT_URI = 'http://127.0.0.1/cb';
const KEYS = 20;
const REQUESTS = 200;

/**
 * Idempotency under load, end to end over HTTP: 200 concurrent requests over 20 Idempotency-Keys
 * create 20 transactions, then 200 concurrent one-click payments over 20 keys (one per transaction)
 * charge 20 times and grant 20 rights — never more, whatever the interleaving.
 */
describe('HTTP: 200 concurrent purchases over 20 idempotency keys', function () {
  this.timeout(120_000);
  let server: TestServer;
  let acme: ProviderBackend;

  before(async () => {
    server = await startTestServer();
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
  });
  after(() => server.close());

  it('creates 20 transactions, charges 20 times and grants 20 rights', async () => {
    const app = await registerConfidentialClient(server, acme.providerId, {
      name: 'Acme app',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'payment.transactions.write'],
    });
    const browser = new Browser(server.url);
    const request = await authorizationRequest(app.rp, REDIRECT_URI, {
      scope: 'openid payment.transactions.write',
    });
    const consent = await signInWithPhone(server, browser, await browser.get(request.url), '+4741950001');
    const tokens = await redeem(app.rp, request, await answerConsent(browser, consent, 'allow'));
    const sub = tokens.claims()!.sub;
    const asUser = (method: string, path: string, body: unknown, headers: Record<string, string>) =>
      server.request(method, path, { token: tokens.access_token, body, headers });

    // A saved card, tokenised at the sandbox processor's form.
    const tokenised = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: '4242 4242 4242 4242',
        expiry: '12/30',
        cvc: '123',
        return_url: `${server.url}/pay/wallet/card`,
        state: 's',
      }),
    });
    const token = new URL(tokenised.headers.get('location')!).searchParams.get('token')!;
    const saved = await asUser('POST', '/v1/users/me/payment-methods/cards', { token }, {});
    expect(saved.status, JSON.stringify(saved.body)).to.equal(201);

    // 200 concurrent creations over 20 keys: one transaction per key.
    const run = randomUUID();
    const backend = await acme.token();
    const created = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        server.request('POST', '/v1/transactions', {
          token: backend,
          headers: { 'Idempotency-Key': `create-${run}-${i % KEYS}` },
          body: filmTransaction(sub, { orderId: `${run}-${i % KEYS}` }),
        }),
      ),
    );
    expect(created.map((r) => r.status)).to.satisfy((all: number[]) => all.every((s) => s === 201));
    const ids = Array.from({ length: KEYS }, (_, k) => created[k]!.body.transactionId as string);
    expect(new Set(ids).size).to.equal(KEYS);
    created.forEach((r, i) => expect(r.body.transactionId).to.equal(ids[i % KEYS]));

    // 200 concurrent one-click payments over 20 keys, 10 per transaction.
    const paid: ApiResponse<{ status: string; attemptId: string }>[] = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        asUser(
          'POST',
          `/v1/transactions/${ids[i % KEYS]}/payment`,
          { methodId: saved.body.methodId },
          { 'Idempotency-Key': `pay-${run}-${i % KEYS}` },
        ),
      ),
    );
    for (const r of paid) expect(r.status, JSON.stringify(r.body)).to.equal(200);
    for (let k = 0; k < KEYS; k++) {
      const answers = paid.filter((_, i) => i % KEYS === k);
      expect(new Set(answers.map((a) => a.body.attemptId)).size, `one attempt for key ${k}`).to.equal(1);
    }

    // Each transaction captured by exactly one attempt: 20 charges in all.
    const states = await Promise.all(ids.map((id) => acme.call('GET', `/v1/transactions/${id}`)));
    for (const s of states) {
      expect(s.body.status).to.equal('captured');
      expect(s.body.attempts).to.have.length(1);
    }
    const listed = await acme.call('GET', `/v1/transactions?sub=${sub}&limit=100`);
    const captured = (listed.body.items as { status: string; amount: { amount: number } }[]).filter(
      (t) => t.status === 'captured',
    );
    expect(captured).to.have.length(KEYS);
    expect(captured.reduce((sum, t) => sum + t.amount.amount, 0)).to.equal(KEYS * 4900);

    // And 20 rights: one per purchase, never two.
    const deadline = Date.now() + 10_000;
    const listRights = async (): Promise<{ grantor: { kind: string; id?: string } }[]> =>
      (await acme.call('GET', `/v1/users/${sub}/rights`)).body.rights;
    while (Date.now() < deadline && (await listRights()).length < KEYS) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // A little longer, so a duplicate grant would have time to show.
    await new Promise((r) => setTimeout(r, 300));
    const rights = await listRights();
    expect(rights).to.have.length(KEYS);
    expect(new Set(rights.map((r) => JSON.stringify(r.grantor))).size, 'one right per purchase').to.equal(
      KEYS,
    );
  });
});
