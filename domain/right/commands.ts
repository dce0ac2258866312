import type { Grantor } from './values.js';

/*
 * Commands of the Right aggregate. Every command names the provider it acts for: a right of another
 * provider is refused as not found, so a provider can never learn about rights it did not grant.
 */

/**
 * Issues a right. The application resolves the product; the decider settles the validity:
 * `validFrom` defaults to now; `validUntil` (an instant, or null for perpetual) defaults to
 * `defaultValidity` counted from validFrom (the product's timeSpec: a duration or 'perpetual').
 * Granting an existing rightId again with the same data records nothing.
 */
export interface GrantRight {
  readonly type: 'GrantRight';
  readonly rightId: string;
  readonly providerId: string;
  readonly productId: string;
  readonly sku: string;
  readonly sub: string;
  readonly grantor: Grantor;
  readonly validFrom?: string;
  readonly validUntil?: string | null;
  /** An ISO 8601 duration or 'perpetual'; used only when validUntil is not given. */
  readonly defaultValidity?: string;
  readonly payload?: string | null;
  readonly initialState?: 'active' | 'suspended';
}

/** Moves the end of the right later: to an instant (`validUntil`) or by a duration (`by`). */
export interface ExtendRight {
  readonly type: 'ExtendRight';
  readonly providerId: string;
  readonly validUntil?: string;
  /** ISO 8601 duration added to the current end. */
  readonly by?: string;
}

export interface SuspendRight {
  readonly type: 'SuspendRight';
  readonly providerId: string;
  readonly reason?: string;
}

export interface ReactivateRight {
  readonly type: 'ReactivateRight';
  readonly providerId: string;
}

export interface TerminateRight {
  readonly type: 'TerminateRight';
  readonly providerId: string;
  readonly reason?: string;
}

/** Marks the right used, at the decision's `now`. */
export interface RecordRightUsage {
  readonly type: 'RecordRightUsage';
  readonly providerId: string;
}

export type RightCommand =
  GrantRight | ExtendRight | SuspendRight | ReactivateRight | TerminateRight | RecordRightUsage;
