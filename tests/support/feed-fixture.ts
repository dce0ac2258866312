/**
 * The change feed over the service catalog's events, for tests: products carry (or lead to) their
 * provider, so they stand in for rights and subscriptions. Real SQLite stores in a temp directory,
 * the real catalog commands, and a manual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../../domain/kernel/event.js';
import { EventRegistry } from '../../domain/kernel/registry.js';
import {
  type ProductAdded,
  type ProductPriceChanged,
  type ProductRetired,
  catalogEvents,
} from '../../domain/catalog/events.js';
import { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import { CommandHandler, type CommandContext } from '../../application/kernel/command-handler.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { type FeedSource, providerMessage } from '../../application/feed/feed-mapper.js';
import { SqliteEventStore } from '../../infrastructure/eventstore/sqlite-event-store.js';
import { SqliteProviderFeedStore } from '../../infrastructure/feed/sqlite-provider-feed-store.js';
import { ManualClock } from '../../infrastructure/clock.js';

/** Products' public change messages; price changes and retirements find their provider in the product's stream. */
export function catalogFeedSource(store: EventStore): FeedSource {
  const providerOf = async (productId: string): Promise<string | null> => {
    const [first] = await store.readStream(`product-${productId}`, { maxCount: 1 });
    return first?.type === 'ProductAdded' ? (first as RecordedEvent<ProductAdded>).data.providerId : null;
  };
  return {
    filter: { types: ['ProductAdded', 'ProductPriceChanged', 'ProductRetired'] },
    mapper: async (event) => {
      if (event.type === 'ProductAdded') {
        const { data } = event as RecordedEvent<ProductAdded>;
        return providerMessage(event, {
          providerId: data.providerId,
          type: 'product.added',
          subject: { productId: data.productId },
          data: { sku: data.sku, kind: data.kind, price: data.price },
        });
      }
      if (event.type === 'ProductPriceChanged') {
        const { data } = event as RecordedEvent<ProductPriceChanged>;
        const providerId = await providerOf(data.productId);
        return providerId
          ? providerMessage(event, {
              providerId,
              type: 'product.price_changed',
              subject: { productId: data.productId },
              data: { price: data.price },
            })
          : null;
      }
      if (event.type === 'ProductRetired') {
        const { data } = event as RecordedEvent<ProductRetired>;
        const providerId = await providerOf(data.productId);
        return providerId
          ? providerMessage(event, {
              providerId,
              type: 'product.retired',
              subject: { productId: data.productId },
              data: {},
            })
          : null;
      }
      return null;
    },
  };
}

export interface FeedFixture {
  readonly dir: string;
  readonly clock: ManualClock;
  readonly store: SqliteEventStore;
  readonly feedStore: SqliteProviderFeedStore;
  readonly source: FeedSource;
  readonly catalog: CatalogCommands;
  readonly ctx: CommandContext;
  /** Opens the same feed file again (as a restarted process would). */
  reopenFeedStore(): SqliteProviderFeedStore;
  registerProvider(name?: string): Promise<string>;
  /** Adds a one-time product; returns its id and the log position of the event. */
  addProduct(providerId: string, sku: string): Promise<{ productId: string; position: number }>;
  close(): Promise<void>;
}

export function openFeedFixture(): FeedFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-feed-'));
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');
  const store = SqliteEventStore.open({
    file: join(dir, 'events.db'),
    registry: new EventRegistry(catalogEvents),
    clock,
    pollIntervalMs: 20,
  });
  const feedStores: SqliteProviderFeedStore[] = [];
  const reopenFeedStore = () => {
    const s = SqliteProviderFeedStore.open({ file: join(dir, 'feed.db') });
    feedStores.push(s);
    return s;
  };
  const feedStore = reopenFeedStore();
  const catalog = new CatalogCommands(new CommandHandler(store, clock));
  const ctx: CommandContext = { actor: { kind: 'support', id: 'tests' }, correlationId: 'feed-tests' };
  return {
    dir,
    clock,
    store,
    feedStore,
    source: catalogFeedSource(store),
    catalog,
    ctx,
    reopenFeedStore,
    async registerProvider(name = 'Feed Media') {
      return (await catalog.registerProvider({ name }, ctx)).id;
    },
    async addProduct(providerId, sku) {
      const result = await catalog.addProduct(
        providerId,
        {
          sku,
          name: `Product ${sku}`,
          kind: 'one_time',
          price: { amount: 4900, currency: 'NOK' },
          vatRate: 2500,
          timeSpec: 'PT48H',
        },
        ctx,
      );
      return { productId: result.id, position: result.position! };
    },
    async close() {
      for (const s of feedStores) await s.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
