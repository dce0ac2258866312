import { expect } from 'chai';
import { InvalidQueryError, type Doc } from '../../application/ports/read-model-store.js';
import {
  assertCollectionName,
  decodeCursor,
  encodeCursor,
  normalizeCondition,
  normalizeFind,
  pageFrom,
  readPath,
} from '../../infrastructure/readmodels/query.js';

describe('read-model query helpers', () => {
  describe('cursors', () => {
    it('round-trips values through an opaque URL-safe string', () => {
      for (const values of [
        [null, 'id-1'],
        [42.5, 'ÆØÅ🙂'],
        ['a/b+c=d', 'x'],
        [true, ''],
      ]) {
        const cursor = encodeCursor(values);
        expect(cursor).to.match(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).to.deep.equal(values);
      }
    });

    it('rejects garbage with InvalidQueryError', () => {
      const garbage = [
        '',
        'not a cursor',
        '%%%',
        Buffer.from('{"a":1}').toString('base64url'),
        'bm90IGpzb24',
      ];
      for (const cursor of garbage) {
        expect(() => decodeCursor(cursor), cursor).to.throw(InvalidQueryError, /cursor/);
      }
    });
  });

  describe('assertCollectionName', () => {
    it('accepts [a-z0-9_] names of 1 to 64 characters only', () => {
      for (const ok of ['a', 'users_v2', '0', 'x'.repeat(64)])
        expect(() => assertCollectionName(ok)).to.not.throw();
      for (const bad of ['', 'Users', 'a-b', 'a.b', 'a b', 'x'.repeat(65), 'æ']) {
        expect(() => assertCollectionName(bad), bad).to.throw(InvalidQueryError, /collection name/);
      }
    });
  });

  describe('normalizeFind', () => {
    it('fills in defaults', () => {
      expect(normalizeFind(undefined)).to.deep.equal({
        where: {},
        sort: { field: 'id', direction: 'asc' },
        limit: 50,
        after: null,
      });
    });

    it('keeps valid options and decodes the cursor', () => {
      const n = normalizeFind({
        where: { 'plan.tier': 'gold', amount: { $gte: 1, $lt: 9 }, status: { $in: ['a', null] } },
        sort: { field: 'createdAt', direction: 'desc' },
        limit: 1000,
        cursor: encodeCursor([17, 'doc-3']),
      });
      expect(n.sort).to.deep.equal({ field: 'createdAt', direction: 'desc' });
      expect(n.limit).to.equal(1000);
      expect(n.after).to.deep.equal({ sortValue: 17, id: 'doc-3' });
      expect(Object.keys(n.where)).to.deep.equal(['plan.tier', 'amount', 'status']);
    });

    it('names the problem in its InvalidQueryError', () => {
      const cases: Array<[Parameters<typeof normalizeFind>[0], RegExp]> = [
        [{ where: { _id: 1 } }, /where field name "_id"/],
        [{ where: { 'a.': 1 } }, /where field name/],
        [{ where: { 'a.$b': 1 } }, /where field name/],
        [{ sort: { field: '1st', direction: 'asc' } }, /sort field name "1st"/],
        [{ sort: { field: 'a', direction: 'ASC' as 'asc' } }, /sort direction "ASC"/],
        [{ limit: 0 }, /limit 0/],
        [{ limit: 1001 }, /limit 1001/],
        [{ limit: 1.5 }, /limit 1.5/],
        [{ limit: Number.NaN }, /limit NaN/],
        [{ cursor: encodeCursor([1]) }, /cursor/],
        [{ cursor: encodeCursor([{ nested: true }, 'id']) }, /cursor/],
        [{ cursor: encodeCursor([1, 2]) }, /cursor/],
      ];
      for (const [options, message] of cases) {
        expect(() => normalizeFind(options), JSON.stringify(options)).to.throw(InvalidQueryError, message);
      }
    });
  });

  describe('normalizeCondition', () => {
    it('classifies equality, $in and ranges', () => {
      expect(normalizeCondition('f', 'x')).to.deep.equal({ kind: 'eq', value: 'x' });
      expect(normalizeCondition('f', null)).to.deep.equal({ kind: 'eq', value: null });
      expect(normalizeCondition('f', false)).to.deep.equal({ kind: 'eq', value: false });
      expect(normalizeCondition('f', { $in: [1, 'a', null] })).to.deep.equal({
        kind: 'in',
        values: [1, 'a', null],
      });
      expect(normalizeCondition('f', { $gt: 1, $lte: 5 })).to.deep.equal({
        kind: 'range',
        type: 'number',
        bounds: [
          { op: '$gt', value: 1 },
          { op: '$lte', value: 5 },
        ],
      });
      expect(normalizeCondition('f', { $lt: 'm' })).to.include({ kind: 'range', type: 'string' });
    });

    it('rejects conditions the adapters could not evaluate alike', () => {
      const bad: Array<[unknown, RegExp]> = [
        [Number.NaN, /Invalid condition on f/],
        [Number.POSITIVE_INFINITY, /Invalid condition on f/],
        [[1, 2], /Invalid condition on f/],
        [{}, /empty object/],
        [{ $in: 'a' }, /\$in takes an array/],
        [{ $in: [{ a: 1 }] }, /\$in takes an array of scalars/],
        [{ $in: Array.from({ length: 1001 }, (_, i) => i) }, /at most 1000/],
        [{ $in: [1], $gt: 0 }, /cannot be combined/],
        [{ $ne: 1 }, /unknown operator "\$ne"/],
        [{ $gt: null }, /\$gt takes a string or a finite number/],
        [{ $gt: true }, /\$gt takes a string or a finite number/],
        [{ $gt: 1, $lt: 'z' }, /must all be numbers or all strings/],
      ];
      for (const [condition, message] of bad) {
        expect(() => normalizeCondition('f', condition as never), JSON.stringify(condition)).to.throw(
          InvalidQueryError,
          message,
        );
      }
    });
  });

  describe('readPath', () => {
    it('reads nested fields and treats anything unreachable as missing', () => {
      const doc = { id: 'a', plan: { tier: 'gold', limits: [1] }, n: 0 };
      expect(readPath(doc, 'plan.tier')).to.equal('gold');
      expect(readPath(doc, 'n')).to.equal(0);
      expect(readPath(doc, 'plan.missing')).to.equal(undefined);
      expect(readPath(doc, 'n.deeper')).to.equal(undefined);
      expect(readPath(doc, 'plan.limits.0')).to.equal(undefined);
    });
  });

  describe('pageFrom', () => {
    const docs: Doc[] = [{ id: 'a', score: 3 }, { id: 'b', score: 5, plan: { tier: 'gold' } }, { id: 'c' }];

    it('returns every row and no cursor when no extra row was fetched', () => {
      const n = normalizeFind({ limit: 3 });
      expect(pageFrom(docs, n)).to.deep.equal({ items: docs, nextCursor: null });
    });

    it('drops the extra row and points the cursor at the last item', () => {
      const bySort = normalizeFind({ limit: 2, sort: { field: 'score', direction: 'asc' } });
      const page = pageFrom(docs, bySort);
      expect(page.items).to.deep.equal(docs.slice(0, 2));
      expect(decodeCursor(page.nextCursor as string)).to.deep.equal([5, 'b']);
      const next = normalizeFind({ ...bySort, cursor: page.nextCursor as string });
      expect(next.after).to.deep.equal({ sortValue: 5, id: 'b' });
    });

    it('encodes a missing sort value as null and reads nested sort fields', () => {
      const missing = pageFrom(
        [docs[2] as Doc, docs[0] as Doc],
        normalizeFind({ limit: 1, sort: { field: 'score', direction: 'asc' } }),
      );
      expect(decodeCursor(missing.nextCursor as string)).to.deep.equal([null, 'c']);
      const nested = pageFrom(
        [docs[1] as Doc, docs[2] as Doc],
        normalizeFind({ limit: 1, sort: { field: 'plan.tier', direction: 'desc' } }),
      );
      expect(decodeCursor(nested.nextCursor as string)).to.deep.equal(['gold', 'b']);
    });

    it('refuses to build a cursor from a non-scalar sort value', () => {
      const n = normalizeFind({ limit: 1, sort: { field: 'plan', direction: 'asc' } });
      expect(() => pageFrom([docs[1] as Doc, docs[0] as Doc], n)).to.throw(InvalidQueryError, /non-scalar/);
    });
  });
});
