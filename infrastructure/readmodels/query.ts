/**
 * Query validation and keyset pagination shared by the read-model adapters (SQLite and MongoDB), so
 * both accept and reject exactly the same queries and hand out the same kind of cursor.
 *
 * Pagination is keyset-based: results are ordered by (sort field, id), both in the sort direction,
 * and a cursor holds the last item's (sort value, id). The next page starts strictly after that pair,
 * so documents inserted or removed between pages never cause duplicates or skips among the others.
 *
 * Ordering rules both adapters follow:
 * - a missing sort field sorts as null, and null sorts before every other value (first when
 *   ascending, last when descending);
 * - a sort field should hold a single type of scalar (all numbers, all strings or all booleans, with
 *   null or missing allowed); mixed types sort by type in an adapter-specific order.
 */
import {
  type Condition,
  type Doc,
  type FindOptions,
  InvalidQueryError,
  type Page,
  type Scalar,
  type Where,
} from '../../application/ports/read-model-store.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** Upper bound on `$in` lists, so one query cannot grow into an unbounded statement. */
export const MAX_IN_VALUES = 1000;

const FIELD_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
const COLLECTION_PATTERN = /^[a-z0-9_]{1,64}$/;
const RANGE_OPERATORS = ['$gt', '$gte', '$lt', '$lte'] as const;

export type RangeOperator = (typeof RANGE_OPERATORS)[number];

export interface NormalizedFind {
  readonly where: Where;
  readonly sort: { readonly field: string; readonly direction: 'asc' | 'desc' };
  readonly limit: number;
  /** The (sort value, id) of the last item of the previous page; null for the first page. */
  readonly after: { readonly sortValue: unknown; readonly id: string } | null;
}

/** A validated condition in a shape that is easy to translate into a store's query language. */
export type NormalizedCondition =
  | { readonly kind: 'eq'; readonly value: Scalar }
  | { readonly kind: 'in'; readonly values: readonly Scalar[] }
  | {
      readonly kind: 'range';
      /** Every bound is of this type: ranges never compare across types. */
      readonly type: 'number' | 'string';
      readonly bounds: ReadonlyArray<{ readonly op: RangeOperator; readonly value: number | string }>;
    };

export function encodeCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): unknown[] {
  if (typeof cursor !== 'string' || cursor.length === 0 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidQueryError('Invalid cursor: not a cursor returned by a previous page');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('Invalid cursor: not a cursor returned by a previous page');
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidQueryError('Invalid cursor: not a cursor returned by a previous page');
  }
  return parsed as unknown[];
}

export function assertCollectionName(name: string): void {
  if (typeof name !== 'string' || !COLLECTION_PATTERN.test(name)) {
    throw new InvalidQueryError(
      `Invalid collection name ${JSON.stringify(name)}: use 1 to 64 characters from [a-z0-9_]`,
    );
  }
}

export function assertFieldName(field: string, role = 'field'): void {
  if (typeof field !== 'string' || !FIELD_PATTERN.test(field)) {
    throw new InvalidQueryError(
      `Invalid ${role} name ${JSON.stringify(field)}: use letters, digits and _ starting with a letter, with . between nested names`,
    );
  }
}

export function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Validates one `where` condition and classifies it as equality, `$in` or range. */
export function normalizeCondition(field: string, condition: Condition): NormalizedCondition {
  if (isScalar(condition)) return { kind: 'eq', value: condition };
  if (typeof condition !== 'object' || Array.isArray(condition)) {
    throw new InvalidQueryError(
      `Invalid condition on ${field}: expected a string, finite number, boolean, null, { $in: [...] } or a range`,
    );
  }
  const keys = Object.keys(condition);
  if (keys.includes('$in')) {
    const values = (condition as { $in: unknown }).$in;
    if (keys.length !== 1) {
      throw new InvalidQueryError(
        `Invalid condition on ${field}: $in cannot be combined with other operators`,
      );
    }
    if (!Array.isArray(values) || !values.every(isScalar)) {
      throw new InvalidQueryError(`Invalid condition on ${field}: $in takes an array of scalars`);
    }
    if (values.length > MAX_IN_VALUES) {
      throw new InvalidQueryError(`Invalid condition on ${field}: $in takes at most ${MAX_IN_VALUES} values`);
    }
    return { kind: 'in', values };
  }
  if (keys.length === 0) {
    throw new InvalidQueryError(`Invalid condition on ${field}: an empty object is not a condition`);
  }
  const bounds: Array<{ op: RangeOperator; value: number | string }> = [];
  let type: 'number' | 'string' | null = null;
  for (const key of keys) {
    if (!(RANGE_OPERATORS as readonly string[]).includes(key)) {
      throw new InvalidQueryError(
        `Invalid condition on ${field}: unknown operator ${JSON.stringify(key)} (use $in, $gt, $gte, $lt, $lte)`,
      );
    }
    const value = (condition as Record<string, unknown>)[key];
    const valueType =
      typeof value === 'string'
        ? 'string'
        : typeof value === 'number' && Number.isFinite(value)
          ? 'number'
          : null;
    if (valueType === null) {
      throw new InvalidQueryError(`Invalid condition on ${field}: ${key} takes a string or a finite number`);
    }
    if (type !== null && type !== valueType) {
      throw new InvalidQueryError(
        `Invalid condition on ${field}: range bounds must all be numbers or all strings`,
      );
    }
    type = valueType;
    bounds.push({ op: key as RangeOperator, value: value as number | string });
  }
  return { kind: 'range', type: type ?? 'number', bounds };
}

function normalizeWhere(where: Where | undefined): Where {
  if (where === undefined) return {};
  if (where === null || typeof where !== 'object' || Array.isArray(where)) {
    throw new InvalidQueryError('Invalid where: expected an object of field conditions');
  }
  for (const [field, condition] of Object.entries(where)) {
    assertFieldName(field, 'where field');
    normalizeCondition(field, condition);
  }
  return where;
}

/** Validates a find request and fills in the defaults (sort by id ascending, limit 50). */
export function normalizeFind(options: FindOptions | undefined): NormalizedFind {
  const where = normalizeWhere(options?.where);

  const sortOption = options?.sort;
  let sort: NormalizedFind['sort'] = { field: 'id', direction: 'asc' };
  if (sortOption !== undefined) {
    assertFieldName(sortOption.field, 'sort field');
    if (sortOption.direction !== 'asc' && sortOption.direction !== 'desc') {
      throw new InvalidQueryError(
        `Invalid sort direction ${JSON.stringify(sortOption.direction)}: use "asc" or "desc"`,
      );
    }
    sort = { field: sortOption.field, direction: sortOption.direction };
  }

  const limit = options?.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidQueryError(`Invalid limit ${String(limit)}: use a whole number from 1 to ${MAX_LIMIT}`);
  }

  let after: NormalizedFind['after'] = null;
  if (options?.cursor !== undefined) {
    const values = decodeCursor(options.cursor);
    const [sortValue, id] = values;
    if (values.length !== 2 || !isScalar(sortValue) || typeof id !== 'string') {
      throw new InvalidQueryError('Invalid cursor: not a cursor returned by a previous page');
    }
    after = { sortValue, id };
  }

  return { where, sort, limit, after };
}

/** Reads a (possibly dotted) field from a document; a missing field reads as undefined. */
export function readPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Builds a page from up to `limit + 1` rows fetched in (sort field, id) order: the extra row only
 * signals that another page exists; the cursor points at the last returned item.
 */
export function pageFrom<T extends Doc>(rows: T[], n: NormalizedFind): Page<T> {
  if (rows.length <= n.limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, n.limit);
  const last = items[items.length - 1] as T;
  const raw = readPath(last, n.sort.field);
  const sortValue = raw === undefined ? null : raw;
  if (!isScalar(sortValue)) {
    throw new InvalidQueryError(
      `Cannot paginate by ${n.sort.field}: document ${last.id} holds a non-scalar value there`,
    );
  }
  return { items, nextCursor: encodeCursor([sortValue, last.id]) };
}
