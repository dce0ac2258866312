import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { errors, type AdapterPayload } from 'oidc-provider';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import {
  createOidcAdapterFactory,
  DEFAULT_TTL_SECONDS,
  type OidcAdapterFactory,
} from '../../../infrastructure/oidc/adapter.js';

const START = '2026-03-01T12:00:00.000Z';

describe('oidc-provider adapter on the EphemeralStore', () => {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEphemeralStore;
  let adapter: OidcAdapterFactory;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-oidc-adapter-'));
    clock = new ManualClock(START);
    store = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
    adapter = createOidcAdapterFactory(store);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function code(jti: string, grantId: string): AdapterPayload {
    return { jti, kind: 'AuthorizationCode', grantId, clientId: 'client-1', scope: 'openid', iat: 1, exp: 2 };
  }

  it('finds what was upserted, per model, and replaces it on a second upsert', async () => {
    const codes = adapter('AuthorizationCode');
    const tokens = adapter('AccessToken');
    await codes.upsert('abc', code('abc', 'g1'), 60);
    expect(await codes.find('abc')).to.deep.equal(code('abc', 'g1'));
    expect(await tokens.find('abc'), 'models are separate namespaces').to.equal(undefined);

    await codes.upsert('abc', { ...code('abc', 'g1'), scope: 'openid email' }, 60);
    expect((await codes.find('abc'))?.scope).to.equal('openid email');
    expect(await codes.find('missing')).to.equal(undefined);
  });

  it('forgets an entry when its expiresIn has passed', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('abc', code('abc', 'g1'), 60);
    clock.advance(59_999);
    expect(await codes.find('abc')).to.not.equal(undefined);
    clock.advance(1);
    expect(await codes.find('abc')).to.equal(undefined);
  });

  it('adds the configured grace to expiresIn', async () => {
    const graceful = createOidcAdapterFactory(store, { graceSeconds: 10 })('AuthorizationCode');
    await graceful.upsert('abc', code('abc', 'g1'), 60);
    clock.advance(69_000);
    expect(await graceful.find('abc')).to.not.equal(undefined);
    clock.advance(1_000);
    expect(await graceful.find('abc')).to.equal(undefined);
  });

  it('keeps an entry without expiresIn (or with 0) for the long default only', async () => {
    const grants = adapter('Grant');
    await grants.upsert('none', { jti: 'none', kind: 'Grant' });
    await grants.upsert('zero', { jti: 'zero', kind: 'Grant' }, 0);
    clock.advance(DEFAULT_TTL_SECONDS * 1000 - 1);
    expect(await grants.find('none')).to.not.equal(undefined);
    expect(await grants.find('zero')).to.not.equal(undefined);
    clock.advance(1);
    expect(await grants.find('none')).to.equal(undefined);
    expect(await grants.find('zero')).to.equal(undefined);
  });

  it('rejects a nonsensical default TTL or grace', () => {
    expect(() => createOidcAdapterFactory(store, { defaultTtlSeconds: 0 })).to.throw(RangeError);
    expect(() => createOidcAdapterFactory(store, { graceSeconds: -1 })).to.throw(RangeError);
  });

  it('finds a session by its uid, and no longer once destroyed', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('sess-1', { jti: 'sess-1', kind: 'Session', uid: 'uid-1', accountId: 'u1' }, 600);
    await sessions.upsert('sess-2', { jti: 'sess-2', kind: 'Session', uid: 'uid-2', accountId: 'u2' }, 600);
    expect((await sessions.findByUid('uid-1'))?.accountId).to.equal('u1');
    expect((await sessions.findByUid('uid-2'))?.accountId).to.equal('u2');
    expect(await sessions.findByUid('uid-3')).to.equal(undefined);

    // A re-save with a new uid moves the lookup with it.
    await sessions.upsert('sess-1', { jti: 'sess-1', kind: 'Session', uid: 'uid-9', accountId: 'u1' }, 600);
    expect(await sessions.findByUid('uid-1')).to.equal(undefined);
    expect((await sessions.findByUid('uid-9'))?.jti).to.equal('sess-1');

    await sessions.destroy('sess-1');
    expect(await sessions.find('sess-1')).to.equal(undefined);
    expect(await sessions.findByUid('uid-9')).to.equal(undefined);
    expect(await sessions.find('sess-2')).to.not.equal(undefined);
  });

  it('finds a device code by its user code until it expires', async () => {
    const deviceCodes = adapter('DeviceCode');
    await deviceCodes.upsert('dc-1', { jti: 'dc-1', kind: 'DeviceCode', userCode: 'WDJB-MJHT' }, 30);
    expect((await deviceCodes.findByUserCode('WDJB-MJHT'))?.jti).to.equal('dc-1');
    expect(await deviceCodes.findByUserCode('XXXX-XXXX')).to.equal(undefined);
    expect(await adapter('AccessToken').findByUserCode('WDJB-MJHT')).to.equal(undefined);
    clock.advance(30_000);
    expect(await deviceCodes.findByUserCode('WDJB-MJHT')).to.equal(undefined);
  });

  it('revokes every token of a grant across models, whichever model is asked, and nothing else', async () => {
    const codes = adapter('AuthorizationCode');
    const accessTokens = adapter('AccessToken');
    const refreshTokens = adapter('RefreshToken');
    const grants = adapter('Grant');
    const sessions = adapter('Session');
    await codes.upsert('code-1', code('code-1', 'g1'), 60);
    await accessTokens.upsert('at-1', { jti: 'at-1', kind: 'AccessToken', grantId: 'g1' }, 3600);
    await accessTokens.upsert('at-2', { jti: 'at-2', kind: 'AccessToken', grantId: 'g1' }, 3600);
    await refreshTokens.upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'g1' }, 86400);
    await accessTokens.upsert('at-other', { jti: 'at-other', kind: 'AccessToken', grantId: 'g2' }, 3600);
    await grants.upsert('g1', { jti: 'g1', kind: 'Grant', accountId: 'u1' }, 86400);
    await sessions.upsert('s1', { jti: 's1', kind: 'Session', uid: 'uid-s1' }, 86400);

    await accessTokens.revokeByGrantId('g1');

    expect(await codes.find('code-1')).to.equal(undefined);
    expect(await accessTokens.find('at-1')).to.equal(undefined);
    expect(await accessTokens.find('at-2')).to.equal(undefined);
    expect(await refreshTokens.find('rt-1')).to.equal(undefined);
    expect(await accessTokens.find('at-other'), "another grant's token").to.not.equal(undefined);
    expect(await grants.find('g1'), 'the Grant itself is the provider’s to destroy').to.not.equal(undefined);
    expect(await sessions.find('s1')).to.not.equal(undefined);

    // The provider calls it once per model: the repeats are harmless.
    await refreshTokens.revokeByGrantId('g1');
    await codes.revokeByGrantId('g1');
    expect(await accessTokens.find('at-other')).to.not.equal(undefined);
  });

  it('consumes once: find then reports consumed as the epoch second of consumption', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('code-1', code('code-1', 'g1'), 60);
    expect((await codes.find('code-1'))?.consumed).to.equal(undefined);
    clock.advance(2_500);
    await codes.consume('code-1');
    const consumed = await codes.find('code-1');
    expect(consumed?.consumed).to.equal(Math.floor(Date.parse(START) / 1000) + 2);
    expect(consumed?.scope, 'the rest of the payload is intact').to.equal('openid');
  });

  it('lets exactly one of many concurrent consumers win; losers get invalid_grant and the grant is revoked', async () => {
    const codes = adapter('AuthorizationCode');
    const accessTokens = adapter('AccessToken');
    await codes.upsert('code-1', code('code-1', 'g1'), 60);
    await accessTokens.upsert('at-1', { jti: 'at-1', kind: 'AccessToken', grantId: 'g1' }, 3600);

    // Separate adapters on two connections to the file, as two provider processes would have.
    const second = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
    const contenders = Array.from({ length: 16 }, (_, i) =>
      createOidcAdapterFactory(i % 2 === 0 ? store : second)('AuthorizationCode'),
    );
    const results = await Promise.allSettled(contenders.map((a) => a.consume('code-1')));
    await second.close();

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(15);
    for (const loss of lost) {
      expect(loss.reason).to.be.instanceOf(errors.InvalidGrant);
      expect((loss.reason as InstanceType<typeof errors.InvalidGrant>).error).to.equal('invalid_grant');
    }
    // A lost race is a replay: the grant's tokens are gone, the code with them.
    expect(await accessTokens.find('at-1')).to.equal(undefined);
    expect(await codes.find('code-1')).to.equal(undefined);
  });

  it('refuses to consume a missing or expired entry', async () => {
    const refreshTokens = adapter('RefreshToken');
    await refreshTokens.upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'g1' }, 10);
    clock.advance(10_000);
    let caught: unknown;
    try {
      await refreshTokens.consume('rt-1');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(errors.InvalidGrant);

    caught = undefined;
    try {
      await adapter('PushedAuthorizationRequest').consume('nope');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(errors.InvalidRequestUri);
  });

  it('resets consumption when the provider saves the entry afresh, but keeps a consumed it saved itself', async () => {
    const refreshTokens = adapter('RefreshToken');
    await refreshTokens.upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'g1' }, 60);
    await refreshTokens.consume('rt-1');
    await refreshTokens.upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'g1' }, 60);
    expect((await refreshTokens.find('rt-1'))?.consumed).to.equal(undefined);

    await refreshTokens.upsert('rt-2', { jti: 'rt-2', kind: 'RefreshToken', consumed: 1234 }, 60);
    expect((await refreshTokens.find('rt-2'))?.consumed).to.equal(1234);
  });

  it('destroys one entry and leaves the others', async () => {
    const tokens = adapter('ClientCredentials');
    await tokens.upsert('cc-1', { jti: 'cc-1', kind: 'ClientCredentials', clientId: 'c' }, 600);
    await tokens.upsert('cc-2', { jti: 'cc-2', kind: 'ClientCredentials', clientId: 'c' }, 600);
    await tokens.destroy('cc-1');
    await tokens.destroy('never-was');
    expect(await tokens.find('cc-1')).to.equal(undefined);
    expect((await tokens.find('cc-2'))?.clientId).to.equal('c');
  });
});
