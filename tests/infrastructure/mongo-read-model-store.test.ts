import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { InvalidQueryError, type Doc } from '../../application/ports/read-model-store.js';
import { databaseNameFromUrl } from '../../infrastructure/mongo/connect.js';
import {
  afterFilter,
  deleteOperation,
  duplicateKeyError,
  duplicateKeyFields,
  fromStored,
  indexDefinition,
  sortSpec,
  toStored,
  upsertOperation,
  whereToFilter,
} from '../../infrastructure/mongo/read-model-mapping.js';
import { changeRuns, MongoReadModelStore } from '../../infrastructure/readmodels/mongo-read-model-store.js';
import { normalizeFind, pageFrom } from '../../infrastructure/readmodels/query.js';
import { readModelStoreContract } from '../contracts/read-model-store.contract.js';
import { applyPipeline, matches, sortDocs } from './mongo-eval.js';

type Row = Record<string, unknown>;

/** Runs a find the way the adapter does, against an in-memory array of stored documents. */
function findInMemory(stored: Row[], options: Parameters<typeof normalizeFind>[0]) {
  const n = normalizeFind(options);
  const filter = {
    $and: [
      whereToFilter(n.where),
      n.after === null ? {} : afterFilter(n.sort.field, n.sort.direction, n.after),
    ],
  };
  const rows = sortDocs(
    stored.filter((doc) => matches(doc, filter)),
    sortSpec(n.sort.field, n.sort.direction),
  ).slice(0, n.limit + 1);
  return pageFrom(
    rows.map((row) => fromStored<Doc>(row)),
    n,
  );
}

function allPages(
  stored: Row[],
  options: { sort?: { field: string; direction: 'asc' | 'desc' }; limit: number },
) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = findInMemory(stored, { ...options, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.items.map((item) => item.id));
    if (page.nextCursor === null) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('MongoReadModelStore helpers', () => {
  describe('whereToFilter', () => {
    it('maps equality, null, $in and ranges, and id to _id', () => {
      expect(
        whereToFilter({
          id: 'a',
          status: 'active',
          email: null,
          tier: { $in: ['x', 'y'] },
          n: { $gte: 1, $lt: 5 },
        }),
      ).to.deep.equal({
        _id: { $eq: 'a' },
        status: { $eq: 'active' },
        email: { $eq: null },
        tier: { $in: ['x', 'y'] },
        n: { $gte: 1, $lt: 5 },
      });
    });

    it('selects documents as the port describes (null matches missing and null)', () => {
      const stored = [
        toStored({ id: 'a', email: 'x@example.com', n: 1 }, { writeId: 'w' }),
        toStored({ id: 'b', email: null, n: 2 }, { writeId: 'w' }),
        toStored({ id: 'c', n: 3 }, { writeId: 'w' }),
        toStored({ id: 'd', n: 'text' }, { writeId: 'w' }),
      ];
      const ids = (where: Parameters<typeof whereToFilter>[0]) =>
        stored.filter((doc) => matches(doc, whereToFilter(where))).map((doc) => doc._id);
      expect(ids({ email: null })).to.deep.equal(['b', 'c', 'd']);
      expect(ids({ email: 'x@example.com' })).to.deep.equal(['a']);
      expect(ids({ n: { $gt: 1 } })).to.deep.equal(['b', 'c']);
      expect(ids({ n: { $in: [1, 3] } })).to.deep.equal(['a', 'c']);
      expect(ids({ id: { $in: ['d', 'a'] } })).to.deep.equal(['a', 'd']);
    });

    it('rejects bookkeeping and operator field names', () => {
      expect(() => whereToFilter({ _pos: 1 })).to.throw(InvalidQueryError);
      expect(() => whereToFilter({ $where: 1 })).to.throw(InvalidQueryError);
    });
  });

  describe('sortSpec', () => {
    it('breaks ties by _id in the same direction', () => {
      expect(sortSpec('createdAt', 'desc')).to.deep.equal({ createdAt: -1, _id: -1 });
      expect(sortSpec('id', 'asc')).to.deep.equal({ _id: 1 });
    });
  });

  describe('keyset pagination (afterFilter + sortSpec + pageFrom)', () => {
    const stored: Row[] = [];
    const scores = [3, null, 1, 3, undefined, 2, 3, null, 1, undefined, 5, 2];
    scores.forEach((score, i) => {
      const doc: Doc = score === undefined ? { id: `d${i % 4}-${i}` } : { id: `d${i % 4}-${i}`, score };
      stored.push(toStored(doc, { writeId: 'w' }));
    });
    const expected = (direction: 'asc' | 'desc') =>
      sortDocs(stored, sortSpec('score', direction)).map((doc) => doc._id as string);

    for (const direction of ['asc', 'desc'] as const) {
      for (const limit of [1, 2, 3, 5]) {
        it(`visits every document once, in order, sorting missing as null (${direction}, limit ${limit})`, () => {
          const ids = allPages(stored, { sort: { field: 'score', direction }, limit });
          expect(ids).to.deep.equal(expected(direction));
          expect(new Set(ids).size).to.equal(stored.length);
        });
      }
    }

    it('puts null and missing first ascending and last descending', () => {
      const asc = allPages(stored, { sort: { field: 'score', direction: 'asc' }, limit: 4 });
      const nullIds = stored.filter((d) => d.score === undefined).map((d) => d._id as string);
      expect(asc.slice(0, nullIds.length).sort()).to.deep.equal([...nullIds].sort());
      const desc = allPages(stored, { sort: { field: 'score', direction: 'desc' }, limit: 4 });
      expect(desc.slice(-nullIds.length).sort()).to.deep.equal([...nullIds].sort());
    });

    it('paginates by id alone', () => {
      const ids = allPages(stored, { limit: 5 });
      expect(ids).to.deep.equal(stored.map((d) => d._id as string).sort());
    });
  });

  describe('toStored / fromStored', () => {
    it('round-trips a document as JSON, keeping nulls and dropping bookkeeping', () => {
      const when = new Date('2026-03-01T10:00:00.000Z');
      const doc = {
        id: 'u1',
        name: 'Ada',
        email: null,
        nested: { a: [1, 'b', null] },
        when,
        gone: undefined,
      };
      const stored = toStored(doc, { position: 7, writeId: 'w1' });
      expect(stored).to.include({ _id: 'u1', _pos: 7, _w: 'w1' });
      expect(stored).to.not.have.property('email');
      expect(stored).to.not.have.property('id');
      expect(fromStored(stored)).to.deep.equal({
        id: 'u1',
        name: 'Ada',
        email: null,
        nested: { a: [1, 'b', null] },
        when: when.toISOString(),
      });
    });

    it('rejects fields that would collide with bookkeeping, and missing ids', () => {
      expect(() => toStored({ id: 'x', _pos: 1 }, { writeId: 'w' })).to.throw(InvalidQueryError, /_pos/);
      expect(() => toStored({ id: '' }, { writeId: 'w' })).to.throw(InvalidQueryError);
    });
  });

  describe('guarded writes', () => {
    const guard = { position: 10, expectedPosition: 5, writeId: 'this-write' };
    const upsert = (existing: Row | null, g: typeof guard | null) => {
      const op = upsertOperation(
        toStored({ id: 'a', v: 'new' }, { position: g?.position, writeId: 'this-write' }),
        g,
      );
      if ('replaceOne' in op) return op.replaceOne.replacement;
      if (!('updateOne' in op)) throw new Error('unexpected operation');
      return applyPipeline(existing ?? { _id: 'a' }, op.updateOne.update as Row[]);
    };
    const stamped = (pos: number | undefined, w = 'other') => ({
      _id: 'a',
      v: 'old',
      _w: w,
      ...(pos === undefined ? {} : { _pos: pos }),
    });

    it('writes new documents and documents never stamped', () => {
      expect(upsert(null, guard)).to.include({ v: 'new', _pos: 10 });
      expect(upsert(stamped(undefined), guard)).to.include({ v: 'new', _pos: 10 });
    });

    it('replaces documents stamped before this batch', () => {
      expect(upsert(stamped(9), guard)).to.include({ v: 'new' });
      expect(upsert(stamped(3), guard)).to.include({ v: 'new' });
    });

    it('keeps documents that already hold this batch or a newer one', () => {
      expect(upsert(stamped(10), guard)).to.include({ v: 'old', _pos: 10 });
      expect(upsert(stamped(12), guard)).to.include({ v: 'old', _pos: 12 });
    });

    it('applies every change of one write to the same document in order', () => {
      expect(upsert(stamped(10, 'this-write'), guard)).to.include({ v: 'new' });
    });

    it('lets a write that does not move the position replace what it stamped before', () => {
      expect(upsert(stamped(10), { ...guard, expectedPosition: 10 })).to.include({ v: 'new' });
    });

    it('replaces unconditionally without a checkpoint', () => {
      expect(upsert(stamped(99), null)).to.include({ v: 'new' });
    });

    it('guards deletes with the same rule', () => {
      const op = deleteOperation('a', guard);
      if (!('deleteOne' in op)) throw new Error('unexpected operation');
      const filter = op.deleteOne.filter as Row;
      expect(matches(stamped(9), filter)).to.equal(true);
      expect(matches(stamped(undefined), filter)).to.equal(true);
      expect(matches(stamped(10), filter)).to.equal(false);
      expect(matches(stamped(10, 'this-write'), filter)).to.equal(true);
      expect(matches({ ...stamped(9), _id: 'b' }, filter)).to.equal(false);
    });
  });

  describe('indexDefinition', () => {
    it('creates unique indexes that skip documents lacking a field', () => {
      expect(indexDefinition({ fields: ['providerId', 'orderId'], unique: true })).to.deep.equal({
        key: { providerId: 1, orderId: 1 },
        options: {
          name: 'unique:providerId,orderId',
          unique: true,
          partialFilterExpression: { providerId: { $exists: true }, orderId: { $exists: true } },
        },
      });
    });

    it('creates plain indexes and skips one that would repeat _id', () => {
      expect(indexDefinition({ fields: ['status', 'createdAt'] })).to.deep.equal({
        key: { status: 1, createdAt: 1 },
        options: { name: 'index:status,createdAt' },
      });
      expect(indexDefinition({ fields: ['id'], unique: true })).to.equal(null);
    });

    it('documents with a null unique field are outside the partial index', () => {
      const filter =
        indexDefinition({ fields: ['email'], unique: true })?.options.partialFilterExpression ?? {};
      expect(matches(toStored({ id: 'a', email: null }, { writeId: 'w' }), filter)).to.equal(false);
      expect(matches(toStored({ id: 'b' }, { writeId: 'w' }), filter)).to.equal(false);
      expect(matches(toStored({ id: 'c', email: 'c@example.com' }, { writeId: 'w' }), filter)).to.equal(true);
    });
  });

  describe('duplicate key errors', () => {
    it('finds the error in single and bulk shapes', () => {
      const single = { code: 11000, keyPattern: { email: 1 } };
      expect(duplicateKeyError(single)).to.equal(single);
      const raw = { code: 11000, index: 1, keyPattern: { tenant: 1, 'profile.email': 1 } };
      expect(duplicateKeyError({ code: 65, writeErrors: [{ err: raw }] })).to.equal(raw);
      expect(duplicateKeyError({ writeErrors: { err: raw } })).to.equal(raw);
      // The bulk wrapper repeats the first code but not the key pattern: the entry wins.
      expect(duplicateKeyError({ code: 11000, message: 'E11000', writeErrors: [{ err: raw }] })).to.equal(
        raw,
      );
      expect(duplicateKeyError({ code: 112 })).to.equal(null);
      expect(duplicateKeyError(new Error('boom'))).to.equal(null);
    });

    it('maps the key pattern, or else the index name in the message, back to fields', () => {
      expect(duplicateKeyFields({ keyPattern: { tenant: 1, 'profile.email': 1 } })).to.deep.equal([
        'tenant',
        'profile.email',
      ]);
      expect(
        duplicateKeyFields({
          errmsg: 'E11000 duplicate key error collection: t.rm_users index: unique:tenant,email dup key: { }',
        }),
      ).to.deep.equal(['tenant', 'email']);
      expect(duplicateKeyFields({ keyPattern: { _id: 1 } })).to.deep.equal(['id']);
      expect(duplicateKeyFields({ errmsg: 'something else' })).to.equal(null);
    });
  });

  describe('changeRuns', () => {
    it('groups consecutive changes per collection, keeping order', () => {
      const runs = changeRuns([
        { collection: 'a', op: 'upsert', doc: { id: '1' } },
        { collection: 'a', op: 'delete', id: '2' },
        { collection: 'b', op: 'delete', id: '3' },
        { collection: 'a', op: 'delete', id: '4' },
      ]);
      expect(runs.map((r) => [r.collection, r.changes.length])).to.deep.equal([
        ['a', 2],
        ['b', 1],
        ['a', 1],
      ]);
    });
  });

  describe('databaseNameFromUrl', () => {
    it('reads the path of single- and multi-host connection strings', () => {
      expect(databaseNameFromUrl('mongodb://localhost:27017')).to.equal(null);
      expect(databaseNameFromUrl('mongodb://localhost:27017/')).to.equal(null);
      expect(databaseNameFromUrl('mongodb://localhost:27017/tessera')).to.equal('tessera');
      expect(databaseNameFromUrl('mongodb://u:p%2Fw@a:1,b:2/app?replicaSet=rs0')).to.equal('app');
      expect(databaseNameFromUrl('mongodb+srv://cluster.example.net/prod?retryWrites=true')).to.equal('prod');
      expect(databaseNameFromUrl('mongodb://localhost/?directConnection=true')).to.equal(null);
    });
  });
});

const url = process.env.MONGODB_URL;
if (url !== undefined && url !== '') {
  readModelStoreContract('MongoReadModelStore', async () => {
    const dbName = `tessera_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const store = await MongoReadModelStore.connect({ url, dbName });
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
  describe('MongoReadModelStore contract', () => {
    it('runs when MONGODB_URL is set (e.g. mongodb://localhost:27017)');
  });
}
