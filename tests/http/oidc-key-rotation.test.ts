import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../../application/ports/clock.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import { openTesseraSigningKeys } from '../../infrastructure/oidc/tessera-keys.js';
import type { Secrets } from '../../infrastructure/secrets.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { Browser } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  type RegisteredClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Signing keys rotated while the server runs: the provider is rebuilt with the new key, new ID
 * tokens carry its kid, and tokens signed before stay verifiable through the published JWKS.
 */
describe('OIDC signing key rotation on a running server', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let client: RegisteredClient;

  const jwks = async () => (await (await fetch(`${server.url}/oauth/jwks`)).json()) as JSONWebKeySet;

  async function idToken(browser: Browser, phone: string | null): Promise<string> {
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope: 'openid' });
    let page = await browser.get(request.url);
    if (phone !== null) page = await signInWithPhone(server, browser, page, phone);
    const callback =
      page.leftTo !== null ? new URL(page.leftTo) : await answerConsent(browser, page, 'allow');
    return (await redeem(client.rp, request, callback)).id_token!;
  }

  before(async () => {
    server = await startTestServer();
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme' } });
    client = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid'],
    });
  });
  after(() => server.close());

  it('signs with the new key after a rotation by the keys command, and keeps the old one published', async () => {
    const browser = new Browser(server.url);
    const before = await idToken(browser, '+4741700001');
    const oldKid = decodeProtectedHeader(before).kid;
    expect((await jwks()).keys.map((k) => k.kid)).to.deep.equal([oldKid]);

    // What `npm run cli -- keys rotate` does, against the server's own store.
    const container = server.server.container;
    const keys = await openTesseraSigningKeys({
      readModels: container.get<ReadModelStore>(TOKENS.ReadModelStore),
      clock: container.get<Clock>(TOKENS.Clock),
      secrets: container.get<Secrets>(TOKENS.Secrets),
    });
    const [rotated] = await keys.rotate();
    expect((await server.server.signingKeys.check()).changed).to.equal(true);

    const published = (await jwks()).keys.map((k) => k.kid);
    expect(published).to.deep.equal([rotated!.kid, oldKid]);
    const after = await idToken(browser, null);
    expect(decodeProtectedHeader(after).kid).to.equal(rotated!.kid);

    const verifier = createLocalJWKSet(await jwks());
    for (const token of [before, after]) {
      const { payload } = await jwtVerify(token, verifier, { issuer: server.url, audience: client.clientId });
      expect(payload.sub).to.be.a('string');
    }
  });
});
