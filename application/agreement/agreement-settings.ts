/** How the renewal process times its charges. */
export interface AgreementSettings {
  /** How long before a period ends its successor is charged (default one day). */
  readonly chargeLeadMs: number;
  /**
   * The dunning schedule: the k-th retry of a failed renewal comes `retryAfterMs[k]` after the
   * period's first failed try; after the last one fails the agreement and its subscription expire.
   * Default: after 1, 3 and 5 days.
   */
  readonly retryAfterMs: readonly number[];
}

const DAY = 24 * 3600 * 1000;

export const DEFAULT_AGREEMENT_SETTINGS: AgreementSettings = {
  chargeLeadMs: DAY,
  retryAfterMs: [DAY, 3 * DAY, 5 * DAY],
};

export const AGREEMENT_SETTINGS = Symbol.for('tessera.AgreementSettings');
