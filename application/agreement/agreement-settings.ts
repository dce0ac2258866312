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
  /**
   * How long a new agreement waits for its user's confirmation: it records `confirmBy` = creation +
   * this, can no longer be confirmed from then on, and the renewal process cancels it (as expired)
   * if it is still pending. Like a hosted checkout session, a link left lying around does not stay
   * usable forever. Default 24 hours.
   */
  readonly pendingLifetimeMs: number;
}

const DAY = 24 * 3600 * 1000;

export const DEFAULT_AGREEMENT_SETTINGS: AgreementSettings = {
  chargeLeadMs: DAY,
  retryAfterMs: [DAY, 3 * DAY, 5 * DAY],
  pendingLifetimeMs: DAY,
};

export const AGREEMENT_SETTINGS = Symbol.for('tessera.AgreementSettings');
