import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { Logger } from '../../application/ports/logger.js';
import type { EmailMessage, SmsMessage } from '../../application/ports/message-sender.js';
import {
  type TokenVerifier,
  TokenVerifierUnavailableError,
  type VerifiedToken,
} from '../../application/ports/token-verifier.js';
import { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { rememberMount } from '../../infrastructure/http/observe.js';
import { createReadAfterWrite } from '../../infrastructure/http/read-after-write.js';
import { createUsersRouter, type UsersRouterDeps } from '../../infrastructure/http/users-router.js';
import { ctx, openUserWorld, type UserWorld } from '../support/user-fixture.js';

const PHONE_A = '+4741234567';
const PHONE_B = '+4792345678';
const PHONE_C = '+4748123456';
const CLIENT = 'c0ffee00-0000-7000-8000-00000000c11e';

/** Every log line, to show no token ever reaches the log. */
function capturingLogger(lines: string[]): Logger {
  const write = (fields: Record<string, unknown>, message?: string) => {
    lines.push(JSON.stringify({ fields, message }));
  };
  const logger: Logger = { debug: write, info: write, warn: write, error: write, child: () => logger };
  return logger;
}

describe('user-data API (/v1/users)', function () {
  this.timeout(30_000);

  let world: UserWorld;
  let ephemeral: SqliteEphemeralStore;
  let servers: Server[];
  let base: string;
  const tokens = new Map<string, VerifiedToken>();
  const consents = new Map<string, readonly string[]>();
  const sent: (SmsMessage | EmailMessage)[] = [];
  const logLines: string[] = [];
  let alice: string;
  let bob: string;

  /** Maps test token strings to their meaning; `explode-…` fails like a broken store, `starting-…` like a starting server. */
  const verifier: TokenVerifier = {
    verify: async (value) => {
      if (value.startsWith('explode-')) throw new Error('token store unavailable');
      if (value.startsWith('starting-')) throw new TokenVerifierUnavailableError();
      return tokens.get(value) ?? null;
    },
  };

  async function serve(overrides: Partial<UsersRouterDeps> = {}): Promise<string> {
    const app = express();
    app.use(correlation(capturingLogger(logLines)));
    const codes = new OneTimeCodes({
      store: ephemeral,
      clock: world.clock,
      sms: { send: async (m) => void sent.push(m) },
      email: { send: async (m) => void sent.push(m) },
      secret: 'a-test-secret-of-at-least-32-bytes-long!',
    });
    app.use(
      '/v1',
      rememberMount(),
      createUsersRouter({
        users: world.commands,
        queries: world.queries,
        verifier,
        views: world.runner,
        awaitMinPosition: createReadAfterWrite({
          views: world.runner,
          headPosition: () => world.store.headPosition(),
          timeoutMs: 5000,
        }),
        writeVisibleTimeoutMs: 5000,
        defaultCountry: 'NO',
        codes,
        consentedScopes: async (sub, clientId) => consents.get(`${sub}|${clientId}`) ?? null,
        ...overrides,
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function token(name: string, sub: string | null, scopes: string[]): string {
    const value = `tok-${name}-${Math.random().toString(36).slice(2)}`;
    tokens.set(value, { clientId: CLIENT, sub, scopes, expiresAt: 4_102_444_800 });
    return value;
  }

  async function call(
    method: string,
    path: string,
    auth: string | null,
    body?: unknown,
    at = base,
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const response = await fetch(`${at}${path}`, {
      method,
      headers: {
        ...(auth !== null ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
  }

  /** Reads the user back once the projection has applied the write. */
  async function me(auth: string, position: string | null): Promise<Record<string, unknown>> {
    const query = position ? `?minPosition=${position}` : '';
    const { status, json } = await call('GET', `/v1/users/me${query}`, auth);
    expect(status).to.equal(200);
    return json;
  }

  function lastCode(to: string): string {
    const message = [...sent].reverse().find((m) => m.to === to);
    const code = /\b(\d{6})\b/.exec(message?.text ?? '')?.[1];
    if (!code) throw new Error(`no code was sent to ${to}`);
    return code;
  }

  before(async () => {
    world = await openUserWorld();
    ephemeral = SqliteEphemeralStore.open({
      file: join(world.dir, 'ephemeral.db'),
      clock: world.clock,
      purgeIntervalMs: 0,
    });
    servers = [];
    base = await serve();
    const a = await world.commands.registerWithIdentifier({ kind: 'phone', value: PHONE_A }, ctx);
    const b = await world.commands.registerWithIdentifier({ kind: 'email', value: 'bob@example.com' }, ctx);
    alice = a.sub;
    bob = b.sub;
    await world.caughtUp(b.position);
  });

  after(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    await ephemeral.close();
    await world.close();
  });

  describe('authentication', () => {
    it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
      const { status, headers, json } = await call('GET', '/v1/users/me', null);
      expect(status).to.equal(401);
      expect(headers.get('www-authenticate')).to.equal('Bearer realm="tessera"');
      expect(headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(json).to.include({ code: 'unauthorized' });
    });

    it('answers 401 invalid_token for an unknown or malformed token', async () => {
      const unknown = await call('GET', '/v1/users/me', 'no-such-token');
      expect(unknown.status).to.equal(401);
      expect(unknown.headers.get('www-authenticate')).to.equal(
        'Bearer realm="tessera", error="invalid_token"',
      );
      expect(unknown.json).to.include({ code: 'invalid_token' });
      const malformed = await fetch(`${base}/v1/users/me`, { headers: { authorization: 'Basic abc' } });
      expect(malformed.status).to.equal(401);
      expect(malformed.headers.get('www-authenticate')).to.contain('error="invalid_token"');
    });

    it('answers 503 while tokens cannot be checked yet', async () => {
      const { status, headers, json } = await call('GET', '/v1/users/me', 'starting-abc');
      expect(status).to.equal(503);
      expect(headers.get('retry-after')).to.equal('1');
      expect(json.code).to.equal('oidc_starting');
    });

    it('answers 403 insufficient_scope naming the scope needed', async () => {
      const openidOnly = token('openid', alice, ['openid']);
      const read = await call('GET', '/v1/users/me', openidOnly);
      expect(read.status).to.equal(403);
      expect(read.headers.get('www-authenticate')).to.equal(
        'Bearer realm="tessera", error="insufficient_scope", scope="id.user.read"',
      );
      expect(read.json).to.include({ code: 'insufficient_scope' });
      const readOnly = token('read', alice, ['id.user.read']);
      const write = await call('PATCH', '/v1/users/me', readOnly, { name: 'Alice' });
      expect(write.status).to.equal(403);
      expect(write.headers.get('www-authenticate')).to.contain('scope="id.user.write"');
    });

    it('refuses a client_credentials token on /me with a message saying why', async () => {
      const clientToken = token('client', null, ['id.user.read', 'id.user.write']);
      const { status, json } = await call('GET', '/v1/users/me', clientToken);
      expect(status).to.equal(403);
      expect(json.code).to.equal('user_token_required');
      expect(json.detail).to.match(/client_credentials/);
      expect((await call('POST', '/v1/users/me/phones', clientToken, { phone: PHONE_C })).status).to.equal(
        403,
      );
    });
  });

  describe('GET and PATCH /v1/users/me', () => {
    it('shows only what the token scopes reveal', async () => {
      const phoneOnly = await me(token('p', alice, ['openid', 'phone']), null);
      expect(phoneOnly).to.deep.equal({
        sub: alice,
        phones: [{ value: PHONE_A, verified: true, primary: true }],
      });
      const profileEmail = await me(token('pe', bob, ['openid', 'profile', 'email']), null);
      expect(profileEmail).to.deep.equal({
        sub: bob,
        name: null,
        locale: null,
        emails: [{ value: 'bob@example.com', verified: true, primary: true }],
      });
      const all = await me(token('all', bob, ['id.user.read']), null);
      expect(all).to.have.all.keys('sub', 'name', 'locale', 'phones', 'emails');
    });

    it('changes name and locale, validates them, and clears the name with null', async () => {
      const rw = token('rw', bob, ['id.user.read', 'id.user.write']);
      const changed = await call('PATCH', '/v1/users/me', rw, { name: '  Bob Nordmann ', locale: 'nb-no' });
      expect(changed.status).to.equal(200);
      expect(changed.headers.get('tessera-position')).to.match(/^\d+$/);
      expect(changed.json).to.include({ sub: bob, name: 'Bob Nordmann', locale: 'nb-NO' });

      const bad = await call('PATCH', '/v1/users/me', rw, { locale: '!!', nickname: 'x' });
      expect(bad.status).to.equal(422);
      const paths = (bad.json.errors as { path: string }[]).map((e) => e.path).sort();
      expect(paths).to.deep.equal(['body', 'body.locale']);
      expect((await call('PATCH', '/v1/users/me', rw, {})).status).to.equal(422);

      const cleared = await call('PATCH', '/v1/users/me', rw, { name: null });
      expect(cleared.status).to.equal(200);
      expect(cleared.json).to.include({ name: null, locale: 'nb-NO' });
    });
  });

  describe('phones and emails of /me', () => {
    it('adds a phone unverified, verifies it with the code sent, makes it primary and removes the old one', async () => {
      const rw = token('alice-rw', alice, ['id.user.read', 'id.user.write']);
      const added = await call('POST', '/v1/users/me/phones', rw, { phone: '481 23 456' });
      expect(added.status).to.equal(201);
      expect(added.headers.get('location')).to.equal(`/v1/users/me/phones/${encodeURIComponent(PHONE_C)}`);
      expect(added.json).to.include({ value: PHONE_C, verified: false, primary: false });
      const verification = added.json.verification as { status: string; challengeId: string };
      expect(verification.status).to.equal('sent');

      expect((await call('POST', `/v1/users/me/phones/${PHONE_C}/primary`, rw)).status).to.equal(409);

      const code = lastCode(PHONE_C);
      const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const wrong = await call('POST', '/v1/users/me/phones/verify', rw, {
        challengeId: verification.challengeId,
        code: wrongCode,
      });
      expect(wrong.status).to.equal(422);
      expect(wrong.json.code).to.equal('wrong_code');
      const ok = await call('POST', '/v1/users/me/phones/verify', rw, {
        challengeId: verification.challengeId,
        code,
      });
      expect(ok.status).to.equal(200);
      expect(ok.json).to.deep.equal({ value: PHONE_C, verified: true });
      const replay = await call('POST', '/v1/users/me/phones/verify', rw, {
        challengeId: verification.challengeId,
        code,
      });
      expect(replay.json.code).to.equal('code_expired');

      const primary = await call('POST', `/v1/users/me/phones/${encodeURIComponent(PHONE_C)}/primary`, rw);
      expect(primary.status).to.equal(204);
      const removed = await call('DELETE', `/v1/users/me/phones/${PHONE_A}`, rw);
      expect(removed.status).to.equal(204);
      expect((await me(rw, removed.headers.get('tessera-position'))).phones).to.deep.equal([
        { value: PHONE_C, verified: true, primary: true },
      ]);
    });

    it('refuses to remove the last verified identifier, and duplicates on one account', async () => {
      const rw = token('alice-rw2', alice, ['id.user.write']);
      const last = await call('DELETE', `/v1/users/me/phones/${PHONE_C}`, rw);
      expect(last.status).to.equal(409);
      expect(last.json.code).to.equal('last_identifier');
      const twice = await call('POST', '/v1/users/me/phones', rw, { phone: PHONE_C });
      expect(twice.status).to.equal(409);
      expect(twice.json.code).to.equal('phone_exists');
      const missing = await call('DELETE', `/v1/users/me/phones/${PHONE_B}`, rw);
      expect(missing.status).to.equal(404);
      const badParam = await call('DELETE', '/v1/users/me/phones/not-a-phone', rw);
      expect(badParam.status).to.equal(400);
      expect(badParam.json.errors).to.deep.include({
        path: 'params.phone',
        message:
          'must be a valid phone number, e.g. +4741234567 (or a national number of the default country)',
      });
      const badBody = await call('POST', '/v1/users/me/emails', rw, { email: 'nope' });
      expect(badBody.status).to.equal(422);
      expect((badBody.json.errors as { path: string }[])[0]!.path).to.equal('body.email');
    });

    it('answers 409 when verifying a phone another account already verified', async () => {
      const bobRw = token('bob-rw', bob, ['id.user.write']);
      world.clock.advance(120_000); // past the resend wait of the code Alice got for this phone
      const added = await call('POST', '/v1/users/me/phones', bobRw, { phone: PHONE_C });
      expect(added.status, 'an unverified phone claims nothing').to.equal(201);
      const { challengeId } = added.json.verification as { challengeId: string };
      const taken = await call('POST', '/v1/users/me/phones/verify', bobRw, {
        challengeId,
        code: lastCode(PHONE_C),
      });
      expect(taken.status).to.equal(409);
      expect(taken.json.code).to.equal('phone_taken');
      const removed = await call('DELETE', `/v1/users/me/phones/${PHONE_C}`, bobRw);
      expect(removed.status, 'the unverified phone can be removed again').to.equal(204);
    });

    it('adds, verifies, makes primary and removes emails; a new code can be asked for', async () => {
      const rw = token('bob-mail', bob, ['id.user.read', 'id.user.write']);
      const added = await call('POST', '/v1/users/me/emails', rw, { email: 'Bob.Work@Example.COM' });
      expect(added.status).to.equal(201);
      expect(added.json.value).to.equal('Bob.Work@example.com');
      const path = `/v1/users/me/emails/${encodeURIComponent('bob.work@example.com')}`;
      const early = await call('POST', `${path}/verification`, rw);
      expect(early.status, 'resends are throttled').to.equal(429);
      expect(early.headers.get('retry-after')).to.match(/^\d+$/);
      world.clock.advance(60_000);
      const again = await call('POST', `${path}/verification`, rw);
      expect(again.status).to.equal(202);
      const verified = await call('POST', '/v1/users/me/emails/verify', rw, {
        challengeId: again.json.challengeId,
        code: lastCode('Bob.Work@example.com'),
      });
      expect(verified.status).to.equal(200);
      expect((await call('POST', `${path}/verification`, rw)).json.code).to.equal('email_already_verified');
      expect((await call('POST', `${path}/primary`, rw)).status).to.equal(204);
      const removed = await call('DELETE', '/v1/users/me/emails/bob@example.com', rw);
      expect(removed.status).to.equal(204);
      expect((await me(rw, removed.headers.get('tessera-position'))).emails).to.deep.equal([
        { value: 'Bob.Work@example.com', verified: true, primary: true },
      ]);
    });

    it('refuses a code sent to an email on the phones endpoint', async () => {
      const rw = token('bob-kind', bob, ['id.user.write']);
      const added = await call('POST', '/v1/users/me/emails', rw, { email: 'bob.other@example.com' });
      const { challengeId } = added.json.verification as { challengeId: string };
      const mismatch = await call('POST', '/v1/users/me/phones/verify', rw, {
        challengeId,
        code: lastCode('bob.other@example.com'),
      });
      expect(mismatch.status).to.equal(422);
      expect(mismatch.json.code).to.equal('wrong_identifier_kind');
    });

    it('adds without sending a code when the server has no code service', async () => {
      const plain = await serve({ codes: undefined });
      const rw = token('alice-plain', alice, ['id.user.write']);
      const added = await call('POST', '/v1/users/me/emails', rw, { email: 'alice@example.com' }, plain);
      expect(added.status).to.equal(201);
      expect(added.json.verification).to.deep.equal({ status: 'unavailable' });
      const verify = await call(
        'POST',
        '/v1/users/me/emails/verify',
        rw,
        { challengeId: 'x', code: '1' },
        plain,
      );
      expect(verify.status).to.equal(503);
    });
  });

  describe('GET /v1/users/:sub for a provider', () => {
    it('answers 404 without consent, the same as for an unknown user', async () => {
      const clientToken = token('backend', null, ['id.user.read']);
      const noConsent = await call('GET', `/v1/users/${alice}`, clientToken);
      const unknown = await call('GET', '/v1/users/0195f0c2-7d1e-7000-8000-00000000beef', clientToken);
      expect(noConsent.status).to.equal(404);
      expect(unknown.status).to.equal(404);
      expect(noConsent.json.detail).to.equal(unknown.json.detail);
      expect(noConsent.json.code).to.equal(unknown.json.code);
      consents.set(`0195f0c2-7d1e-7000-8000-00000000beef|${CLIENT}`, ['id.user.read']);
      const consentedUnknown = await call(
        'GET',
        '/v1/users/0195f0c2-7d1e-7000-8000-00000000beef',
        clientToken,
      );
      expect(consentedUnknown.status).to.equal(404);
      expect(consentedUnknown.json.detail).to.equal(unknown.json.detail);
      const defaults = await serve({ consentedScopes: undefined });
      consents.set(`${alice}|${CLIENT}`, ['id.user.read']);
      expect((await call('GET', `/v1/users/${alice}`, clientToken, undefined, defaults)).status).to.equal(
        404,
      );
      consents.clear();
    });

    it('answers with what the user consented to share', async () => {
      consents.set(`${alice}|${CLIENT}`, ['openid', 'phone']);
      const clientToken = token('backend2', null, ['id.user.read']);
      const { status, json } = await call('GET', `/v1/users/${alice}`, clientToken);
      expect(status).to.equal(200);
      expect(json).to.deep.equal({ sub: alice, phones: [{ value: PHONE_C, verified: true, primary: true }] });
      consents.clear();
    });

    it('answers 404 for an erased account, by sub and on /me', async () => {
      const carol = await world.commands.registerWithIdentifier(
        { kind: 'email', value: 'carol@example.com' },
        ctx,
      );
      consents.set(`${carol.sub}|${CLIENT}`, ['id.user.read']);
      const erased = await world.commands.erase(carol.sub, ctx);
      await world.caughtUp(erased.position);
      const bySub = await call('GET', `/v1/users/${carol.sub}`, token('backend3', null, ['id.user.read']));
      expect(bySub.status).to.equal(404);
      expect(bySub.json.code).to.equal('user_not_found');
      const own = await call('GET', '/v1/users/me', token('carol', carol.sub, ['id.user.read']));
      expect(own.status).to.equal(404);
      expect(own.json.code).to.equal('user_erased');
      consents.clear();
    });

    it('needs a client token holding id.user.read and a UUID sub', async () => {
      consents.set(`${alice}|${CLIENT}`, ['id.user.read']);
      const weak = await call('GET', `/v1/users/${alice}`, token('weak', null, ['id.user.write']));
      expect(weak.status).to.equal(403);
      const userToken = await call('GET', `/v1/users/${alice}`, token('user', alice, ['id.user.read']));
      expect(userToken.status).to.equal(403);
      expect(userToken.json.code).to.equal('client_token_required');
      const bad = await call('GET', '/v1/users/not-a-uuid', token('b', null, ['id.user.read']));
      expect(bad.status).to.equal(400);
      expect((bad.json.errors as { path: string }[])[0]!.path).to.equal('params.sub');
      consents.clear();
    });
  });

  describe('logging', () => {
    it('never writes a token into the log, not even when checking it fails', async () => {
      const failing = 'explode-b1e9c0a7d3f24e6a';
      expect((await call('GET', '/v1/users/me', failing)).status).to.equal(500);
      expect(logLines.join('\n')).to.contain('token store unavailable');
      const log = logLines.join('\n');
      for (const value of [failing, ...tokens.keys()]) expect(log).to.not.contain(value);
    });
  });
});
