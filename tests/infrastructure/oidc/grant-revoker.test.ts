import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AdapterPayload } from 'oidc-provider';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import {
  createOidcAdapterFactory,
  grantsOf,
  type OidcAdapterFactory,
} from '../../../infrastructure/oidc/adapter.js';
import { OidcGrantRevoker } from '../../../infrastructure/oidc/grant-revoker.js';

describe('Grants by account and client, and their revocation', () => {
  let dir: string;
  let store: SqliteEphemeralStore;
  let adapter: OidcAdapterFactory;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-grant-revoker-'));
    store = SqliteEphemeralStore.open({
      file: join(dir, 'ephemeral.db'),
      clock: new ManualClock('2026-03-01T12:00:00.000Z'),
      purgeIntervalMs: 0,
    });
    adapter = createOidcAdapterFactory(store);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const grant = (jti: string, accountId: string, clientId: string): AdapterPayload => ({
    jti,
    kind: 'Grant',
    accountId,
    clientId,
    openid: { scope: 'openid phone' },
    iat: 1,
    exp: 2,
  });
  const token = (jti: string, kind: string, grantId: string): AdapterPayload => ({
    jti,
    kind,
    grantId,
    accountId: 'alice',
    clientId: 'tv',
    iat: 1,
    exp: 2,
  });

  async function seed() {
    const grants = adapter('Grant');
    await grants.upsert('g1', grant('g1', 'alice', 'tv'), 3600);
    await grants.upsert('g2', grant('g2', 'alice', 'tv'), 3600);
    await grants.upsert('g3', grant('g3', 'alice', 'radio'), 3600);
    await grants.upsert('g4', grant('g4', 'bob', 'tv'), 3600);
    await adapter('AccessToken').upsert('at1', token('at1', 'AccessToken', 'g1'), 3600);
    await adapter('RefreshToken').upsert('rt2', token('rt2', 'RefreshToken', 'g2'), 3600);
    await adapter('AccessToken').upsert('at3', token('at3', 'AccessToken', 'g3'), 3600);
    await adapter('AccessToken').upsert('at4', token('at4', 'AccessToken', 'g4'), 3600);
  }

  it("finds an account's grants to one client by the adapter's tags", async () => {
    await seed();
    expect((await grantsOf(store, 'alice', 'tv')).sort()).to.deep.equal(['g1', 'g2']);
    expect(await grantsOf(store, 'alice', 'radio')).to.deep.equal(['g3']);
    expect(await grantsOf(store, 'carol', 'tv')).to.deep.equal([]);
  });

  it("destroys the account's grants to the client with their tokens, and nothing else", async () => {
    await seed();
    const revoker = new OidcGrantRevoker(store);
    expect(await revoker.revokeFor('alice', 'tv')).to.equal(2);
    expect(await adapter('Grant').find('g1')).to.equal(undefined);
    expect(await adapter('Grant').find('g2')).to.equal(undefined);
    expect(await adapter('AccessToken').find('at1')).to.equal(undefined);
    expect(await adapter('RefreshToken').find('rt2')).to.equal(undefined);
    for (const [model, id] of [
      ['Grant', 'g3'],
      ['Grant', 'g4'],
      ['AccessToken', 'at3'],
      ['AccessToken', 'at4'],
    ] as const) {
      expect(await adapter(model).find(id), `${model} ${id}`).to.not.equal(undefined);
    }
    expect(await revoker.revokeFor('alice', 'tv'), 'a second run finds nothing').to.equal(0);
  });

  it('tags only grants by account and client, not tokens', async () => {
    await seed();
    expect(await store.findByTag('oidc:AccessToken', 'accountId', 'alice')).to.deep.equal([]);
    expect(await store.findByTag('oidc:Grant', 'clientId', 'radio')).to.have.length(1);
  });
});
