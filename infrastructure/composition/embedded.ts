import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { SqliteEventStore } from '../eventstore/sqlite-event-store.js';
import { SqliteReadModelStore } from '../readmodels/sqlite-read-model-store.js';
import { SqliteEphemeralStore } from '../ephemeral/sqlite-ephemeral-store.js';
import { openSqliteVault } from '../vault/sqlite-vault.js';
import { SqliteProviderFeedStore } from '../feed/sqlite-provider-feed-store.js';
import { closeAll, type StoreContext, type Stores } from './stores.js';

/**
 * Embedded mode: SQLite files under DATA_DIR, no servers needed. vault.db holds the per-user keys
 * wrapped with a key derived from SECRET_KEY: back both up together, since either alone makes
 * personal data unreadable.
 */
export async function openEmbeddedStores(config: Config, context: StoreContext): Promise<Stores> {
  mkdirSync(config.dataDir, { recursive: true });
  let eventStore: SqliteEventStore | undefined;
  let readModels: SqliteReadModelStore | undefined;
  let ephemeral: SqliteEphemeralStore | undefined;
  try {
    eventStore = SqliteEventStore.open({
      file: join(config.dataDir, 'events.db'),
      registry: context.registry,
      clock: context.clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(config.dataDir, 'readmodels.db') });
    ephemeral = SqliteEphemeralStore.open({
      file: join(config.dataDir, 'ephemeral.db'),
      clock: context.clock,
    });
    const vault = await openSqliteVault({
      file: join(config.dataDir, 'vault.db'),
      masterKey: context.secrets.derive('personal-data-key-wrapping'),
    });
    const feed = SqliteProviderFeedStore.open({ file: join(config.dataDir, 'feed.db') });
    return { eventStore, readModels, ephemeral, vault, feed };
  } catch (err) {
    await closeAll([ephemeral, readModels, eventStore]);
    throw err;
  }
}
