import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { connectMongoVault, destroyUpdate, toStoredKey } from '../../infrastructure/vault/mongo-vault.js';
import { personalDataVaultContract } from '../contracts/personal-data-vault.contract.js';

describe('Mongo vault helpers', () => {
  it('maps a stored document, absent destroyedAt meaning a live key', () => {
    expect(toStoredKey({ _id: 's', keyId: 'k', wrapped: 'w', createdAt: 't0' })).to.deep.equal({
      subjectId: 's',
      keyId: 'k',
      wrapped: 'w',
      createdAt: 't0',
      destroyedAt: null,
    });
  });

  it('destroys by clearing the wrapped key and keeping the first destruction time', () => {
    const update = destroyUpdate('2026-01-02T00:00:00.000Z');
    expect(update.$set).to.deep.equal({ wrapped: null });
    expect(update.$min).to.deep.equal({ destroyedAt: '2026-01-02T00:00:00.000Z' });
    expect(update.$setOnInsert).to.deep.equal({ keyId: '', createdAt: '2026-01-02T00:00:00.000Z' });
  });
});

const url = process.env.MONGODB_URL;
if (url !== undefined && url !== '') {
  personalDataVaultContract('Mongo vault', async () => {
    const dbName = `tessera_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    return {
      open: (masterKey) => connectMongoVault({ url, dbName, masterKey }),
      async cleanup() {
        const client = new MongoClient(url);
        try {
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  });
} else {
  describe('Mongo vault contract', () => {
    it('runs when MONGODB_URL is set (e.g. mongodb://localhost:27017)');
  });
}
