import type Database from 'better-sqlite3';
import { limited } from '../readmodels/sqlite-find.js';

/** Row limits whose statements are kept; callers use one or two each (a worker's batch, a page size). */
const KEPT_LIMITS = 16;

/**
 * One query prepared once per row limit, with the limit written into the SQL (see `limited`): a bound
 * `LIMIT ?` makes SQLite compile the statement again on every run, since its planner looks at the
 * bound value. The few limits in use stay prepared; the least recently used goes first.
 */
export class LimitedStatements<Params extends unknown[], Row> {
  private readonly byLimit = new Map<number, Database.Statement<Params, Row>>();

  constructor(
    private readonly db: Database.Database,
    /** The query without its LIMIT clause. */
    private readonly sql: string,
  ) {}

  /** Up to `limit` rows (none for a limit below 1; a non-integer limit is a RangeError). */
  all(limit: number, ...params: Params): Row[] {
    if (Number.isSafeInteger(limit) && limit < 1) return [];
    return this.statement(limit).all(...params);
  }

  private statement(limit: number): Database.Statement<Params, Row> {
    let stmt = this.byLimit.get(limit);
    if (stmt === undefined) {
      stmt = this.db.prepare<Params, Row>(limited(this.sql, limit));
      if (this.byLimit.size >= KEPT_LIMITS) this.byLimit.delete(this.byLimit.keys().next().value!);
    } else {
      this.byLimit.delete(limit);
    }
    this.byLimit.set(limit, stmt);
    return stmt;
  }
}
