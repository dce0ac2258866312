import type { z } from 'zod';
import { type FieldError, HttpProblem } from './problem.js';

export type InputLocation = 'body' | 'query' | 'params' | 'headers';

const LABELS: Readonly<Record<InputLocation, string>> = {
  body: 'body fields',
  query: 'query parameters',
  params: 'path parameters',
  headers: 'request headers',
};

export function toFieldErrors(error: z.ZodError, location: InputLocation): FieldError[] {
  return error.issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * Parses one part of a request. A body that does not fit is 422 (the JSON was well-formed but
 * wrong); bad path, query or header values are 400. Either way every field problem is listed.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: InputLocation,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = toFieldErrors(parsed.error, location);
  if (location === 'body') {
    return fail(
      422,
      'validation_failed',
      'The request body is not valid; see `errors` for each field.',
      errors,
    );
  }
  return fail(
    400,
    'invalid_request',
    `Some ${LABELS[location]} are not valid; see \`errors\` for each field.`,
    errors,
  );
}

function fail(status: number, code: string, detail: string, errors: FieldError[]): never {
  throw new HttpProblem(status, code, detail, { errors });
}
