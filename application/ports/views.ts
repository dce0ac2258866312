import type { Doc, ReadCollection, SyncReadCollection } from './read-model-store.js';

/**
 * The query side's entry to read models: a projection's logical collection, resolved to whatever
 * physical collection currently serves it (so a rebuild can swap in fresh collections).
 */
export interface Views {
  view<T extends Doc = Doc>(projection: string, collection: string): ReadCollection<T>;
  /**
   * Optional: the collection currently serving a projection's logical collection, for synchronous
   * reads (see SyncReadCollection), or undefined when that cannot be answered right now: the store
   * reads asynchronously, nothing is serving yet, or the serving generation is due to be re-checked.
   * The caller then reads through view(), which answers in every case. Ask on every read rather than
   * keeping the result: the generation serving may change (a rebuild swaps a fresh one in). Unknown
   * projections and collections throw, as with view().
   */
  viewSync?<T extends Doc = Doc>(projection: string, collection: string): SyncReadCollection<T> | undefined;
  /**
   * Read-after-write: resolves true once the named projections (default: all) have applied the log up
   * to `position`, false if that did not happen within `timeoutMs`.
   */
  waitFor(
    position: number,
    options?: { timeoutMs?: number; projections?: readonly string[] },
  ): Promise<boolean>;
}
