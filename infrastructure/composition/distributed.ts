import type { Config } from '../config.js';
import { EsdbEventStore } from '../eventstore/esdb-event-store.js';
import { connectMongo } from '../mongo/connect.js';
import { MongoReadModelStore } from '../readmodels/mongo-read-model-store.js';
import { MongoEphemeralStore } from '../ephemeral/mongo-ephemeral-store.js';
import { openMongoVault } from '../vault/mongo-vault.js';
import { MongoProviderFeedStore } from '../feed/mongo-provider-feed-store.js';
import { closeAll, type StoreContext, type Stores } from './stores.js';

/** A server named by a setting could not be reached or used at start-up. */
export class StoreUnavailableError extends Error {
  constructor(variable: string, server: string, cause: unknown) {
    super(`Cannot use ${server} at ${variable}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Distributed mode: EventStoreDB for the log, MongoDB for read models and ephemeral data. The two
 * MongoDB stores share one client (one connection pool); the read-model store owns and closes it,
 * after the ephemeral store (see disposeContainer's order).
 */
export async function openDistributedStores(config: Config, context: StoreContext): Promise<Stores> {
  if (!config.eventStoreDbUrl || !config.mongoDbUrl)
    throw new Error('Distributed mode needs EVENTSTOREDB_URL and MONGODB_URL');
  let eventStore: EsdbEventStore | undefined;
  let readModels: MongoReadModelStore | undefined;
  try {
    eventStore = await EsdbEventStore.connect({
      connectionString: config.eventStoreDbUrl,
      registry: context.registry,
      clock: context.clock,
    }).catch((err: unknown) => {
      throw new StoreUnavailableError('EVENTSTOREDB_URL', 'EventStoreDB', err);
    });
    const { client, db } = await connectMongo({ url: config.mongoDbUrl }).catch((err: unknown) => {
      throw new StoreUnavailableError('MONGODB_URL', 'MongoDB', err);
    });
    readModels = new MongoReadModelStore(db, client);
    const ephemeral = await MongoEphemeralStore.open(db, { clock: context.clock });
    const vault = await openMongoVault(db, {
      masterKey: context.secrets.derive('personal-data-key-wrapping'),
    });
    // Shares the read-model store's client, which that store closes.
    const feed = await MongoProviderFeedStore.open(db);
    return { eventStore, readModels, ephemeral, vault, feed };
  } catch (err) {
    await closeAll([readModels, eventStore]);
    throw err;
  }
}
