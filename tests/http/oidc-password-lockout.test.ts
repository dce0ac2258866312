import { expect } from 'chai';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Views } from '../../application/ports/views.js';
import { DEFAULT_POLICY, resendGapSeconds } from '../../application/signin/limits.js';
import { PORTS } from '../../application/tokens.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { userStreamId } from '../../domain/user/values.js';
import { ManualClock } from '../../infrastructure/clock.js';
import {
  MAX_ACCOUNT_PASSWORD_FAILURES,
  PASSWORD_LOCK_REASON,
} from '../../infrastructure/oidc/interactions-signin.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  type RegisteredClient,
  registerConfidentialClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Wrong passwords at the acr "2" step, through the interaction pages: they add up per account across
 * sign-ins, the one that reaches the limit records a SignInLocked event on the User stream, and the
 * locked account is refused at the password step and at the code step, even with the right
 * password, until the lock has passed.
 */
describe('OIDC: account lockout after wrong passwords', function () {
  this.timeout(30_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  const PASSWORD = 'correct horse battery staple';
  const PHONE = '+4741250201';
  const LOCKED_TEXT = 'Sign-in to this account is locked';
  let server: TestServer;
  let clock: ManualClock;
  let client: RegisteredClient;
  let sub: string;
  let codesSent = 0;

  /**
   * A fresh browser's authorization request, signed in with the phone's code. The clock moves only
   * past the wait before the next code to the phone, so the whole story stays inside one lockout.
   */
  async function start(params: Record<string, string>) {
    if (codesSent > 0) clock.advance(resendGapSeconds(DEFAULT_POLICY, codesSent) * 1000);
    codesSent++;
    const browser = new Browser(server.url);
    const request = await authorizationRequest(client.rp, REDIRECT_URI, { scope: 'openid phone', ...params });
    const afterCode = await signInWithPhone(server, browser, await browser.get(request.url), PHONE);
    return { browser, request, afterCode };
  }

  async function callbackOf(browser: Browser, page: Visit): Promise<URL> {
    return page.leftTo !== null ? new URL(page.leftTo) : answerConsent(browser, page, 'allow');
  }

  const postPassword = (browser: Browser, page: Visit, password: string) =>
    browser.post(formAction(page.body, '/password'), { csrf: hiddenField(page.body, 'csrf'), password });

  /** Posts wrong passwords until the sign-in is sent back to the client; returns how many. */
  async function wrongUntilSentBack(browser: Browser, page: Visit): Promise<{ posted: number; back: URL }> {
    for (let posted = 1; ; posted++) {
      const next = await postPassword(browser, page, `wrong ${posted}`);
      if (next.leftTo !== null) return { posted, back: new URL(next.leftTo) };
      expect(next.status, next.body).to.equal(400);
      page = next;
    }
  }

  const userEvents = () =>
    server.server.container.get<EventStore>(PORTS.EventStore).readStream(userStreamId(sub));

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Acme Bank' } });
    expect(provider.status).to.equal(201);
    client = await registerConfidentialClient(server, provider.body.id, {
      name: 'Acme Bank',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'phone'],
    });
    const first = await start({});
    sub = (await redeem(client.rp, first.request, await callbackOf(first.browser, first.afterCode))).claims()!
      .sub;
    const written = await server.server.container
      .get(UserCommands)
      .setPassword(sub, PASSWORD, { actor: { kind: 'system', id: 'test' }, correlationId: 'pw' });
    const views = server.server.container.get<Views>(PORTS.Views);
    expect(
      await views.waitFor(written.position!, { projections: [USERS_PROJECTION], timeoutMs: 5000 }),
    ).to.equal(true);
  });
  after(() => server.close());

  it('locks the account after too many wrong passwords across sign-ins, until the lock has passed', async () => {
    // A second sign-in waits at the password page while wrong passwords pile up elsewhere.
    const waiting = await start({ acr_values: '2' });
    expect(waiting.afterCode.body).to.include('type="password"');

    let total = 0;
    while (!(await userEvents()).some((e) => e.type === 'SignInLocked')) {
      const { browser, afterCode } = await start({ acr_values: '2' });
      expect(afterCode.status, afterCode.body).to.equal(200);
      const round = await wrongUntilSentBack(browser, afterCode);
      expect(round.back.searchParams.get('error')).to.equal('access_denied');
      expect(round.back.searchParams.has('code')).to.equal(false);
      total += round.posted;
      expect(total).to.be.at.most(MAX_ACCOUNT_PASSWORD_FAILURES);
    }
    expect(total).to.equal(MAX_ACCOUNT_PASSWORD_FAILURES);

    const locks = (await userEvents()).filter((e) => e.type === 'SignInLocked');
    expect(locks).to.have.length(1);
    const lock = locks[0]!.data as { reason: string; until: string | null };
    expect(lock.reason).to.equal(PASSWORD_LOCK_REASON);
    expect(Date.parse(lock.until!)).to.be.greaterThan(clock.now().getTime());
    expect(locks[0]!.metadata.actor).to.deep.equal({ kind: 'system', id: 'sign-in' });

    // The waiting sign-in is refused with the right password.
    const refused = await postPassword(waiting.browser, waiting.afterCode, PASSWORD);
    expect(refused.status).to.equal(403);
    expect(refused.leftTo).to.equal(null);
    expect(refused.body).to.include(LOCKED_TEXT);

    // So is the next sign-in, already at its code.
    const next = await start({ acr_values: '2' });
    expect(next.afterCode.status).to.equal(403);
    expect(next.afterCode.body).to.include(LOCKED_TEXT);
    expect(next.afterCode.body).to.not.include('type="password"');

    // Once the lock (and the hour's allowance of codes) has passed, the right password signs in.
    clock.advance(DEFAULT_POLICY.sendWindowSeconds * 1000);
    expect(clock.now().getTime()).to.be.greaterThan(Date.parse(lock.until!));
    const later = await start({ acr_values: '2' });
    expect(later.afterCode.status, later.afterCode.body).to.equal(200);
    const right = await postPassword(later.browser, later.afterCode, PASSWORD);
    const claims = (await redeem(client.rp, later.request, await callbackOf(later.browser, right))).claims()!;
    expect(claims.sub).to.equal(sub);
    expect(claims.acr).to.equal('2');
    expect(claims.amr).to.deep.equal(['sms', 'pwd']);
  });
});
