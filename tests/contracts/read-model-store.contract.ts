/**
 * The ReadModelStore contract: every adapter (embedded SQLite, MongoDB) must pass this suite
 * unchanged. The store may be shared with other runs (a MongoDB server), so every test works in its
 * own randomly named collections and checkpoints and removes them afterwards.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  type Change,
  CheckpointConflictError,
  type Doc,
  type FindOptions,
  InvalidQueryError,
  type ReadModelStore,
  UniqueIndexViolationError,
  type Where,
} from '../../application/ports/read-model-store.js';

export interface OpenedReadModelStore {
  store: ReadModelStore;
  cleanup(): Promise<void>;
}

/** Resolves to what `action` threw or rejected with; fails when it succeeded. */
export async function failure(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

function compareScalars(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (v === null || v === undefined ? 0 : 1);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a === null || a === undefined) return 0;
  return (a as number | string) < (b as number | string)
    ? -1
    : (a as number | string) > (b as number | string)
      ? 1
      : 0;
}

/** The documented order: by (field, id), missing fields as null, nulls first ascending. */
function expectedOrder<T extends Doc>(docs: T[], field: string, direction: 'asc' | 'desc'): string[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...docs]
    .sort((x, y) => sign * (compareScalars(x[field], y[field]) || compareScalars(x.id, y.id)))
    .map((d) => d.id);
}

export function readModelStoreContract(label: string, open: () => Promise<OpenedReadModelStore>): void {
  describe(`${label} (ReadModelStore contract)`, function () {
    let opened: OpenedReadModelStore;
    let store: ReadModelStore;
    let collections: string[] = [];
    let checkpoints: string[] = [];

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => {
      await opened?.cleanup();
    });
    afterEach(async () => {
      for (const name of collections) await store.dropCollection(name);
      for (const name of checkpoints) await store.deleteCheckpoint(name);
      collections = [];
      checkpoints = [];
    });

    const unique = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;
    const newCollection = async (indexes: { fields: string[]; unique?: boolean }[] = []): Promise<string> => {
      const name = unique('t');
      collections.push(name);
      await store.ensureCollection(name, { indexes });
      return name;
    };
    const newCheckpoint = (): string => {
      const name = unique('cp');
      checkpoints.push(name);
      return name;
    };
    const upserts = (collection: string, docs: readonly Doc[]): Change[] =>
      docs.map((doc) => ({ collection, op: 'upsert', doc }));
    const findAll = async (collection: string, options: FindOptions = {}): Promise<Doc[]> =>
      (await store.collection(collection).find({ limit: 1000, ...options })).items;
    const ids = (docs: readonly Doc[]): string[] => docs.map((d) => d.id);
    const walk = async (collection: string, options: FindOptions): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages += 1) {
        const page = await store.collection(collection).find({ ...options, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).to.be.at.most(options.limit ?? 50);
        seen.push(...ids(page.items));
        if (page.nextCursor === null) return seen;
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end');
    };

    describe('collections and documents', () => {
      it('ensureCollection is idempotent and can add indexes later', async () => {
        const name = await newCollection([{ fields: ['email'], unique: true }]);
        await store.write(upserts(name, [{ id: 'a', email: 'a@example.com', n: 1 }]));
        await store.ensureCollection(name, { indexes: [{ fields: ['email'], unique: true }] });
        await store.ensureCollection(name, {
          indexes: [{ fields: ['email'], unique: true }, { fields: ['n'] }],
        });
        expect(await store.collection(name).get('a')).to.deep.equal({
          id: 'a',
          email: 'a@example.com',
          n: 1,
        });
        const error = await failure(() => store.write(upserts(name, [{ id: 'b', email: 'a@example.com' }])));
        expect(error).to.be.instanceOf(UniqueIndexViolationError);
      });

      it('rejects invalid collection names', async () => {
        for (const name of ['', 'Upper', 'has-dash', 'dot.ted', 'x'.repeat(65)]) {
          expect(await failure(() => store.ensureCollection(name)), name).to.be.instanceOf(InvalidQueryError);
        }
      });

      it('upserts, gets, replaces and deletes documents', async () => {
        const name = await newCollection();
        const docs = store.collection(name);
        expect(await docs.get('u1')).to.equal(null);
        await store.write(upserts(name, [{ id: 'u1', name: 'Kari', tags: ['a'] }]));
        expect(await docs.get('u1')).to.deep.equal({ id: 'u1', name: 'Kari', tags: ['a'] });
        await store.write(upserts(name, [{ id: 'u1', name: 'Ola' }]));
        expect(await docs.get('u1')).to.deep.equal({ id: 'u1', name: 'Ola' });
        await store.write([
          { collection: name, op: 'delete', id: 'u1' },
          { collection: name, op: 'delete', id: 'never-existed' },
        ]);
        expect(await docs.get('u1')).to.equal(null);
        expect(await docs.count()).to.equal(0);
      });

      it('applies changes in order within one write', async () => {
        const name = await newCollection();
        await store.write([
          { collection: name, op: 'upsert', doc: { id: 'x', v: 1 } },
          { collection: name, op: 'upsert', doc: { id: 'x', v: 2 } },
          { collection: name, op: 'upsert', doc: { id: 'y', v: 1 } },
          { collection: name, op: 'delete', id: 'y' },
        ]);
        expect(await findAll(name)).to.deep.equal([{ id: 'x', v: 2 }]);
      });

      it('round-trips JSON documents exactly', async () => {
        const name = await newCollection();
        const doc = {
          id: 'doc-ÆØÅ-🙂',
          text: 'Blåbærsyltetøy — 日本語 — עברית — 🧾 "quoted" \\ back\nslash',
          int: 42,
          negative: -7,
          float: 1234.5678,
          big: Number.MAX_SAFE_INTEGER,
          zero: 0,
          yes: true,
          no: false,
          nothing: null,
          empty: '',
          list: [1, 'two', { three: 3 }, [4], null, false],
          emptyList: [],
          nested: { deeper: { deepest: { value: 'ok', n: 0.1 } }, emptyObject: {} },
        };
        await store.write(upserts(name, [doc]));
        expect(await store.collection(name).get(doc.id)).to.deep.equal(doc);
        expect(await findAll(name)).to.deep.equal([doc]);
      });

      it('rejects document fields starting with "_" and writes nothing', async () => {
        const name = await newCollection();
        const error = await failure(() =>
          store.write(
            upserts(name, [
              { id: 'ok', v: 1 },
              { id: 'bad', _secret: true },
            ]),
          ),
        );
        expect(error).to.be.instanceOf(InvalidQueryError);
        expect(await store.collection(name).count()).to.equal(0);
      });

      it('reads a collection that was never created as empty', async () => {
        const docs = store.collection(unique('never'));
        expect(await docs.get('x')).to.equal(null);
        expect(await docs.count()).to.equal(0);
        expect(await docs.find()).to.deep.equal({ items: [], nextCursor: null });
      });

      it('dropCollection removes documents and indexes', async () => {
        const name = await newCollection([{ fields: ['email'], unique: true }]);
        await store.write(upserts(name, [{ id: 'a', email: 'same' }]));
        await store.dropCollection(name);
        expect(await store.collection(name).get('a')).to.equal(null);
        expect(await store.collection(name).count()).to.equal(0);
        await store.ensureCollection(name);
        await store.write(
          upserts(name, [
            { id: 'b', email: 'same' },
            { id: 'c', email: 'same' },
          ]),
        );
        expect(await store.collection(name).count()).to.equal(2);
      });
    });

    describe('find', () => {
      const docs: Doc[] = [
        { id: 'd01', status: 'active', amount: 100, paid: true, plan: { tier: 'gold' }, note: null },
        { id: 'd02', status: 'active', amount: 250, paid: false, plan: { tier: 'silver' } },
        { id: 'd03', status: 'paused', amount: 50, paid: true, plan: { tier: 'gold' }, note: 'x' },
        { id: 'd04', status: 'ended', amount: 250, paid: false, plan: { tier: 'bronze' } },
        { id: 'd05', status: 'active', amount: 75.5, paid: true, plan: { tier: 'silver' }, note: 'y' },
        { id: 'd06', status: 'ended', amount: 0, paid: 1, plan: { tier: 'gold' } },
        { id: 'd07', status: 'paused', amount: -20, paid: 0, plan: {}, note: null },
        { id: 'd08', status: 'trial', amount: '250', paid: 'true', plan: { tier: 'gold' } },
      ];
      let name: string;
      beforeEach(async () => {
        name = await newCollection([
          { fields: ['status'] },
          { fields: ['amount'] },
          { fields: ['paid'] },
          { fields: ['plan.tier'] },
          { fields: ['status', 'amount'] },
        ]);
        await store.write(upserts(name, docs));
      });
      const where = async (w: FindOptions['where']): Promise<string[]> =>
        ids(await findAll(name, { where: w }));

      it('matches equality on strings, numbers and nested paths', async () => {
        expect(await where({ status: 'active' })).to.deep.equal(['d01', 'd02', 'd05']);
        expect(await where({ amount: 250 })).to.deep.equal(['d02', 'd04']);
        expect(await where({ amount: '250' })).to.deep.equal(['d08']);
        expect(await where({ 'plan.tier': 'gold' })).to.deep.equal(['d01', 'd03', 'd06', 'd08']);
        expect(await where({ status: 'active', amount: 250 })).to.deep.equal(['d02']);
        expect(await where({ id: 'd03' })).to.deep.equal(['d03']);
        expect(await where({ status: 'nope' })).to.deep.equal([]);
      });

      it('keeps booleans apart from numbers and strings', async () => {
        expect(await where({ paid: true })).to.deep.equal(['d01', 'd03', 'd05']);
        expect(await where({ paid: false })).to.deep.equal(['d02', 'd04']);
        expect(await where({ paid: 1 })).to.deep.equal(['d06']);
        expect(await where({ paid: 0 })).to.deep.equal(['d07']);
        expect(await where({ paid: 'true' })).to.deep.equal(['d08']);
        expect(await where({ paid: { $in: [true, 0] } })).to.deep.equal(['d01', 'd03', 'd05', 'd07']);
        expect(await where({ paid: { $gte: 0 } })).to.deep.equal(['d06', 'd07']);
      });

      it('matches null against null and missing fields', async () => {
        expect(await where({ note: null })).to.deep.equal(['d01', 'd02', 'd04', 'd06', 'd07', 'd08']);
        expect(await where({ 'plan.tier': null })).to.deep.equal(['d07']);
        expect(await where({ note: { $in: [null, 'x'] } })).to.deep.equal([
          'd01',
          'd02',
          'd03',
          'd04',
          'd06',
          'd07',
          'd08',
        ]);
      });

      it('matches $in lists', async () => {
        expect(await where({ status: { $in: ['paused', 'ended'] } })).to.deep.equal([
          'd03',
          'd04',
          'd06',
          'd07',
        ]);
        expect(await where({ amount: { $in: [0, 50, 999] } })).to.deep.equal(['d03', 'd06']);
        expect(await where({ id: { $in: ['d02', 'd08', 'zzz'] } })).to.deep.equal(['d02', 'd08']);
        expect(await where({ status: { $in: [] } })).to.deep.equal([]);
      });

      it('matches ranges, which never cross types', async () => {
        expect(await where({ amount: { $gt: 50, $lte: 250 } })).to.deep.equal(['d01', 'd02', 'd04', 'd05']);
        expect(await where({ amount: { $gte: 50, $lt: 100 } })).to.deep.equal(['d03', 'd05']);
        expect(await where({ amount: { $lt: 0 } })).to.deep.equal(['d07']);
        expect(await where({ amount: { $gte: 250 } })).to.deep.equal(['d02', 'd04']);
        expect(await where({ amount: { $gte: '' } })).to.deep.equal(['d08']);
        expect(await where({ status: { $gte: 'b', $lt: 'p' } })).to.deep.equal(['d04', 'd06']);
        expect(await where({ status: { $lt: 'b' } })).to.deep.equal(['d01', 'd02', 'd05']);
        expect(await where({ id: { $gt: 'd06' } })).to.deep.equal(['d07', 'd08']);
        expect(await where({ status: 'active', amount: { $gt: 80 } })).to.deep.equal(['d01', 'd02']);
      });

      it('sorts ascending and descending with ties broken by id, missing values as null', async () => {
        for (const field of ['amount', 'status', 'note', 'plan.tier', 'id']) {
          for (const direction of ['asc', 'desc'] as const) {
            const flat = docs.filter((d) => typeof d.amount === 'number' || field !== 'amount');
            const value = (d: Doc): unknown =>
              field === 'plan.tier' ? (d.plan as { tier?: string }).tier : d[field];
            const expected = expectedOrder(
              flat.map((d) => ({ ...d, [field]: value(d) ?? null })),
              field,
              direction,
            );
            const w: Where = field === 'amount' ? { amount: { $gte: -1000 } } : {};
            const actual = ids(await findAll(name, { where: w, sort: { field, direction } }));
            expect(actual, `${field} ${direction}`).to.deep.equal(expected);
          }
        }
      });

      it('limits pages and reports whether more follow', async () => {
        const first = await store.collection(name).find({ limit: 3 });
        expect(ids(first.items)).to.deep.equal(['d01', 'd02', 'd03']);
        expect(first.nextCursor).to.be.a('string');
        const exact = await store.collection(name).find({ limit: 8 });
        expect(exact.items).to.have.length(8);
        expect(exact.nextCursor).to.equal(null);
        const filtered = await store.collection(name).find({ where: { status: 'active' }, limit: 2 });
        expect(ids(filtered.items)).to.deep.equal(['d01', 'd02']);
        const rest = await store.collection(name).find({
          where: { status: 'active' },
          limit: 2,
          cursor: filtered.nextCursor ?? undefined,
        });
        expect(ids(rest.items)).to.deep.equal(['d05']);
        expect(rest.nextCursor).to.equal(null);
      });

      it('defaults to 50 items by id ascending', async () => {
        const big = await newCollection();
        const many = Array.from({ length: 60 }, (_, i) => ({ id: `k${String(59 - i).padStart(2, '0')}` }));
        await store.write(upserts(big, many));
        const page = await store.collection(big).find();
        expect(page.items).to.have.length(50);
        expect(ids(page.items)).to.deep.equal(ids(many).sort().slice(0, 50));
        expect(page.nextCursor).to.be.a('string');
      });

      it('counts documents, with and without conditions', async () => {
        const docs = store.collection(name);
        expect(await docs.count()).to.equal(8);
        expect(await docs.count({ status: 'active' })).to.equal(3);
        expect(await docs.count({ amount: { $gt: 60 }, paid: true })).to.equal(2);
        expect(await docs.count({ note: null })).to.equal(6);
      });
    });

    describe('cursor pagination', () => {
      const makeDocs = (count: number, seed: number): Doc[] =>
        Array.from({ length: count }, (_, i) => {
          const n = (i * 7919 + seed) % 997;
          const doc: Record<string, unknown> = { id: `p${seed}-${String(i).padStart(4, '0')}` };
          if (n % 11 !== 0) doc.score = n % 23; // many ties, and some documents without a score
          if (n % 5 !== 0) doc.group = n % 2 === 0 ? 'even' : 'odd';
          return doc as Doc;
        });

      it('walks a few hundred documents in pages, each exactly once and in order', async () => {
        const name = await newCollection([{ fields: ['score'] }, { fields: ['group', 'score'] }]);
        const docs = makeDocs(320, 1);
        for (let i = 0; i < docs.length; i += 100) await store.write(upserts(name, docs.slice(i, i + 100)));
        for (const direction of ['asc', 'desc'] as const) {
          for (const limit of [1, 7, 50]) {
            const seen = await walk(name, { sort: { field: 'score', direction }, limit });
            expect(seen, `${direction} ${limit}`).to.deep.equal(expectedOrder(docs, 'score', direction));
          }
          const odd = docs.filter((d) => d.group === 'odd');
          const seen = await walk(name, {
            where: { group: 'odd' },
            sort: { field: 'score', direction },
            limit: 9,
          });
          expect(seen).to.deep.equal(expectedOrder(odd, 'score', direction));
          const byId = await walk(name, { sort: { field: 'id', direction }, limit: 13 });
          expect(byId).to.deep.equal(expectedOrder(docs, 'id', direction));
        }
      });

      it('returns no duplicates while documents are inserted between pages', async () => {
        const name = await newCollection([{ fields: ['score'] }]);
        const original = makeDocs(200, 2);
        await store.write(upserts(name, original));
        for (const direction of ['asc', 'desc'] as const) {
          const seen: Doc[] = [];
          let cursor: string | undefined;
          let round = 0;
          do {
            const page = await store
              .collection(name)
              .find({ sort: { field: 'score', direction }, limit: 15, ...(cursor ? { cursor } : {}) });
            seen.push(...page.items);
            cursor = page.nextCursor ?? undefined;
            round += 1;
            await store.write(upserts(name, makeDocs(5, 1000 * round + (direction === 'asc' ? 0 : 500))));
          } while (cursor !== undefined);
          const seenIds = ids(seen);
          expect(new Set(seenIds).size, 'duplicates').to.equal(seenIds.length);
          for (const doc of original) expect(seenIds, doc.id).to.include(doc.id);
          expect(seenIds).to.deep.equal(expectedOrder(seen, 'score', direction));
        }
      });
    });

    describe('unique indexes and atomic batches', () => {
      it('rejects a batch that violates a unique index and writes none of it', async () => {
        const name = await newCollection([{ fields: ['email'], unique: true }]);
        await store.write(upserts(name, [{ id: 'a', email: 'a@example.com' }]));
        const error = await failure(() =>
          store.write(
            upserts(name, [
              { id: 'b', email: 'b@example.com' },
              { id: 'a', email: 'a2@example.com' },
              { id: 'c', email: 'b@example.com' },
            ]),
          ),
        );
        expect(error).to.be.instanceOf(UniqueIndexViolationError);
        expect((error as UniqueIndexViolationError).collection).to.equal(name);
        expect((error as UniqueIndexViolationError).fields).to.deep.equal(['email']);
        expect(await findAll(name)).to.deep.equal([{ id: 'a', email: 'a@example.com' }]);
      });

      it('allows re-upserting the same document and documents without the field', async () => {
        const name = await newCollection([
          { fields: ['email'], unique: true },
          { fields: ['a', 'b'], unique: true },
        ]);
        await store.write(
          upserts(name, [
            { id: 'x', email: 'x@example.com', a: 1, b: 1 },
            { id: 'x', email: 'x@example.com', a: 1, b: 1, v: 2 },
            { id: 'y', a: 1, b: 2 },
            { id: 'z', a: 2 },
            { id: 'w', a: 2 },
          ]),
        );
        expect(await store.collection(name).count()).to.equal(4);
        const error = await failure(() => store.write(upserts(name, [{ id: 'v', a: 1, b: 2 }])));
        expect(error).to.be.instanceOf(UniqueIndexViolationError);
        expect((error as UniqueIndexViolationError).fields).to.deep.equal(['a', 'b']);
      });

      it('rolls back every collection of a failed batch', async () => {
        const first = await newCollection();
        const second = await newCollection([{ fields: ['code'], unique: true }]);
        await store.write(upserts(second, [{ id: 's1', code: 'A' }]));
        const error = await failure(() =>
          store.write([
            { collection: first, op: 'upsert', doc: { id: 'f1' } },
            { collection: second, op: 'delete', id: 's1' },
            { collection: second, op: 'upsert', doc: { id: 's2', code: 'B' } },
            { collection: second, op: 'upsert', doc: { id: 's3', code: 'B' } },
          ]),
        );
        expect(error).to.be.instanceOf(UniqueIndexViolationError);
        expect(await store.collection(first).count()).to.equal(0);
        expect(await findAll(second)).to.deep.equal([{ id: 's1', code: 'A' }]);
      });
    });

    describe('checkpoints', () => {
      it('creates, advances and reads a checkpoint with its state', async () => {
        const cp = newCheckpoint();
        const name = await newCollection();
        expect(await store.getCheckpoint(cp)).to.equal(null);
        const state = { seen: ['a', 'ø'], nested: { n: 1.5, ok: true, none: null } };
        await store.write(upserts(name, [{ id: 'a' }]), {
          name: cp,
          expectedPosition: null,
          position: 10,
          state,
        });
        expect(await store.getCheckpoint(cp)).to.deep.equal({ name: cp, position: 10, state });
        await store.write(upserts(name, [{ id: 'b' }]), { name: cp, expectedPosition: 10, position: 25 });
        expect(await store.getCheckpoint(cp)).to.deep.equal({ name: cp, position: 25, state: {} });
        await store.write([], { name: cp, expectedPosition: 25, position: 30, state: { k: 'v' } });
        expect(await store.getCheckpoint(cp)).to.deep.equal({ name: cp, position: 30, state: { k: 'v' } });
        expect(await store.collection(name).count()).to.equal(2);
      });

      it('rejects a stale expected position and writes none of the changes', async () => {
        const cp = newCheckpoint();
        const name = await newCollection();
        await store.write(upserts(name, [{ id: 'a', v: 1 }]), {
          name: cp,
          expectedPosition: null,
          position: 5,
        });
        for (const expected of [null, 4, 6]) {
          const error = await failure(() =>
            store.write(
              [
                ...upserts(name, [{ id: 'a', v: 2 }, { id: 'b' }]),
                { collection: name, op: 'delete', id: 'a' },
              ],
              { name: cp, expectedPosition: expected, position: 9 },
            ),
          );
          expect(error).to.be.instanceOf(CheckpointConflictError);
          expect((error as CheckpointConflictError).expected).to.equal(expected);
          expect((error as CheckpointConflictError).actual).to.equal(5);
        }
        expect(await findAll(name)).to.deep.equal([{ id: 'a', v: 1 }]);
        expect(await store.getCheckpoint(cp)).to.deep.equal({ name: cp, position: 5, state: {} });
      });

      it('rejects a missing checkpoint when one was expected', async () => {
        const cp = newCheckpoint();
        const error = await failure(() => store.write([], { name: cp, expectedPosition: 3, position: 4 }));
        expect(error).to.be.instanceOf(CheckpointConflictError);
        expect((error as CheckpointConflictError).actual).to.equal(null);
        expect(await store.getCheckpoint(cp)).to.equal(null);
      });

      it('deletes checkpoints', async () => {
        const cp = newCheckpoint();
        await store.write([], { name: cp, expectedPosition: null, position: 1 });
        await store.deleteCheckpoint(cp);
        expect(await store.getCheckpoint(cp)).to.equal(null);
        await store.write([], { name: cp, expectedPosition: null, position: 2 });
        expect((await store.getCheckpoint(cp))?.position).to.equal(2);
      });
    });

    describe('synchronous reads (optional: collectionSync)', () => {
      // Stores whose driver reads asynchronously (MongoDB) do not offer it; the port says so.
      const syncOf = (name: string) => {
        const open = store.collectionSync?.bind(store);
        return open === undefined ? undefined : open(name);
      };

      it('answers get, find and count exactly as collection() does, at the same moment', async function () {
        const name = await newCollection([{ fields: ['group', 'n'] }, { fields: ['n'] }]);
        const sync = syncOf(name);
        if (sync === undefined) return this.skip();
        const docs: Doc[] = Array.from({ length: 30 }, (_, i) => ({
          id: `s${String(i).padStart(2, '0')}`,
          group: i % 3 === 0 ? 'a' : 'b',
          n: (i * 7) % 11,
        }));
        await store.write(upserts(name, docs));
        const async = store.collection(name);
        expect(sync.get('s04')).to.deep.equal(await async.get('s04'));
        expect(sync.get('s04')).to.deep.equal(docs[4]);
        expect(sync.get('missing')).to.equal(null);
        const queries: FindOptions[] = [
          {},
          { where: { group: 'a' }, limit: 4 },
          { where: { group: 'b', n: { $gte: 3 } }, sort: { field: 'n', direction: 'desc' }, limit: 5 },
          { where: { n: { $in: [1, 2, 3] } }, sort: { field: 'n', direction: 'asc' }, limit: 1000 },
        ];
        for (const query of queries) {
          const page = sync.find(query);
          expect(page, JSON.stringify(query)).to.deep.equal(await async.find(query));
          if (page.nextCursor !== null) {
            const next = { ...query, cursor: page.nextCursor };
            expect(sync.find(next)).to.deep.equal(await async.find(next));
          }
        }
        expect(sync.count()).to.equal(30);
        expect(sync.count({ group: 'a' })).to.equal(await async.count({ group: 'a' }));
        // A handle sees later writes: it reads the collection, not a copy.
        await store.write([{ collection: name, op: 'delete', id: 's04' }]);
        expect(sync.get('s04')).to.equal(null);
        expect(sync.count()).to.equal(29);
      });

      it('reads a collection that was never created as empty, and throws what collection() rejects with', async function () {
        const sync = syncOf(unique('never'));
        if (sync === undefined) return this.skip();
        expect(sync.get('x')).to.equal(null);
        expect(sync.find()).to.deep.equal({ items: [], nextCursor: null });
        expect(sync.count()).to.equal(0);
        const name = await newCollection([{ fields: ['n'] }]);
        const docs = syncOf(name)!;
        expect(() => docs.find({ where: { $where: 'x' } })).to.throw(InvalidQueryError);
        expect(() => docs.find({ limit: 0 })).to.throw(InvalidQueryError);
        expect(() => docs.count({ '1a': 1 })).to.throw(InvalidQueryError);
        expect(() => store.collectionSync!('Bad Name')).to.throw();
      });
    });

    describe('invalid queries', () => {
      it('rejects bad field names, conditions, limits and cursors with InvalidQueryError', async () => {
        const name = await newCollection([{ fields: ['n'] }]);
        await store.write(upserts(name, [{ id: 'a', n: 1 }]));
        const docs = store.collection(name);
        const bad: Array<[string, () => Promise<unknown>]> = [
          ['where $where', () => docs.find({ where: { $where: 'x' } })],
          ['where _id', () => docs.find({ where: { _id: 'a' } })],
          ['where a..b', () => docs.find({ where: { 'a..b': 1 } })],
          ['where 1a', () => docs.count({ '1a': 1 })],
          ['sort field', () => docs.find({ sort: { field: 'n; DROP', direction: 'asc' } })],
          ['sort direction', () => docs.find({ sort: { field: 'n', direction: 'up' as 'asc' } })],
          ['unknown operator', () => docs.find({ where: { n: { $regex: 'x' } as never } })],
          ['range on null', () => docs.find({ where: { n: { $gt: null } } })],
          ['mixed range', () => docs.find({ where: { n: { $gt: 1, $lt: 'z' } } })],
          ['$in not a list', () => docs.find({ where: { n: { $in: 'x' as never } } })],
          ['limit 0', () => docs.find({ limit: 0 })],
          ['limit 1001', () => docs.find({ limit: 1001 })],
          ['limit 2.5', () => docs.find({ limit: 2.5 })],
          ['garbage cursor', () => docs.find({ cursor: 'not a cursor!' })],
          ['non-JSON cursor', () => docs.find({ cursor: 'bm90IGpzb24' })],
          ['wrong-shape cursor', () => docs.find({ cursor: Buffer.from('{"a":1}').toString('base64url') })],
        ];
        for (const [what, action] of bad) {
          expect(await failure(action), what).to.be.instanceOf(InvalidQueryError);
        }
      });
    });
  });
}
