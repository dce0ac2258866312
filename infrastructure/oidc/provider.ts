/**
 * Tessera's OpenID Connect provider: oidc-provider 9 configured with our routes under `/oauth/`,
 * our storage adapter and our signing keys. Everything protocol-level (discovery, PKCE, token
 * formats, replay handling) is the library's; this module only decides the configuration.
 *
 * Mount `provider.callback()` at the root of the Express app: discovery is then served at
 * `/.well-known/openid-configuration` and the endpoints at the routes below.
 *
 * oidc-provider 9 prints "Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release." once
 * when loaded on Node 20; it works there, but Node 22 LTS is the supported runtime.
 */
import Provider, {
  type Adapter,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  type JWKS,
} from 'oidc-provider';
import type { OidcAdapterFactory } from './adapter.js';

export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  end_session: '/oauth/logout',
  pushed_authorization_request: '/oauth/par',
  registration: '/oauth/register',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
  credential: '/oauth/credential',
} as const;

/**
 * Lifetimes in seconds, overridable through `configuration.ttl`. The signing keys'
 * maxTokenLifetimeSeconds must cover the longest-lived signed token (the ID token here).
 */
export const OIDC_TTL_SECONDS = {
  AccessToken: 3600,
  ClientCredentials: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  RefreshToken: 14 * 24 * 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
} as const;

/**
 * A client may introspect and revoke only tokens issued to itself: service providers share this
 * server, and one provider's client must learn nothing about another's tokens.
 */
const ownTokensOnly = (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }): boolean =>
  token.clientId === client.clientId;

const DEFAULT_FEATURES = {
  introspection: { allowedPolicy: ownTokensOnly },
  revocation: { allowedPolicy: ownTokensOnly },
};

/**
 * Features Tessera depends on, switched as listed whatever the caller's configuration says; the
 * caller's other settings of these features (say, introspection's allowedPolicy) are kept.
 */
const REQUIRED_FEATURES: Readonly<Record<string, boolean>> = {
  devInteractions: false,
  clientCredentials: true,
  introspection: true,
  revocation: true,
  backchannelLogout: true,
  rpInitiatedLogout: true,
};

export interface OidcProviderOptions {
  /** The issuer URL, e.g. https://id.example.com (no trailing slash). */
  readonly issuer: string;
  /** From createOidcAdapterFactory: storage for every model except Client. */
  readonly adapter: OidcAdapterFactory;
  /** The private JWK set, current keys first (SigningKeyStore.jwks()). */
  readonly jwks: JWKS;
  /**
   * Looks a client up by id, returning its oidc-provider metadata (client_id, client_secret or
   * token_endpoint_auth_method 'none', redirect_uris, grant_types, scope, …) or undefined.
   * oidc-provider validates the metadata and caches the parsed client by its content.
   */
  readonly findClient: (clientId: string) => Promise<ClientMetadata | undefined>;
  /**
   * Checks a presented client secret against the stored `client_secret`; set it when the stored
   * value is a hash. Defaults to the library's constant-time comparison of plain secrets. With
   * hashed secrets, client_secret_jwt and HS* signing cannot work and must stay unused.
   */
  readonly compareClientSecret?: (stored: string, presented: string) => Promise<boolean>;
  /** Keys for signing the provider's cookies, newest first. */
  readonly cookieKeys: readonly string[];
  /** Further configuration (interactions, findAccount, claims, ttl, …), merged over the defaults. */
  readonly configuration?: Configuration;
}

/** Builds the provider. Its jwks are fixed at construction: after a key rotation, build a new one. */
export function createOidcProvider(options: OidcProviderOptions): Provider {
  if (options.cookieKeys.length === 0) throw new RangeError('At least one cookie key is required');
  const extra = options.configuration ?? {};
  const configuration: Configuration = {
    ...extra,
    adapter: withClients(options.adapter, options.findClient),
    jwks: options.jwks,
    routes: { ...OIDC_ROUTES, ...extra.routes },
    ttl: { ...OIDC_TTL_SECONDS, ...extra.ttl },
    cookies: { ...extra.cookies, keys: [...options.cookieKeys] },
    // The features' type is a union keyed on combinations of features; a spread of the caller's
    // features cannot be narrowed to one member, hence the assertion.
    features: requiredFeatures(extra.features) as Configuration['features'],
    // PKCE (S256, the only method oidc-provider 9 accepts) is mandatory for public clients;
    // confidential clients may use it, and it is verified whenever they do.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // Every refresh rotates; presenting a rotated refresh token again revokes the whole grant.
    rotateRefreshToken: true,
  };
  const provider = new Provider(options.issuer, configuration);
  const compare = options.compareClientSecret;
  if (compare !== undefined) {
    provider.Client.prototype.compareClientSecret = async function (this: { clientSecret?: string }, actual) {
      return typeof this.clientSecret === 'string' && (await compare(this.clientSecret, actual));
    };
  }
  return provider;
}

/**
 * Serves the Client model from `findClient` (clients are registered through Tessera's own catalog,
 * not through the provider) and every other model from the storage adapter.
 */
function withClients(
  adapter: OidcAdapterFactory,
  findClient: (clientId: string) => Promise<ClientMetadata | undefined>,
): OidcAdapterFactory {
  return (model) => (model === 'Client' ? clientAdapter(findClient) : adapter(model));
}

function clientAdapter(findClient: (clientId: string) => Promise<ClientMetadata | undefined>): Adapter {
  const readOnly = async (): Promise<never> => {
    throw new Error('Clients are managed through the Tessera catalog, not through the provider');
  };
  return {
    find: async (id) => (await findClient(id)) as AdapterPayload | undefined,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    upsert: readOnly,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  };
}

function requiredFeatures(features: Configuration['features']): Record<string, unknown> {
  const defaults: Record<string, unknown> = DEFAULT_FEATURES;
  const merged: Record<string, unknown> = { ...features };
  for (const [name, enabled] of Object.entries(REQUIRED_FEATURES)) {
    merged[name] = { ...asObject(defaults[name]), ...asObject(merged[name]), enabled };
  }
  return merged;
}

function asObject(value: unknown): object {
  return typeof value === 'object' && value !== null ? value : {};
}
