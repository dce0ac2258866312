import type { ClientType } from './client-values.js';

/**
 * Registration data of a client as a command states it. Values are plain strings because commands
 * come from HTTP, the CLI and seeding alike; the decider checks every one of them.
 */
export interface ClientMetadataInput {
  /** Shown to users on the consent page. */
  readonly name: string;
  /** https URL of a logo for the consent page. */
  readonly logoUri?: string;
  /** Exact redirect URIs; at least one when the client uses authorization_code. */
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** https endpoint for OpenID Connect Back-Channel Logout tokens. */
  readonly backchannelLogoutUri?: string;
  /** Scopes the client may request; a subset of KNOWN_SCOPES. */
  readonly scopes: readonly string[];
  /** Default: authorization_code and refresh_token. */
  readonly grantTypes?: readonly string[];
}

export interface RegisterClient extends ClientMetadataInput {
  readonly type: 'RegisterClient';
  readonly clientId: string;
  readonly providerId: string;
  readonly clientType: ClientType;
  /** SHA-256 (hex) of the generated secret: required for confidential clients, absent for public ones. */
  readonly secretDigest?: string;
}

/**
 * Changes registration data; what is omitted is kept (at least one field must be given). `null`
 * removes the logo or the back-channel logout URI. The client type cannot change.
 */
export interface UpdateClient {
  readonly type: 'UpdateClient';
  readonly name?: string;
  readonly logoUri?: string | null;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly backchannelLogoutUri?: string | null;
  readonly scopes?: readonly string[];
  readonly grantTypes?: readonly string[];
}

export interface RotateClientSecret {
  readonly type: 'RotateClientSecret';
  readonly secretDigest: string;
}

export interface DisableClient {
  readonly type: 'DisableClient';
  readonly reason?: string;
}

export interface EnableClient {
  readonly type: 'EnableClient';
}

export type ClientCommand = RegisterClient | UpdateClient | RotateClientSecret | DisableClient | EnableClient;
