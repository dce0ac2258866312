import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { ClientTypeSchema, GrantTypeSchema, SecretDigestSchema } from './client-values.js';

/*
 * Events of the OAuthClient aggregate (stream `client-<clientId>`). URIs and scopes are recorded as
 * plain strings: the decider enforces the registration policy when the event is written, and a
 * later, stricter policy must not make the history unreadable. Secrets never appear here: only the
 * SHA-256 digest of the current one.
 */

const Uri = z.string().min(1).max(2048);
const ScopeName = z.string().min(1).max(100);

/** A client's registration data, as the consent page and the authorization server use it. */
const metadata = {
  name: z.string().min(1).max(100),
  logoUri: Uri.optional(),
  redirectUris: z.array(Uri),
  postLogoutRedirectUris: z.array(Uri),
  backchannelLogoutUri: Uri.optional(),
  scopes: z.array(ScopeName),
  grantTypes: z.array(GrantTypeSchema).min(1),
};

/** A service provider registered an OAuth/OIDC client. Confidential clients carry a secret digest. */
export const OAuthClientRegistered = defineEvent(
  'OAuthClientRegistered',
  z.object({
    clientId: z.uuid(),
    providerId: z.uuid(),
    clientType: ClientTypeSchema,
    ...metadata,
    secretDigest: SecretDigestSchema.optional(),
  }),
);
export type OAuthClientRegistered = EventOf<typeof OAuthClientRegistered>;

/**
 * Registration data changed. `changes` holds only the fields that changed, with their new values;
 * `null` removes an optional URI.
 */
export const OAuthClientUpdated = defineEvent(
  'OAuthClientUpdated',
  z.object({
    clientId: z.uuid(),
    changes: z.object({
      name: metadata.name.optional(),
      logoUri: Uri.nullable().optional(),
      redirectUris: metadata.redirectUris.optional(),
      postLogoutRedirectUris: metadata.postLogoutRedirectUris.optional(),
      backchannelLogoutUri: Uri.nullable().optional(),
      scopes: metadata.scopes.optional(),
      grantTypes: metadata.grantTypes.optional(),
    }),
  }),
);
export type OAuthClientUpdated = EventOf<typeof OAuthClientUpdated>;

/** A new secret replaced the old one, which stops working at once. */
export const OAuthClientSecretRotated = defineEvent(
  'OAuthClientSecretRotated',
  z.object({ clientId: z.uuid(), secretDigest: SecretDigestSchema }),
);
export type OAuthClientSecretRotated = EventOf<typeof OAuthClientSecretRotated>;

/** The client may no longer start sign-ins or obtain tokens. */
export const OAuthClientDisabled = defineEvent(
  'OAuthClientDisabled',
  z.object({ clientId: z.uuid(), reason: z.string().min(1).max(500).optional() }),
);
export type OAuthClientDisabled = EventOf<typeof OAuthClientDisabled>;

export const OAuthClientEnabled = defineEvent('OAuthClientEnabled', z.object({ clientId: z.uuid() }));
export type OAuthClientEnabled = EventOf<typeof OAuthClientEnabled>;

export type ClientEvent =
  | OAuthClientRegistered
  | OAuthClientUpdated
  | OAuthClientSecretRotated
  | OAuthClientDisabled
  | OAuthClientEnabled;

/** Every client event definition, for the application's EventRegistry. */
export const clientEvents: readonly EventDefinition[] = [
  OAuthClientRegistered,
  OAuthClientUpdated,
  OAuthClientSecretRotated,
  OAuthClientDisabled,
  OAuthClientEnabled,
];
