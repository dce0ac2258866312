import type { RecordedEvent } from '../domain/kernel/event.js';
import type { ClientEvent } from '../domain/catalog/client-events.js';
import type { ClientStatus, ClientType, GrantType } from '../domain/catalog/client-values.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * Read model of an OAuth/OIDC client (collection `clients`, id = clientId). It includes the digest
 * of the current secret because the authorization server verifies secrets from here; the HTTP
 * layer never returns it.
 */
export type ClientDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly clientType: ClientType;
  readonly name: string;
  readonly logoUri: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly backchannelLogoutUri: string | null;
  readonly scopes: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly status: ClientStatus;
  /** SHA-256 (hex) of the current secret; null for public clients. */
  readonly secretDigest: string | null;
  /** When the current secret was issued (registration or last rotation); null for public clients. */
  readonly secretIssuedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly disabledAt: string | null;
  /** Stream revision of the last event applied. */
  readonly revision: number;
};

export const CLIENTS_PROJECTION = 'clients';

type DataOf<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>['data'];

async function applyClientEvent(event: RecordedEvent<ClientEvent>, tx: ProjectionTx): Promise<void> {
  const at = event.occurredAt;
  if (event.type === 'OAuthClientRegistered') {
    const d = event.data as DataOf<'OAuthClientRegistered'>;
    const doc: ClientDoc = {
      id: d.clientId,
      providerId: d.providerId,
      clientType: d.clientType,
      name: d.name,
      logoUri: d.logoUri ?? null,
      redirectUris: d.redirectUris,
      postLogoutRedirectUris: d.postLogoutRedirectUris,
      backchannelLogoutUri: d.backchannelLogoutUri ?? null,
      scopes: d.scopes,
      grantTypes: d.grantTypes,
      status: 'active',
      secretDigest: d.secretDigest ?? null,
      secretIssuedAt: d.secretDigest === undefined ? null : at,
      createdAt: at,
      updatedAt: at,
      disabledAt: null,
      revision: event.revision,
    };
    tx.upsert('clients', doc);
    return;
  }
  const { clientId } = event.data as { clientId: string };
  const doc = await tx.get<ClientDoc>('clients', clientId);
  if (!doc) return;
  const touched = { updatedAt: at, revision: event.revision };
  switch (event.type) {
    case 'OAuthClientUpdated': {
      const { changes } = event.data as DataOf<'OAuthClientUpdated'>;
      const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      tx.upsert('clients', { ...doc, ...set, ...touched });
      return;
    }
    case 'OAuthClientSecretRotated': {
      const { secretDigest } = event.data as DataOf<'OAuthClientSecretRotated'>;
      tx.upsert('clients', { ...doc, secretDigest, secretIssuedAt: at, ...touched });
      return;
    }
    case 'OAuthClientDisabled':
      tx.upsert('clients', { ...doc, status: 'disabled', disabledAt: at, ...touched });
      return;
    case 'OAuthClientEnabled':
      tx.upsert('clients', { ...doc, status: 'active', disabledAt: null, ...touched });
      return;
  }
}

/**
 * OAuth/OIDC clients as readers see them: one document per client, listed per provider in the
 * order they were registered. Serves both the admin API and the authorization server's lookups.
 */
export const clientsProjection = defineProjection<ClientEvent>({
  name: CLIENTS_PROJECTION,
  version: 1,
  handles: [
    'OAuthClientRegistered',
    'OAuthClientUpdated',
    'OAuthClientSecretRotated',
    'OAuthClientDisabled',
    'OAuthClientEnabled',
  ],
  collections: {
    clients: {
      indexes: [{ fields: ['providerId'] }, { fields: ['providerId', 'createdAt'] }],
    },
  },
  apply: applyClientEvent,
});
