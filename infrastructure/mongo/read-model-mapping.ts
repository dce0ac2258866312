/**
 * Pure translations between the ReadModelStore port and MongoDB documents, filters and index
 * definitions. Kept free of I/O so they can be tested without a server.
 */
import type { AnyBulkWriteOperation, Document, Filter } from 'mongodb';
import {
  InvalidQueryError,
  type Condition,
  type Doc,
  type IndexSpec,
  type Where,
} from '../../application/ports/read-model-store.js';
import { assertFieldName } from '../readmodels/query.js';

/** Bookkeeping fields the adapter adds to stored documents; never returned to callers. */
export const POSITION_FIELD = '_pos';
export const WRITE_FIELD = '_w';
export const NULLS_FIELD = '_nulls';

/** A read-model document as stored: the port's `id` becomes `_id`. */
export interface StoredDoc extends Document {
  _id: string;
  _pos?: number;
  _w?: string;
  _nulls?: string[];
}

/** The guard of a checkpointed write, see `upsertOperation`. */
export interface WriteGuard {
  /** The checkpoint position this write moves to. */
  readonly position: number;
  /** The position the checkpoint had before; null for a projection's first write. */
  readonly expectedPosition: number | null;
  /** Random per write() call, so several changes to one document within a write all apply. */
  readonly writeId: string;
}

/** Maps a port field path to the stored path (`id` is stored as `_id`). */
export function storedPath(field: string): string {
  if (field === 'id') return '_id';
  if (
    field === '' ||
    field.startsWith('_') ||
    field.includes('$') ||
    field.split('.').some((p) => p === '')
  ) {
    throw new InvalidQueryError(`Invalid field name: ${JSON.stringify(field)}`);
  }
  return field;
}

/** Maps a stored path back to the port's field name. */
export function portField(path: string): string {
  return path === '_id' ? 'id' : path;
}

function conditionFilter(condition: Condition): Document {
  if (condition === null || typeof condition !== 'object') return { $eq: condition };
  if ('$in' in condition) return { $in: [...condition.$in] };
  const range: Document = {};
  for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) {
    if (condition[op] !== undefined) range[op] = condition[op];
  }
  return range;
}

/**
 * `{ field: value }` becomes `{ field: { $eq: value } }`; MongoDB's `$eq: null` matches both a
 * null and a missing field, which is the port's rule. `$in` and ranges map one to one.
 */
export function whereToFilter(where: Where): Document {
  const filter: Document = {};
  for (const [field, condition] of Object.entries(where)) {
    filter[storedPath(field)] = conditionFilter(condition);
  }
  return filter;
}

/** Sort by the field, then by id in the same direction, so pages are stable. */
export function sortSpec(field: string, direction: 'asc' | 'desc'): Record<string, 1 | -1> {
  const dir = direction === 'asc' ? 1 : -1;
  const path = storedPath(field);
  return path === '_id' ? { _id: dir } : { [path]: dir, _id: dir };
}

/**
 * The keyset condition "comes after (sortValue, id)" in the sort order. Missing fields sort as
 * null, which sorts before every other value in MongoDB. Uses query operators rather than `$expr`
 * so the planner can use the (field, _id) index; that relies on a sorted field holding one type
 * (plus null), since MongoDB range operators only compare values of the same type.
 */
export function afterFilter(
  field: string,
  direction: 'asc' | 'desc',
  after: { readonly sortValue: unknown; readonly id: string },
): Document {
  const path = storedPath(field);
  const idOp = direction === 'asc' ? '$gt' : '$lt';
  if (path === '_id') return { _id: { [idOp]: after.id } };
  const value = after.sortValue ?? null;
  const sameValueLaterId = { [path]: { $eq: value }, _id: { [idOp]: after.id } };
  if (direction === 'asc') {
    if (value === null) return { $or: [{ [path]: { $ne: null } }, sameValueLaterId] };
    return { $or: [{ [path]: { $gt: value } }, sameValueLaterId] };
  }
  if (value === null) return sameValueLaterId;
  return { $or: [{ [path]: { $lt: value } }, { [path]: { $eq: null } }, sameValueLaterId] };
}

/** Combines filters, dropping empty ones. */
export function allOf(...filters: Document[]): Document {
  const parts = filters.filter((f) => Object.keys(f).length > 0);
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0] as Document;
  return { $and: parts };
}

/**
 * The stored form of a document: a JSON round trip (so values are exactly what the SQLite adapter
 * would keep: no `undefined`, dates as strings), `_id` from `id`, plus the bookkeeping fields.
 * Top-level null fields are left out and their names listed in `_nulls` (restored on read): a
 * missing field matches `$eq: null` and sorts as null just the same, and it lets unique indexes
 * skip absent values with a `$exists` partial filter, as SQLite's unique indexes skip NULLs.
 */
export function toStored(doc: Doc, bookkeeping: { position?: number; writeId: string }): StoredDoc {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidQueryError('A read-model document must be an object');
  }
  if (typeof doc.id !== 'string' || doc.id === '') {
    throw new InvalidQueryError('A document needs a non-empty string id');
  }
  const { id, ...fields } = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  const stored: StoredDoc = { _id: id as string };
  const nulls: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith('_') || name.startsWith('$')) {
      throw new InvalidQueryError(`Field names must not start with "_" or "$": ${JSON.stringify(name)}`);
    }
    if (value === null) nulls.push(name);
    else stored[name] = value;
  }
  if (nulls.length > 0) stored[NULLS_FIELD] = nulls;
  stored[WRITE_FIELD] = bookkeeping.writeId;
  if (bookkeeping.position !== undefined) stored[POSITION_FIELD] = bookkeeping.position;
  return stored;
}

/** The port's view of a stored document: `_id` back to `id`, nulls restored, bookkeeping removed. */
export function fromStored<T extends Doc>(stored: Document): T {
  const { _id, _pos: _p, _w: _x, _nulls: nulls, ...fields } = stored;
  const doc: Record<string, unknown> = { id: _id, ...fields };
  if (Array.isArray(nulls)) for (const name of nulls) doc[String(name)] = null;
  return doc as T;
}

/**
 * The aggregation expression "this write may replace the stored document": it has never been
 * written by a checkpointed write, or its last write was before this batch's position (strictly:
 * a document stamped with this very position by an earlier, interrupted attempt already holds the
 * batch's effect), or it was written earlier in this same write() call, or it was stamped at or
 * before the position this batch starts from.
 */
function mayReplaceExpression(guard: WriteGuard): Document {
  const clauses: Document[] = [
    { $eq: [{ $type: `$${POSITION_FIELD}` }, 'missing'] },
    { $lt: [`$${POSITION_FIELD}`, guard.position] },
    { $eq: [`$${WRITE_FIELD}`, guard.writeId] },
  ];
  if (guard.expectedPosition !== null) clauses.push({ $lte: [`$${POSITION_FIELD}`, guard.expectedPosition] });
  return { $or: clauses };
}

/** The same rule as `mayReplaceExpression`, as a query filter (for deletes). */
function mayReplaceFilter(guard: WriteGuard): Filter<StoredDoc> {
  const clauses: Filter<StoredDoc>[] = [
    { [POSITION_FIELD]: { $exists: false } },
    { [POSITION_FIELD]: { $lt: guard.position } },
    { [WRITE_FIELD]: guard.writeId },
  ];
  if (guard.expectedPosition !== null) clauses.push({ [POSITION_FIELD]: { $lte: guard.expectedPosition } });
  return { $or: clauses };
}

/**
 * A bulkWrite operation that upserts the document. Unguarded: a plain replace. Guarded: an
 * aggregation-pipeline update that keeps the stored document when the guard says it is newer
 * (`$literal` so string values starting with `$` are not read as field paths).
 */
export function upsertOperation(
  stored: StoredDoc,
  guard: WriteGuard | null,
): AnyBulkWriteOperation<StoredDoc> {
  if (guard === null) {
    return { replaceOne: { filter: { _id: stored._id }, replacement: stored, upsert: true } };
  }
  const replaceWith = { $cond: [mayReplaceExpression(guard), { $literal: stored }, '$$ROOT'] };
  return {
    updateOne: { filter: { _id: stored._id }, update: [{ $replaceWith: replaceWith }], upsert: true },
  };
}

/** A bulkWrite operation that deletes the document, unless the guard says it is newer. */
export function deleteOperation(id: string, guard: WriteGuard | null): AnyBulkWriteOperation<StoredDoc> {
  const filter: Filter<StoredDoc> = guard === null ? { _id: id } : { _id: id, ...mayReplaceFilter(guard) };
  return { deleteOne: { filter } };
}

/**
 * Index name for a spec. The name encodes the fields so a duplicate-key error that carries only
 * the index name can still be mapped back to them.
 */
export function indexName(spec: IndexSpec): string {
  return `${spec.unique === true ? 'unique' : 'index'}:${spec.fields.join(',')}`;
}

/** `createIndex` arguments for a spec, or null when the index would only repeat `_id`'s. */
export function indexDefinition(spec: IndexSpec): {
  key: Record<string, 1>;
  options: { name: string; unique?: boolean; partialFilterExpression?: Document };
} | null {
  if (!Array.isArray(spec.fields) || spec.fields.length === 0) {
    throw new InvalidQueryError('An index needs at least one field');
  }
  for (const field of spec.fields) assertFieldName(field, 'index field');
  if (new Set(spec.fields).size !== spec.fields.length) {
    throw new InvalidQueryError(`Index fields repeat: ${spec.fields.join(', ')}`);
  }
  const paths = spec.fields.map(storedPath);
  if (paths.length === 1 && paths[0] === '_id') return null;
  const key: Record<string, 1> = {};
  for (const path of paths) key[path] = 1;
  if (spec.unique !== true) return { key, options: { name: indexName(spec) } };
  // A unique index in SQLite ignores rows where an indexed column is NULL; MongoDB indexes a
  // missing field as null and would let only one such document exist. Null fields are not stored
  // (see toStored), so `$exists: true` skips exactly those documents, and unlike `$type` it still
  // lets the planner use the index for equality and range queries on the field.
  const partialFilterExpression: Document = {};
  for (const path of paths) {
    if (path !== '_id') partialFilterExpression[path] = { $exists: true };
  }
  return { key, options: { name: indexName(spec), unique: true, partialFilterExpression } };
}

/**
 * The first duplicate-key (E11000) error in a driver error, single or bulk. For a bulk error the
 * server's per-operation entry is preferred: it carries `keyPattern`, the wrapper only a message.
 */
export function duplicateKeyError(error: unknown): Document | null {
  if (error === null || typeof error !== 'object') return null;
  const e = error as Document;
  const writeErrors: unknown = e.writeErrors;
  const list: unknown[] = Array.isArray(writeErrors)
    ? writeErrors
    : writeErrors === undefined
      ? []
      : [writeErrors];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const w = item as Document;
    // The driver's WriteError keeps the server's entry (with keyPattern) under `err`.
    const raw = (w.err !== null && typeof w.err === 'object' ? w.err : w) as Document;
    if (raw.code === 11000 || w.code === 11000) return raw;
  }
  return e.code === 11000 ? e : null;
}

/**
 * The port field names of the index a duplicate-key error is about: from the server's
 * `keyPattern` when present, else from the index name in the message (see `indexName`).
 */
export function duplicateKeyFields(error: Document): string[] | null {
  const pattern: unknown = error.keyPattern;
  if (pattern !== null && typeof pattern === 'object' && Object.keys(pattern).length > 0) {
    return Object.keys(pattern).map(portField);
  }
  const message = String(error.errmsg ?? error.message ?? '');
  const match = /index: (\S+) dup key/.exec(message);
  if (match === null || match[1] === undefined) return null;
  const name = match[1];
  if (name === '_id_') return ['id'];
  const colon = name.indexOf(':');
  return colon < 0 ? null : name.slice(colon + 1).split(',');
}
