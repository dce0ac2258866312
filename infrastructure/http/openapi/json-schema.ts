import { z } from 'zod';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { readonly [key: string]: unknown };

/** Thrown when a zod schema has no faithful JSON Schema form; names the route part at fault. */
export class SchemaConversionError extends Error {
  constructor(where: string, cause: unknown) {
    super(`Cannot document ${where}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SchemaConversionError';
  }
}

interface CheckDef {
  readonly check?: string;
  readonly error?: unknown;
}

/**
 * The static messages of a schema's `.refine(…, 'message')` checks. JSON Schema cannot express a
 * refinement, so its message is added to the description rather than silently dropped; a
 * `superRefine` with dynamic messages is noted generically.
 */
function refinementNotes(schema: { readonly _zod: { readonly def: object } }): string[] {
  const checks = (schema._zod.def as { checks?: readonly { _zod: { def: CheckDef } }[] }).checks ?? [];
  const notes: string[] = [];
  for (const check of checks) {
    const def = check._zod.def;
    if (def.check !== 'custom') continue;
    let message: unknown;
    if (typeof def.error === 'function') {
      try {
        message = (def.error as (issue: object) => unknown)({});
      } catch {
        message = undefined;
      }
    }
    if (typeof message === 'object' && message !== null && 'message' in message) {
      message = (message as { message: unknown }).message;
    }
    notes.push(typeof message === 'string' && message !== '' ? message : 'a rule of its own');
  }
  return notes;
}

/** Whether an object refuses unknown keys (z.strictObject), as opposed to stripping them. */
function isStrict(schema: unknown): boolean {
  const def = (
    schema as { _zod?: { def?: { type?: string; catchall?: { _zod?: { def?: { type?: string } } } } } }
  )._zod?.def;
  return def?.type === 'object' && def.catchall?._zod?.def?.type === 'never';
}

/**
 * Converts a zod schema to the JSON Schema OpenAPI 3.1 embeds. `io: 'input'` describes what a client
 * sends (transforms and pipes show their input side), `io: 'output'` what the server answers.
 *
 * Fails loudly instead of approximating: unrepresentable types (bigint, Date, a transform in
 * output position, …) and recursive schemas throw a SchemaConversionError naming `where`.
 * Schemas registered with an `id` land in `$defs`, which are returned separately so the caller can
 * hoist them into `components.schemas`.
 */
export function toJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  where: string,
): { readonly schema: JsonSchema; readonly defs: Readonly<Record<string, JsonSchema>> } {
  let converted: Record<string, unknown>;
  try {
    converted = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'throw',
      cycles: 'throw',
      reused: 'inline',
      override: ({ zodSchema, jsonSchema }) => {
        // A response may gain fields without breaking clients; only strict objects promise none.
        if (io === 'output' && jsonSchema.additionalProperties === false && !isStrict(zodSchema)) {
          delete jsonSchema.additionalProperties;
        }
        const notes = refinementNotes(zodSchema);
        if (notes.length === 0) return;
        const prior = typeof jsonSchema.description === 'string' ? `${jsonSchema.description} ` : '';
        jsonSchema.description = `${prior}Checked by the server, failing with: ${notes.map((n) => `“${n}”`).join('; ')}.`;
      },
    }) as Record<string, unknown>;
  } catch (err) {
    throw new SchemaConversionError(where, err);
  }
  const { $schema: _dialect, $defs, ...rest } = converted;
  const defs = ($defs ?? {}) as Record<string, JsonSchema>;
  return { schema: rewriteDefRefs(rest, Object.keys(defs)), defs: rewriteDefRefs(defs, Object.keys(defs)) };
}

/** Points `#/$defs/X` references at `#/components/schemas/X`, where the defs are hoisted. */
function rewriteDefRefs<T>(value: T, names: readonly string[]): T {
  if (names.length === 0) return value;
  const text = JSON.stringify(value).replace(
    /"\$ref":"#\/\$defs\/([^"]+)"/g,
    (_m, name: string) => `"$ref":"#/components/schemas/${name}"`,
  );
  return JSON.parse(text) as T;
}
