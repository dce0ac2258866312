import { expect } from 'chai';
import * as oidc from 'openid-client';
import type { EventStore } from '../../application/ports/event-store.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  latestCode,
  redeem,
  registerConfidentialClient,
  type RegisteredClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The account page (/account) end to end, as a person uses it: signing in through Tessera's own
 * provider, then every form on the page through HTTP with the browser's cookies.
 */
describe('Account page', function () {
  this.timeout(60_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let clock: ManualClock;
  let acme: RegisteredClient;

  const events = async (stream: string) =>
    server.server.container.get<EventStore>(TOKENS.EventStore).readStream(stream);

  /** Signs a new browser in at /account with the phone; returns it on the account page. */
  async function signedIn(phone: string, headers: Record<string, string> = {}) {
    clock.advance(61_000); // past the wait between two codes to one phone
    const browser = new Browser(server.url, headers);
    const page = await signInWithPhone(server, browser, await browser.get('/account'), phone);
    expect(page.status, page.body).to.equal(200);
    expect(new URL(page.url).pathname).to.equal('/account');
    return { browser, page };
  }

  /** Posts one of the page's forms with its CSRF token and the given fields. */
  const submit = (browser: Browser, page: Visit, action: string, fields: Record<string, string> = {}) =>
    browser.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });

  /** The form on the page posting to `action` that carries the hidden field value, as its fields. */
  function formWith(page: Visit, action: string, value: string): Record<string, string> {
    const forms = page.body.split('<form ').filter((f) => f.includes(`action="${action}"`));
    const form = forms.find((f) => f.includes(`value="${value}"`));
    if (form === undefined) throw new Error(`No ${action} form for ${value}`);
    return Object.fromEntries(
      [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
  }

  /** Signs the browser in to Acme (consenting) and returns Acme's tokens. */
  async function acmeTokens(browser: Browser, scope = 'openid phone') {
    const request = await authorizationRequest(acme.rp, REDIRECT_URI, { scope, prompt: 'consent' });
    const callback = await answerConsent(browser, await browser.get(request.url), 'allow');
    return redeem(acme.rp, request, callback);
  }

  const introspect = async (token: string) => (await oidc.tokenIntrospection(acme.rp, token)).active;

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme' } });
    expect(provider.status).to.equal(201);
    acme = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme TV',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone', 'email', 'offline_access'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
  });
  after(() => server.close());
  // Every test signs in from 127.0.0.1: start each in a new window of the per-IP code limits.
  beforeEach(() => clock.advance(3601 * 1000));

  it('signs in through Tessera without a consent page and shows the account in the browser’s language', async () => {
    const { page } = await signedIn('+4741600001', { 'accept-language': 'nb-NO,nb;q=0.9' });
    expect(page.body).to.include('<html lang="nb"');
    expect(page.body).to.include('Tessera-kontoen din');
    expect(page.body).to.include('+4741600001');
    expect(page.body).to.include('Denne nettleseren');
    expect(page.body).to.not.include('/consent');
    expect(page.headers.get('content-security-policy')).to.include("default-src 'none'");
    expect(page.headers.get('cache-control')).to.equal('no-store');
  });

  it('saves the profile: name and language', async () => {
    const { browser, page } = await signedIn('+4741600002');
    const saved = await submit(browser, page, '/account/profile', { name: 'Kari Nordmann', locale: 'nb' });
    expect(saved.status, saved.body).to.equal(200);
    expect(saved.body).to.include('value="Kari Nordmann"');
    expect(saved.body).to.include('Profilen din er lagret.');
    expect(saved.body).to.include('<html lang="nb"');
  });

  /** Adds an email on the page and enters the code the outbox got; returns the page after. */
  async function addEmail(browser: Browser, page: Visit, email: string): Promise<Visit> {
    const codePage = await submit(browser, page, '/account/identifiers', { kind: 'email', value: email });
    expect(codePage.status, codePage.body).to.equal(200);
    expect(codePage.body).to.include(`Enter the code we sent to ${email}.`);
    return submit(browser, codePage, '/account/identifiers/verify', {
      kind: 'email',
      value: email,
      challenge: hiddenField(codePage.body, 'challenge'),
      code: await latestCode(server, email),
    });
  }

  it('adds emails with a code, makes one primary, and removes the other', async () => {
    const { browser, page } = await signedIn('+4741600003');
    const first = 'kari.3@example.com';
    const codePage = await submit(browser, page, '/account/identifiers', { kind: 'email', value: first });
    const code = await latestCode(server, first);
    const wrong = await submit(browser, codePage, '/account/identifiers/verify', {
      kind: 'email',
      value: first,
      challenge: hiddenField(codePage.body, 'challenge'),
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).to.equal(400);
    expect(wrong.body).to.include('The code is wrong');
    const verified = await submit(browser, wrong, '/account/identifiers/verify', {
      kind: 'email',
      value: first,
      challenge: hiddenField(codePage.body, 'challenge'),
      code,
    });
    expect(verified.status, verified.body).to.equal(200);
    expect(verified.body).to.include('Verified.');
    // The first verified email becomes the primary one.
    expect(verified.body).to.include(`${first}</strong> <span class="hint">(verified, primary)`);

    const second = 'kari.work@example.com';
    const both = await addEmail(browser, verified, second);
    expect(both.body).to.include(`${second}</strong> <span class="hint">(verified)`);
    const primary = await browser.post(
      '/account/identifiers/primary',
      formWith(both, '/account/identifiers/primary', second),
    );
    expect(primary.body).to.include('Primary changed.');
    expect(primary.body).to.include(`${second}</strong> <span class="hint">(verified, primary)`);
    expect(primary.body).to.include(`${first}</strong> <span class="hint">(verified)`);

    const removed = await browser.post(
      '/account/identifiers/remove',
      formWith(primary, '/account/identifiers/remove', first),
    );
    expect(removed.body).to.include('Removed.');
    expect(removed.body).to.not.include(first);
  });

  it('refuses a phone another account verified, and an invalid one, on the page', async () => {
    await signedIn('+4741600004');
    const { browser, page } = await signedIn('+4741600005');
    const added = await submit(browser, page, '/account/identifiers', {
      kind: 'phone',
      value: '+4741600004',
    });
    expect(added.status).to.equal(200);
    const taken = await submit(browser, added, '/account/identifiers/verify', {
      kind: 'phone',
      value: '+4741600004',
      challenge: hiddenField(added.body, 'challenge'),
      code: await latestCode(server, '+4741600004'),
    });
    expect(taken.status).to.equal(409);
    expect(taken.body).to.include('Another account already uses this.');

    const invalid = await submit(browser, page, '/account/identifiers', {
      kind: 'phone',
      value: 'not a phone',
    });
    expect(invalid.status).to.equal(422);
    expect(invalid.body).to.include('This is not a valid mobile number.');
  });

  it('sets a password, then changes and removes it only with the current one', async () => {
    const { browser, page } = await signedIn('+4741600006');
    const mismatch = await submit(browser, page, '/account/password', {
      password: 'correct horse',
      repeat: 'correct horsf',
    });
    expect(mismatch.status).to.equal(422);
    expect(mismatch.body).to.include('The two new passwords differ.');
    const short = await submit(browser, page, '/account/password', { password: 'short', repeat: 'short' });
    expect(short.status).to.equal(422);
    expect(short.body).to.include('8 to 256 characters');

    const set = await submit(browser, page, '/account/password', {
      password: 'correct horse',
      repeat: 'correct horse',
    });
    expect(set.body).to.include('Your password is set.');
    expect(set.body).to.include('Change password');

    const wrong = await submit(browser, set, '/account/password', {
      current: 'wrong horse',
      password: 'battery staple',
      repeat: 'battery staple',
    });
    expect(wrong.status).to.equal(403);
    expect(wrong.body).to.include('The current password is wrong.');

    const removed = await submit(browser, set, '/account/password/remove', { current: 'correct horse' });
    expect(removed.body).to.include('Your password is removed.');
    expect(removed.body).to.include('Set password');
  });

  it('lists a connected service and removes its access: its tokens die and the revocation is recorded', async () => {
    const { browser } = await signedIn('+4741600007');
    const tokens = await acmeTokens(browser, 'openid phone offline_access');
    const sub = tokens.claims()!.sub;
    expect(await introspect(tokens.access_token)).to.equal(true);

    const page = await browser.get('/account');
    expect(page.body).to.include('Acme TV');
    expect(page.body).to.include('See your phone number');
    const revoked = await browser.post(
      '/account/services/revoke',
      formWith(page, '/account/services/revoke', acme.clientId),
    );
    expect(revoked.body).to.include('The service no longer has access to your account.');
    expect(revoked.body).to.include('No service has access to your account.');
    expect(await introspect(tokens.access_token)).to.equal(false);
    const refreshed = await oidc.refreshTokenGrant(acme.rp, tokens.refresh_token!).then(
      () => 'refreshed',
      (err: unknown) => (err as { error?: string }).error,
    );
    expect(refreshed).to.equal('invalid_grant');
    const log = await events(`consent-${sub}-${acme.clientId}`);
    expect(log.map((e) => e.type)).to.deep.equal(['ConsentGranted', 'ConsentRevoked']);
    expect(log[1]!.metadata.actor).to.deep.equal({ kind: 'user', id: sub });
  });

  it('lists sessions and signs another browser out: its account page and its tokens end', async () => {
    const phone = '+4741600008';
    const laptop = await signedIn(phone, {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    });
    const laptopTokens = await acmeTokens(laptop.browser);
    const phoneBrowser = await signedIn(phone, {
      'user-agent':
        'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
    });
    const page = phoneBrowser.page;
    expect(page.body).to.include('Firefox on Linux');
    expect(page.body).to.include('Services: Acme TV');
    const other = page.body.match(/<input type="hidden" name="session" value="([^"]+)"/g) ?? [];
    expect(other).to.have.length(1);

    const ended = await submit(phoneBrowser.browser, page, '/account/sessions/end', {
      session: hiddenField(page.body, 'session'),
    });
    expect(ended.body).to.include('That session is signed out.');
    expect(ended.body).to.not.include('Firefox on Linux');
    expect(await introspect(laptopTokens.access_token)).to.equal(false);

    // The laptop's account page is signed out and asks for a sign-in again.
    const again = await laptop.browser.get('/account');
    expect(again.url).to.include('/interaction/');
  });

  it('refuses posts without the session’s CSRF token, and posts without a session', async () => {
    const { browser, page } = await signedIn('+4741600009');
    const forged = await browser.post('/account/profile', { csrf: 'forged', name: 'Mallory' });
    expect(forged.status).to.equal(403);
    const stranger = await new Browser(server.url).post('/account/profile', {
      csrf: hiddenField(page.body, 'csrf'),
      name: 'Mallory',
    });
    expect(stranger.status).to.equal(403);
    const after = await browser.get('/account');
    expect(after.body).to.not.include('Mallory');
  });

  it('signs out of Tessera in this browser', async () => {
    const { browser, page } = await signedIn('+4741600010');
    const tokens = await acmeTokens(browser);
    const out = await submit(browser, page, '/account/signout');
    expect(out.status).to.equal(200);
    expect(out.body).to.include('You are signed out of Tessera in this browser.');
    expect(await introspect(tokens.access_token)).to.equal(false);
    const again = await browser.get('/account');
    expect(again.url).to.include('/interaction/');
  });

  it('deletes the account after a fresh sign-in: access ends, the data is shredded, the phone is free', async () => {
    const phone = '+4741600011';
    const { browser } = await signedIn(phone);
    const tokens = await acmeTokens(browser);
    const sub = tokens.claims()!.sub;

    // Deleting asks for the code again first, even within a live session.
    clock.advance(61_000);
    const reauth = await browser.get('/account/delete');
    expect(reauth.url).to.include('/interaction/');
    const confirm = await signInWithPhone(server, browser, reauth, phone);
    expect(new URL(confirm.url).pathname, confirm.body).to.equal('/account/delete');
    expect(confirm.body).to.include('Delete your account?');

    const unconfirmed = await submit(browser, confirm, '/account/delete');
    expect(unconfirmed.status).to.equal(422);
    expect(unconfirmed.body).to.include('Tick the box');

    const deleted = await submit(browser, confirm, '/account/delete', { confirm: 'yes' });
    expect(deleted.status, deleted.body).to.equal(200);
    expect(deleted.body).to.include('Your account is deleted');
    expect(await introspect(tokens.access_token)).to.equal(false);

    const userLog = await events(`user-${sub}`);
    expect(userLog.at(-1)!.type).to.equal('UserErased');
    const consentLog = await events(`consent-${sub}-${acme.clientId}`);
    expect(consentLog.at(-1)!.type).to.equal('ConsentRevoked');
    expect(consentLog.at(-1)!.data).to.deep.include({ reason: 'account_deleted' });

    // The phone is free: signing in with it again makes a new, empty account.
    const fresh = await signedIn(phone);
    const next = await acmeTokens(fresh.browser, 'openid phone');
    expect(next.claims()!.sub).to.not.equal(sub);
  });
});
