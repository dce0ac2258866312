import { z } from 'zod';

/**
 * The OAuth scopes Tessera knows. This list is the one place they are named: client registration
 * checks a client's allowed scopes against it, and the authorization server offers exactly these.
 *
 * - `openid`, `profile`, `email`, `phone`: OpenID Connect standard scopes (ID token and claims).
 * - `offline_access`: refresh tokens that outlive the user's session.
 * - `id.user.read` / `id.user.write`: read or change the user's account data over the REST API.
 * - `id.user.right.read`: read the user's rights and subscriptions (a provider: those it granted).
 * - `id.user.right.use`: record that a right was used.
 * - `id.user.right.write`: grant, extend, suspend, reactivate and terminate rights and manage
 *   subscriptions (a provider's backend, for its own SKUs).
 * - `events.read`: lease and acknowledge the provider's change-feed messages.
 * - `payment.transactions.write`: start payments on the user's behalf.
 * - `reports.read`: read the provider's own business reports (revenue, subscriptions, conversion).
 */
export const KNOWN_SCOPES = [
  'openid',
  'profile',
  'email',
  'phone',
  'offline_access',
  'id.user.read',
  'id.user.write',
  'id.user.right.read',
  'id.user.right.use',
  'id.user.right.write',
  'events.read',
  'payment.transactions.write',
  'reports.read',
] as const;

export type Scope = (typeof KNOWN_SCOPES)[number];

/**
 * Scopes a public client (one that cannot keep a secret: a browser or mobile app) may not hold,
 * because whoever extracts the app could use them freely. Changing user data is for backends.
 */
export const CONFIDENTIAL_ONLY_SCOPES: readonly Scope[] = [
  'id.user.write',
  'id.user.right.use',
  'id.user.right.write',
  'events.read',
  'reports.read',
];

const known: ReadonlySet<string> = new Set(KNOWN_SCOPES);

export function isKnownScope(value: string): value is Scope {
  return known.has(value);
}

export const ScopeSchema = z.enum(KNOWN_SCOPES, {
  error: `must be one of: ${KNOWN_SCOPES.join(', ')}`,
});
