import {
  type PersonalDataVault,
  SealedValueError,
  SubjectErasedError,
} from '../../application/ports/personal-data-vault.js';
import { LruCache } from './lru.js';
import {
  assertCheckValue,
  type DerivedKeys,
  deriveKeys,
  keyedHash,
  newDataKey,
  open,
  parseSealed,
  seal,
  unwrapKey,
  wrapKey,
} from './vault-crypto.js';

/** A subject's key as stored: wrapped under the master key, or a tombstone once destroyed. */
export interface StoredKey {
  readonly subjectId: string;
  readonly keyId: string;
  /** The wrapped data key; null once destroyed. */
  readonly wrapped: string | null;
  readonly createdAt: string;
  readonly destroyedAt: string | null;
}

/**
 * Where the wrapped keys live (a SQLite file, a MongoDB collection): never in the event log, so
 * destroying a key is a real deletion rather than one more appended fact.
 */
export interface KeyRepository {
  /** Stores `checkValue` if the store has none yet; returns the stored one. */
  ensureCheckValue(checkValue: string): Promise<string>;
  get(subjectId: string): Promise<StoredKey | null>;
  /** Stores `record` unless the subject has a record (key or tombstone); returns the record now stored. */
  insertIfAbsent(record: StoredKey): Promise<StoredKey>;
  /** Replaces the subject's key with a tombstone, creating one if the subject has no record. */
  destroy(subjectId: string, at: string): Promise<void>;
  close(): Promise<void>;
}

export interface KeyVaultOptions {
  /** 32 bytes (VAULT_MASTER_KEY). Losing it makes all personal data unreadable. */
  readonly masterKey: Buffer;
  /** Unwrapped keys kept in memory (default 10,000; 0 disables the cache). */
  readonly cacheSize?: number;
  /**
   * How long a cached key is trusted for decrypting (default 60 s). Bounds how long another process
   * may still open a subject's data after this one destroyed its key; the destroying process
   * forgets the key at once, and sealing always checks the store.
   */
  readonly cacheMaxAgeMs?: number;
  readonly now?: () => Date;
}

function assertSubject(subjectId: string): void {
  if (typeof subjectId !== 'string' || subjectId.length === 0 || subjectId.length > 200) {
    throw new TypeError('subjectId must be a non-empty string of at most 200 characters');
  }
}

/** The PersonalDataVault over any KeyRepository: the cryptography and caching shared by the adapters. */
export class KeyVault implements PersonalDataVault {
  private readonly cache: LruCache<string, { keyId: string; key: Buffer }>;
  private readonly now: () => Date;

  private constructor(
    private readonly repository: KeyRepository,
    private readonly keys: DerivedKeys,
    options: KeyVaultOptions,
  ) {
    this.cache = new LruCache(options.cacheSize ?? 10_000, options.cacheMaxAgeMs ?? 60_000);
    this.now = options.now ?? (() => new Date());
  }

  /** Throws VaultMasterKeyError when the store's keys were made under another master key. */
  static async create(repository: KeyRepository, options: KeyVaultOptions): Promise<KeyVault> {
    const keys = deriveKeys(options.masterKey);
    assertCheckValue(await repository.ensureCheckValue(keys.checkValue), keys.checkValue);
    return new KeyVault(repository, keys, options);
  }

  private unwrap(record: StoredKey & { wrapped: string }): Buffer {
    const key = unwrapKey(this.keys.keyEncryptionKey, record.subjectId, record.keyId, record.wrapped);
    this.cache.set(record.subjectId, { keyId: record.keyId, key });
    return key;
  }

  async encrypt(subjectId: string, plaintext: string): Promise<string> {
    assertSubject(subjectId);
    if (typeof plaintext !== 'string') throw new TypeError('plaintext must be a string');
    let record = await this.repository.get(subjectId);
    if (!record) {
      const { keyId, key } = newDataKey();
      record = await this.repository.insertIfAbsent({
        subjectId,
        keyId,
        wrapped: wrapKey(this.keys.keyEncryptionKey, subjectId, keyId, key),
        createdAt: this.now().toISOString(),
        destroyedAt: null,
      });
    }
    if (record.wrapped === null) {
      this.cache.delete(subjectId);
      throw new SubjectErasedError(subjectId);
    }
    const cached = this.cache.get(subjectId);
    const key =
      cached?.keyId === record.keyId ? cached.key : this.unwrap(record as StoredKey & { wrapped: string });
    return seal(key, record.keyId, subjectId, plaintext);
  }

  async decrypt(subjectId: string, sealed: string): Promise<string | null> {
    assertSubject(subjectId);
    const parts = parseSealed(subjectId, sealed);
    const cached = this.cache.get(subjectId);
    if (cached?.keyId === parts.keyId) return open(cached.key, subjectId, parts);
    const record = await this.repository.get(subjectId);
    if (!record) throw new SealedValueError(subjectId, 'the subject has no key');
    if (record.wrapped === null) {
      this.cache.delete(subjectId);
      return null;
    }
    if (record.keyId !== parts.keyId) throw new SealedValueError(subjectId, 'sealed under another key');
    return open(this.unwrap(record as StoredKey & { wrapped: string }), subjectId, parts);
  }

  async destroy(subjectId: string): Promise<void> {
    assertSubject(subjectId);
    this.cache.delete(subjectId);
    await this.repository.destroy(subjectId, this.now().toISOString());
    this.cache.delete(subjectId);
  }

  async isErased(subjectId: string): Promise<boolean> {
    assertSubject(subjectId);
    const record = await this.repository.get(subjectId);
    return record !== null && record.wrapped === null;
  }

  keyedHash(purpose: string, value: string): string {
    return keyedHash(this.keys.lookupKey, purpose, value);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.repository.close();
  }
}
