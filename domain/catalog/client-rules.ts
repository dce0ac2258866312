import { DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import { CONFIDENTIAL_ONLY_SCOPES, isKnownScope, KNOWN_SCOPES } from './client-scopes.js';
import { httpsUriProblem, redirectUriProblem, uriIdentity } from './client-uris.js';
import {
  ClientNameSchema,
  type ClientType,
  GRANT_TYPES,
  type GrantType,
  MAX_REDIRECT_URIS,
} from './client-values.js';

/**
 * The registration policy for OAuth clients, applied by the decider to a registration and to the
 * result of every update. Each refusal is a DomainError('invalid') with a stable code and the
 * field (with the list index where one applies) it is about.
 */

/** A client's registration data after validation. */
export interface ClientMetadata {
  readonly name: string;
  readonly logoUri: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly backchannelLogoutUri: string | null;
  readonly scopes: readonly string[];
  readonly grantTypes: readonly GrantType[];
}

/** Registration data as a command gives it: unchecked. */
export interface UncheckedMetadata {
  readonly name?: unknown;
  readonly logoUri?: unknown;
  readonly redirectUris?: unknown;
  readonly postLogoutRedirectUris?: unknown;
  readonly backchannelLogoutUri?: unknown;
  readonly scopes?: unknown;
  readonly grantTypes?: unknown;
}

function refuse(code: string, field: string, message: string): never {
  throw new DomainError('invalid', code, `${field}: ${message}`, field);
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) refuse(`invalid_${snake(field)}`, field, 'must be a list');
  value.forEach((item, i) => {
    if (typeof item !== 'string') refuse(`invalid_${snake(field)}`, `${field}.${i}`, 'must be a string');
  });
  return value as string[];
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Redirect and post-logout redirect URIs: each acceptable, no two alike, at most 20. */
function checkRedirectUris(value: unknown, field: string): string[] {
  const uris = stringList(value, field);
  if (uris.length > MAX_REDIRECT_URIS) {
    refuse('too_many_redirect_uris', field, `must have at most ${MAX_REDIRECT_URIS} URIs`);
  }
  const seen = new Set<string>();
  uris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) refuse('invalid_redirect_uri', `${field}.${i}`, problem);
    const id = uriIdentity(uri);
    if (seen.has(id)) refuse('duplicate_redirect_uri', `${field}.${i}`, `"${uri}" is listed twice`);
    seen.add(id);
  });
  return uris;
}

function checkHttpsUri(value: unknown, field: string, code: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') refuse(code, field, 'must be a string');
  const problem = httpsUriProblem(value);
  if (problem) refuse(code, field, problem);
  return value;
}

function checkScopes(value: unknown, clientType: ClientType): string[] {
  const scopes = stringList(value, 'scopes');
  if (scopes.length === 0) refuse('scopes_required', 'scopes', 'must name at least one scope');
  const seen = new Set<string>();
  scopes.forEach((scope, i) => {
    if (!isKnownScope(scope)) {
      refuse('unknown_scope', `scopes.${i}`, `"${scope}" is not one of: ${KNOWN_SCOPES.join(', ')}`);
    }
    if (seen.has(scope)) refuse('duplicate_scope', `scopes.${i}`, `"${scope}" is listed twice`);
    seen.add(scope);
    if (clientType === 'public' && CONFIDENTIAL_ONLY_SCOPES.includes(scope)) {
      refuse(
        'scope_not_for_public_clients',
        `scopes.${i}`,
        `"${scope}" is only for confidential clients, which can keep a secret`,
      );
    }
  });
  return scopes;
}

function checkGrantTypes(value: unknown): GrantType[] {
  const grants = stringList(value, 'grantTypes');
  if (grants.length === 0) refuse('grant_types_required', 'grantTypes', 'must name at least one grant type');
  const seen = new Set<string>();
  grants.forEach((grant, i) => {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      refuse('unknown_grant_type', `grantTypes.${i}`, `"${grant}" is not one of: ${GRANT_TYPES.join(', ')}`);
    }
    if (seen.has(grant)) refuse('duplicate_grant_type', `grantTypes.${i}`, `"${grant}" is listed twice`);
    seen.add(grant);
  });
  return grants as GrantType[];
}

/** Rules that tie fields together; each field is already valid on its own. */
function checkCoherence(clientType: ClientType, m: ClientMetadata): void {
  const grants = new Set(m.grantTypes);
  if (clientType === 'public' && grants.has('client_credentials')) {
    refuse(
      'client_credentials_not_for_public_clients',
      'grantTypes',
      'client_credentials needs a client secret, which a public client cannot keep',
    );
  }
  if (grants.has('refresh_token') && !grants.has('authorization_code')) {
    refuse(
      'refresh_token_requires_authorization_code',
      'grantTypes',
      'refresh_token is only issued together with authorization_code',
    );
  }
  if (grants.has('authorization_code')) {
    if (m.redirectUris.length === 0) {
      refuse('redirect_uri_required', 'redirectUris', 'authorization_code needs at least one redirect URI');
    }
    if (!m.scopes.includes('openid')) {
      refuse('openid_scope_required', 'scopes', 'a client that signs users in must be allowed "openid"');
    }
  }
  if (m.scopes.includes('offline_access') && !grants.has('refresh_token')) {
    refuse('offline_access_requires_refresh_token', 'scopes', 'offline_access needs the refresh_token grant');
  }
}

/** Checks a client's registration data as a whole and returns it normalised (names trimmed). */
export function checkMetadata(clientType: ClientType, raw: UncheckedMetadata): ClientMetadata {
  const metadata: ClientMetadata = {
    name: ensureValid(ClientNameSchema, raw.name, 'name', 'invalid_name'),
    logoUri: checkHttpsUri(raw.logoUri, 'logoUri', 'invalid_logo_uri'),
    redirectUris: checkRedirectUris(raw.redirectUris, 'redirectUris'),
    postLogoutRedirectUris: checkRedirectUris(raw.postLogoutRedirectUris, 'postLogoutRedirectUris'),
    backchannelLogoutUri: checkHttpsUri(
      raw.backchannelLogoutUri,
      'backchannelLogoutUri',
      'invalid_backchannel_logout_uri',
    ),
    scopes: checkScopes(raw.scopes, clientType),
    grantTypes: checkGrantTypes(raw.grantTypes),
  };
  checkCoherence(clientType, metadata);
  return metadata;
}

/** Confidential clients authenticate with a secret; public clients have none. */
export function checkSecret(
  clientType: ClientType,
  grantTypes: readonly GrantType[],
  secretDigest: string | undefined,
): void {
  if (clientType === 'confidential' && secretDigest === undefined) {
    const why = grantTypes.includes('client_credentials')
      ? 'client_credentials needs a client secret'
      : 'a confidential client needs a client secret';
    refuse('secret_required', 'clientSecret', why);
  }
  if (clientType === 'public' && secretDigest !== undefined) {
    refuse('secret_not_allowed', 'clientSecret', 'a public client has no client secret');
  }
}
