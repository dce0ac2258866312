import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { TokenVerifierUnavailableError } from '../../../application/ports/token-verifier.js';
import { SystemClock } from '../../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { createOidcAdapterFactory } from '../../../infrastructure/oidc/adapter.js';
import { createOidcProvider, OIDC_ROUTES } from '../../../infrastructure/oidc/provider.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { OidcTokenVerifier } from '../../../infrastructure/oidc/token-verifier.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const SECRET = 'backend-secret-0123456789abcdef';
const SUB = '0195f0c2-7d1e-7000-8000-000000000001';

/** Stored secrets are hashes, as in Tessera; `disabled` hides a client the way a disabled one is hidden. */
const CLIENTS: Record<string, ClientMetadata> = {
  backend: {
    client_id: 'backend',
    client_secret: sha256(SECRET),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'id.user.read id.user.write',
  },
  webapp: {
    client_id: 'webapp',
    client_secret: sha256('webapp-secret-0123456789abcdef'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://app.example/cb'],
    scope: 'openid profile phone id.user.read',
  },
};

describe('OidcTokenVerifier (oidc-provider tokens)', function () {
  this.timeout(30_000);

  let dir: string;
  let ephemeral: SqliteEphemeralStore;
  let readModels: SqliteReadModelStore;
  let provider: Provider;
  let verifier: OidcTokenVerifier;
  let server: Server;
  let base: string;
  const disabled = new Set<string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-token-verifier-'));
    const clock = new SystemClock();
    ephemeral = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    const keys = await SigningKeyStore.open({ store: readModels, clock, maxTokenLifetimeSeconds: 3600 });
    await keys.ensureCurrent();
    provider = createOidcProvider({
      issuer: 'http://tessera.test',
      adapter: createOidcAdapterFactory(ephemeral),
      jwks: await keys.jwks(),
      findClient: async (id) => (disabled.has(id) ? undefined : CLIENTS[id]),
      compareClientSecret: async (stored, presented) => {
        const expected = Buffer.from(stored);
        const actual = Buffer.from(sha256(presented));
        return expected.length === actual.length && timingSafeEqual(expected, actual);
      },
      cookieKeys: ['cookie-key-for-tests'],
      configuration: { scopes: ['openid', 'profile', 'phone', 'id.user.read', 'id.user.write'] },
    });
    verifier = new OidcTokenVerifier(() => provider);
    const app = express();
    app.use(provider.callback());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => disabled.clear());

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ephemeral.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const basic = `Basic ${Buffer.from(`backend:${SECRET}`).toString('base64')}`;

  async function post(path: string, form: Record<string, string>): Promise<Response> {
    return fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async function clientCredentialsToken(scope: string): Promise<string> {
    const response = await post(OIDC_ROUTES.token, { grant_type: 'client_credentials', scope });
    expect(response.status).to.equal(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** A user access token as the authorization code grant leaves it: a grant plus a token bound to it. */
  async function userToken(scope: string): Promise<{ token: string; grantId: string }> {
    const client = await provider.Client.find('webapp');
    if (!client) throw new Error('webapp client missing');
    const grant = new provider.Grant({ clientId: 'webapp', accountId: SUB });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const token = await new provider.AccessToken({
      client,
      accountId: SUB,
      grantId,
      gty: 'authorization_code',
      scope,
    }).save();
    return { token, grantId };
  }

  it('describes a client_credentials token: the client, no user, its scopes and expiry', async () => {
    const token = await clientCredentialsToken('id.user.read id.user.write');
    const verified = await verifier.verify(token);
    const now = Math.floor(Date.now() / 1000);
    expect(verified).to.not.equal(null);
    expect(verified!.clientId).to.equal('backend');
    expect(verified!.sub).to.equal(null);
    expect([...verified!.scopes].sort()).to.deep.equal(['id.user.read', 'id.user.write']);
    expect(verified!.expiresAt).to.be.within(now + 3590, now + 3601);
  });

  it('describes a user access token with its sub and granted scopes', async () => {
    const { token } = await userToken('openid phone id.user.read');
    const verified = await verifier.verify(token);
    expect(verified).to.include({ clientId: 'webapp', sub: SUB });
    expect([...verified!.scopes].sort()).to.deep.equal(['id.user.read', 'openid', 'phone']);
  });

  it('answers null for garbage, empty and oversized values', async () => {
    expect(await verifier.verify('not-a-token')).to.equal(null);
    expect(await verifier.verify('')).to.equal(null);
    expect(await verifier.verify('x'.repeat(5000))).to.equal(null);
  });

  it('answers null once a client_credentials token is revoked', async () => {
    const token = await clientCredentialsToken('id.user.read');
    expect(await verifier.verify(token)).to.not.equal(null);
    expect((await post(OIDC_ROUTES.revocation, { token })).status).to.equal(200);
    expect(await verifier.verify(token)).to.equal(null);
  });

  it('answers null for a user token whose grant is gone (consent revoked)', async () => {
    const { token, grantId } = await userToken('openid profile');
    expect(await verifier.verify(token)).to.not.equal(null);
    const grant = await provider.Grant.find(grantId);
    await grant!.destroy();
    expect(await verifier.verify(token)).to.equal(null);
  });

  it("answers null while the token's client is disabled", async () => {
    const token = await clientCredentialsToken('id.user.read');
    disabled.add('backend');
    expect(await verifier.verify(token)).to.equal(null);
    disabled.clear();
    expect(await verifier.verify(token)).to.not.equal(null);
  });

  it('answers null for an expired token the store still holds', async () => {
    const now = Math.floor(Date.now() / 1000);
    // Within the provider's clock tolerance, so only the verifier's own expiry check refuses it.
    await provider.ClientCredentials.adapter.upsert(
      'expired-token-value-0123456789abcdefghij',
      {
        kind: 'ClientCredentials',
        jti: 'expired-token-value-0123456789abcdefghij',
        clientId: 'backend',
        scope: 'id.user.read',
        iat: now - 3600,
        exp: now - 5,
      },
      60,
    );
    expect(await verifier.verify('expired-token-value-0123456789abcdefghij')).to.equal(null);
  });

  it('refuses sender-constrained and audience-restricted tokens unless the audience is its own', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = {
      kind: 'ClientCredentials',
      clientId: 'backend',
      scope: 'id.user.read',
      iat: now,
      exp: now + 600,
    };
    await provider.ClientCredentials.adapter.upsert(
      'dpop-bound-token-0123456789abcdefghijk',
      { ...base, jti: 'dpop-bound-token-0123456789abcdefghijk', jkt: 'thumbprint' },
      600,
    );
    await provider.ClientCredentials.adapter.upsert(
      'audience-token-0123456789abcdefghijklm',
      { ...base, jti: 'audience-token-0123456789abcdefghijklm', aud: 'https://api.example' },
      600,
    );
    expect(await verifier.verify('dpop-bound-token-0123456789abcdefghijk')).to.equal(null);
    expect(await verifier.verify('audience-token-0123456789abcdefghijklm')).to.equal(null);
    const forApi = new OidcTokenVerifier(() => provider, { audience: 'https://api.example' });
    expect(await forApi.verify('audience-token-0123456789abcdefghijklm')).to.include({ clientId: 'backend' });
  });

  it('throws TokenVerifierUnavailableError while the provider does not exist yet', async () => {
    let error: unknown;
    try {
      await new OidcTokenVerifier(() => null).verify('anything');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(TokenVerifierUnavailableError);
  });
});
