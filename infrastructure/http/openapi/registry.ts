import type { z } from 'zod';
import type { ScopeRequirement } from '../bearer-auth.js';

/**
 * The declarative description of HTTP routes that the OpenAPI document is generated from. Each
 * router module has a sibling `*-api.ts` listing its routes with the same zod schemas the router
 * parses with, so the document cannot drift from what the server accepts; a test walks the Express
 * app and fails on any `/v1` or `/admin/v1` route that has no description here.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: a Tessera access token with scopes, the admin token, or anyone. */
export type RouteSecurity =
  | {
      readonly kind: 'bearer';
      /** Same shape as bearerAuth's `anyOf`: any one requirement, each a scope or scopes held together. */
      readonly anyOf: readonly ScopeRequirement[];
    }
  | { readonly kind: 'admin' }
  | { readonly kind: 'none' };

/** A zod object whose properties are the path, query or header parameters. */
export type ParamsSchema = z.ZodObject;

export interface JsonResponseDoc {
  readonly kind: 'json';
  readonly description: string;
  /** The body's shape as served (converted with `io: 'output'`). */
  readonly schema: z.ZodType;
  /** Response headers worth knowing, name → description. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ProblemResponseDoc {
  readonly kind: 'problem';
  readonly description: string;
  /** The stable `code` values this status can carry (also the tail of the `type` URI). */
  readonly codes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmptyResponseDoc {
  readonly kind: 'empty';
  readonly description: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ResponseDoc = JsonResponseDoc | ProblemResponseDoc | EmptyResponseDoc;

export interface RouteDoc {
  readonly method: HttpMethod;
  /** The full path in OpenAPI form, mount prefix included: `/v1/users/{sub}`. */
  readonly path: string;
  /** Unique across the document; stable, since client generators name functions after it. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The first tag groups the operation on the docs page. */
  readonly tags: readonly [string, ...string[]];
  readonly security: RouteSecurity;
  readonly params?: ParamsSchema;
  readonly query?: ParamsSchema;
  readonly headers?: ParamsSchema;
  /** The JSON request body, converted with `io: 'input'` (what a client sends, before transforms). */
  readonly body?: z.ZodType;
  /** Whether a body must be sent (default true when `body` is given). */
  readonly bodyRequired?: boolean;
  /** The route accepts `?minPosition=` to read its own writes (read-after-write). */
  readonly readAfterWrite?: boolean;
  /** Route-specific responses by status. Authentication and validation problems are added for you. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
}

/** A JSON response with the given body schema. */
export function json(
  description: string,
  schema: z.ZodType,
  headers?: Readonly<Record<string, string>>,
): JsonResponseDoc {
  return { kind: 'json', description, schema, ...(headers ? { headers } : {}) };
}

/** An `application/problem+json` response that carries one of the given codes. */
export function problem(description: string, ...codes: [string, ...string[]]): ProblemResponseDoc {
  return { kind: 'problem', description, codes };
}

/** A response without a body (204, or 202 without content). */
export function empty(description: string, headers?: Readonly<Record<string, string>>): EmptyResponseDoc {
  return { kind: 'empty', description, ...(headers ? { headers } : {}) };
}

/** Bearer-token security: the token must satisfy any one of the requirements. */
export function scopes(...anyOf: [ScopeRequirement, ...ScopeRequirement[]]): RouteSecurity {
  return { kind: 'bearer', anyOf };
}

export const ADMIN: RouteSecurity = { kind: 'admin' };
export const PUBLIC: RouteSecurity = { kind: 'none' };

/** Identity helper that checks a module's route list against RouteDoc at its definition. */
export function defineRoutes(routes: readonly RouteDoc[]): readonly RouteDoc[] {
  return routes;
}

/** Response headers Tessera's writes carry. */
export const WRITE_HEADERS = {
  'Tessera-Position':
    'Global log position of the write; pass it as `?minPosition=` to a later read to see this write.',
} as const;

/**
 * `T` with its readonly markers removed, deeply: lets a `*-api.ts` check at compile time that what
 * a router's `to…Resource` returns fits the documented zod schema (zod infers mutable arrays).
 */
export type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;

/**
 * `true` only when `Actual` (what a router sends) fits the documented `Doc` and has no top-level
 * field `Doc` leaves out. Use as `const checked: Documents<z.input<typeof X>, ReturnType<typeof toX>> = true`.
 */
export type Documents<Doc, Actual> = [Writable<Actual>] extends [Doc]
  ? [Exclude<keyof Actual, keyof Doc>] extends [never]
    ? true
    : false
  : false;
