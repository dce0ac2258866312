/**
 * A small in-memory evaluator for the subset of MongoDB query filters, sorts and aggregation
 * expressions the Mongo adapters generate, following the server's documented rules (an `$eq: null`
 * matches a missing field; range operators only compare values of the same type; missing and null
 * sort first). It lets the translation helpers be tested for behaviour without a server; the
 * contract suites check the real thing when MONGODB_URL is set.
 */
type Doc = Record<string, unknown>;

const MISSING = Symbol('missing');
type Value = unknown;

export function getPath(doc: unknown, path: string): Value | typeof MISSING {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
    if (!(part in (current as Doc))) return MISSING;
    current = (current as Doc)[part];
  }
  return current;
}

function typeRank(value: unknown): number {
  if (value === MISSING || value === null || value === undefined) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (value instanceof Date) return 6;
  if (Array.isArray(value)) return 4;
  if (typeof value === 'object') return 3;
  if (typeof value === 'boolean') return 5;
  throw new Error(`unsupported value ${String(value)}`);
}

/** BSON comparison order, as used by sorts and aggregation comparisons. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean') {
    return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  }
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function equals(value: unknown, target: unknown): boolean {
  if (target === null) return value === MISSING || value === null;
  if (value === MISSING) return false;
  return typeRank(value) === typeRank(target) && compareValues(value, target) === 0;
}

function rangeMatch(value: unknown, op: string, bound: unknown): boolean {
  if (value === MISSING) return bound === null && (op === '$gte' || op === '$lte');
  if (typeRank(value) !== typeRank(bound)) return false;
  const c = compareValues(value, bound);
  if (op === '$gt') return c > 0;
  if (op === '$gte') return c >= 0;
  if (op === '$lt') return c < 0;
  return c <= 0;
}

function conditionMatch(value: unknown, condition: unknown): boolean {
  const isOperatorObject =
    condition !== null &&
    typeof condition === 'object' &&
    !Array.isArray(condition) &&
    !(condition instanceof Date) &&
    Object.keys(condition).every((k) => k.startsWith('$'));
  if (!isOperatorObject) return equals(value, condition);
  return Object.entries(condition as Doc).every(([op, arg]) => {
    switch (op) {
      case '$eq':
        return equals(value, arg);
      case '$ne':
        return !equals(value, arg);
      case '$in':
        return (arg as unknown[]).some((a) => equals(value, a));
      case '$exists':
        return (value !== MISSING) === arg;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        return rangeMatch(value, op, arg);
      default:
        throw new Error(`unsupported query operator ${op}`);
    }
  });
}

export function matches(doc: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Doc[]).every((f) => matches(doc, f));
    if (key === '$or') return (condition as Doc[]).some((f) => matches(doc, f));
    if (key.startsWith('$')) throw new Error(`unsupported top-level operator ${key}`);
    return conditionMatch(getPath(doc, key), condition);
  });
}

export function sortDocs<T extends Doc>(docs: readonly T[], spec: Record<string, 1 | -1>): T[] {
  return [...docs].sort((a, b) => {
    for (const [path, dir] of Object.entries(spec)) {
      const c = compareValues(getPath(a, path), getPath(b, path));
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

/** Evaluates an aggregation expression against `root` ($$ROOT). */
export function evaluate(expr: unknown, root: Doc): unknown {
  if (typeof expr === 'string') {
    if (expr === '$$ROOT') return root;
    if (expr.startsWith('$')) return getPath(root, expr.slice(1));
    return expr;
  }
  if (expr === null || typeof expr !== 'object' || expr instanceof Date) return expr;
  if (Array.isArray(expr)) return expr.map((e) => evaluate(e, root));
  const entries = Object.entries(expr as Doc);
  const [op, arg] = entries[0] ?? [];
  if (entries.length === 1 && op !== undefined && op.startsWith('$')) {
    const args = (): unknown[] => (arg as unknown[]).map((a) => evaluate(a, root));
    switch (op) {
      case '$literal':
        return arg;
      case '$or':
        return args().some(Boolean);
      case '$and':
        return args().every(Boolean);
      case '$eq':
        return compareValues(args()[0], args()[1]) === 0 && typeRank(args()[0]) === typeRank(args()[1]);
      case '$lt':
        return compareValues(args()[0], args()[1]) < 0;
      case '$lte':
        return compareValues(args()[0], args()[1]) <= 0;
      case '$gt':
        return compareValues(args()[0], args()[1]) > 0;
      case '$type': {
        const v = evaluate(arg, root);
        return v === MISSING ? 'missing' : v === null ? 'null' : typeof v;
      }
      case '$isNumber':
        return typeof evaluate(arg, root) === 'number';
      case '$add':
        return args().reduce((sum: number, v) => sum + (v as number), 0);
      case '$cond': {
        const [test, then, otherwise] = arg as unknown[];
        return evaluate(test, root) ? evaluate(then, root) : evaluate(otherwise, root);
      }
      case '$mergeObjects':
        return Object.assign({}, ...(args() as Doc[]));
      default:
        throw new Error(`unsupported expression operator ${op}`);
    }
  }
  const out: Doc = {};
  for (const [key, value] of entries) {
    const v = evaluate(value, root);
    if (v !== MISSING) out[key] = v;
  }
  return out;
}

/** Applies an update pipeline of `$replaceWith` stages to a document (`{ _id }` when upserting). */
export function applyPipeline(doc: Doc, pipeline: readonly Doc[]): Doc {
  let current = doc;
  for (const stage of pipeline) {
    if (!('$replaceWith' in stage)) throw new Error(`unsupported stage ${Object.keys(stage).join()}`);
    current = evaluate(stage.$replaceWith, current) as Doc;
  }
  return current;
}
