import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ClientCommands } from '../../application/catalog/client-commands.js';
import type { CommandHandler } from '../../application/kernel/command-handler.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { clientDecider } from '../../domain/catalog/client-decider.js';
import { clientStreamId } from '../../domain/catalog/client-values.js';
import {
  DEMO_CLIENT_FILE,
  type DemoSeedResult,
  type DemoShopSeed,
  describeStart,
  seedDemoShop,
} from '../../infrastructure/demo-seed.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The demo shop's client as `npm start` seeds it: registered once, its secret kept in DATA_DIR
 * with mode 0600 and usable at the token endpoint, nothing written by later starts, its redirect
 * URIs following a changed issuer, a lost secret replaced, and the same result after a restart on
 * the same data.
 */
describe('Demo seed: the demo shop client', function () {
  this.timeout(30_000);
  let dataDir: string;
  let server: TestServer;
  let first: DemoShopSeed;

  const start = () => startTestServer({ dataDir, env: { DEMO_SEED: 'true' } });
  const demoOf = (s: TestServer): DemoSeedResult => {
    if (s.server.demo === null) throw new Error('DEMO_SEED=true seeded no demo provider');
    return s.server.demo;
  };
  const deps = (s: TestServer) => ({
    clients: s.server.container.get(ClientCommands),
    handler: s.server.container.get<CommandHandler>(TOKENS.CommandHandler),
    dataDir,
  });
  const seed = (s: TestServer, issuer: string) =>
    seedDemoShop(deps(s), demoOf(s), { issuer, internalUrl: s.url });
  const head = (s: TestServer) => s.server.container.get<EventStore>(TOKENS.EventStore).headPosition();
  const registration = async (s: TestServer, clientId: string) => {
    const { state } = await deps(s).handler.load(clientDecider, clientStreamId(clientId));
    if (state.status === 'none') throw new Error('no such client');
    return state;
  };

  /** The token endpoint's status for a client_credentials request, once the clients view has caught up. */
  async function tokenStatus(s: TestServer, clientId: string, secret: string, want: number): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await fetch(`${s.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'id.user.right.read',
        }).toString(),
      });
      await res.arrayBuffer();
      if (res.status === want || Date.now() > deadline) return res.status;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-demo-seed-'));
    server = await start();
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers the client once at start, keeps its secret in a 0600 file, and the secret works', async () => {
    // The server seeded the shop's client as it started, under its own URL.
    first = demoOf(server).shop!;
    // Registered with the default URIs, then moved to this server's port.
    expect(first.changes).to.deep.equal(['registered', 'redirect_uris_updated']);
    expect(first.url).to.equal(`${server.url}/demo`);
    expect(first.secretFile).to.equal(join(dataDir, DEMO_CLIENT_FILE));
    expect(statSync(first.secretFile).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(first.secretFile, 'utf8'))).to.deep.equal({
      clientId: first.clientId,
      clientSecret: first.config.clientSecret,
    });
    const client = await registration(server, first.clientId);
    expect(client.providerId).to.equal(demoOf(server).providerId);
    expect(client.metadata.redirectUris).to.deep.equal([`${server.url}/demo/callback`]);
    expect(client.metadata.postLogoutRedirectUris).to.deep.equal([`${server.url}/demo`]);
    expect(client.metadata.grantTypes).to.deep.equal(['authorization_code', 'client_credentials']);
    expect(client.metadata.scopes).to.include.members([
      'openid',
      'payment.transactions.write',
      'id.user.right.read',
    ]);
    expect(first.config).to.include({
      issuer: server.url,
      backchannelUrl: server.url,
      clientId: first.clientId,
    });
    expect(await tokenStatus(server, first.clientId, first.config.clientSecret, 200)).to.equal(200);
  });

  it('writes nothing when run again: same client, same secret, no new event', async () => {
    const before = await head(server);
    const again = await seed(server, server.url);
    expect(again.changes).to.deep.equal([]);
    expect(again.clientId).to.equal(first.clientId);
    expect(again.config.clientSecret).to.equal(first.config.clientSecret);
    expect(await head(server)).to.equal(before);
  });

  it('moves the redirect URIs to a changed issuer and keeps the secret', async () => {
    const moved = await seed(server, 'http://localhost:4000');
    expect(moved.changes).to.deep.equal(['redirect_uris_updated']);
    expect(moved.config.clientSecret).to.equal(first.config.clientSecret);
    const client = await registration(server, first.clientId);
    expect(client.metadata.redirectUris).to.deep.equal(['http://localhost:4000/demo/callback']);
    expect(client.metadata.postLogoutRedirectUris).to.deep.equal(['http://localhost:4000/demo']);
    expect(moved.config.backchannelUrl).to.equal(server.url);
  });

  it('rotates the secret when its file is lost, and the old secret stops working', async () => {
    unlinkSync(join(dataDir, DEMO_CLIENT_FILE));
    const rotated = await seed(server, 'http://localhost:4000');
    expect(rotated.changes).to.deep.equal(['secret_rotated']);
    expect(rotated.clientId).to.equal(first.clientId);
    expect(rotated.config.clientSecret).to.not.equal(first.config.clientSecret);
    expect(JSON.parse(readFileSync(rotated.secretFile, 'utf8')).clientSecret).to.equal(
      rotated.config.clientSecret,
    );
    expect(await tokenStatus(server, first.clientId, rotated.config.clientSecret, 200)).to.equal(200);
    expect(await tokenStatus(server, first.clientId, first.config.clientSecret, 401)).to.equal(401);
    first = rotated;
  });

  it('rotates the secret when the file holds one an admin has since replaced', async () => {
    const ctx = { actor: { kind: 'system' as const, id: 'test-admin' }, correlationId: 'c-1' };
    await server.server.container.get(ClientCommands).rotateSecret(first.clientId, ctx);
    const repaired = await seed(server, 'http://localhost:4000');
    expect(repaired.changes).to.deep.equal(['secret_rotated']);
    expect(repaired.config.clientSecret).to.not.equal(first.config.clientSecret);
    expect(await tokenStatus(server, first.clientId, repaired.config.clientSecret, 200)).to.equal(200);
    first = repaired;
  });

  it('finds everything in place after a restart on the same data', async () => {
    await server.close();
    server = await start();
    expect(demoOf(server).created).to.equal(false);
    // The restarted server (on another port) moved the redirect URIs to itself, nothing else.
    expect(demoOf(server).shop!.changes).to.deep.equal(['redirect_uris_updated']);
    const before = await head(server);
    const restarted = await seed(server, server.url);
    expect(restarted.changes).to.deep.equal([]);
    expect(restarted.clientId).to.equal(first.clientId);
    expect(restarted.config.clientSecret).to.equal(first.config.clientSecret);
    expect(await head(server)).to.equal(before);
    expect(await tokenStatus(server, restarted.clientId, restarted.config.clientSecret, 200)).to.equal(200);
  });

  it('tells the person who started Tessera to open the shop first', () => {
    const text = describeStart('http://127.0.0.1:3000', { source: 'env', token: 'x'.repeat(32) } as never, {
      ...demoOf(server),
      shop: { ...first, url: 'http://127.0.0.1:3000/demo' },
    });
    expect(text.split('\n')[0]).to.equal(
      'Open http://127.0.0.1:3000/demo and sign in with any phone number; the code appears at http://127.0.0.1:3000/dev/outbox',
    );
    expect(text).to.include('Tessera is listening on http://127.0.0.1:3000');
  });
});
