import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { ClientCommands } from '../../application/catalog/client-commands.js';
import { ClientQueries } from '../../application/catalog/client-queries.js';
import { verifyClientSecret } from '../../application/catalog/client-secrets.js';
import { CommandHandler } from '../../application/kernel/command-handler.js';
import { catalogEvents } from '../../domain/catalog/events.js';
import { clientEvents } from '../../domain/catalog/client-events.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import { clientsCommand, ClientsUsageError } from '../../infrastructure/cli/clients-command.js';
import { SystemClock } from '../../infrastructure/clock.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { catalogProjection } from '../../projections/catalog.js';
import { clientsProjection } from '../../projections/clients.js';
import { ProjectionRunner } from '../../projections/runner.js';

class Captured {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
}

describe('CLI: clients add / list', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;
  let services: { commands: ClientCommands; queries: ClientQueries };
  let providerId: string;

  const run = async (args: string[]) => {
    const out = new Captured();
    await clientsCommand(services, args, out);
    return out.text;
  };
  const caughtUp = async () => {
    expect(await runner.waitFor(await store.headPosition(), { timeoutMs: 5000 })).to.equal(true);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-clients-'));
    const clock = new SystemClock();
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...catalogEvents, ...clientEvents]),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    runner = new ProjectionRunner({ store, readModels, projections: [catalogProjection, clientsProjection] });
    await runner.start();
    const handler = new CommandHandler(store, clock);
    services = { commands: new ClientCommands(handler), queries: new ClientQueries(runner) };
    providerId = (
      await new CatalogCommands(handler).registerProvider(
        { name: 'Acme' },
        { actor: { kind: 'system', id: 'test' }, correlationId: 'cli-clients' },
      )
    ).id;
    await caughtUp();
  });
  after(async () => {
    await runner?.stop();
    await readModels?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a confidential client and prints its id and a working secret once', async () => {
    const text = await run([
      'add',
      '--provider',
      providerId,
      '--name',
      'Acme TV',
      '--type',
      'confidential',
      '--redirect-uri',
      'https://tv.acme.example/cb',
      '--redirect-uri',
      'http://localhost:8081/cb',
      '--scope',
      'openid profile',
      '--scope',
      'email',
    ]);
    const clientId = /client_id: +(\S+)/.exec(text)?.[1];
    const secret = /client_secret: +(\S+)/.exec(text)?.[1];
    expect(clientId).to.match(/^[0-9a-f-]{36}$/);
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(text).to.include('shown only this once');
    await caughtUp();
    const found = await services.queries.findForAuthorization(clientId!);
    expect(found?.scopes).to.deep.equal(['openid', 'profile', 'email']);
    expect(found?.redirectUris).to.deep.equal(['https://tv.acme.example/cb', 'http://localhost:8081/cb']);
    expect(verifyClientSecret(secret!, found?.secretDigest)).to.equal(true);

    const listed = await run(['list', '--provider', providerId]);
    expect(listed).to.include(clientId!).and.include('Acme TV').and.include('confidential');
    expect(listed).to.not.include(secret!);
  });

  it('adds a public client without a secret and counts the listing', async () => {
    const text = await run([
      'add',
      '--provider',
      providerId,
      '--name',
      'Acme app',
      '--type',
      'public',
      '--redirect-uri',
      'com.acme.app:/cb',
      '--scope',
      'openid',
    ]);
    expect(text).to.include('client_id:').and.not.include('client_secret');
    await caughtUp();
    expect(await run(['list', '--provider', providerId])).to.include('2 clients.');
  });

  it('reports the rule a registration breaks, with its field', async () => {
    let thrown: unknown;
    try {
      await run([
        'add',
        '--provider',
        providerId,
        '--name',
        'X',
        '--type',
        'public',
        '--redirect-uri',
        'com.acme.app:/cb',
        '--scope',
        'openid',
        '--grant-type',
        'client_credentials',
      ]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(DomainError);
    expect((thrown as DomainError).code).to.equal('client_credentials_not_for_public_clients');
    expect((thrown as DomainError).field).to.equal('grantTypes');
  });

  it('refuses command-line mistakes with the usage text', async () => {
    for (const args of [
      [],
      ['remove'],
      ['add', '--name', 'X', '--type', 'public'],
      ['add', '--provider', providerId, '--name', 'X', '--type', 'trusted'],
      ['list', '--provider', providerId, '--colour'],
    ]) {
      let thrown: unknown;
      try {
        await run(args);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, args.join(' ')).to.be.instanceOf(ClientsUsageError);
      expect((thrown as Error).message).to.include('Usage:');
    }
  });
});
