/**
 * The OIDC server's signing keys, kept in the read-model store (collection `signing_keys`) so every
 * process of a deployment signs with the same key and publishes the same JWKS.
 *
 * Lifecycle per algorithm: one `current` key signs; rotate() makes a new current key and turns the
 * previous one `retiring` until `retireAfter = now + maxTokenLifetime`, so tokens it signed keep
 * verifying against the published JWKS until they have expired anyway; after that the key is no
 * longer published and prune() deletes it.
 *
 * "One current key per algorithm" is a unique index on the `slot` field, which only the current
 * key carries (`current:<alg>`; other keys omit it, and both store adapters let absent values
 * repeat). Two processes starting at once on an empty store both generate a key, but only one
 * write wins; the other reads the winner's key. Rotation relies on the same index.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../../application/ports/clock.js';
import {
  type Change,
  type ReadModelStore,
  UniqueIndexViolationError,
} from '../../application/ports/read-model-store.js';
import { KeySealer, type StoredJwk } from './key-sealing.js';

export const SIGNING_KEYS_COLLECTION = 'signing_keys';

export type SigningAlgorithm = 'RS256' | 'ES256';
export type SigningKeyStatus = 'current' | 'retiring';

export interface SigningKeyStoreOptions {
  readonly store: ReadModelStore;
  readonly clock: Clock;
  /**
   * The longest lifetime of anything signed with these keys (ID tokens, JWT access tokens,
   * entitlement tokens), in seconds: how long a replaced key stays published.
   */
  readonly maxTokenLifetimeSeconds: number;
  /** One current key per algorithm; the first is listed first. Default ['RS256']. */
  readonly algorithms?: readonly SigningAlgorithm[];
  /** 32 bytes to encrypt private keys at rest with AES-256-GCM; null or absent stores them plain. */
  readonly encryptionSecret?: Uint8Array | null;
}

/** A key's metadata, without key material. Instants are ISO 8601. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly status: SigningKeyStatus;
  readonly createdAt: string;
  readonly retireAfter: string | null;
}

export interface JsonWebKeySet {
  readonly keys: JWK[];
}

interface SigningKeyDoc {
  readonly id: string;
  readonly alg: SigningAlgorithm;
  readonly status: SigningKeyStatus;
  /** `current:<alg>` on the current key only; absent otherwise (unique index). */
  readonly slot?: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds; null while current. */
  readonly retireAfter: number | null;
  readonly key: StoredJwk;
  readonly [field: string]: unknown;
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']);
const RSA_MODULUS_BITS = 2048;
/** The collection is tiny (a few keys per algorithm); one page holds it. */
const LIST_LIMIT = 1000;

export class SigningKeyStore {
  private readonly algorithms: readonly SigningAlgorithm[];
  private readonly sealer: KeySealer;
  private readonly maxTokenLifetimeMs: number;

  private constructor(private readonly options: SigningKeyStoreOptions) {
    this.algorithms = options.algorithms ?? ['RS256'];
    if (this.algorithms.length === 0 || new Set(this.algorithms).size !== this.algorithms.length) {
      throw new RangeError('Signing algorithms must be a non-empty list without repeats');
    }
    for (const alg of this.algorithms) {
      if (alg !== 'RS256' && alg !== 'ES256')
        throw new RangeError(`Unsupported signing algorithm ${String(alg)}`);
    }
    const lifetime = options.maxTokenLifetimeSeconds;
    if (!Number.isFinite(lifetime) || lifetime <= 0) {
      throw new RangeError(`maxTokenLifetimeSeconds must be a positive number, got ${String(lifetime)}`);
    }
    this.maxTokenLifetimeMs = lifetime * 1000;
    this.sealer = new KeySealer(options.encryptionSecret ?? null);
  }

  /** Creates the collection and its index if needed. Call ensureCurrent() before signing. */
  static async open(options: SigningKeyStoreOptions): Promise<SigningKeyStore> {
    const keys = new SigningKeyStore(options);
    await options.store.ensureCollection(SIGNING_KEYS_COLLECTION, {
      indexes: [{ fields: ['slot'], unique: true }],
    });
    return keys;
  }

  /**
   * Makes sure each configured algorithm has a current key, creating the missing ones. Safe to run
   * from several processes at once: exactly one key per algorithm results.
   */
  async ensureCurrent(): Promise<SigningKeyInfo[]> {
    const result: SigningKeyInfo[] = [];
    for (const alg of this.algorithms) {
      const existing = await this.current(alg);
      result.push(info(existing ?? (await this.install(alg, null))));
    }
    return result;
  }

  /**
   * Replaces each algorithm's current key with a new one; the replaced keys retire after the
   * maximum token lifetime. When another process rotates at the same moment, its new key is kept
   * and returned instead of a second one.
   */
  async rotate(): Promise<SigningKeyInfo[]> {
    const result: SigningKeyInfo[] = [];
    for (const alg of this.algorithms) {
      const previous = await this.current(alg);
      result.push(info(await this.install(alg, previous)));
    }
    return result;
  }

  /**
   * The private JWK set for oidc-provider's `jwks` option: current keys first (the provider signs
   * with the first key matching an algorithm), then retiring keys, newest first. Keys past their
   * `retireAfter` are left out even before prune() has deleted them.
   */
  async jwks(): Promise<JsonWebKeySet> {
    const docs = await this.published();
    return { keys: docs.map((doc) => this.privateJwk(doc)) };
  }

  /** The public JWK set, for verification and for anyone not served by the provider's jwks route. */
  async publicJwks(): Promise<JsonWebKeySet> {
    const docs = await this.published();
    return { keys: docs.map((doc) => toPublic(this.privateJwk(doc))) };
  }

  /** Every stored key's metadata, current keys first. */
  async list(): Promise<SigningKeyInfo[]> {
    return ordered(await this.all(), this.algorithms).map(info);
  }

  /** Deletes retiring keys whose `retireAfter` has passed; returns how many. */
  async prune(now: Date = this.options.clock.now()): Promise<number> {
    const expired = (await this.all()).filter((doc) => isPastRetirement(doc, now.getTime()));
    if (expired.length === 0) return 0;
    await this.options.store.write(
      expired.map((doc) => ({ collection: SIGNING_KEYS_COLLECTION, op: 'delete', id: doc.id })),
    );
    return expired.length;
  }

  /**
   * Writes a new current key for `alg`, retiring `previous` in the same batch. If another process
   * took the slot first, its key is the result.
   */
  private async install(alg: SigningAlgorithm, previous: SigningKeyDoc | null): Promise<SigningKeyDoc> {
    const now = this.options.clock.now().getTime();
    const created = await this.generate(alg, now);
    const changes: Change[] = [];
    if (previous !== null) {
      const { slot: _slot, ...rest } = previous;
      const retired: SigningKeyDoc = {
        ...rest,
        status: 'retiring',
        retireAfter: now + this.maxTokenLifetimeMs,
      };
      changes.push({ collection: SIGNING_KEYS_COLLECTION, op: 'upsert', doc: retired });
    }
    changes.push({ collection: SIGNING_KEYS_COLLECTION, op: 'upsert', doc: created });
    try {
      await this.options.store.write(changes);
      return created;
    } catch (error) {
      if (!(error instanceof UniqueIndexViolationError)) throw error;
      const winner = await this.current(alg);
      if (winner === null) throw error;
      return winner;
    }
  }

  private async generate(alg: SigningAlgorithm, now: number): Promise<SigningKeyDoc> {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}),
    });
    const material = await exportJWK(privateKey);
    // The RFC 7638 thumbprint: a kid derived from the key itself, unique without coordination.
    const kid = await calculateJwkThumbprint(material, 'sha256');
    const jwk: JWK = { ...material, kid, use: 'sig', alg };
    return {
      id: kid,
      alg,
      status: 'current',
      slot: slotOf(alg),
      createdAt: now,
      retireAfter: null,
      key: this.sealer.seal(jwk, kid),
    };
  }

  private async current(alg: SigningAlgorithm): Promise<SigningKeyDoc | null> {
    const page = await this.options.store
      .collection<SigningKeyDoc>(SIGNING_KEYS_COLLECTION)
      .find({ where: { slot: slotOf(alg) }, limit: 1 });
    return page.items[0] ?? null;
  }

  private async all(): Promise<SigningKeyDoc[]> {
    const page = await this.options.store
      .collection<SigningKeyDoc>(SIGNING_KEYS_COLLECTION)
      .find({ limit: LIST_LIMIT });
    return page.items;
  }

  private async published(): Promise<SigningKeyDoc[]> {
    const now = this.options.clock.now().getTime();
    const live = (await this.all()).filter((doc) => !isPastRetirement(doc, now));
    return ordered(live, this.algorithms);
  }

  private privateJwk(doc: SigningKeyDoc): JWK {
    return this.sealer.open(doc.key, doc.id);
  }
}

function slotOf(alg: SigningAlgorithm): string {
  return `current:${alg}`;
}

function isPastRetirement(doc: SigningKeyDoc, now: number): boolean {
  return doc.status === 'retiring' && doc.retireAfter !== null && doc.retireAfter <= now;
}

/** Current keys in the configured algorithm order, then everything else newest first. */
function ordered(docs: readonly SigningKeyDoc[], algorithms: readonly SigningAlgorithm[]): SigningKeyDoc[] {
  const rank = (doc: SigningKeyDoc): number => {
    if (doc.status !== 'current') return algorithms.length;
    const index = algorithms.indexOf(doc.alg);
    return index === -1 ? algorithms.length : index;
  };
  return [...docs].sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt || a.id.localeCompare(b.id));
}

function toPublic(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([member]) => !PRIVATE_MEMBERS.has(member))) as JWK;
}

function info(doc: SigningKeyDoc): SigningKeyInfo {
  return {
    kid: doc.id,
    alg: doc.alg,
    status: doc.status,
    createdAt: new Date(doc.createdAt).toISOString(),
    retireAfter: doc.retireAfter === null ? null : new Date(doc.retireAfter).toISOString(),
  };
}
