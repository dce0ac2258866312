import type { RequestHandler } from 'express';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { AuthorizationClient, ClientQueries } from '../../application/catalog/client-queries.js';
import { verifyClientSecret } from '../../application/catalog/client-secrets.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import { KNOWN_SCOPES } from '../../domain/catalog/client-scopes.js';
import { HttpProblem } from '../http/problem.js';
import type { Secrets } from '../secrets.js';
import { createOidcAdapterFactory } from './adapter.js';
import { createOidcProvider, OIDC_TTL_SECONDS } from './provider.js';
import { SigningKeyStore } from './signing-keys.js';

/**
 * The client metadata oidc-provider needs, from a client registered in Tessera's catalog. Disabled
 * clients are unknown to the protocol (invalid_client). The stored "secret" is the SHA-256 digest;
 * the provider compares through verifyClientSecret.
 */
export function toClientMetadata(client: AuthorizationClient): ClientMetadata | undefined {
  if (client.status !== 'active') return undefined;
  const confidential = client.clientType === 'confidential';
  return {
    client_id: client.clientId,
    ...(confidential && client.secretDigest !== null
      ? { client_secret: client.secretDigest, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    client_name: client.name,
    ...(client.logoUri !== null ? { logo_uri: client.logoUri } : {}),
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    ...(client.backchannelLogoutUri !== null ? { backchannel_logout_uri: client.backchannelLogoutUri } : {}),
    grant_types: [...client.grantTypes],
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: client.scopes.join(' '),
  };
}

export interface TesseraOidcDeps {
  readonly issuer: string;
  readonly ephemeral: EphemeralStore;
  readonly readModels: ReadModelStore;
  readonly clock: Clock;
  readonly secrets: Secrets;
  readonly clients: Pick<ClientQueries, 'findForAuthorization'>;
}

/**
 * Assembles Tessera's OpenID Connect provider: protocol state in the ephemeral store, signing keys in
 * the read-model store (the first one made on first start, private parts sealed with a derived key),
 * clients from the catalog, cookies signed with a derived key.
 */
export async function createTesseraOidc(deps: TesseraOidcDeps): Promise<Provider> {
  const keys = await SigningKeyStore.open({
    store: deps.readModels,
    clock: deps.clock,
    maxTokenLifetimeSeconds: Math.max(OIDC_TTL_SECONDS.IdToken, OIDC_TTL_SECONDS.AccessToken),
    encryptionSecret: deps.secrets.derive('signing-key-sealing'),
  });
  await keys.ensureCurrent();
  return createOidcProvider({
    issuer: deps.issuer,
    adapter: createOidcAdapterFactory(deps.ephemeral),
    jwks: await keys.jwks(),
    findClient: async (clientId) => {
      const client = await deps.clients.findForAuthorization(clientId);
      return client ? toClientMetadata(client) : undefined;
    },
    compareClientSecret: async (storedDigest, presented) => verifyClientSecret(presented, storedDigest),
    cookieKeys: [deps.secrets.derive('oidc-cookies').toString('base64url')],
    configuration: { scopes: [...KNOWN_SCOPES] },
  });
}

/** Paths the OpenID Connect provider answers; everything else is Express's. */
export function isOidcPath(path: string): boolean {
  return path.startsWith('/oauth/') || path === '/.well-known/openid-configuration';
}

/**
 * Where the provider plugs into the Express app. The provider is built once the server knows its
 * public URL (the issuer), after the app exists; until then the protocol paths answer 503.
 */
export class OidcSlot {
  private callback: ReturnType<Provider['callback']> | null = null;

  set(provider: Provider): void {
    this.callback = provider.callback();
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!isOidcPath(req.path)) return next();
      if (this.callback === null) {
        throw new HttpProblem(
          503,
          'oidc_starting',
          'The OpenID Connect provider is starting; retry shortly.',
        );
      }
      void this.callback(req, res);
    };
  }
}
