import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A provider's backend gets tokens from Tessera's own OpenID Connect server with a client registered
 * through the admin API: the whole path a service provider integrates against.
 */
describe('OIDC: client_credentials for a registered client', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clientId: string;
  let clientSecret: string;

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function form(path: string, auth: string, fields: Record<string, string>) {
    const res = await fetch(server.url + path, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const token = (secret = clientSecret, scope = 'id.user.read') =>
    form('/oauth/token', basic(clientId, secret), { grant_type: 'client_credentials', scope });

  before(async () => {
    server = await startTestServer();
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme TV' } });
    expect(provider.status).to.equal(201);
    const client = await server.request('POST', `/admin/v1/providers/${provider.body.id}/clients`, {
      body: {
        clientType: 'confidential',
        name: 'Acme TV backend',
        grantTypes: ['client_credentials'],
        scopes: ['id.user.read'],
      },
    });
    expect(client.status, JSON.stringify(client.body)).to.equal(201);
    clientId = client.body.clientId;
    clientSecret = client.body.clientSecret;
  });
  after(() => server.close());

  it('publishes discovery with the server as issuer and the /oauth/ endpoints', async () => {
    const res = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(res.status).to.equal(200);
    const discovery = (await res.json()) as Record<string, unknown>;
    expect(discovery).to.include({
      issuer: server.url,
      token_endpoint: `${server.url}/oauth/token`,
      jwks_uri: `${server.url}/oauth/jwks`,
      introspection_endpoint: `${server.url}/oauth/introspect`,
    });
    const jwks = (await (await fetch(`${server.url}/oauth/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys.length).to.be.greaterThan(0);
    for (const key of jwks.keys) expect(key).to.not.have.property('d');
  });

  it('issues a token to the client, which introspects it as active and then revokes it', async () => {
    const issued = await token();
    expect(issued.status, JSON.stringify(issued.body)).to.equal(200);
    expect(issued.body).to.include({ token_type: 'Bearer', scope: 'id.user.read' });
    const accessToken = String(issued.body.access_token);

    const auth = basic(clientId, clientSecret);
    const active = await form('/oauth/introspect', auth, { token: accessToken });
    expect(active.body).to.include({ active: true, client_id: clientId, scope: 'id.user.read' });

    const revoked = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    expect(revoked.status).to.equal(200);
    expect((await form('/oauth/introspect', auth, { token: accessToken })).body).to.deep.equal({
      active: false,
    });
  });

  it('refuses a wrong secret, an unknown client and a scope the client may not ask for', async () => {
    expect((await token('not-the-secret')).body).to.include({ error: 'invalid_client' });
    expect(
      (await form('/oauth/token', basic('no-such-client', 'x'), { grant_type: 'client_credentials' })).body,
    ).to.include({ error: 'invalid_client' });
    expect((await token(clientSecret, 'payment.transactions.write')).body).to.include({
      error: 'invalid_scope',
    });
  });

  it('stops accepting the old secret after a rotation, and any secret once the client is disabled', async () => {
    const rotated = await server.request('POST', `/admin/v1/clients/${clientId}/secret`);
    expect(rotated.status).to.equal(200);
    const newSecret = String(rotated.body.clientSecret);
    expect((await token(clientSecret)).body).to.include({ error: 'invalid_client' });
    expect((await token(newSecret)).status).to.equal(200);
    clientSecret = newSecret;

    const disabled = await server.request('POST', `/admin/v1/clients/${clientId}/disable`, {
      body: { reason: 'contract ended' },
    });
    expect(disabled.status).to.equal(200);
    expect((await token()).body).to.include({ error: 'invalid_client' });
  });
});
