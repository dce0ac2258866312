import { z } from 'zod';
import type { ScopeRequirement } from '../bearer-auth.js';
import { checkOpenApiDocument } from './check.js';
import { ProblemSchema, SECURITY_SCHEME_ADMIN, SECURITY_SCHEME_OIDC, securitySchemes } from './components.js';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { type ParamsSchema, problem, type ResponseDoc, type RouteDoc } from './registry.js';

/** An OpenAPI 3.1 document as plain JSON data. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly jsonSchemaDialect: string;
  readonly servers?: readonly { readonly url: string }[];
  readonly tags: readonly { readonly name: string; readonly description?: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, OperationObject>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes: Readonly<Record<string, object>>;
  };
}

export interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
  readonly content?: Readonly<Record<string, { readonly schema: JsonSchema }>>;
}

export interface OperationObject {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly ParameterObject[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>>;
  };
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

export interface GenerateOptions {
  readonly title?: string;
  readonly version: string;
  readonly description?: string;
  /** The issuer (base URL) for the discovery link; relative to the server when absent. */
  readonly issuer?: string;
  readonly servers?: readonly string[];
  /** Descriptions of tags, shown above their operations on the docs page. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly routes: readonly RouteDoc[];
}

/** `?minPosition=`, as read-after-write.ts parses it. */
const MinPositionQuery = z.object({
  minPosition: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .describe(
      'Wait (briefly) until the data reflects the write at this log position (a `Tessera-Position` value).',
    ),
});

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' } as const;
const JSON_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Problems the shared middleware answers with, so no route has to list them itself. */
function standardResponses(route: RouteDoc): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = {};
  if (route.security.kind === 'bearer') {
    out[401] = problem(
      'No access token, or it is malformed, unknown, expired or revoked.',
      'unauthorized',
      'invalid_token',
    );
    out[403] = problem('The token lacks every accepted scope set.', 'insufficient_scope');
    out[503] = problem('Tokens cannot be checked yet (the server is starting); retry.', 'oidc_starting');
  } else if (route.security.kind === 'admin') {
    out[401] = problem('The admin token is missing or wrong.', 'unauthorized', 'invalid_token');
  }
  if (route.params || route.query || route.headers || route.readAfterWrite) {
    out[400] = problem(
      'A path, query or header parameter is not valid; `errors` lists each.',
      'invalid_request',
    );
  }
  if (route.body) {
    out[415] = problem('The body is not `application/json`.', 'unsupported_media_type');
    out[422] = problem('The body is not valid; `errors` lists each field.', 'validation_failed');
  }
  if (route.readAfterWrite) {
    const starting = out[503]?.kind === 'problem' ? out[503].codes : [];
    out[503] = problem('Not ready: retry shortly (see Retry-After).', 'position_not_reached', ...starting);
  }
  return out;
}

/** Route-specific responses win; problem codes of the same status are merged. */
function mergeResponses(route: RouteDoc): Record<number, ResponseDoc> {
  const merged: Record<number, ResponseDoc> = standardResponses(route);
  for (const [key, doc] of Object.entries(route.responses)) {
    const status = Number(key);
    const prior = merged[status];
    if (prior?.kind === 'problem' && doc.kind === 'problem') {
      const codes = [...new Set([...doc.codes, ...prior.codes])] as [string, ...string[]];
      merged[status] = {
        ...problem(doc.description, ...codes),
        ...(doc.headers ? { headers: doc.headers } : {}),
      };
    } else {
      merged[status] = doc;
    }
  }
  return merged;
}

function requirementScopes(requirement: ScopeRequirement): readonly string[] {
  return typeof requirement === 'string' ? [requirement] : requirement;
}

function securityOf(route: RouteDoc): OperationObject['security'] {
  switch (route.security.kind) {
    case 'bearer':
      return route.security.anyOf.map((r) => ({ [SECURITY_SCHEME_OIDC]: requirementScopes(r) }));
    case 'admin':
      return [{ [SECURITY_SCHEME_ADMIN]: [] }];
    case 'none':
      return [];
  }
}

/** Collects `$defs` from every conversion into one map, refusing two different schemas under one name. */
class DefsCollector {
  readonly defs: Record<string, JsonSchema> = {};
  add(defs: Readonly<Record<string, JsonSchema>>, where: string): void {
    for (const [name, schema] of Object.entries(defs)) {
      const prior = this.defs[name];
      if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(schema)) {
        throw new Error(`Cannot document ${where}: two different schemas are registered as "${name}"`);
      }
      this.defs[name] = schema;
    }
  }
  convert(schema: z.ZodType, io: 'input' | 'output', where: string): JsonSchema {
    const result = toJsonSchema(schema, io, where);
    this.add(result.defs, where);
    return result.schema;
  }
}

function parametersOf(
  schema: ParamsSchema,
  location: ParameterObject['in'],
  where: string,
  defs: DefsCollector,
): ParameterObject[] {
  const json = defs.convert(schema, 'input', `${where} ${location} parameters`);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    if (location === 'path' && !required.has(name)) {
      throw new Error(`Cannot document ${where}: path parameter "${name}" must not be optional`);
    }
    return {
      name,
      in: location,
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function responseObject(doc: ResponseDoc, where: string, defs: DefsCollector): ResponseObject {
  const headers = doc.headers
    ? Object.fromEntries(
        Object.entries(doc.headers).map(([name, description]) => [
          name,
          { description, schema: { type: 'string' } },
        ]),
      )
    : undefined;
  const base = { description: doc.description, ...(headers ? { headers } : {}) };
  switch (doc.kind) {
    case 'empty':
      return base;
    case 'json':
      return {
        ...base,
        content: { 'application/json': { schema: defs.convert(doc.schema, 'output', where) } },
      };
    case 'problem':
      return {
        ...base,
        content: {
          'application/problem+json': {
            schema: { allOf: [PROBLEM_REF, { properties: { code: { enum: [...doc.codes] } } }] },
          },
        },
      };
  }
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

function operationOf(route: RouteDoc, defs: DefsCollector): OperationObject {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const inPath = pathParamNames(route.path);
  const declared = route.params ? Object.keys(route.params.shape) : [];
  if ([...inPath].sort().join(',') !== [...declared].sort().join(',')) {
    throw new Error(
      `Cannot document ${where}: the path names {${inPath.join('}, {')}} but params declares [${declared.join(', ')}]`,
    );
  }
  const parameters = [
    ...(route.params ? parametersOf(route.params, 'path', where, defs) : []),
    ...(route.query ? parametersOf(route.query, 'query', where, defs) : []),
    ...(route.readAfterWrite ? parametersOf(MinPositionQuery, 'query', where, defs) : []),
    ...(route.headers ? parametersOf(route.headers, 'header', where, defs) : []),
  ];
  const responses = Object.fromEntries(
    Object.entries(mergeResponses(route))
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, doc]) => [status, responseObject(doc, `${where} response ${status}`, defs)]),
  );
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags],
    security: securityOf(route),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.bodyRequired ?? true,
            content: {
              'application/json': { schema: defs.convert(route.body, 'input', `${where} request body`) },
            },
          },
        }
      : {}),
    responses,
  };
}

/**
 * Builds the OpenAPI 3.1 document from route descriptions. Everything that would make the document
 * wrong fails here, at start-up or in tests, never in a reader's tools: a schema with no JSON Schema
 * form, a path parameter without a schema, a duplicate operationId or route, a dangling `$ref`.
 */
export function generateOpenApi(options: GenerateOptions): OpenApiDocument {
  const defs = new DefsCollector();
  const paths: Record<string, Record<string, OperationObject>> = {};
  const seenIds = new Set<string>();
  const tagNames: string[] = [];
  for (const route of options.routes) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    if (seenIds.has(route.operationId)) {
      throw new Error(`Cannot document ${where}: operationId "${route.operationId}" is used twice`);
    }
    seenIds.add(route.operationId);
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`Cannot document ${where}: it is described twice`);
    item[route.method] = operationOf(route, defs);
    for (const tag of route.tags) if (!tagNames.includes(tag)) tagNames.push(tag);
  }
  const problemSchema = defs.convert(ProblemSchema, 'output', 'the Problem component');
  if (defs.defs.Problem !== undefined)
    throw new Error('Cannot document: "Problem" is a reserved schema name');
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Tessera API',
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    jsonSchemaDialect: JSON_DIALECT,
    ...(options.servers ? { servers: options.servers.map((url) => ({ url })) } : {}),
    tags: tagNames.map((name) => ({
      name,
      ...(options.tags?.[name] ? { description: options.tags[name] } : {}),
    })),
    paths,
    components: {
      schemas: { Problem: problemSchema, ...defs.defs },
      securitySchemes: securitySchemes(options.issuer),
    },
  };
  const problems = checkOpenApiDocument(document);
  if (problems.length > 0) throw new Error(`The OpenAPI document is not valid:\n- ${problems.join('\n- ')}`);
  return document;
}
