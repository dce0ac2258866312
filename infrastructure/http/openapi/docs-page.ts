import { escapeHtml } from '../pages/render.js';
import type { OpenApiDocument, OperationObject, ParameterObject, ResponseObject } from './generate.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The browsable API reference at /docs, rendered on the server from the OpenAPI document: no
 * script, so the page works under the site's script-free content security policy. Operations are
 * grouped by their first tag; every tag and operation has an anchor to link to.
 */

type Schema = JsonSchema;

const MAX_DEPTH = 8;
const PROBLEM_REF = '#/components/schemas/Problem';

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

/** Escapes text and shows its `backtick` spans as code, the one markup descriptions use. */
function prose(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function asSchemas(value: unknown): Schema[] {
  return Array.isArray(value) ? (value as Schema[]) : [];
}

class SchemaRenderer {
  constructor(private readonly document: OpenApiDocument) {}

  private resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const name = ref.replace('#/components/schemas/', '');
    return this.document.components.schemas[name] ?? {};
  }

  /** A short type label: `string`, `integer`, `array of object`, `"one_time"`, `string or null`. */
  typeLabel(raw: Schema): string {
    const schema = this.resolve(raw);
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    if (Array.isArray(schema.enum)) return 'enum';
    const variants = asSchemas(schema.anyOf ?? schema.oneOf);
    if (variants.length > 0) return variants.map((v) => this.typeLabel(v)).join(' or ');
    const type = schema.type;
    if (Array.isArray(type)) return type.join(' or ');
    if (type === 'array') return `array of ${this.typeLabel((schema.items ?? {}) as Schema)}`;
    if (typeof type === 'string') return type;
    return 'any';
  }

  /** Constraints worth a reader's attention, one short phrase each. */
  constraints(raw: Schema): string[] {
    const s = this.resolve(raw);
    const out: string[] = [];
    if (typeof s.format === 'string') out.push(`format ${code(s.format)}`);
    if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v) => code(JSON.stringify(v))).join(', ')}`);
    if (typeof s.minLength === 'number') out.push(`min length ${s.minLength}`);
    if (typeof s.maxLength === 'number') out.push(`max length ${s.maxLength}`);
    if (typeof s.minimum === 'number' && s.minimum > Number.MIN_SAFE_INTEGER) out.push(`≥ ${s.minimum}`);
    if (typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER) out.push(`≤ ${s.maximum}`);
    if (typeof s.minItems === 'number') out.push(`at least ${s.minItems} item(s)`);
    if (typeof s.maxItems === 'number') out.push(`at most ${s.maxItems} item(s)`);
    // Long generated patterns (UUIDs, email addresses) say less than their format does.
    if (typeof s.pattern === 'string' && (typeof s.format !== 'string' || s.pattern.length < 40)) {
      out.push(`pattern ${code(s.pattern)}`);
    }
    if (s.additionalProperties === false) out.push('no other fields');
    return out;
  }

  private description(schema: Schema): string {
    return typeof schema.description === 'string' ? ` – ${prose(schema.description)}` : '';
  }

  /** The nested field list of an object, the variants of a union, or the item of an array. */
  body(raw: Schema, depth = 0): string {
    if (depth > MAX_DEPTH) return '';
    const schema = this.resolve(raw);
    const variants = asSchemas(schema.anyOf ?? schema.oneOf).filter((v) => v.type !== 'null');
    if (variants.length > 1) {
      const items = variants.map(
        (v) => `<li>${escapeHtml(this.typeLabel(v))}${this.description(v)}${this.body(v, depth + 1)}</li>`,
      );
      return `<p class="hint">One of:</p><ol>${items.join('')}</ol>`;
    }
    if (variants.length === 1) return this.body(variants[0]!, depth + 1);
    if (schema.type === 'array') return this.body((schema.items ?? {}) as Schema, depth + 1);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    if (Object.keys(properties).length === 0) return '';
    const required = new Set(asSchemas(schema.required) as unknown as string[]);
    const fields = Object.entries(properties).map(([name, property]) => {
      const facts = [
        `<span class="hint">${escapeHtml(this.typeLabel(property))}</span>`,
        required.has(name) ? '<strong>required</strong>' : '',
        ...this.constraints(property),
      ].filter((f) => f !== '');
      return `<li>${code(name)} ${facts.join(', ')}${this.description(this.resolve(property))}${this.body(
        property,
        depth + 1,
      )}</li>`;
    });
    return `<ul class="schema">${fields.join('')}</ul>`;
  }

  /** One line for the schema itself (type, constraints, description), then its fields. */
  full(raw: Schema): string {
    const facts = [escapeHtml(this.typeLabel(raw)), ...this.constraints(raw)];
    return `<p>${facts.join(', ')}${this.description(this.resolve(raw))}</p>${this.body(raw)}`;
  }
}

function securityLine(operation: OperationObject, document: OpenApiDocument): string {
  if (operation.security.length === 0) return '<p><strong>Authentication:</strong> none.</p>';
  const options = operation.security.map((requirement) =>
    Object.entries(requirement)
      .map(([scheme, scopes]) => {
        const kind = (document.components.securitySchemes[scheme] as { type?: string }).type;
        if (scopes.length === 0) return kind === 'http' ? 'the admin token' : escapeHtml(scheme);
        return scopes.map(code).join(' + ');
      })
      .join(' and '),
  );
  const label = options.length === 1 ? 'Requires' : 'Requires any one of';
  return `<p><strong>${label}:</strong> ${options.join(' · ')}</p>`;
}

function parametersHtml(parameters: readonly ParameterObject[], schemas: SchemaRenderer): string {
  const items = parameters.map((p) => {
    const facts = [
      `in ${p.in}`,
      `<span class="hint">${escapeHtml(schemas.typeLabel(p.schema))}</span>`,
      p.required ? '<strong>required</strong>' : '',
      ...schemas.constraints(p.schema),
    ].filter((f) => f !== '');
    const description = p.description ? ` – ${prose(p.description)}` : '';
    return `<li>${code(p.name)} ${facts.join(', ')}${description}</li>`;
  });
  return `<h4>Parameters</h4><ul class="schema">${items.join('')}</ul>`;
}

function problemCodes(schema: Schema): string[] | null {
  const parts = asSchemas(schema.allOf);
  if (parts[0]?.$ref !== PROBLEM_REF) return null;
  const codeSchema = ((parts[1]?.properties ?? {}) as Record<string, Schema>).code ?? {};
  return Array.isArray(codeSchema.enum) ? codeSchema.enum.map(String) : [];
}

function responseHtml(status: string, response: ResponseObject, schemas: SchemaRenderer): string {
  const parts = [`<dt>${code(status)} ${prose(response.description)}</dt><dd>`];
  const headers = Object.entries(response.headers ?? {});
  if (headers.length > 0) {
    parts.push(
      `<p class="hint">Headers: ${headers.map(([name, h]) => `${code(name)} ${prose(h.description)}`).join('; ')}</p>`,
    );
  }
  for (const [mediaType, { schema }] of Object.entries(response.content ?? {})) {
    const codes = problemCodes(schema);
    if (codes !== null) {
      parts.push(
        `<p><a href="#problem">Problem</a> (${code(mediaType)}) with ${code('code')} ${codes.map(code).join(', ')}</p>`,
      );
    } else {
      parts.push(`<p class="hint">${code(mediaType)}</p>${schemas.full(schema)}`);
    }
  }
  parts.push('</dd>');
  return parts.join('');
}

function operationHtml(
  method: string,
  path: string,
  operation: OperationObject,
  document: OpenApiDocument,
  schemas: SchemaRenderer,
): string {
  const anchor = `op-${slug(operation.operationId)}`;
  const out = [
    `<article class="op" id="${anchor}"><h3><span class="method">${escapeHtml(method)}</span>${code(path)} ` +
      `<a href="#${anchor}" aria-label="Link to this operation">#</a></h3>`,
    `<p><strong>${escapeHtml(operation.summary)}</strong> <span class="hint">(${code(operation.operationId)})</span></p>`,
  ];
  if (operation.description) out.push(`<p>${prose(operation.description)}</p>`);
  out.push(securityLine(operation, document));
  if (operation.parameters?.length) out.push(parametersHtml(operation.parameters, schemas));
  if (operation.requestBody) {
    const required = operation.requestBody.required ? 'required' : 'optional';
    for (const [mediaType, { schema }] of Object.entries(operation.requestBody.content)) {
      out.push(`<h4>Request body (${code(mediaType)}, ${required})</h4>${schemas.full(schema)}`);
    }
  }
  const responses = Object.entries(operation.responses).map(([status, r]) =>
    responseHtml(status, r, schemas),
  );
  out.push(`<h4>Responses</h4><dl>${responses.join('')}</dl></article>`);
  return out.join('\n');
}

/** The page's body (already escaped), for renderPage. */
export function renderDocsBody(document: OpenApiDocument): string {
  const schemas = new SchemaRenderer(document);
  const byTag = new Map<string, string[]>(document.tags.map((t) => [t.name, []]));
  const toc = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const tag = operation.tags[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationHtml(method, path, operation, document, schemas));
      const link = `<li><a href="#op-${slug(operation.operationId)}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a></li>`;
      toc.set(tag, [...(toc.get(tag) ?? []), link]);
    }
  }
  const descriptions = new Map(document.tags.map((t) => [t.name, t.description]));
  const contents = [...byTag.keys()]
    .filter((tag) => (toc.get(tag) ?? []).length > 0)
    .map(
      (tag) =>
        `<li><a href="#tag-${slug(tag)}">${escapeHtml(tag)}</a><ul>${toc.get(tag)!.join('')}</ul></li>`,
    );
  const sections = [...byTag.entries()]
    .filter(([, ops]) => ops.length > 0)
    .map(([tag, ops]) => {
      const description = descriptions.get(tag);
      return (
        `<section id="tag-${slug(tag)}"><h2>${escapeHtml(tag)}</h2>` +
        `${description ? `<p>${prose(description)}</p>` : ''}\n${ops.join('\n')}</section>`
      );
    });
  const problemSchema = document.components.schemas.Problem;
  return [
    `<h1>${escapeHtml(document.info.title)} <span class="hint">${escapeHtml(document.info.version)}</span></h1>`,
    document.info.description ? `<p>${prose(document.info.description)}</p>` : '',
    `<p>Machine-readable: <a href="openapi.json">${code('openapi.json')}</a> (OpenAPI ${escapeHtml(document.openapi)}).</p>`,
    `<nav aria-label="Contents"><ul>${contents.join('')}<li><a href="#problem">Problem documents</a></li></ul></nav>`,
    ...sections,
    problemSchema
      ? `<section id="problem"><h2>Problem documents</h2>${schemas.full(problemSchema)}</section>`
      : '',
  ].join('\n');
}
