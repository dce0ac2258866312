import type { Doc, ReadCollection } from './read-model-store.js';

/**
 * The query side's entry to read models: a projection's logical collection, resolved to whatever
 * physical collection currently serves it (so a rebuild can swap in fresh collections).
 */
export interface Views {
  view<T extends Doc = Doc>(projection: string, collection: string): ReadCollection<T>;
  /**
   * Read-after-write: resolves true once the named projections (default: all) have applied the log up
   * to `position`, false if that did not happen within `timeoutMs`.
   */
  waitFor(
    position: number,
    options?: { timeoutMs?: number; projections?: readonly string[] },
  ): Promise<boolean>;
}
