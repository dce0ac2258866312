import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import {
  assertName,
  assertTtl,
  decodeValue,
  encodeValue,
  entryId,
  expiryAfter,
  incrementPipeline,
  MongoEphemeralStore,
  tagKey,
  toEntry,
  type StoredEntry,
} from '../../infrastructure/ephemeral/mongo-ephemeral-store.js';
import { ephemeralStoreContract } from '../contracts/ephemeral-store.contract.js';
import { applyPipeline } from './mongo-eval.js';

describe('MongoEphemeralStore helpers', () => {
  it('gives every namespace/key pair its own id and every tag pair its own key', () => {
    expect(entryId('a\u0000b', 'c')).to.not.equal(entryId('a', 'b\u0000c'));
    expect(entryId('oidc', 'x')).to.not.equal(entryId('oidc:x', ''));
    expect(tagKey('grantId', 'g1')).to.not.equal(tagKey('grant', 'Idg1'));
    expect(tagKey('a=b', 'c')).to.not.equal(tagKey('a', 'b=c'));
  });

  it('stores values as JSON text, and finite numbers as numbers', () => {
    for (const value of [{ a: 1, $b: ['x', null] }, 'text', '$notAPath', true, null, [1, 2], 42, -1.5]) {
      expect(decodeValue(encodeValue(value))).to.deep.equal(value);
    }
    expect(encodeValue(7)).to.equal(7);
    expect(encodeValue({ n: 1 })).to.equal('{"n":1}');
    expect(decodeValue(encodeValue(new Date('2026-01-01T00:00:00.000Z')))).to.equal(
      '2026-01-01T00:00:00.000Z',
    );
    expect(() => encodeValue(undefined)).to.throw(TypeError, /JSON/);
    expect(decodeValue(encodeValue(Number.NaN))).to.equal(null);
  });

  it('returns entries with epoch-millisecond times', () => {
    const doc: StoredEntry = {
      _id: entryId('ns', 'k'),
      namespace: 'ns',
      key: 'k',
      value: '{"sub":"u1"}',
      expiresAt: new Date('2026-01-01T00:10:00.000Z'),
      consumedAt: new Date('2026-01-01T00:01:00.000Z'),
      tags: [],
    };
    expect(toEntry(doc)).to.deep.equal({
      key: 'k',
      value: { sub: 'u1' },
      expiresAt: Date.parse('2026-01-01T00:10:00.000Z'),
      consumedAt: Date.parse('2026-01-01T00:01:00.000Z'),
    });
  });

  it('validates names and times to live with messages that name the problem', () => {
    expect(() => assertName('namespace', '')).to.throw(TypeError, /namespace/);
    expect(() => assertName('key', 'k'.repeat(513))).to.throw(TypeError, /512/);
    expect(() => assertName('key', 42)).to.throw(TypeError, /key/);
    expect(() => assertName('key', 'k'.repeat(512))).to.not.throw();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
      expect(() => assertTtl(bad)).to.throw(RangeError, /ttlSeconds/);
    }
    expect(() => assertTtl(0.5)).to.not.throw();
  });

  it('computes expiry in whole milliseconds, at least one after now', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    expect(expiryAfter(now, 60).getTime()).to.equal(now.getTime() + 60_000);
    expect(expiryAfter(now, 0.0012).getTime()).to.equal(now.getTime() + 1);
    expect(expiryAfter(now, 0.0001).getTime()).to.equal(now.getTime() + 1);
  });

  describe('increment pipeline', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const later = new Date('2026-01-01T00:01:00.000Z');
    const run = (existing: Record<string, unknown> | null, by = 2) =>
      applyPipeline(existing ?? { _id: entryId('ns', '$k') }, incrementPipeline('ns', '$k', by, now, later));

    it('starts a missing counter at `by` with the new expiry', () => {
      expect(run(null)).to.deep.equal({
        _id: entryId('ns', '$k'),
        namespace: 'ns',
        key: '$k',
        value: 2,
        expiresAt: later,
        consumedAt: null,
        tags: [],
      });
    });

    it('adds to a live counter and keeps its expiry', () => {
      const live = {
        _id: 'x',
        value: 5,
        expiresAt: new Date('2026-01-01T00:00:30.000Z'),
        consumedAt: null,
        tags: ['t'],
      };
      expect(run(live)).to.deep.equal({ ...live, value: 7 });
    });

    it('restarts an expired counter, or an entry that does not hold a number', () => {
      const expired = { _id: 'x', value: 5, expiresAt: now, consumedAt: null, tags: [] };
      expect(run(expired)).to.include({ value: 2, expiresAt: later });
      const text = { _id: 'x', value: '"abc"', expiresAt: later, consumedAt: null, tags: [] };
      expect(run(text)).to.include({ value: 2 });
    });
  });
});

const url = process.env.MONGODB_URL;
if (url !== undefined && url !== '') {
  ephemeralStoreContract('MongoEphemeralStore', async (clock) => {
    const dbName = `tessera_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    // The server's TTL monitor runs on wall time, not on the test's manual clock.
    const store = await MongoEphemeralStore.connect({ url, dbName, clock, ttlIndex: false });
    return {
      store,
      async cleanup() {
        await store.close();
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
  describe('MongoEphemeralStore contract', () => {
    it('runs when MONGODB_URL is set (e.g. mongodb://localhost:27017)');
  });
}
