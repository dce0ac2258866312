import type { RevokedBy } from './events.js';

/**
 * The user allowed the client these scopes (and `claims` parameter claims). State everything the
 * client should hold afterwards, or only what was just asked for: what is already granted is
 * never recorded twice.
 */
export interface GrantConsent {
  readonly type: 'GrantConsent';
  readonly sub: string;
  readonly clientId: string;
  readonly providerId: string;
  readonly scopes: readonly string[];
  readonly claims?: readonly string[];
}

/** The user declined the client's request for these scopes. */
export interface DenyConsent {
  readonly type: 'DenyConsent';
  readonly sub: string;
  readonly clientId: string;
  readonly providerId: string;
  readonly scopes: readonly string[];
}

/** Withdraws the consent. */
export interface RevokeConsent {
  readonly type: 'RevokeConsent';
  readonly by: RevokedBy;
  readonly reason?: string;
}

export type ConsentCommand = GrantConsent | DenyConsent | RevokeConsent;
