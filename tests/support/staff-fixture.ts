import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { type CommandContext, CommandHandler } from '../../application/kernel/command-handler.js';
import { StaffCommands } from '../../application/staff/staff-commands.js';
import { StaffQueries } from '../../application/staff/staff-queries.js';
import { StaffTokens } from '../../application/staff/staff-tokens.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { catalogEvents } from '../../domain/catalog/events.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import { staffEvents } from '../../domain/staff/events.js';
import { userEvents } from '../../domain/user/events.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { openSqliteVault } from '../../infrastructure/vault/sqlite-vault.js';
import { catalogProjection } from '../../projections/catalog.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { staffProjection } from '../../projections/staff.js';
import { usersProjection } from '../../projections/users.js';

/** The staff slice with the user and catalog slices it checks against, on embedded adapters. */
export interface StaffWorld {
  readonly clock: ManualClock;
  readonly store: SqliteEventStore;
  readonly ephemeral: SqliteEphemeralStore;
  readonly runner: ProjectionRunner;
  readonly users: UserCommands;
  readonly userQueries: UserQueries;
  readonly catalog: CatalogCommands;
  readonly commands: StaffCommands;
  readonly queries: StaffQueries;
  readonly tokens: StaffTokens;
  /** Registers an account with a verified phone; returns its sub. */
  newUser(phone: string): Promise<string>;
  newProvider(name: string): Promise<string>;
  /** Waits until every projection has applied the log. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

export const staffCtx: CommandContext = {
  actor: { kind: 'system', id: 'test' },
  correlationId: 'corr-staff',
};

export async function openStaffWorld(): Promise<StaffWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-staff-'));
  const clock = new ManualClock('2026-01-01T00:00:00.000Z');
  const store = SqliteEventStore.open({
    file: join(dir, 'events.db'),
    registry: new EventRegistry([...userEvents, ...catalogEvents, ...staffEvents]),
    clock,
  });
  const readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
  const ephemeral = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
  const vault = await openSqliteVault({ file: join(dir, 'vault.db'), masterKey: randomBytes(32) });
  const runner = new ProjectionRunner({
    store,
    readModels,
    projections: [usersProjection, catalogProjection, staffProjection],
    checkpointIntervalMs: 10,
  });
  await runner.start();
  const settings = { defaultCountry: 'NO' };
  const handler = new CommandHandler(store, clock);
  const users = new UserCommands(handler, store, vault, settings);
  const catalog = new CatalogCommands(handler);
  const queries = new StaffQueries(runner);
  const caughtUp = async () => {
    if (!(await runner.waitFor(await store.headPosition(), { timeoutMs: 5000 }))) {
      throw new Error('projections did not catch up');
    }
  };
  return {
    clock,
    store,
    ephemeral,
    runner,
    users,
    userQueries: new UserQueries(runner, store, clock, vault, settings),
    catalog,
    commands: new StaffCommands(handler),
    queries,
    tokens: new StaffTokens(ephemeral, clock, queries),
    async newUser(phone) {
      return (await users.registerWithIdentifier({ kind: 'phone', value: phone }, staffCtx)).sub;
    },
    async newProvider(name) {
      return (await catalog.registerProvider({ name }, staffCtx)).id;
    },
    caughtUp,
    async close() {
      await runner.stop();
      await ephemeral.close();
      await vault.close();
      await readModels.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
