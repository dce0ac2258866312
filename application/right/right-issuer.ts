import type { CommandContext } from '../kernel/command-handler.js';

/** Who granted a right: the provider itself, a purchase, a subscription, or customer support. */
export type GrantorKind = 'provider' | 'purchase' | 'subscription' | 'support';

export interface Grantor {
  readonly kind: GrantorKind;
  /** The provider's client id, the transaction id, the subscription id, or the support agent. */
  readonly id: string;
}

export interface GrantRightInput {
  /**
   * Set for issuance that may be retried (a subscription's period, a purchase): granting the same
   * rightId again grants nothing new and answers with the existing right. Generated when absent.
   */
  readonly rightId?: string;
  readonly sub: string;
  readonly providerId: string;
  /** A SKU of the provider's catalog. */
  readonly sku: string;
  readonly grantor: Grantor;
  /** ISO 8601 instant; default now. */
  readonly validFrom?: string;
  /**
   * ISO 8601 instant, or null for a perpetual right. Default: validFrom plus the product's timeSpec
   * (a one-time product), perpetual for `timeSpec: perpetual`.
   */
  readonly validUntil?: string | null;
  /** Opaque to Tessera, for the provider (at most 4096 characters). */
  readonly payload?: string | null;
  /** A suspended subscription issues suspended rights. Default 'active'. */
  readonly initialState?: 'active' | 'suspended';
}

export interface GrantRightResult {
  readonly rightId: string;
  /** Log position of the grant; null when the right already existed (an idempotent retry). */
  readonly position: number | null;
  readonly created: boolean;
}

/**
 * How anything that grants rights (subscriptions, purchases, support) reaches the Right aggregate.
 * RightCommands implements it.
 */
export interface RightIssuer {
  grant(input: GrantRightInput, ctx: CommandContext): Promise<GrantRightResult>;
}

export const RIGHT_ISSUER = Symbol.for('tessera.port.RightIssuer');
