import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';

/*
 * Events of the Consent aggregate: what one user decided about one OAuth client (stream
 * `consent-<sub>-<clientId>`). Scopes and claims are recorded as the plain strings the user was
 * shown: the authorization server decides which scopes exist, and a later change of that list must
 * not make the history unreadable.
 */

const sub = z.uuid();
const clientId = z.uuid();

/** An OAuth scope token (RFC 6749 §3.3: printable ASCII without space, quote or backslash). */
export const ConsentScopeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be an OAuth scope token');

/** A claim name asked for with the `claims` request parameter (e.g. `email_verified`). */
export const ConsentClaimSchema = z.string().min(1).max(100);

/** Who withdrew a consent: the user, customer support on the user's behalf, or Tessera itself. */
export const RevokedBySchema = z.enum(['user', 'support', 'system']);
export type RevokedBy = z.infer<typeof RevokedBySchema>;

/**
 * The user allowed the client: the first consent, or a fresh one after a revocation or a denial.
 * `scopes` (and `claims`) are everything the client now holds.
 */
export const ConsentGranted = defineEvent(
  'ConsentGranted',
  z.object({
    sub,
    clientId,
    providerId: z.uuid(),
    scopes: z.array(ConsentScopeSchema).min(1),
    claims: z.array(ConsentClaimSchema).optional(),
  }),
);
export type ConsentGranted = EventOf<typeof ConsentGranted>;

/** The user allowed more to a client already consented to; only the additions are listed. */
export const ConsentScopesAdded = defineEvent(
  'ConsentScopesAdded',
  z.object({
    sub,
    clientId,
    scopes: z.array(ConsentScopeSchema),
    claims: z.array(ConsentClaimSchema).optional(),
  }),
);
export type ConsentScopesAdded = EventOf<typeof ConsentScopesAdded>;

/**
 * The user said no to what the client asked for. An existing consent is left as it was: declining
 * more does not take back what was allowed before.
 */
export const ConsentDenied = defineEvent(
  'ConsentDenied',
  z.object({
    sub,
    clientId,
    providerId: z.uuid(),
    scopes: z.array(ConsentScopeSchema),
  }),
);
export type ConsentDenied = EventOf<typeof ConsentDenied>;

/** The consent was withdrawn; the client's grants and tokens for this user go with it. */
export const ConsentRevoked = defineEvent(
  'ConsentRevoked',
  z.object({
    sub,
    clientId,
    by: RevokedBySchema,
    reason: z.string().min(1).max(500).optional(),
  }),
);
export type ConsentRevoked = EventOf<typeof ConsentRevoked>;

export type ConsentEvent = ConsentGranted | ConsentScopesAdded | ConsentDenied | ConsentRevoked;

/** Every consent event definition, for the application's EventRegistry. */
export const consentEvents: readonly EventDefinition[] = [
  ConsentGranted,
  ConsentScopesAdded,
  ConsentDenied,
  ConsentRevoked,
];
