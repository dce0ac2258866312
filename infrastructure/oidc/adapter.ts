/**
 * oidc-provider's storage adapter on the EphemeralStore port: the only seam between the protocol
 * library and persistence. Every model (Session, AccessToken, AuthorizationCode, RefreshToken,
 * ClientCredentials, Interaction, Grant, ReplayDetection, PushedAuthorizationRequest, …) is one
 * ephemeral namespace `oidc:<Model>`, so entries expire by themselves after the `expiresIn` the
 * provider passes with each upsert.
 *
 * Secondary lookups are store tags: `grantId` (revocation of a grant), `uid` (Session.findByUid)
 * and `userCode` (DeviceCode.findByUserCode). Grants also carry `accountId` and `clientId`, so the
 * grants a user gave a client can be found when the user withdraws the consent (grantsOf).
 *
 * Consumption is the store's atomic consume(). The provider reads `payload.consumed` (epoch
 * seconds) to detect a replayed code or a reused refresh token, and then revokes the grant. It
 * checks that flag before calling consume(), so two concurrent redemptions of one code could both
 * pass the check; here only one of them wins the store's consume(). The loser is treated as the
 * replay it is: the grant's tokens are revoked and the request fails with `invalid_grant`
 * (`invalid_request_uri` for a pushed authorization request).
 */
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';

/** Namespace prefix of every oidc-provider model in the ephemeral store. */
export const OIDC_NAMESPACE_PREFIX = 'oidc:';

/**
 * Models whose entries carry a `grantId` and are revoked with their grant. A grant's revocation
 * sweeps all of them at once, whichever model the provider called revokeByGrantId on.
 */
export const GRANT_BOUND_MODELS: readonly string[] = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

/**
 * Time to live for an upsert without a positive `expiresIn`. oidc-provider 9 gives every model a
 * TTL (its defaults run up to 14 days for sessions and grants), but a TTL function in the
 * configuration may return nothing; such entries are kept 30 days rather than forever, so the
 * store never accumulates entries that nothing will clean up.
 */
export const DEFAULT_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface OidcAdapterOptions {
  /** TTL for upserts without a positive `expiresIn`. Default DEFAULT_TTL_SECONDS. */
  readonly defaultTtlSeconds?: number;
  /**
   * Seconds an entry outlives its `expiresIn`. A little grace lets the provider still find a just
   * expired code and answer "expired" instead of "not found"; the provider checks `exp` itself,
   * so the grace never makes an expired token valid. Default 0.
   */
  readonly graceSeconds?: number;
  /**
   * Called after a token or grant is destroyed or a grant revoked through this adapter, so caches
   * of verified tokens (CachingTokenVerifier) forget what may no longer be valid.
   */
  readonly onRevoke?: () => void;
}

/** Models whose destruction ends access: a cached verification of them must be forgotten. */
const ACCESS_MODELS = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken', 'Grant']);

/** What oidc-provider's `adapter` option accepts: a factory called once per model name. */
export type OidcAdapterFactory = (model: string) => Adapter;

/**
 * Returns the factory for oidc-provider's `adapter` option. One factory serves every model; the
 * adapters it creates share the store.
 */
export function createOidcAdapterFactory(
  store: EphemeralStore,
  options: OidcAdapterOptions = {},
): OidcAdapterFactory {
  const defaultTtl = options.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS;
  const grace = options.graceSeconds ?? 0;
  if (!Number.isFinite(defaultTtl) || defaultTtl <= 0) {
    throw new RangeError(`defaultTtlSeconds must be a positive number, got ${String(defaultTtl)}`);
  }
  if (!Number.isFinite(grace) || grace < 0) {
    throw new RangeError(`graceSeconds must be a non-negative number, got ${String(grace)}`);
  }
  const onRevoke = options.onRevoke ?? (() => undefined);
  return (model) => new EphemeralOidcAdapter(store, model, defaultTtl, grace, onRevoke);
}

/** The ephemeral namespace holding one oidc-provider model. */
export function oidcNamespace(model: string): string {
  return `${OIDC_NAMESPACE_PREFIX}${model}`;
}

class EphemeralOidcAdapter implements Adapter {
  private readonly namespace: string;

  constructor(
    private readonly store: EphemeralStore,
    private readonly model: string,
    private readonly defaultTtlSeconds: number,
    private readonly graceSeconds: number,
    private readonly onRevoke: () => void,
  ) {
    if (typeof model !== 'string' || model.length === 0) {
      throw new TypeError('An oidc-provider adapter needs a model name');
    }
    this.namespace = oidcNamespace(model);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const ttl =
      typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
        ? expiresIn + this.graceSeconds
        : this.defaultTtlSeconds;
    await this.store.set(this.namespace, id, payload, { ttlSeconds: ttl, tags: tagsOf(this.model, payload) });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = await this.store.get<AdapterPayload>(this.namespace, id);
    if (entry === null) return undefined;
    return withConsumed(entry.value, entry.consumedAt);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findByTag('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findByTag('userCode', userCode);
  }

  async consume(id: string): Promise<void> {
    if (await this.store.consume(this.namespace, id)) return;
    // Missing, expired, or consumed by a concurrent request between the provider's check and now.
    const entry = await this.store.get<AdapterPayload>(this.namespace, id);
    const grantId = entry?.value.grantId;
    if (typeof grantId === 'string' && grantId.length > 0) await this.revokeByGrantId(grantId);
    if (this.model === 'PushedAuthorizationRequest') {
      throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
    }
    throw new errors.InvalidGrant(`${this.model} already consumed or expired`);
  }

  async destroy(id: string): Promise<void> {
    await this.store.delete(this.namespace, id);
    if (ACCESS_MODELS.has(this.model)) this.onRevoke();
  }

  /**
   * Deletes every grant-bound entry of the grant, in every grant-bound namespace. The provider
   * calls this once per model it revokes; each call is idempotent, and an entry of a model the
   * provider does not list for the client (say, a code left over after the client's grant types
   * changed) still goes with its grant.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    const namespaces = new Set([...GRANT_BOUND_MODELS, this.model].map(oidcNamespace));
    for (const namespace of namespaces) await this.store.deleteByTag(namespace, 'grantId', grantId);
    this.onRevoke();
  }

  private async findByTag(tag: string, value: string): Promise<AdapterPayload | undefined> {
    if (typeof value !== 'string' || value.length === 0) return undefined;
    const [entry] = await this.store.findByTag<AdapterPayload>(this.namespace, tag, value);
    return entry === undefined ? undefined : withConsumed(entry.value, entry.consumedAt);
  }
}

const TAGGED_FIELDS = ['grantId', 'uid', 'userCode'] as const;
/**
 * Grants are also found by whose they are and for which client, sessions by whose they are (the
 * account page lists them); tokens need not be.
 */
const MODEL_TAGGED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Grant: [...TAGGED_FIELDS, 'accountId', 'clientId'],
  Session: [...TAGGED_FIELDS, 'accountId'],
};

/** The secondary keys of a payload, as store tags. */
function tagsOf(model: string, payload: AdapterPayload): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of MODEL_TAGGED_FIELDS[model] ?? TAGGED_FIELDS) {
    const value = payload[tag];
    if (typeof value === 'string' && value.length > 0) tags[tag] = value;
  }
  return tags;
}

/**
 * The payload as the provider expects it back: `consumed` is the epoch second of the first
 * successful consume(). A payload saved with `consumed` already set keeps its own value.
 */
function withConsumed(payload: AdapterPayload, consumedAt: number | null): AdapterPayload {
  if (consumedAt === null || payload.consumed !== undefined) return payload;
  return { ...payload, consumed: Math.floor(consumedAt / 1000) };
}

/**
 * The ids of the live grants `accountId` gave `clientId` (any client when omitted), as stored by this adapter. Grants saved
 * before grants were tagged by account are not found here; they expire with their TTL.
 */
export async function grantsOf(
  store: EphemeralStore,
  accountId: string,
  clientId?: string,
): Promise<string[]> {
  const entries = await store.findByTag<AdapterPayload>(oidcNamespace('Grant'), 'accountId', accountId);
  return entries.filter((e) => clientId === undefined || e.value.clientId === clientId).map((e) => e.key);
}
