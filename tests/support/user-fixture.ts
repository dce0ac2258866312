import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventRegistry } from '../../domain/kernel/registry.js';
import { userEvents } from '../../domain/user/events.js';
import { type CommandContext, CommandHandler } from '../../application/kernel/command-handler.js';
import type { PersonalDataVault } from '../../application/ports/personal-data-vault.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import { openSqliteVault } from '../../infrastructure/vault/sqlite-vault.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { usersProjection } from '../../projections/users.js';

export interface UserWorld {
  readonly dir: string;
  readonly clock: ManualClock;
  readonly store: SqliteEventStore;
  readonly vault: PersonalDataVault;
  readonly runner: ProjectionRunner;
  readonly commands: UserCommands;
  readonly queries: UserQueries;
  /** Waits until the users projection has applied `position`. */
  caughtUp(position: number | null): Promise<void>;
  close(): Promise<void>;
}

export const ctx: CommandContext = { actor: { kind: 'system', id: 'test' }, correlationId: 'corr-test' };

/** The user slice on real embedded adapters (SQLite files in a temp directory). */
export async function openUserWorld(): Promise<UserWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-users-'));
  const clock = new ManualClock('2026-01-01T00:00:00.000Z');
  const store = SqliteEventStore.open({
    file: join(dir, 'events.db'),
    registry: new EventRegistry(userEvents),
    clock,
  });
  const readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
  const vault = await openSqliteVault({ file: join(dir, 'vault.db'), masterKey: randomBytes(32) });
  const runner = new ProjectionRunner({
    store,
    readModels,
    projections: [usersProjection],
    checkpointIntervalMs: 10,
  });
  await runner.start();
  const settings = { defaultCountry: 'NO' };
  const handler = new CommandHandler(store, clock);
  return {
    dir,
    clock,
    store,
    vault,
    runner,
    commands: new UserCommands(handler, store, vault, settings),
    queries: new UserQueries(runner, store, clock, vault, settings),
    async caughtUp(position) {
      if (position !== null && !(await runner.waitFor(position, { timeoutMs: 5000 }))) {
        throw new Error(`users projection did not reach ${position}`);
      }
    },
    async close() {
      await runner.stop();
      await vault.close();
      await readModels.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
