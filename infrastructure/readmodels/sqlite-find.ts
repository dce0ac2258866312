/**
 * Translation of validated read-model queries into SQLite SQL over `rm_<name>(id, doc)` tables.
 *
 * Every field is read with exactly the expression its index was created on
 * (`json_extract(doc, '$.path')`, or the `id` column), so the planner can use the index.
 *
 * `json_extract` turns JSON true/false into the integers 1/0, so a boolean condition also checks
 * `json_type` (and a number condition excludes booleans) to keep booleans and numbers apart, as a
 * document store does. Ranges never cross types: a number range matches numbers only, a string range
 * strings only.
 */
import type { Where } from '../../application/ports/read-model-store.js';
import { type NormalizedCondition, type NormalizedFind, normalizeCondition } from './query.js';

export type SqlParam = string | number | null;

/** The SQL expression that reads `field` from a row; must match the index definitions exactly. */
export function fieldExpr(field: string): string {
  return field === 'id' ? 'id' : `json_extract(doc, '$.${field}')`;
}

function typeExpr(field: string): string {
  return `json_type(doc, '$.${field}')`;
}

/** Booleans are bound as the integers json_extract produces for them. */
export function bindValue(value: unknown): SqlParam {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SqlParam;
}

const NUMBER_TYPES = `IN ('integer', 'real')`;
const OPERATORS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function idCondition(cond: NormalizedCondition, params: SqlParam[]): string {
  // The id column is always a non-empty string: conditions of any other type match nothing.
  switch (cond.kind) {
    case 'eq':
      if (typeof cond.value !== 'string') return '0';
      params.push(cond.value);
      return 'id = ?';
    case 'in': {
      const strings = cond.values.filter((v): v is string => typeof v === 'string');
      if (strings.length === 0) return '0';
      params.push(...strings);
      return `id IN (${strings.map(() => '?').join(', ')})`;
    }
    case 'range':
      if (cond.type !== 'string') return '0';
      return cond.bounds
        .map((b) => {
          params.push(b.value);
          return `id ${OPERATORS[b.op]} ?`;
        })
        .join(' AND ');
  }
}

function inCondition(field: string, values: readonly unknown[], params: SqlParam[]): string {
  const e = fieldExpr(field);
  const t = typeExpr(field);
  const strings = values.filter((v) => typeof v === 'string');
  const numbers = values.filter((v) => typeof v === 'number');
  const terms: string[] = [];
  if (strings.length > 0) {
    params.push(...(strings as string[]));
    terms.push(`${e} IN (${strings.map(() => '?').join(', ')})`);
  }
  if (numbers.length > 0) {
    params.push(...(numbers as number[]));
    terms.push(`(${e} IN (${numbers.map(() => '?').join(', ')}) AND ${t} ${NUMBER_TYPES})`);
  }
  if (values.includes(true)) terms.push(`(${e} = 1 AND ${t} = 'true')`);
  if (values.includes(false)) terms.push(`(${e} = 0 AND ${t} = 'false')`);
  if (values.includes(null)) terms.push(`${e} IS NULL`);
  if (terms.length === 0) return '0';
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

export function conditionSql(field: string, cond: NormalizedCondition, params: SqlParam[]): string {
  if (field === 'id') return idCondition(cond, params);
  const e = fieldExpr(field);
  const t = typeExpr(field);
  switch (cond.kind) {
    case 'eq': {
      const v = cond.value;
      if (v === null) return `${e} IS NULL`;
      if (typeof v === 'boolean') return `(${e} = ${v ? 1 : 0} AND ${t} = '${String(v)}')`;
      params.push(v);
      return typeof v === 'number' ? `(${e} = ? AND ${t} ${NUMBER_TYPES})` : `${e} = ?`;
    }
    case 'in':
      return inCondition(field, cond.values, params);
    case 'range': {
      const parts = cond.bounds.map((b) => {
        params.push(b.value);
        return `${e} ${OPERATORS[b.op]} ?`;
      });
      const hasLower = cond.bounds.some((b) => b.op === '$gt' || b.op === '$gte');
      const hasUpper = cond.bounds.some((b) => b.op === '$lt' || b.op === '$lte');
      // SQLite orders NULL < numbers < text: bracket the range so it cannot spill into another type.
      if (cond.type === 'string' && !hasLower) parts.push(`${e} >= ''`);
      if (cond.type === 'number') {
        if (!hasUpper) parts.push(`${e} < ''`);
        parts.push(`${t} ${NUMBER_TYPES}`);
      }
      return `(${parts.join(' AND ')})`;
    }
  }
}

export function whereSql(where: Where, params: SqlParam[]): string[] {
  return Object.entries(where).map(([field, condition]) =>
    conditionSql(field, normalizeCondition(field, condition), params),
  );
}

/**
 * One SELECT of a paginated find, without its LIMIT (see {@link limited}); a page may need two (see
 * {@link findQueries}).
 */
export interface SegmentQuery {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

export interface FindPlanOptions {
  /** The sort field alone carries a unique index, so (field) order needs no id tie-break. */
  readonly sortFieldUnique: boolean;
}

/**
 * Plans a keyset-paginated find as one or two range scans, each able to walk an index in order.
 *
 * Null (or missing) sort values come first ascending and last descending. Rather than one query
 * with `... OR field IS NULL` (which defeats index seeks), the rows are split into a null segment,
 * ordered by id, and a non-null segment, ordered by (field, id); the caller runs the segment queries
 * in order until it has `limit + 1` rows. When `where` pins the sort field to one value (or the sort
 * is by id), order by id alone; when it bounds the sort field by a range, which no null satisfies,
 * the null segment is left out.
 */
export function findQueries(table: string, n: NormalizedFind, options: FindPlanOptions): SegmentQuery[] {
  const baseParams: SqlParam[] = [];
  const base = whereSql(n.where, baseParams);
  const dir = n.sort.direction === 'asc' ? 'ASC' : 'DESC';
  const after = n.sort.direction === 'asc' ? '>' : '<';
  const field = n.sort.field;
  const pinned = field === 'id' || normalizedIsEq(n.where, field);

  const query = (extra: string[], extraParams: SqlParam[], orderBy: string): SegmentQuery => {
    const clauses = [...base, ...extra];
    const whereClause = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '';
    return {
      sql: `SELECT doc FROM ${table}${whereClause} ORDER BY ${orderBy}`,
      params: [...baseParams, ...extraParams],
    };
  };

  if (pinned) {
    return n.after ? [query([`id ${after} ?`], [n.after.id], `id ${dir}`)] : [query([], [], `id ${dir}`)];
  }

  const e = fieldExpr(field);
  const valueOrder = options.sortFieldUnique ? `${e} ${dir}` : `${e} ${dir}, id ${dir}`;
  const nulls = (afterId: string | null): SegmentQuery =>
    afterId === null
      ? query([`${e} IS NULL`], [], `id ${dir}`)
      : query([`${e} IS NULL`, `id ${after} ?`], [afterId], `id ${dir}`);
  const values = (cursor: { sortValue: SqlParam; id: string } | null): SegmentQuery => {
    if (cursor === null) return query([`${e} IS NOT NULL`], [], valueOrder);
    const v = cursor.sortValue;
    const from = n.sort.direction === 'asc' ? '>=' : '<=';
    return query([`${e} ${from} ?`, `(${e} ${after} ? OR id ${after} ?)`], [v, v, cursor.id], valueOrder);
  };

  const cursor = n.after;
  // A range on the sort field matches no null, so the null segment would always come back empty
  // (after a null cursor come all values ascending, and nothing descending).
  if (normalizedIsRange(n.where, field)) {
    if (cursor === null) return [values(null)];
    if (cursor.sortValue === null) return n.sort.direction === 'asc' ? [values(null)] : [];
    return [values({ sortValue: bindValue(cursor.sortValue), id: cursor.id })];
  }
  if (cursor === null) {
    return n.sort.direction === 'asc' ? [nulls(null), values(null)] : [values(null), nulls(null)];
  }
  if (cursor.sortValue === null) {
    return n.sort.direction === 'asc' ? [nulls(cursor.id), values(null)] : [nulls(cursor.id)];
  }
  const valueCursor = { sortValue: bindValue(cursor.sortValue), id: cursor.id };
  return n.sort.direction === 'asc' ? [values(valueCursor)] : [values(valueCursor), nulls(null)];
}

/**
 * A segment's SQL with its row limit written in as a literal. SQLite's planner looks at the value
 * bound to `LIMIT ?`, so every new binding expires the statement and it is compiled again on its
 * next run (tens of microseconds, more than the indexed read itself); a literal keeps the prepared
 * statement reusable. The limit is a validated whole number, never caller text.
 */
export function limited(sql: string, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`Invalid row limit ${String(limit)}`);
  return `${sql} LIMIT ${limit}`;
}

function normalizedIsRange(where: Where, field: string): boolean {
  const condition = where[field];
  return condition !== undefined && normalizeCondition(field, condition).kind === 'range';
}

function normalizedIsEq(where: Where, field: string): boolean {
  const condition = where[field];
  return condition !== undefined && normalizeCondition(field, condition).kind === 'eq';
}

export function countQuery(table: string, where: Where): SegmentQuery {
  const params: SqlParam[] = [];
  const clauses = whereSql(where, params);
  const whereClause = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '';
  return { sql: `SELECT count(*) FROM ${table}${whereClause}`, params };
}
