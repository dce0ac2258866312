import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type Provider from 'oidc-provider';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { CsrfTokens } from '../../infrastructure/http/pages/csrf.js';
import {
  staffPageCaller,
  staffPageSession,
  SUPPORT_SESSION_SCOPE,
} from '../../infrastructure/http/staff/staff-pages.js';
import { staffTokenAuth, staffTokenCaller } from '../../infrastructure/http/staff/staff-token-auth.js';
import { createLogger } from '../../infrastructure/logger.js';
import { ACCOUNT_CLIENT_ID } from '../../infrastructure/oidc/account-client.js';
import { openStaffWorld, staffCtx, type StaffWorld } from '../support/staff-fixture.js';

/**
 * The staff guards on a small app with the real staff slice (SQLite). The OpenID provider is
 * reduced to what AccountSessions asks of it (its issuer and stored authorization codes): each
 * sign-in is a code stored for an account, exactly as the provider stores one after a sign-in.
 */
interface StoredCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  accountId: string;
  sessionUid: string;
  acr?: string;
  consumed?: number;
  consume(): Promise<void>;
}

describe('staff authentication: page sessions and API tokens', function () {
  this.timeout(30_000);
  let w: StaffWorld;
  let server: Server;
  let base: string;
  const codes = new Map<string, StoredCode>();
  const liveSessions = new Set<string>();

  const provider = () =>
    ({
      issuer: base,
      AuthorizationCode: { find: async (value: string) => codes.get(value) },
    }) as unknown as Provider;

  before(async () => {
    w = await openStaffWorld();
    const support = staffPageSession(SUPPORT_SESSION_SCOPE, {
      provider,
      store: w.ephemeral,
      userSessions: {
        isLive: async (_sub, uid) => liveSessions.has(uid),
        end: async (_sub, uid) => liveSessions.delete(uid),
      },
      clock: w.clock,
      directory: w.queries,
      csrf: new CsrfTokens(randomBytes(32)),
    });
    const auth = staffTokenAuth({ tokens: w.tokens, directory: w.queries });
    const app = express();
    app.use(correlation(createLogger('silent')));
    app.use(support.routes);
    app.get('/support', support.requireStaffPage(['support-agent', 'support-lead']), (_req, res) => {
      const caller = staffPageCaller(res);
      res.type('html').send(`console for ${caller.sub} as ${caller.roles.join(',')}`);
    });
    app.get('/support/leads', support.requireStaffPage('support-lead'), (_req, res) => {
      res.send('leads only');
    });
    app.post(
      '/support/act',
      express.urlencoded({ extended: false }),
      support.requireStaffPage(),
      (_req, res) => {
        res.send(`acted as ${staffPageCaller(res).sub}`);
      },
    );
    app.get('/v1/staff-probe', auth.requireStaffToken('auditor'), (_req, res) => {
      res.json(staffTokenCaller(res));
    });
    app.use(notFound());
    app.use(errorHandler());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await w?.close();
  });

  /** A browser's cookie jar, enough for path-scoped cookies under one host. */
  class Browser {
    readonly cookies = new Map<string, string>();
    async get(path: string) {
      return this.send('GET', path);
    }
    async send(method: string, path: string, form?: Record<string, string>) {
      const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const response = await fetch(`${base}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
      return {
        status: response.status,
        location: response.headers.get('location'),
        body: await response.text(),
      };
    }
  }

  let signIns = 0;
  /** Opens `path`, follows the sign-in as the provider would for `sub`, and returns the browser. */
  async function signIn(sub: string, path = '/support') {
    const browser = new Browser();
    const first = await browser.get(path);
    expect(first.status).to.equal(303);
    const authorize = new URL(first.location!);
    expect(authorize.searchParams.get('redirect_uri')).to.equal(`${base}/support/callback`);
    expect(authorize.searchParams.get('client_id')).to.equal(ACCOUNT_CLIENT_ID);
    const uid = `session-${++signIns}`;
    const code = `code-${signIns}-${'x'.repeat(20)}`;
    const stored: StoredCode = {
      clientId: ACCOUNT_CLIENT_ID,
      redirectUri: `${base}/support/callback`,
      codeChallenge: authorize.searchParams.get('code_challenge')!,
      accountId: sub,
      sessionUid: uid,
      consume: async () => {
        stored.consumed = Date.now();
      },
    };
    codes.set(code, stored);
    liveSessions.add(uid);
    const back = await browser.get(
      `/support/callback?code=${code}&state=${authorize.searchParams.get('state')}`,
    );
    expect(back.status, back.body).to.equal(303);
    expect(back.location).to.equal(path);
    return { browser, uid };
  }

  const grant = (sub: string, role: string) =>
    w.commands.grantRole(sub, role, { by: 'operator', reason: 'test' }, staffCtx);
  const revoke = (sub: string, role: string) =>
    w.commands.revokeRole(sub, role, { by: 'operator', reason: 'test' }, staffCtx);

  describe('staff pages', () => {
    it('sends a visitor without a session to sign in, and back to the page asked for', async () => {
      const sub = await w.newUser('+4741900001');
      await grant(sub, 'support-agent');
      await w.caughtUp();
      const { browser } = await signIn(sub, '/support?q=kari');
      const page = await browser.get('/support?q=kari');
      expect(page.status).to.equal(200);
      expect(page.body).to.equal(`console for ${sub} as support-agent`);
    });

    it('answers 403 with a plain page for a signed-in account that is not staff, or lacks the role', async () => {
      const plain = await w.newUser('+4741900002');
      const { browser } = await signIn(plain);
      const refused = await browser.get('/support');
      expect(refused.status).to.equal(403);
      expect(refused.body).to.include('No access').and.include('support-agent role or the support-lead role');
      expect(refused.body).to.include('action="/support/signout"');

      const agent = await w.newUser('+4741900003');
      await grant(agent, 'support-agent');
      await w.caughtUp();
      const { browser: agentBrowser } = await signIn(agent);
      expect((await agentBrowser.get('/support')).status).to.equal(200);
      expect((await agentBrowser.get('/support/leads')).status).to.equal(403);
    });

    it('re-checks roles on every request: a revoked role is refused at once', async () => {
      const sub = await w.newUser('+4741900004');
      await grant(sub, 'support-lead');
      await w.caughtUp();
      const { browser } = await signIn(sub);
      expect((await browser.get('/support/leads')).status).to.equal(200);
      await revoke(sub, 'support-lead');
      await w.caughtUp();
      expect((await browser.get('/support/leads')).status).to.equal(403);
    });

    it('ends the page session with the provider session it came from', async () => {
      const sub = await w.newUser('+4741900005');
      await grant(sub, 'support-agent');
      await w.caughtUp();
      const { browser, uid } = await signIn(sub);
      liveSessions.delete(uid);
      const again = await browser.get('/support');
      expect(again.status).to.equal(303);
      expect(new URL(again.location!).searchParams.get('client_id')).to.equal(ACCOUNT_CLIENT_ID);
    });

    it('refuses posts without a session or a CSRF token, and signs out with one', async () => {
      const sub = await w.newUser('+4741900006');
      await grant(sub, 'support-agent');
      await w.caughtUp();
      expect((await new Browser().send('POST', '/support/act', { csrf: 'x' })).status).to.equal(403);
      const { browser, uid } = await signIn(sub);
      expect((await browser.send('POST', '/support/act', { csrf: 'forged' })).status).to.equal(403);

      // The CSRF token of the session is on the refusal page's sign-out form too; take it from a 403.
      const plainBrowser = await signIn(await w.newUser('+4741900007'));
      const refusal = await plainBrowser.browser.get('/support');
      const otherToken = /name="csrf" value="([^"]+)"/.exec(refusal.body)?.[1];
      expect(otherToken).to.be.a('string');
      expect((await browser.send('POST', '/support/act', { csrf: otherToken! })).status).to.equal(403);

      const out = await plainBrowser.browser.send('POST', '/support/signout', { csrf: otherToken! });
      expect(out.status).to.equal(200);
      expect(out.body).to.include('signed out');
      expect(liveSessions.has(plainBrowser.uid)).to.equal(false);
      expect((await plainBrowser.browser.get('/support')).status).to.equal(303);
      expect(liveSessions.has(uid)).to.equal(true);
    });

    it('refuses a callback whose state is not this browser’s', async () => {
      const browser = new Browser();
      const bad = await browser.get('/support/callback?code=nothing-here-at-all&state=forged');
      expect(bad.status).to.equal(400);
      expect(browser.cookies.has('tessera_support')).to.equal(false);
    });
  });

  describe('staff API tokens', () => {
    const probe = async (token: string | null) => {
      const response = await fetch(`${base}/v1/staff-probe`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        challenge: response.headers.get('www-authenticate'),
        json: (await response.json()) as Record<string, unknown>,
      };
    };

    it('401 without a token or with a bad one, 403 without the role, 200 with it', async () => {
      const none = await probe(null);
      expect([none.status, none.json.code]).to.deep.equal([401, 'unauthorized']);
      expect(none.type).to.include('application/problem+json');
      expect(none.challenge).to.include('Bearer realm="tessera-staff"');
      const bad = await probe('tst_' + 'A'.repeat(43));
      expect([bad.status, bad.json.code]).to.deep.equal([401, 'invalid_token']);

      const sub = await w.newUser('+4741900010');
      await grant(sub, 'support-agent');
      await w.caughtUp();
      const { token } = await w.tokens.issue(sub, { days: 30, by: 'operator' });
      const forbidden = await probe(token);
      expect([forbidden.status, forbidden.json.code]).to.deep.equal([403, 'staff_role_required']);
      expect(forbidden.type).to.include('application/problem+json');

      await grant(sub, 'auditor');
      await w.caughtUp();
      const ok = await probe(token);
      expect(ok.status).to.equal(200);
      expect(ok.json).to.deep.include({ sub, roles: ['support-agent', 'auditor'] });
    });

    it('a revoked role, a revoked token and an expired token stop working at once', async () => {
      const sub = await w.newUser('+4741900011');
      await grant(sub, 'auditor');
      await grant(sub, 'support-agent');
      await w.caughtUp();
      const first = await w.tokens.issue(sub, { days: 2, by: 'operator' });
      const second = await w.tokens.issue(sub, { days: 30, by: 'operator' });
      expect((await probe(first.token)).status).to.equal(200);

      await revoke(sub, 'auditor');
      await w.caughtUp();
      expect((await probe(first.token)).status).to.equal(403);
      await grant(sub, 'auditor');
      await w.caughtUp();
      expect((await probe(first.token)).status).to.equal(200);

      w.clock.advance(2 * 86_400_000);
      expect((await probe(first.token)).status).to.equal(401);
      expect((await probe(second.token)).status).to.equal(200);
      await w.tokens.revoke(second.view.id);
      expect((await probe(second.token)).status).to.equal(401);
    });
  });
});
