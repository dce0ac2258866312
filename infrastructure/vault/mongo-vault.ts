import { type Collection, type Db, type MongoClient, MongoServerError } from 'mongodb';
import type { PersonalDataVault } from '../../application/ports/personal-data-vault.js';
import { connectMongo } from '../mongo/connect.js';
import { type KeyRepository, KeyVault, type KeyVaultOptions, type StoredKey } from './key-vault.js';

/** A subject's key document in `vault_keys`; `destroyedAt` is absent while the key exists. */
export interface KeyDocument {
  _id: string;
  keyId: string;
  wrapped: string | null;
  createdAt: string;
  destroyedAt?: string;
}

interface MetaDocument {
  _id: string;
  value: string;
}

const DUPLICATE_KEY = 11000;

export function toStoredKey(doc: KeyDocument): StoredKey {
  return {
    subjectId: doc._id,
    keyId: doc.keyId,
    wrapped: doc.wrapped,
    createdAt: doc.createdAt,
    destroyedAt: doc.destroyedAt ?? null,
  };
}

/** The update that turns a subject's key into a tombstone, or creates the tombstone (upsert). */
export function destroyUpdate(at: string) {
  return {
    $set: { wrapped: null },
    $min: { destroyedAt: at },
    $setOnInsert: { keyId: '', createdAt: at },
  };
}

/** Subject keys in the `vault_keys` collection (the master-key check value in `vault_meta`). */
class MongoKeyRepository implements KeyRepository {
  private readonly keys: Collection<KeyDocument>;
  private readonly meta: Collection<MetaDocument>;

  constructor(
    db: Db,
    private readonly ownedClient: MongoClient | null,
  ) {
    this.keys = db.collection<KeyDocument>('vault_keys');
    this.meta = db.collection<MetaDocument>('vault_meta');
  }

  async ensureCheckValue(checkValue: string): Promise<string> {
    await this.meta
      .updateOne({ _id: 'master_key_check' }, { $setOnInsert: { value: checkValue } }, { upsert: true })
      .catch((err: unknown) => {
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      });
    const doc = await this.meta.findOne({ _id: 'master_key_check' });
    if (!doc) throw new Error('vault_meta: the master key check value could not be stored');
    return doc.value;
  }

  async get(subjectId: string): Promise<StoredKey | null> {
    const doc = await this.keys.findOne({ _id: subjectId });
    return doc ? toStoredKey(doc) : null;
  }

  async insertIfAbsent(record: StoredKey): Promise<StoredKey> {
    try {
      await this.keys.insertOne({
        _id: record.subjectId,
        keyId: record.keyId,
        wrapped: record.wrapped,
        createdAt: record.createdAt,
      });
      return record;
    } catch (err) {
      // Another process created the subject's key (or tombstone) first: that one wins.
      if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      const existing = await this.get(record.subjectId);
      if (!existing) throw err;
      return existing;
    }
  }

  async destroy(subjectId: string, at: string): Promise<void> {
    await this.keys
      .updateOne({ _id: subjectId }, destroyUpdate(at), { upsert: true })
      .catch(async (err: unknown) => {
        // Two concurrent upserts of a missing subject: the loser retries as a plain update.
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
        await this.keys.updateOne({ _id: subjectId }, destroyUpdate(at));
      });
  }

  async close(): Promise<void> {
    await this.ownedClient?.close();
  }
}

/**
 * The distributed PersonalDataVault on a database whose client the caller owns (e.g. the one the
 * read-model store shares). Throws VaultMasterKeyError if the keys were made under another master key.
 */
export async function openMongoVault(db: Db, options: KeyVaultOptions): Promise<PersonalDataVault> {
  return KeyVault.create(new MongoKeyRepository(db, null), options);
}

/** Connects its own client (closed by the vault's close()). */
export async function connectMongoVault(
  options: KeyVaultOptions & { readonly url: string; readonly dbName?: string },
): Promise<PersonalDataVault> {
  const { client, db } = await connectMongo({
    url: options.url,
    ...(options.dbName ? { dbName: options.dbName } : {}),
  });
  try {
    return await KeyVault.create(new MongoKeyRepository(db, client), options);
  } catch (err) {
    await client.close();
    throw err;
  }
}
