import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { ProductKind } from '../../domain/catalog/values.js';
import { CATALOG_PROJECTION, type ProductDoc, type ProviderDoc } from '../../projections/catalog.js';
import type { Page } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';

export interface PageRequest {
  readonly cursor?: string;
  /** 1..100; default 20. */
  readonly limit?: number;
}

export interface ProductListRequest extends PageRequest {
  readonly kind?: ProductKind;
}

const DEFAULT_LIMIT = 20;

/** Read side of the service catalog, served from the `catalog` projection. */
@injectable()
export class CatalogQueries {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  private providers() {
    return this.views.view<ProviderDoc>(CATALOG_PROJECTION, 'providers');
  }

  private products() {
    return this.views.view<ProductDoc>(CATALOG_PROJECTION, 'products');
  }

  async getProvider(providerId: string): Promise<ProviderDoc> {
    const doc = await this.providers().get(providerId);
    if (!doc) throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
    return doc;
  }

  /** Providers in the order they registered. */
  async listProviders(request: PageRequest = {}): Promise<Page<ProviderDoc>> {
    return this.providers().find({
      sort: { field: 'createdAt', direction: 'asc' },
      limit: request.limit ?? DEFAULT_LIMIT,
      ...(request.cursor ? { cursor: request.cursor } : {}),
    });
  }

  async getProduct(productId: string): Promise<ProductDoc> {
    const doc = await this.products().get(productId);
    if (!doc) throw new DomainError('not_found', 'product_not_found', 'No such product.');
    return doc;
  }

  /** The provider's product with this SKU (retired ones too: their SKU stays theirs), or null. */
  async findProductBySku(providerId: string, sku: string): Promise<ProductDoc | null> {
    const page = await this.products().find({ where: { providerId, sku }, limit: 1 });
    return page.items[0] ?? null;
  }

  /** A provider's products in the order they were added, optionally only one kind. */
  async listProducts(providerId: string, request: ProductListRequest = {}): Promise<Page<ProductDoc>> {
    await this.getProvider(providerId);
    return this.products().find({
      where: { providerId, ...(request.kind ? { kind: request.kind } : {}) },
      sort: { field: 'createdAt', direction: 'asc' },
      limit: request.limit ?? DEFAULT_LIMIT,
      ...(request.cursor ? { cursor: request.cursor } : {}),
    });
  }
}
