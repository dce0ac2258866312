import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { CatalogQueries } from '../catalog/catalog-queries.js';
import { ClientQueries } from '../catalog/client-queries.js';
import type { NameLookup } from './timeline-sources.js';

/**
 * Provider and client display names for the timeline's plain words, from the catalog read models.
 * Each `lookup()` caches for one request, so a long history asks once per provider or client.
 */
@injectable()
export class CatalogNames {
  constructor(
    @inject(CatalogQueries) private readonly catalog: Pick<CatalogQueries, 'getProvider'>,
    @inject(ClientQueries) private readonly clients: Pick<ClientQueries, 'getClient'>,
  ) {}

  lookup(): NameLookup {
    const cache = new Map<string, Promise<string | null>>();
    const cached = (key: string, load: () => Promise<string>) => {
      let hit = cache.get(key);
      if (!hit) {
        hit = load().catch((err: unknown) => {
          if (err instanceof DomainError && err.kind === 'not_found') return null;
          throw err;
        });
        cache.set(key, hit);
      }
      return hit;
    };
    return {
      provider: (id) => cached(`p:${id}`, async () => (await this.catalog.getProvider(id)).name),
      client: (id) => cached(`c:${id}`, async () => (await this.clients.getClient(id)).name),
    };
  }
}
