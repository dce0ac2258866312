import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import { CommandHandler } from '../../application/kernel/command-handler.js';
import { catalogEvents } from '../../domain/catalog/events.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import {
  catalogCommand,
  CatalogUsageError,
  parseVatPercent,
} from '../../infrastructure/cli/catalog-command.js';
import { SystemClock } from '../../infrastructure/clock.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { catalogProjection } from '../../projections/catalog.js';
import { ProjectionRunner } from '../../projections/runner.js';

class Captured {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
}

describe('CLI: providers and products', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;
  let services: { commands: CatalogCommands; queries: CatalogQueries };

  const run = async (noun: 'providers' | 'products', args: string[]) => {
    const out = new Captured();
    await catalogCommand(services, noun, args, out);
    expect(await runner.waitFor(await store.headPosition(), { timeoutMs: 5000 })).to.equal(true);
    return out.text;
  };
  const refusal = async (noun: 'providers' | 'products', args: string[]) =>
    run(noun, args).then(
      () => null,
      (err: unknown) => err,
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-catalog-'));
    const clock = new SystemClock();
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry(catalogEvents),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    runner = new ProjectionRunner({ store, readModels, projections: [catalogProjection] });
    await runner.start();
    const handler = new CommandHandler(store, clock);
    services = { commands: new CatalogCommands(handler), queries: new CatalogQueries(runner) };
  });
  after(async () => {
    await runner?.stop();
    await readModels?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a provider, adds a one-time product and a plan, lists, reprices and retires them', async () => {
    const added = await run('providers', ['add', '--name', 'Acme Media']);
    const providerId = /provider ([0-9a-f-]{36})/.exec(added)?.[1];
    expect(providerId, added).to.be.a('string');
    expect(await run('providers', ['list'])).to.include(`${providerId}  Acme Media`);

    const film = await run('products', [
      'add',
      '--provider',
      providerId!,
      '--sku',
      'film-48h',
      '--name',
      'Film rental',
      '--price',
      '49.00',
      '--currency',
      'nok',
      '--vat',
      '25',
      '--valid',
      'P2D',
    ]);
    const filmId = /product ([0-9a-f-]{36})/.exec(film)?.[1];
    await run('products', [
      'add',
      '--provider',
      providerId!,
      '--sku',
      'premium',
      '--name',
      'Premium',
      '--price',
      '129',
      '--currency',
      'NOK',
      '--vat',
      '25',
      '--period',
      'P1M',
      '--trial',
      'P14D',
    ]);
    const listed = await run('products', ['list', '--provider', providerId!]);
    expect(listed)
      .to.include('film-48h')
      .and.include('49.00 NOK (VAT 25 %)')
      .and.include('one-time, valid P2D');
    expect(listed).to.include('premium').and.include('subscription, every P1M, trial P14D');
    expect(listed).to.include('2 products.');

    await run('products', ['price', filmId!, '--price', '59.50', '--currency', 'NOK']);
    await run('products', ['retire', filmId!, '--reason', 'licence ended']);
    const after = await run('products', ['list', '--provider', providerId!]);
    expect(after).to.match(/film-48h {2}retired {2}59\.50 NOK/);
  });

  it('names what is wrong with the command line, and passes domain refusals on', async () => {
    const provider = /provider ([0-9a-f-]{36})/.exec(await run('providers', ['add', '--name', 'Beta']))![1]!;
    const base = [
      'add',
      '--provider',
      provider,
      '--sku',
      'x',
      '--name',
      'X',
      '--currency',
      'NOK',
      '--vat',
      '25',
    ];
    const noTerms = await refusal('products', [...base, '--price', '10']);
    expect(noTerms).to.be.instanceOf(CatalogUsageError);
    expect(String(noTerms)).to.include('Give either --valid');
    expect(String(await refusal('products', [...base, '--price', '10.001', '--valid', 'P1D']))).to.include(
      '--price: NOK has 2 decimal place(s)',
    );
    expect(
      String(await refusal('products', [...base, '--price', '10', '--currency', 'XXY', '--valid', 'P1D'])),
    ).to.include('--currency');
    const badDuration = await refusal('products', [...base, '--price', '10', '--valid', 'two days']);
    expect(badDuration).to.be.instanceOf(DomainError);
    expect(String(await refusal('providers', ['add']))).to.include('--name is required.');
    expect(String(await refusal('products', ['frobnicate']))).to.include('Unknown action "frobnicate"');
  });

  it('reads VAT percentages exactly', () => {
    expect(parseVatPercent('25')).to.equal(2500);
    expect(parseVatPercent('12.5')).to.equal(1250);
    expect(parseVatPercent('0')).to.equal(0);
    expect(() => parseVatPercent('101')).to.throw(CatalogUsageError);
    expect(() => parseVatPercent('-5')).to.throw(CatalogUsageError);
  });
});
