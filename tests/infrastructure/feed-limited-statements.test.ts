import Database from 'better-sqlite3';
import { expect } from 'chai';
import { LimitedStatements } from '../../infrastructure/feed/limited-statements.js';

describe('LimitedStatements (row limits written into the SQL)', () => {
  let db: Database.Database;
  let rows: LimitedStatements<[number], { n: number }>;

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY) STRICT');
    const insert = db.prepare<[number]>('INSERT INTO t (n) VALUES (?)');
    for (let n = 1; n <= 30; n++) insert.run(n);
    rows = new LimitedStatements(db, 'SELECT n FROM t WHERE n > ? ORDER BY n');
  });
  afterEach(() => db.close());

  it('returns at most `limit` rows in order, for every limit asked for, again and again', () => {
    for (let limit = 1; limit <= 20; limit++) {
      expect(rows.all(limit, 5).map((r) => r.n)).to.deep.equal(
        Array.from({ length: limit }, (_, i) => 6 + i),
      );
    }
    expect(rows.all(3, 28).map((r) => r.n)).to.deep.equal([29, 30]);
    expect(rows.all(1, 0)).to.deep.equal([{ n: 1 }]);
  });

  it('returns nothing for a limit below 1 and refuses a limit that is not a whole number', () => {
    expect(rows.all(0, 0)).to.deep.equal([]);
    expect(rows.all(-1, 0)).to.deep.equal([]);
    expect(() => rows.all(1.5, 0)).to.throw(RangeError);
    expect(() => rows.all(Number.NaN, 0)).to.throw(RangeError);
  });
});
