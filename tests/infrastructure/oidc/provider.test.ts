import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { ClientMetadata } from 'oidc-provider';
import { SystemClock } from '../../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { createOidcAdapterFactory } from '../../../infrastructure/oidc/adapter.js';
import { createOidcProvider, OIDC_ROUTES } from '../../../infrastructure/oidc/provider.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Stored secrets are hashes; the provider compares through the compareClientSecret hook. */
const CLIENTS: Record<string, ClientMetadata> = {
  backend: {
    client_id: 'backend',
    client_secret: sha256('backend-secret-0123456789abcdef'),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'id.user.read',
  },
  hashed: {
    client_id: 'hashed',
    client_secret: sha256('hashed-secret-0123456789abcdef'),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'id.user.read',
  },
};

describe('OIDC provider over HTTP (client_credentials)', function () {
  this.timeout(30_000);

  let dir: string;
  let ephemeral: SqliteEphemeralStore;
  let readModels: SqliteReadModelStore;
  let server: Server;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-oidc-provider-'));
    const clock = new SystemClock();
    ephemeral = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    const keys = await SigningKeyStore.open({ store: readModels, clock, maxTokenLifetimeSeconds: 3600 });
    await keys.ensureCurrent();

    const provider = createOidcProvider({
      issuer: 'http://tessera.test',
      adapter: createOidcAdapterFactory(ephemeral),
      jwks: await keys.jwks(),
      findClient: async (id) => CLIENTS[id],
      compareClientSecret: async (stored, presented) => {
        const expected = Buffer.from(stored);
        const actual = Buffer.from(sha256(presented));
        return expected.length === actual.length && timingSafeEqual(expected, actual);
      },
      cookieKeys: ['cookie-key-for-tests'],
      configuration: { scopes: ['openid', 'offline_access', 'id.user.read'] },
    });
    const app = express();
    app.use(provider.callback());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ephemeral.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const basic = (id: string, secret: string): string =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function post(path: string, auth: string, form: Record<string, string>): Promise<Response> {
    return fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async function token(id: string, secret: string): Promise<Response> {
    return post(OIDC_ROUTES.token, basic(id, secret), {
      grant_type: 'client_credentials',
      scope: 'id.user.read',
    });
  }

  it('publishes discovery with the /oauth/ endpoints and the signing keys', async () => {
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    // Endpoint URLs follow the host the request came to; the issuer is fixed.
    expect(discovery).to.include({
      issuer: 'http://tessera.test',
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      jwks_uri: `${base}/oauth/jwks`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      end_session_endpoint: `${base}/oauth/logout`,
      backchannel_logout_supported: true,
    });
    expect(discovery.grant_types_supported).to.include('client_credentials');
    expect(discovery.code_challenge_methods_supported).to.deep.equal(['S256']);

    const jwks = (await (await fetch(`${base}${OIDC_ROUTES.jwks}`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).to.have.length(1);
    expect(jwks.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).to.not.have.property('d');
  });

  it('issues a client_credentials token kept in the ephemeral store, introspects it, and revokes it', async () => {
    const response = await token('backend', 'backend-secret-0123456789abcdef');
    expect(response.status).to.equal(200);
    const issued = (await response.json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect(issued.token_type).to.equal('Bearer');
    expect(issued.expires_in).to.be.greaterThan(0);

    const stored = await ephemeral.get<{ clientId: string; scope: string }>(
      'oidc:ClientCredentials',
      issued.access_token,
    );
    expect(stored?.value).to.include({ clientId: 'backend', scope: 'id.user.read' });

    const auth = basic('backend', 'backend-secret-0123456789abcdef');
    const active = (await (
      await post(OIDC_ROUTES.introspection, auth, { token: issued.access_token })
    ).json()) as Record<string, unknown>;
    expect(active).to.include({
      active: true,
      client_id: 'backend',
      scope: 'id.user.read',
      token_type: 'Bearer',
    });

    expect((await post(OIDC_ROUTES.revocation, auth, { token: issued.access_token })).status).to.equal(200);
    expect(await ephemeral.get('oidc:ClientCredentials', issued.access_token)).to.equal(null);
    const revoked = (await (
      await post(OIDC_ROUTES.introspection, auth, { token: issued.access_token })
    ).json()) as Record<string, unknown>;
    expect(revoked).to.deep.equal({ active: false });
  });

  it('lets a client introspect and revoke only its own tokens', async () => {
    const issued = (await (await token('backend', 'backend-secret-0123456789abcdef')).json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(issued.expires_in).to.be.within(3590, 3600);
    const other = basic('hashed', 'hashed-secret-0123456789abcdef');
    const seen = (await (
      await post(OIDC_ROUTES.introspection, other, { token: issued.access_token })
    ).json()) as Record<string, unknown>;
    expect(seen).to.deep.equal({ active: false });
    await post(OIDC_ROUTES.revocation, other, { token: issued.access_token });
    expect(await ephemeral.get('oidc:ClientCredentials', issued.access_token)).to.not.equal(null);
  });

  it('refuses a wrong client secret and an unknown client with invalid_client', async () => {
    const wrong = await token('backend', 'not-the-secret');
    expect(wrong.status).to.equal(401);
    expect(((await wrong.json()) as { error: string }).error).to.equal('invalid_client');
    const unknown = await token('nobody', 'whatever');
    expect(unknown.status).to.equal(401);
  });

  it('checks a hashed stored secret through the compareClientSecret hook', async () => {
    const ok = await token('hashed', 'hashed-secret-0123456789abcdef');
    expect(ok.status).to.equal(200);
    const hashAsSecret = await token('hashed', sha256('hashed-secret-0123456789abcdef'));
    expect(hashAsSecret.status, 'the stored hash itself is not a password').to.equal(401);
  });

  it('refuses a scope the client is not allowed', async () => {
    const response = await post(OIDC_ROUTES.token, basic('backend', 'backend-secret-0123456789abcdef'), {
      grant_type: 'client_credentials',
      scope: 'offline_access',
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid_scope');
  });
});
