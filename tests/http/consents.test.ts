import { expect } from 'chai';
import * as oidc from 'openid-client';
import type { EventStore } from '../../application/ports/event-store.js';
import { ManualClock } from '../../infrastructure/clock.js';
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
 * Consents end to end: the answers on the consent page become Consent events, a provider reads a
 * user by sub only with the consented scopes, and withdrawing a consent (through the API, from the
 * user's account client) ends every grant and token the client held.
 */
describe('Consents: recorded on the consent page, listed, revocable', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let clock: ManualClock;
  /** A provider's app: signs users in and reads them from its backend (client_credentials). */
  let acme: RegisteredClient;
  /** The user's own account management: the token that lists and revokes consents. */
  let account: RegisteredClient;

  const api = (path: string, token: string, method = 'GET') =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  /** Signs in (first client) or reuses the session (later ones), answers consent, returns the callback. */
  async function authorize(
    browser: Browser,
    client: RegisteredClient,
    scope: string,
    decision: 'allow' | 'deny',
    phone: string,
  ) {
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope, prompt: 'consent' });
    let page = await browser.get(request.url);
    if (page.body.includes('/identifier')) page = await signInWithPhone(server, browser, page, phone);
    return { request, callback: await answerConsent(browser, page, decision) };
  }

  async function tokensFor(browser: Browser, client: RegisteredClient, scope: string, phone: string) {
    const { request, callback } = await authorize(browser, client, scope, 'allow', phone);
    const tokens = await redeem(client.rp, request, callback);
    return { tokens, sub: tokens.claims()!.sub };
  }

  /** The user's connected services, waiting (bounded) for the projection to show `expected`. */
  async function consentsOf(token: string, until: (items: ConsentItem[]) => boolean): Promise<ConsentItem[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await api('/v1/users/me/consents', token);
      expect(res.status).to.equal(200);
      const { items } = (await res.json()) as { items: ConsentItem[] };
      if (until(items) || Date.now() > deadline) return items;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function readBySub(sub: string) {
    const backend = await oidc.clientCredentialsGrant(acme.rp, { scope: 'id.user.read' });
    return api(`/v1/users/${sub}`, backend.access_token);
  }

  async function consentEvents(sub: string, clientId: string) {
    const store = server.server.container.get<EventStore>(TOKENS.EventStore);
    return store.readStream(`consent-${sub}-${clientId}`);
  }

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme' } });
    expect(provider.status).to.equal(201);
    acme = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme TV',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone', 'profile', 'email', 'offline_access', 'id.user.read'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    account = await registerConfidentialClient(server, provider.body.id, {
      name: 'My account',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'id.user.read', 'id.user.write'],
    });
  });
  after(() => server.close());

  it('lists an allowed client, and lets its backend read the user by sub with only the consented scopes', async () => {
    const browser = new Browser(server.url);
    const phone = '+4741500001';
    const { sub } = await tokensFor(browser, acme, 'openid phone offline_access', phone);
    const manage = await tokensFor(browser, account, 'openid id.user.read id.user.write', phone);
    expect(manage.sub).to.equal(sub);

    const items = await consentsOf(manage.tokens.access_token, (i) => i.length === 2);
    const listed = items.find((i) => i.clientId === acme.clientId);
    expect(listed, JSON.stringify(items)).to.not.equal(undefined);
    expect(listed!.name).to.equal('Acme TV');
    expect(listed!.scopes).to.have.members(['openid', 'phone', 'offline_access']);
    expect(Date.parse(listed!.grantedAt)).to.be.closeTo(clock.now().getTime(), 60_000);

    const read = await readBySub(sub);
    expect(read.status).to.equal(200);
    const user = (await read.json()) as Record<string, unknown>;
    expect(user.sub).to.equal(sub);
    expect(JSON.stringify(user.phones)).to.include(phone);
    expect(user).to.not.have.property('emails');
    expect(user).to.not.have.property('name');

    const events = await consentEvents(sub, acme.clientId);
    expect(events.map((e) => e.type)).to.deep.equal(['ConsentGranted']);
    expect(events[0]!.metadata.actor).to.deep.equal({ kind: 'user', id: sub });
  });

  it('records only what is added when the user allows a consented client more', async () => {
    const browser = new Browser(server.url);
    const phone = '+4741500002';
    const { sub } = await tokensFor(browser, acme, 'openid phone', phone);
    await tokensFor(browser, acme, 'openid phone email', phone);
    await tokensFor(browser, acme, 'openid email', phone);
    const events = await consentEvents(sub, acme.clientId);
    expect(events.map((e) => e.type)).to.deep.equal(['ConsentGranted', 'ConsentScopesAdded']);
    expect(events[1]!.data).to.deep.include({ scopes: ['email'] });
  });

  it("revokes: the client's tokens die, its backend loses the user, and prompt=none needs consent again", async () => {
    const browser = new Browser(server.url);
    const phone = '+4741500003';
    const { tokens, sub } = await tokensFor(browser, acme, 'openid phone offline_access', phone);
    expect(tokens.refresh_token).to.be.a('string');
    const manage = await tokensFor(browser, account, 'openid id.user.read id.user.write', phone);
    await consentsOf(manage.tokens.access_token, (i) => i.length === 2);

    // Before: the consent lets a silent request through.
    const silent = await authorizationRequest(acme.rp, REDIRECT_URI, {
      scope: 'openid phone',
      prompt: 'none',
    });
    const before = await browser.get(silent.url);
    expect(new URL(before.leftTo!).searchParams.get('code')).to.be.a('string');
    expect((await oidc.tokenIntrospection(acme.rp, tokens.access_token)).active).to.equal(true);

    const revoked = await api(`/v1/users/me/consents/${acme.clientId}`, manage.tokens.access_token, 'DELETE');
    expect(revoked.status).to.equal(204);
    expect(revoked.headers.get('tessera-position')).to.match(/^\d+$/);

    expect((await oidc.tokenIntrospection(acme.rp, tokens.access_token)).active).to.equal(false);
    let refreshError: unknown;
    try {
      await oidc.refreshTokenGrant(acme.rp, tokens.refresh_token!);
    } catch (err) {
      refreshError = err;
    }
    expect(refreshError).to.be.instanceOf(oidc.ResponseBodyError);
    expect((refreshError as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    expect((await readBySub(sub)).status).to.equal(404);
    const items = await consentsOf(manage.tokens.access_token, () => true);
    expect(items.map((i) => i.clientId)).to.deep.equal([account.clientId]);

    const after = await browser.get(
      (await authorizationRequest(acme.rp, REDIRECT_URI, { scope: 'openid phone', prompt: 'none' })).url,
    );
    expect(new URL(after.leftTo!).searchParams.get('error')).to.equal('consent_required');

    const events = await consentEvents(sub, acme.clientId);
    expect(events.map((e) => e.type)).to.deep.equal(['ConsentGranted', 'ConsentRevoked']);
    expect(events[1]!.data).to.deep.include({ by: 'user' });

    const again = await api(`/v1/users/me/consents/${acme.clientId}`, manage.tokens.access_token, 'DELETE');
    expect(again.status).to.equal(404);
    expect(
      (await api('/v1/users/me/consents/not-a-client', manage.tokens.access_token, 'DELETE')).status,
    ).to.equal(404);

    // A new consent after the revocation is a new grant, and works again.
    const renewed = await tokensFor(browser, acme, 'openid phone', phone);
    expect((await oidc.tokenIntrospection(acme.rp, renewed.tokens.access_token)).active).to.equal(true);
    expect((await consentEvents(sub, acme.clientId)).map((e) => e.type)).to.deep.equal([
      'ConsentGranted',
      'ConsentRevoked',
      'ConsentGranted',
    ]);
  });

  it('records a denial as an event, and lists nothing for the denied client', async () => {
    const browser = new Browser(server.url);
    const phone = '+4741500004';
    const denied = await authorize(browser, acme, 'openid phone', 'deny', phone);
    expect(denied.callback.searchParams.get('error')).to.equal('access_denied');
    const manage = await tokensFor(browser, account, 'openid id.user.read', phone);

    const events = await consentEvents(manage.sub, acme.clientId);
    expect(events.map((e) => e.type)).to.deep.equal(['ConsentDenied']);
    expect(events[0]!.data).to.deep.include({ scopes: ['openid', 'phone'] });
    expect(events[0]!.metadata.actor).to.deep.equal({ kind: 'user', id: manage.sub });

    const items = await consentsOf(manage.tokens.access_token, (i) => i.length > 0);
    expect(items.map((i) => i.clientId)).to.deep.equal([account.clientId]);
    expect((await readBySub(manage.sub)).status).to.equal(404);
  });

  it('needs id.user.read to list and id.user.write to revoke', async () => {
    const browser = new Browser(server.url);
    const phone = '+4741500005';
    const plain = await tokensFor(browser, acme, 'openid phone', phone);
    const list = await api('/v1/users/me/consents', plain.tokens.access_token);
    expect(list.status).to.equal(403);
    const readOnly = await tokensFor(browser, account, 'openid id.user.read', phone);
    const del = await api(`/v1/users/me/consents/${acme.clientId}`, readOnly.tokens.access_token, 'DELETE');
    expect(del.status).to.equal(403);
    expect(del.headers.get('www-authenticate')).to.include('insufficient_scope');
  });
});

interface ConsentItem {
  readonly clientId: string;
  readonly name: string;
  readonly logoUri: string | null;
  readonly scopes: string[];
  readonly grantedAt: string;
}
