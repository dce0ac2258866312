import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type { ClientCommand, RegisterClient, UpdateClient } from './client-commands.js';
import {
  type ClientEvent,
  OAuthClientDisabled,
  OAuthClientEnabled,
  OAuthClientRegistered,
  OAuthClientSecretRotated,
  OAuthClientUpdated,
} from './client-events.js';
import { checkMetadata, checkSecret, type ClientMetadata } from './client-rules.js';
import {
  type ClientType,
  ClientTypeSchema,
  DEFAULT_GRANT_TYPES,
  DisableReasonSchema,
  SecretDigestSchema,
} from './client-values.js';

export type { ClientMetadata } from './client-rules.js';

export interface ClientFacts {
  readonly clientId: string;
  readonly providerId: string;
  readonly clientType: ClientType;
  readonly metadata: ClientMetadata;
  /** Digest of the current secret; null for public clients. */
  readonly secretDigest: string | null;
}

export type ClientState =
  { readonly status: 'none' } | ({ readonly status: 'active' | 'disabled' } & ClientFacts);

type ExistingClient = Exclude<ClientState, { status: 'none' }>;
type MetadataChanges = OAuthClientUpdated['data']['changes'];

const METADATA_FIELDS = [
  'name',
  'logoUri',
  'redirectUris',
  'postLogoutRedirectUris',
  'backchannelLogoutUri',
  'scopes',
  'grantTypes',
] as const satisfies ReadonlyArray<keyof ClientMetadata & keyof UpdateClient>;

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function decideRegister(command: RegisterClient): ClientEvent[] {
  const clientType = ensureValid(ClientTypeSchema, command.clientType, 'clientType', 'invalid_client_type');
  const metadata = checkMetadata(clientType, {
    ...command,
    postLogoutRedirectUris: command.postLogoutRedirectUris ?? [],
    grantTypes: command.grantTypes ?? DEFAULT_GRANT_TYPES,
  });
  checkSecret(clientType, metadata.grantTypes, command.secretDigest);
  const secretDigest =
    command.secretDigest === undefined
      ? undefined
      : ensureValid(SecretDigestSchema, command.secretDigest, 'clientSecret', 'invalid_secret_digest');
  return [
    OAuthClientRegistered({
      clientId: command.clientId,
      providerId: command.providerId,
      clientType,
      name: metadata.name,
      ...(metadata.logoUri === null ? {} : { logoUri: metadata.logoUri }),
      redirectUris: [...metadata.redirectUris],
      postLogoutRedirectUris: [...metadata.postLogoutRedirectUris],
      ...(metadata.backchannelLogoutUri === null
        ? {}
        : { backchannelLogoutUri: metadata.backchannelLogoutUri }),
      scopes: [...metadata.scopes],
      grantTypes: [...metadata.grantTypes],
      ...(secretDigest === undefined ? {} : { secretDigest }),
    }),
  ];
}

/** Merges the update into the current data, checks the result as a whole, and records what changed. */
function decideUpdate(command: UpdateClient, state: ExistingClient): ClientEvent[] {
  const given = METADATA_FIELDS.filter((field) => command[field] !== undefined);
  if (given.length === 0) {
    throw new DomainError('invalid', 'nothing_to_change', 'Give at least one field to change.', 'name');
  }
  const merged = { ...state.metadata };
  for (const field of given) Object.assign(merged, { [field]: command[field] });
  const next = checkMetadata(state.clientType, merged);
  const changes: Record<string, unknown> = {};
  for (const field of METADATA_FIELDS) {
    if (!sameValue(next[field], state.metadata[field])) changes[field] = next[field];
  }
  if (Object.keys(changes).length === 0) return [];
  return [OAuthClientUpdated({ clientId: state.clientId, changes: changes as MetadataChanges })];
}

function applyChanges(metadata: ClientMetadata, changes: MetadataChanges): ClientMetadata {
  const next: Record<string, unknown> = { ...metadata };
  for (const field of METADATA_FIELDS) {
    const value = changes[field];
    if (value !== undefined) next[field] = value;
  }
  return next as unknown as ClientMetadata;
}

/**
 * An OAuth/OIDC client of a service provider: registered (confidential with a secret digest, or
 * public without), updated, its secret rotated, disabled and enabled again. Disabling or enabling
 * twice changes nothing; a disabled client can still be edited and get a new secret so it can be
 * repaired before it is enabled.
 */
export const clientDecider: Decider<ClientState, ClientCommand, ClientEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'OAuthClientRegistered': {
        const d = event.data;
        return {
          status: 'active',
          clientId: d.clientId,
          providerId: d.providerId,
          clientType: d.clientType,
          secretDigest: d.secretDigest ?? null,
          metadata: {
            name: d.name,
            logoUri: d.logoUri ?? null,
            redirectUris: d.redirectUris,
            postLogoutRedirectUris: d.postLogoutRedirectUris,
            backchannelLogoutUri: d.backchannelLogoutUri ?? null,
            scopes: d.scopes,
            grantTypes: d.grantTypes,
          },
        };
      }
      case 'OAuthClientUpdated':
        return state.status === 'none'
          ? state
          : { ...state, metadata: applyChanges(state.metadata, event.data.changes) };
      case 'OAuthClientSecretRotated':
        return state.status === 'none' ? state : { ...state, secretDigest: event.data.secretDigest };
      case 'OAuthClientDisabled':
        return state.status === 'none' ? state : { ...state, status: 'disabled' };
      case 'OAuthClientEnabled':
        return state.status === 'none' ? state : { ...state, status: 'active' };
    }
  },

  decide(command, state) {
    if (command.type === 'RegisterClient') {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'client_exists', 'This client is already registered.');
      }
      return decideRegister(command);
    }
    if (state.status === 'none') throw new DomainError('not_found', 'client_not_found', 'No such client.');
    switch (command.type) {
      case 'UpdateClient':
        return decideUpdate(command, state);
      case 'RotateClientSecret': {
        if (state.clientType === 'public') {
          throw new DomainError(
            'conflict',
            'public_client_has_no_secret',
            'A public client has no secret to rotate.',
          );
        }
        const secretDigest = ensureValid(
          SecretDigestSchema,
          command.secretDigest,
          'clientSecret',
          'invalid_secret_digest',
        );
        return [OAuthClientSecretRotated({ clientId: state.clientId, secretDigest })];
      }
      case 'DisableClient': {
        if (state.status === 'disabled') return [];
        const reason =
          command.reason === undefined
            ? undefined
            : ensureValid(DisableReasonSchema, command.reason, 'reason', 'invalid_reason');
        return [OAuthClientDisabled({ clientId: state.clientId, ...(reason ? { reason } : {}) })];
      }
      case 'EnableClient':
        return state.status === 'active' ? [] : [OAuthClientEnabled({ clientId: state.clientId })];
    }
  },
};
