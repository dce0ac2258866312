import type { RecordedEvent } from '../domain/kernel/event.js';
import type { CatalogEvent } from '../domain/catalog/events.js';
import type { Money } from '../domain/shared/money.js';
import type { Contact, ProductKind, TimeSpec } from '../domain/catalog/values.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/** Read model of a service provider (collection `providers`). */
export type ProviderDoc = {
  readonly id: string;
  readonly name: string;
  readonly contact: Contact | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Stream revision of the last event applied: a cheap version for caches and ETags. */
  readonly revision: number;
};

/** Read model of a product (collection `products`). Fields that do not apply to the kind are null. */
export type ProductDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly sku: string;
  readonly name: string;
  readonly kind: ProductKind;
  readonly price: Money;
  readonly vatRate: number;
  readonly timeSpec: TimeSpec | null;
  readonly period: string | null;
  readonly trial: string | null;
  readonly status: 'active' | 'retired';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly retiredAt: string | null;
  readonly revision: number;
};

export const CATALOG_PROJECTION = 'catalog';

async function applyCatalogEvent(event: RecordedEvent<CatalogEvent>, tx: ProjectionTx): Promise<void> {
  const at = event.occurredAt;
  switch (event.type) {
    case 'ServiceProviderRegistered': {
      const d = event.data as Extract<CatalogEvent, { type: 'ServiceProviderRegistered' }>['data'];
      const doc: ProviderDoc = {
        id: d.providerId,
        name: d.name,
        contact: d.contact ?? null,
        createdAt: at,
        updatedAt: at,
        revision: event.revision,
      };
      tx.upsert('providers', doc);
      return;
    }
    case 'ServiceProviderRenamed': {
      const d = event.data as Extract<CatalogEvent, { type: 'ServiceProviderRenamed' }>['data'];
      const doc = await tx.get<ProviderDoc>('providers', d.providerId);
      if (doc) tx.upsert('providers', { ...doc, name: d.name, updatedAt: at, revision: event.revision });
      return;
    }
    case 'ProductAdded': {
      const d = event.data as Extract<CatalogEvent, { type: 'ProductAdded' }>['data'];
      const doc: ProductDoc = {
        id: d.productId,
        providerId: d.providerId,
        sku: d.sku,
        name: d.name,
        kind: d.kind,
        price: d.price,
        vatRate: d.vatRate,
        timeSpec: d.kind === 'one_time' ? d.timeSpec : null,
        period: d.kind === 'subscription' ? d.period : null,
        trial: d.kind === 'subscription' ? (d.trial ?? null) : null,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        retiredAt: null,
        revision: event.revision,
      };
      tx.upsert('products', doc);
      return;
    }
    case 'ProductPriceChanged': {
      const d = event.data as Extract<CatalogEvent, { type: 'ProductPriceChanged' }>['data'];
      const doc = await tx.get<ProductDoc>('products', d.productId);
      if (doc)
        tx.upsert('products', {
          ...doc,
          price: d.price,
          vatRate: d.vatRate,
          updatedAt: at,
          revision: event.revision,
        });
      return;
    }
    case 'ProductRetired': {
      const d = event.data as Extract<CatalogEvent, { type: 'ProductRetired' }>['data'];
      const doc = await tx.get<ProductDoc>('products', d.productId);
      if (doc) {
        tx.upsert('products', {
          ...doc,
          status: 'retired',
          retiredAt: at,
          updatedAt: at,
          revision: event.revision,
        });
      }
      return;
    }
  }
}

/**
 * The service catalog as readers see it: providers, and products listed per provider in the order
 * they were added (optionally by kind). SKU uniqueness is enforced by the write side's reservation;
 * the unique index here is a second line of defence that would stop the projection loudly.
 */
export const catalogProjection = defineProjection<CatalogEvent>({
  name: CATALOG_PROJECTION,
  version: 1,
  handles: [
    'ServiceProviderRegistered',
    'ServiceProviderRenamed',
    'ProductAdded',
    'ProductPriceChanged',
    'ProductRetired',
  ],
  collections: {
    providers: { indexes: [{ fields: ['createdAt'] }] },
    products: {
      indexes: [
        { fields: ['providerId'] },
        { fields: ['providerId', 'sku'], unique: true },
        { fields: ['providerId', 'createdAt'] },
        { fields: ['providerId', 'kind', 'createdAt'] },
      ],
    },
  },
  apply: applyCatalogEvent,
});
