import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { ClientStatus, ClientType, GrantType } from '../../domain/catalog/client-values.js';
import { CATALOG_PROJECTION, type ProviderDoc } from '../../projections/catalog.js';
import { CLIENTS_PROJECTION, type ClientDoc } from '../../projections/clients.js';
import type { Page } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import type { PageRequest } from './catalog-queries.js';

/** A client as the admin API shows it: everything but the secret digest. */
export type ClientView = Omit<ClientDoc, 'secretDigest'>;

/**
 * Everything an OpenID Connect server needs to know about a client, from one key lookup.
 *
 * - Refuse every request of a client whose `status` is `'disabled'` (as if unknown, or with
 *   `invalid_client`).
 * - `clientType: 'confidential'`: authenticate at the token, revocation and introspection endpoints
 *   with the client secret (HTTP Basic or form post), checked with `verifyClientSecret(presented,
 *   secretDigest)`; `secretDigest` is never null for these. `'public'`: no secret
 *   (`token_endpoint_auth_method: none`), PKCE S256 required.
 * - `redirectUris` and `postLogoutRedirectUris` are compared by exact string match.
 * - `scopes` are the only scopes the client may request; `grantTypes` the only grants it may use
 *   (`response_types: ['code']` when `authorization_code` is among them).
 * - `name` and `logoUri` are for the consent page.
 */
export interface AuthorizationClient {
  readonly clientId: string;
  readonly providerId: string;
  readonly clientType: ClientType;
  readonly status: ClientStatus;
  readonly name: string;
  readonly logoUri: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Where to POST OpenID Connect Back-Channel Logout tokens; null when the client takes none. */
  readonly backchannelLogoutUri: string | null;
  readonly scopes: readonly string[];
  readonly grantTypes: readonly GrantType[];
  /** SHA-256 (hex) of the current secret; null for public clients. */
  readonly secretDigest: string | null;
  /** Increases with every change to the client: a cheap cache version. */
  readonly revision: number;
}

const DEFAULT_LIMIT = 20;

function withoutDigest(doc: ClientDoc): ClientView {
  const { secretDigest: _digest, ...view } = doc;
  return view;
}

/** Read side of OAuth/OIDC clients, served from the `clients` projection. */
@injectable()
export class ClientQueries {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  private clients() {
    return this.views.view<ClientDoc>(CLIENTS_PROJECTION, 'clients');
  }

  async getClient(clientId: string): Promise<ClientView> {
    const doc = await this.clients().get(clientId);
    if (!doc) throw new DomainError('not_found', 'client_not_found', 'No such client.');
    return withoutDigest(doc);
  }

  /** A registered provider's clients in the order they were registered. */
  async listClients(providerId: string, request: PageRequest = {}): Promise<Page<ClientView>> {
    const provider = await this.views.view<ProviderDoc>(CATALOG_PROJECTION, 'providers').get(providerId);
    if (!provider) throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
    const page = await this.clients().find({
      where: { providerId },
      sort: { field: 'createdAt', direction: 'asc' },
      limit: request.limit ?? DEFAULT_LIMIT,
      ...(request.cursor ? { cursor: request.cursor } : {}),
    });
    return { items: page.items.map(withoutDigest), nextCursor: page.nextCursor };
  }

  /**
   * The client as the authorization server needs it, or null if there is no such client. Disabled
   * clients are returned too (with their status) so the server can tell them apart in its logs.
   * Reads the projection, so a change is seen once the projection has applied it; the admin API
   * answers a rotation only after that, so a secret it hands out already works and the old one no
   * longer does.
   */
  async findForAuthorization(clientId: string): Promise<AuthorizationClient | null> {
    const doc = await this.clients().get(clientId);
    if (!doc) return null;
    return {
      clientId: doc.id,
      providerId: doc.providerId,
      clientType: doc.clientType,
      status: doc.status,
      name: doc.name,
      logoUri: doc.logoUri,
      redirectUris: doc.redirectUris,
      postLogoutRedirectUris: doc.postLogoutRedirectUris,
      backchannelLogoutUri: doc.backchannelLogoutUri,
      scopes: doc.scopes,
      grantTypes: doc.grantTypes,
      secretDigest: doc.secretDigest,
      revision: doc.revision,
    };
  }
}
