import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { normalizeFind } from '../../infrastructure/readmodels/query.js';
import {
  countQuery,
  findQueries,
  limited,
  type SqlParam,
} from '../../infrastructure/readmodels/sqlite-find.js';
import { SqliteReadModelStore } from '../../infrastructure/readmodels/sqlite-read-model-store.js';
import {
  type FindOptions,
  UnknownCollectionError,
  type Where,
} from '../../application/ports/read-model-store.js';
import { failure, readModelStoreContract } from '../contracts/read-model-store.contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-readmodels-'));
}

readModelStoreContract('SqliteReadModelStore', async () => {
  const dir = tempDir();
  const store = SqliteReadModelStore.open({ file: join(dir, 'read-models.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteReadModelStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = join(dir, 'nested', 'read-models.db');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps documents, indexes and checkpoints across reopening', async () => {
    const first = SqliteReadModelStore.open({ file });
    await first.ensureCollection('users', { indexes: [{ fields: ['phone'], unique: true }] });
    await first.write([{ collection: 'users', op: 'upsert', doc: { id: 'u1', phone: '+4790000000' } }], {
      name: 'users_v1',
      expectedPosition: null,
      position: 42,
      state: { lastEvent: 'e42' },
    });
    await first.close();

    const second = SqliteReadModelStore.open({ file });
    try {
      expect(await second.collection('users').get('u1')).to.deep.equal({ id: 'u1', phone: '+4790000000' });
      expect(await second.getCheckpoint('users_v1')).to.deep.equal({
        name: 'users_v1',
        position: 42,
        state: { lastEvent: 'e42' },
      });
      // The collection is known without another ensureCollection, unique index included.
      const error = await failure(() =>
        second.write([{ collection: 'users', op: 'upsert', doc: { id: 'u2', phone: '+4790000000' } }]),
      );
      expect(error).to.have.property('name', 'UniqueIndexViolationError');
    } finally {
      await second.close();
    }
  });

  it('sees collections another connection created after it opened', async () => {
    const server = SqliteReadModelStore.open({ file });
    const cli = SqliteReadModelStore.open({ file });
    try {
      expect(await server.collection('fresh').count()).to.equal(0);
      await cli.ensureCollection('fresh', { indexes: [{ fields: ['code'], unique: true }] });
      await cli.write([{ collection: 'fresh', op: 'upsert', doc: { id: 'a', code: 'X' } }]);
      expect(await server.collection('fresh').get('a')).to.deep.equal({ id: 'a', code: 'X' });
      const error = await failure(() =>
        server.write([{ collection: 'fresh', op: 'upsert', doc: { id: 'b', code: 'X' } }]),
      );
      expect(error).to.have.property('name', 'UniqueIndexViolationError');
    } finally {
      await cli.close();
      await server.close();
    }
  });

  it('rejects writes to a collection that was never created, writing nothing', async () => {
    const store = SqliteReadModelStore.open({ file });
    try {
      await store.ensureCollection('known');
      const error = await failure(() =>
        store.write(
          [
            { collection: 'known', op: 'upsert', doc: { id: 'a' } },
            { collection: 'unknown', op: 'upsert', doc: { id: 'b' } },
          ],
          { name: 'p', expectedPosition: null, position: 1 },
        ),
      );
      expect(error).to.be.instanceOf(UnknownCollectionError);
      expect((error as Error).message).to.contain('unknown');
      expect(await store.collection('known').count()).to.equal(0);
      expect(await store.getCheckpoint('p')).to.equal(null);
    } finally {
      await store.close();
    }
  });

  it('runs in WAL mode; projection batches commit with synchronous=NORMAL, state of record with FULL', async () => {
    const store = SqliteReadModelStore.open({ file });
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    } finally {
      db.close();
    }
    const opened = SqliteReadModelStore.open({ file });
    const internal = (opened as unknown as { db: Database.Database }).db;
    try {
      expect(internal.pragma('synchronous', { simple: true })).to.equal(1);
      await opened.ensureCollection('c');
      // The level in force while each write's statements run.
      const levels: number[] = [];
      const upsert = (opened as unknown as { lookup(n: string): { upsert: Database.Statement } }).lookup(
        'c',
      ).upsert;
      const run = upsert.run.bind(upsert);
      upsert.run = (...args: unknown[]) => {
        levels.push(internal.pragma('synchronous', { simple: true }) as number);
        return run(...args);
      };
      await opened.write([{ collection: 'c', op: 'upsert', doc: { id: 'a' } }], {
        name: 'p',
        expectedPosition: null,
        position: 1,
      });
      await opened.write([{ collection: 'c', op: 'upsert', doc: { id: 'b' } }]);
      await opened.write([{ collection: 'c', op: 'upsert', doc: { id: 'c' } }], {
        name: 'p',
        expectedPosition: 1,
        position: 2,
      });
      expect(levels).to.deep.equal([1, 2, 1]);
      expect(await opened.collection('c').count()).to.equal(3);
    } finally {
      await opened.close();
    }
  });

  it('names the violated index when a unique index cannot be created over duplicates', async () => {
    const store = SqliteReadModelStore.open({ file });
    try {
      await store.ensureCollection('c');
      await store.write([
        { collection: 'c', op: 'upsert', doc: { id: 'a', code: 'X' } },
        { collection: 'c', op: 'upsert', doc: { id: 'b', code: 'X' } },
      ]);
      const error = await failure(() =>
        store.ensureCollection('c', { indexes: [{ fields: ['code'], unique: true }] }),
      );
      expect(error).to.have.property('name', 'UniqueIndexViolationError');
      expect(error).to.have.deep.property('fields', ['code']);
      // The failed ensure left the collection usable and without the index.
      await store.write([{ collection: 'c', op: 'upsert', doc: { id: 'c', code: 'X' } }]);
      expect(await store.collection('c').count({ code: 'X' })).to.equal(3);
    } finally {
      await store.close();
    }
  });

  describe('query plans', () => {
    let db: Database.Database;
    let store: SqliteReadModelStore;
    beforeEach(async () => {
      store = SqliteReadModelStore.open({ file });
      await store.ensureCollection('subs', {
        indexes: [
          { fields: ['status'] },
          { fields: ['providerId', 'createdAt'] },
          { fields: ['email'], unique: true },
          { fields: ['plan.tier'] },
        ],
      });
      const docs = Array.from({ length: 500 }, (_, i) => ({
        id: `s${i}`,
        status: ['active', 'paused', 'ended'][i % 3],
        providerId: `p${i % 10}`,
        createdAt: 1_700_000_000_000 + i,
        email: `u${i}@example.com`,
        plan: { tier: i % 2 === 0 ? 'gold' : 'silver' },
      }));
      await store.write(docs.map((doc) => ({ collection: 'subs', op: 'upsert' as const, doc })));
      db = new Database(file, { readonly: true });
    });
    afterEach(async () => {
      db.close();
      await store.close();
    });

    const plans = (options: FindOptions): string[] => {
      const n = normalizeFind(options);
      return findQueries('rm_subs', n, { sortFieldUnique: n.sort.field === 'email' }).map((q) =>
        explain(limited(q.sql, n.limit + 1), [...q.params]),
      );
    };
    const explain = (sql: string, params: SqlParam[]): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    const page2 = async (options: FindOptions): Promise<FindOptions> => {
      const first = await store.collection('subs').find({ ...options, limit: 5 });
      return { ...options, limit: 5, cursor: first.nextCursor ?? undefined };
    };

    it('uses the expression indexes for where, sort and cursor, without a sort step', async () => {
      const cases: FindOptions[] = [
        { where: { status: 'active' } },
        { where: { status: 'active' }, sort: { field: 'status', direction: 'desc' } },
        { where: { providerId: 'p3' }, sort: { field: 'createdAt', direction: 'desc' } },
        {
          where: { providerId: 'p3', createdAt: { $gte: 1_700_000_000_100 } },
          sort: { field: 'createdAt', direction: 'asc' },
        },
        { sort: { field: 'plan.tier', direction: 'asc' } },
        { where: { 'plan.tier': 'gold' }, sort: { field: 'id', direction: 'desc' } },
        await page2({ where: { providerId: 'p3' }, sort: { field: 'createdAt', direction: 'desc' } }),
        await page2({ sort: { field: 'status', direction: 'asc' } }),
        await page2({ sort: { field: 'status', direction: 'desc' } }),
      ];
      for (const options of cases) {
        for (const plan of plans(options)) {
          expect(plan, JSON.stringify(options)).to.match(
            /USING (COVERING )?INDEX|USING PRIMARY KEY|INTEGER PRIMARY/,
          );
          expect(plan, JSON.stringify(options)).to.not.contain('TEMP B-TREE');
          expect(plan, JSON.stringify(options)).to.not.match(/^SCAN rm_subs$/);
        }
      }
      // Sorting by a field with only a unique index: the (rare) missing-value rows are sorted by id,
      // the others come straight from the unique index.
      const [missing, present] = plans({ sort: { field: 'email', direction: 'asc' } });
      expect(missing).to.match(/SEARCH rm_subs USING INDEX rm_subs__u_\w+ \(<expr>=\?\)/);
      expect(present).to.match(/USING INDEX rm_subs__u_\w+/);
      expect(present).to.not.contain('TEMP B-TREE');
      const equality = plans({ where: { email: 'u7@example.com' } }).join(' ');
      expect(equality).to.match(/SEARCH rm_subs USING INDEX rm_subs__u_\w+ \(<expr>=\?\)/);
    });

    it('reads a range on the sort field in one index scan, with no segment for missing values', async () => {
      for (const direction of ['asc', 'desc'] as const) {
        const options: FindOptions = {
          where: { providerId: 'p3', createdAt: { $gt: 1_700_000_000_100 } },
          sort: { field: 'createdAt', direction },
        };
        const segments = plans(options);
        expect(segments, direction).to.have.length(1);
        expect(segments[0]).to.match(/SEARCH rm_subs USING INDEX/);
        expect(segments[0]).to.not.contain('TEMP B-TREE');
        expect(plans(await page2(options)), direction).to.have.length(1);
        // Every page, walked to the end, in order and without repeats.
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await store
            .collection('subs')
            .find({ ...options, limit: 7, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((d) => d.createdAt as number));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const expected = Array.from({ length: 500 }, (_, i) => i)
          .filter((i) => i % 10 === 3 && 1_700_000_000_000 + i > 1_700_000_000_100)
          .map((i) => 1_700_000_000_000 + i);
        expect(seen).to.deep.equal(direction === 'asc' ? expected : expected.reverse());
      }
    });

    it('uses the index for counts and $in lists', () => {
      const count = (where: Where): string => {
        const q = countQuery('rm_subs', where);
        return explain(q.sql, [...q.params]);
      };
      expect(count({ status: 'paused' })).to.match(/USING COVERING INDEX/);
      expect(count({ status: { $in: ['paused', 'ended'] } })).to.match(/SEARCH .* USING COVERING INDEX/);
      expect(count({ 'plan.tier': { $gte: 'gold' } })).to.match(/SEARCH .* USING (COVERING )?INDEX/);
      expect(count({ providerId: 'p1', createdAt: { $lt: 5 } })).to.match(
        /SEARCH .* USING (COVERING )?INDEX/,
      );
    });
  });
});
