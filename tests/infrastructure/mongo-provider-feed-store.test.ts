import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { InvalidDeliveryCursorError } from '../../application/ports/provider-feed-store.js';
import { encodeDeliveryCursor } from '../../infrastructure/feed/feed-keys.js';
import {
  MongoProviderFeedStore,
  attemptUpdate,
  deliveryPageFilter,
  toDelivery,
  toDeliveryDoc,
} from '../../infrastructure/feed/mongo-provider-feed-store.js';
import { providerFeedStoreContract } from '../contracts/provider-feed-store.contract.js';
import { matches } from './mongo-eval.js';

describe('Mongo provider feed store helpers', () => {
  const message = {
    providerId: 'p1',
    type: 'product.added',
    subject: { productId: 'x' },
    data: { a: 1 },
    occurredAt: '2026-01-01T00:00:00.000Z',
    eventId: 'e1',
    position: 3,
  };

  it('round-trips a new delivery through its document', () => {
    const doc = toDeliveryDoc({
      id: '019a0000-0000-7000-8000-000000000001',
      message,
      createdAt: '2026-01-01T00:00:01.000Z',
      nextAttemptAt: '2026-01-01T00:00:02.000Z',
    });
    expect(doc).to.deep.include({
      providerId: 'p1',
      dedupeKey: 'event:p1:e1',
      status: 'pending',
      replayOf: null,
    });
    expect(toDelivery(doc)).to.deep.equal({
      id: doc._id,
      providerId: 'p1',
      message,
      status: 'pending',
      attempts: [],
      attemptCount: 0,
      nextAttemptAt: '2026-01-01T00:00:02.000Z',
      createdAt: '2026-01-01T00:00:01.000Z',
      deliveredAt: null,
      replayOf: null,
    });
  });

  it('records an attempt by appending to a capped list and releasing the claim', () => {
    const update = attemptUpdate({
      attempt: { at: '2026-01-01T00:00:05.000Z', statusCode: 200, error: null, durationMs: 1 },
      status: 'delivered',
      nextAttemptAt: null,
    });
    expect(update.$push.attempts.$slice).to.equal(-50);
    expect(update.$set).to.deep.equal({
      status: 'delivered',
      nextAttemptAt: null,
      deliveredAt: Date.parse('2026-01-01T00:00:05.000Z'),
      claimId: null,
    });
  });

  it('pages the delivery log after the cursor’s (createdAt, id)', () => {
    const id = '019a0000-0000-7000-8000-000000000005';
    const filter = deliveryPageFilter('p1', encodeDeliveryCursor('2026-01-01T00:00:10.000Z', id));
    const t = Date.parse('2026-01-01T00:00:10.000Z');
    const doc = (createdAt: number, _id: string, providerId = 'p1') => ({ _id, createdAt, providerId });
    expect(matches(doc(t - 1, 'ffff'), filter)).to.equal(true);
    expect(matches(doc(t, '019a0000-0000-7000-8000-000000000004'), filter)).to.equal(true);
    expect(matches(doc(t, id), filter)).to.equal(false);
    expect(matches(doc(t + 1, '0000'), filter)).to.equal(false);
    expect(matches(doc(t - 1, 'ffff', 'p2'), filter)).to.equal(false);
    expect(() => deliveryPageFilter('p1', 'nope')).to.throw(InvalidDeliveryCursorError);
  });
});

const url = process.env.MONGODB_URL;
if (url !== undefined && url !== '') {
  providerFeedStoreContract('Mongo provider feed store', async () => {
    const dbName = `tessera_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    return {
      open: () => MongoProviderFeedStore.connect({ url, dbName }),
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
  describe('Mongo provider feed store contract', () => {
    it('runs when MONGODB_URL is set (e.g. mongodb://localhost:27017)');
  });
}
