/** What a write use case reports back to its caller. */
export interface WriteResult {
  /** Id of the provider or product the command was about. */
  readonly id: string;
  /**
   * Global log position of the write (or of the original write when `deduplicated`); pass it as
   * `minPosition` to a query to read your own write. Null when the command changed nothing.
   */
  readonly position: number | null;
  /** True when an earlier request with the same Idempotency-Key was found and nothing new was done. */
  readonly deduplicated: boolean;
}

/** Options of the create use cases. */
export interface CreateOptions {
  /** The caller's Idempotency-Key: a retry with the same key and request returns the first result. */
  readonly idempotencyKey?: string;
}
