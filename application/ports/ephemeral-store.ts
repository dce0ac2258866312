/**
 * Short-lived data with a time to live: OIDC codes, sessions and interactions, one-time codes,
 * attempt counters. Expired entries are never returned, and are purged in the background.
 */

export interface EphemeralEntry<T = unknown> {
  readonly key: string;
  readonly value: T;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Epoch milliseconds when consume() first succeeded, else null. */
  readonly consumedAt: number | null;
}

export interface EphemeralSetOptions {
  readonly ttlSeconds: number;
  /** Secondary lookup keys (e.g. { grantId, uid, userCode }), each value findable with findByTag. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface EphemeralStore {
  /** Inserts or replaces the entry (and its tags); consumedAt is reset. */
  set(namespace: string, key: string, value: unknown, options: EphemeralSetOptions): Promise<void>;
  get<T = unknown>(namespace: string, key: string): Promise<EphemeralEntry<T> | null>;
  findByTag<T = unknown>(namespace: string, tag: string, value: string): Promise<EphemeralEntry<T>[]>;
  delete(namespace: string, key: string): Promise<boolean>;
  /** Deletes every entry of the namespace carrying the tag value; returns how many. */
  deleteByTag(namespace: string, tag: string, value: string): Promise<number>;
  /**
   * Marks the entry consumed. Atomic: of concurrent callers exactly one gets true; false when the
   * entry is missing, expired or already consumed.
   */
  consume(namespace: string, key: string): Promise<boolean>;
  /**
   * Adds `by` (default 1) to a counter and returns the new value. The first increment of a missing
   * or expired counter starts it at `by` with the given time to live; later ones keep the expiry.
   */
  increment(namespace: string, key: string, ttlSeconds: number, by?: number): Promise<number>;
  /** Removes expired entries now; returns how many. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}
