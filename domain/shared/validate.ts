import type { z } from 'zod';
import { DomainError } from '../kernel/decider.js';

/**
 * Checks a command value against a value schema inside a decider, turning the first issue into a
 * DomainError('invalid') that names the field. Deciders re-check what the HTTP layer already parsed
 * because commands also come from elsewhere (seeding, CLI, process managers).
 */
export function ensureValid<S extends z.ZodType>(
  schema: S,
  value: unknown,
  field: string,
  code: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [field, ...(issue?.path ?? []).map(String)].join('.');
  throw new DomainError('invalid', code, `${path}: ${issue?.message ?? 'is invalid'}`, path);
}
