/**
 * A structural check of an OpenAPI 3.1 document: the rules that tools reading it rely on and that
 * a generator can get wrong. It is not a full schema validation of the specification, but it
 * catches what matters here: version, unique operationIds, path templates whose parameters are all
 * declared (and only those), status-code keys, security schemes that exist, and `$ref`s that resolve.
 */

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const STATUS = /^(?:[1-5](?:\d\d|XX)|default)$/;

type Json = { readonly [key: string]: unknown };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves a local JSON pointer (`#/components/schemas/Problem`) against the document. */
function resolvePointer(document: unknown, ref: string): boolean {
  if (!ref.startsWith('#')) return false;
  const tokens = ref
    .slice(1)
    .split('/')
    .slice(1)
    .map((t) => decodeURIComponent(t).replaceAll('~1', '/').replaceAll('~0', '~'));
  let node: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else return false;
  }
  return node !== undefined;
}

function collectRefs(value: unknown, at: string, out: { ref: string; at: string }[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => collectRefs(v, `${at}/${i}`, out));
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') out.push({ ref: child, at });
      else collectRefs(child, `${at}/${key}`, out);
    }
  }
}

function checkOperation(
  document: Json,
  path: string,
  method: string,
  operation: Json,
  operationIds: Set<string>,
  problems: string[],
): void {
  const where = `${method.toUpperCase()} ${path}`;
  const id = operation.operationId;
  if (typeof id !== 'string' || id === '') problems.push(`${where}: operationId missing`);
  else if (operationIds.has(id)) problems.push(`${where}: operationId "${id}" is not unique`);
  else operationIds.add(id);

  const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
  const parameters = Array.isArray(operation.parameters) ? operation.parameters.filter(isObject) : [];
  const seen = new Set<string>();
  for (const parameter of parameters) {
    const key = `${String(parameter.in)}:${String(parameter.name)}`;
    if (seen.has(key)) problems.push(`${where}: parameter ${key} declared twice`);
    seen.add(key);
    if (!['path', 'query', 'header', 'cookie'].includes(String(parameter.in))) {
      problems.push(`${where}: parameter ${String(parameter.name)} has an invalid "in"`);
    }
    if (!isObject(parameter.schema)) problems.push(`${where}: parameter ${key} has no schema`);
    if (parameter.in === 'path') {
      if (parameter.required !== true)
        problems.push(`${where}: path parameter ${String(parameter.name)} must be required`);
      if (!templated.has(String(parameter.name))) {
        problems.push(`${where}: path parameter ${String(parameter.name)} is not in the path`);
      }
    }
  }
  for (const name of templated) {
    if (!seen.has(`path:${name}`)) problems.push(`${where}: path parameter {${name}} is not declared`);
  }

  const responses = operation.responses;
  if (!isObject(responses) || Object.keys(responses).length === 0) {
    problems.push(`${where}: no responses`);
  } else {
    for (const [status, response] of Object.entries(responses)) {
      if (!STATUS.test(status)) problems.push(`${where}: "${status}" is not a status code`);
      if (!isObject(response) || typeof response.description !== 'string') {
        problems.push(`${where}: response ${status} has no description`);
      }
    }
  }

  const schemes =
    isObject(document.components) && isObject(document.components.securitySchemes)
      ? document.components.securitySchemes
      : {};
  const security = Array.isArray(operation.security) ? operation.security : [];
  for (const requirement of security.filter(isObject)) {
    for (const name of Object.keys(requirement)) {
      if (!Object.hasOwn(schemes, name)) problems.push(`${where}: unknown security scheme "${name}"`);
    }
  }
}

/** Lists what is wrong with the document; empty when it passes. */
export function checkOpenApiDocument(document: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(document)) return ['the document is not an object'];
  if (document.openapi !== '3.1.0')
    problems.push(`openapi is ${JSON.stringify(document.openapi)}, not "3.1.0"`);
  const info = document.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    problems.push('info.title and info.version are required strings');
  }
  const paths = isObject(document.paths) ? document.paths : {};
  const operationIds = new Set<string>();
  const templates = new Map<string, string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/')) problems.push(`path "${path}" does not start with "/"`);
    // Paths equal but for parameter names are the same route (OpenAPI 3.1 §4.8.8).
    const shape = path.replace(/\{[^}]+\}/g, '{}');
    const prior = templates.get(shape);
    if (prior !== undefined) problems.push(`paths "${prior}" and "${path}" are the same template`);
    templates.set(shape, path);
    if (!isObject(item)) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      if (!isObject(operation)) problems.push(`${method.toUpperCase()} ${path}: not an object`);
      else checkOperation(document, path, method, operation, operationIds, problems);
    }
  }
  const refs: { ref: string; at: string }[] = [];
  collectRefs(document, '#', refs);
  for (const { ref, at } of refs) {
    if (!resolvePointer(document, ref)) problems.push(`$ref "${ref}" at ${at} does not resolve`);
  }
  return problems;
}
