import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import {
  SIGNING_KEYS_COLLECTION,
  SigningKeyStore,
  type SigningKeyStoreOptions,
} from '../../../infrastructure/oidc/signing-keys.js';

const HOUR = 3600;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

describe('SigningKeyStore', function () {
  // RSA key generation takes tens of milliseconds per key on a slow machine.
  this.timeout(30_000);

  let dir: string;
  let file: string;
  let clock: ManualClock;
  const opened: SqliteReadModelStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-signing-keys-'));
    file = join(dir, 'readmodels.db');
    clock = new ManualClock('2026-03-01T12:00:00.000Z');
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keyStore(options: Partial<SigningKeyStoreOptions> = {}): Promise<SigningKeyStore> {
    const store = SqliteReadModelStore.open({ file });
    opened.push(store);
    return SigningKeyStore.open({ store, clock, maxTokenLifetimeSeconds: HOUR, ...options });
  }

  async function sign(jwk: JWK, claims: Record<string, unknown> = { sub: 'u1' }): Promise<string> {
    const key = await importJWK(jwk, jwk.alg);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: String(jwk.alg), kid: String(jwk.kid) })
      .setIssuedAt()
      .sign(key);
  }

  async function verifies(keys: SigningKeyStore, token: string): Promise<boolean> {
    try {
      await jwtVerify(token, createLocalJWKSet(await keys.publicJwks()));
      return true;
    } catch {
      return false;
    }
  }

  it('creates one RS256 key on first start and keeps it on the next', async () => {
    const keys = await keyStore();
    const [first] = await keys.ensureCurrent();
    expect(first?.alg).to.equal('RS256');
    expect(first?.status).to.equal('current');
    expect(first?.retireAfter).to.equal(null);
    expect(first?.createdAt).to.equal('2026-03-01T12:00:00.000Z');

    const again = await keys.ensureCurrent();
    expect(again.map((k) => k.kid)).to.deep.equal([first?.kid]);
    expect(await keys.list()).to.have.length(1);

    const { keys: jwks } = await keys.jwks();
    expect(jwks).to.have.length(1);
    const [jwk] = jwks;
    expect(jwk).to.include({ kid: first?.kid, use: 'sig', alg: 'RS256', kty: 'RSA' });
    expect(jwk?.d, 'the provider needs the private key').to.be.a('string');
    expect(Buffer.from(String(jwk?.n), 'base64url').length * 8).to.equal(2048);
  });

  it('shows the same key to a second store instance over the same file', async () => {
    const first = await keyStore();
    const [created] = await first.ensureCurrent();
    const second = await keyStore();
    expect((await second.ensureCurrent()).map((k) => k.kid)).to.deep.equal([created?.kid]);
    expect(await second.jwks()).to.deep.equal(await first.jwks());
  });

  it('publishes only public members in publicJwks', async () => {
    const keys = await keyStore();
    await keys.ensureCurrent();
    const [pub] = (await keys.publicJwks()).keys;
    for (const member of PRIVATE_MEMBERS) expect(pub).to.not.have.property(member);
    expect(pub).to.include({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(pub?.n).to.be.a('string');
  });

  it('rotates: the old key signs no more but stays published until retireAfter, then prune removes it', async () => {
    const keys = await keyStore();
    const [old] = await keys.ensureCurrent();
    const oldJwk = (await keys.jwks()).keys[0] as JWK;
    const token = await sign(oldJwk);
    expect(await verifies(keys, token)).to.equal(true);

    clock.advance(10_000);
    const [fresh] = await keys.rotate();
    expect(fresh?.kid).to.not.equal(old?.kid);

    const listed = await keys.list();
    expect(listed.map((k) => [k.kid, k.status])).to.deep.equal([
      [fresh?.kid, 'current'],
      [old?.kid, 'retiring'],
    ]);
    expect(listed[1]?.retireAfter).to.equal('2026-03-01T13:00:10.000Z');
    expect(
      (await keys.jwks()).keys.map((k) => k.kid),
      'current first',
    ).to.deep.equal([fresh?.kid, old?.kid]);
    expect(await keys.prune(), 'nothing to prune yet').to.equal(0);

    clock.set('2026-03-01T13:00:09.999Z');
    expect(await verifies(keys, token), 'old tokens verify until they expire').to.equal(true);
    expect(await keys.prune()).to.equal(0);

    clock.set('2026-03-01T13:00:10.000Z');
    expect(
      (await keys.jwks()).keys.map((k) => k.kid),
      'no longer published',
    ).to.deep.equal([fresh?.kid]);
    expect(await keys.prune()).to.equal(1);
    expect((await keys.list()).map((k) => k.kid)).to.deep.equal([fresh?.kid]);
    expect(await verifies(keys, token)).to.equal(false);

    const newToken = await sign((await keys.jwks()).keys[0] as JWK);
    expect(await verifies(keys, newToken)).to.equal(true);
  });

  it('creates exactly one current key when several processes start at once', async () => {
    const contenders = await Promise.all([keyStore(), keyStore(), keyStore()]);
    const results = await Promise.all(contenders.map((keys) => keys.ensureCurrent()));
    const kids = new Set(results.map(([k]) => k?.kid));
    expect(kids.size, 'every process returns the same key').to.equal(1);
    const reader = await keyStore();
    expect(await reader.list()).to.have.length(1);
  });

  it('keeps one current key when two processes rotate at once', async () => {
    const [a, b] = await Promise.all([keyStore(), keyStore()]);
    const [original] = await (a as SigningKeyStore).ensureCurrent();
    const [ra, rb] = await Promise.all([(a as SigningKeyStore).rotate(), (b as SigningKeyStore).rotate()]);
    expect(ra?.[0]?.kid).to.equal(rb?.[0]?.kid);
    const listed = await (a as SigningKeyStore).list();
    expect(listed.filter((k) => k.status === 'current')).to.have.length(1);
    expect(listed.find((k) => k.kid === original?.kid)?.status).to.equal('retiring');
  });

  it('keeps one current key per configured algorithm, in the configured order', async () => {
    const keys = await keyStore({ algorithms: ['ES256', 'RS256'] });
    const created = await keys.ensureCurrent();
    expect(created.map((k) => k.alg)).to.deep.equal(['ES256', 'RS256']);
    const jwks = (await keys.jwks()).keys;
    expect(jwks.map((k) => [k.alg, k.kty])).to.deep.equal([
      ['ES256', 'EC'],
      ['RS256', 'RSA'],
    ]);
    const token = await sign(jwks[0] as JWK);
    expect(await verifies(keys, token)).to.equal(true);
  });

  it('encrypts private keys at rest when given a secret, and refuses to open them without it', async () => {
    const secret = randomBytes(32);
    const keys = await keyStore({ encryptionSecret: secret });
    const [created] = await keys.ensureCurrent();

    const raw = SqliteReadModelStore.open({ file });
    opened.push(raw);
    const doc = await raw.collection(SIGNING_KEYS_COLLECTION).get(String(created?.kid));
    const stored = JSON.stringify(doc);
    const d = String((await keys.jwks()).keys[0]?.d);
    expect(stored).to.not.include(d);
    expect(stored).to.include('"sealed":true');

    const withoutSecret = await keyStore();
    let caught: unknown;
    try {
      await withoutSecret.jwks();
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.match(/encrypted/);

    const wrongSecret = await keyStore({ encryptionSecret: randomBytes(32) });
    caught = undefined;
    try {
      await wrongSecret.jwks();
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.match(/cannot be decrypted/);
  });

  it('rejects a bad configuration', async () => {
    let caught: unknown;
    try {
      await keyStore({ maxTokenLifetimeSeconds: 0 });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(RangeError);
    caught = undefined;
    try {
      await keyStore({ encryptionSecret: randomBytes(16) });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(RangeError);
  });
});
