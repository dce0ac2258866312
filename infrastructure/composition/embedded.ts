import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { SqliteEventStore } from '../eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../readmodels/sqlite-read-model-store.js';
import { SqliteEphemeralStore } from '../ephemeral/sqlite-ephemeral-store.js';
import { closeAll, type StoreContext, type Stores } from './stores.js';

/** Embedded mode: three SQLite files under DATA_DIR, no servers needed. */
export async function openEmbeddedStores(config: Config, context: StoreContext): Promise<Stores> {
  mkdirSync(config.dataDir, { recursive: true });
  let eventStore: SqliteEventStore | undefined;
  let readModels: SqliteReadModelStore | undefined;
  try {
    eventStore = SqliteEventStore.open({
      file: join(config.dataDir, 'events.db'),
      registry: context.registry,
      clock: context.clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(config.dataDir, 'readmodels.db') });
    const ephemeral = SqliteEphemeralStore.open({
      file: join(config.dataDir, 'ephemeral.db'),
      clock: context.clock,
    });
    return { eventStore, readModels, ephemeral };
  } catch (err) {
    await closeAll([readModels, eventStore]);
    throw err;
  }
}
