import type { Config } from '../config.js';
import { EsdbEventStore } from '../eventstore/esdb-event-store.js';
import { MongoReadModelStore } from '../readmodels/mongo-read-model-store.js';
import { MongoEphemeralStore } from '../ephemeral/mongo-ephemeral-store.js';
import { closeAll, type StoreContext, type Stores } from './stores.js';

/** Distributed mode: EventStoreDB for the log, MongoDB for read models and ephemeral data. */
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
    });
    readModels = await MongoReadModelStore.connect({ url: config.mongoDbUrl });
    const ephemeral = await MongoEphemeralStore.connect({ url: config.mongoDbUrl, clock: context.clock });
    return { eventStore, readModels, ephemeral };
  } catch (err) {
    await closeAll([readModels, eventStore]);
    throw err;
  }
}
