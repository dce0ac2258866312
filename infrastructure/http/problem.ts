import type { Request, Response } from 'express';

/** Base of every problem `type` URI; the rest is the problem code in kebab case. */
export const PROBLEM_TYPE_BASE = 'https://tessera.dev/problems/';

export interface FieldError {
  /** Where the problem is: `body.price.amount`, `query.limit`, `params.productId`, `headers.idempotency-key`. */
  readonly path: string;
  readonly message: string;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/**
 * An RFC 9457 problem, thrown by HTTP code and rendered by the error handler. `code` is stable and
 * machine-readable (it also forms the `type` URI); `detail` tells a person what to do about it.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extras: {
      readonly errors?: readonly FieldError[];
      readonly headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.replaceAll('_', '-');
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly correlationId?: string;
  readonly errors?: readonly FieldError[];
}

/** Writes `application/problem+json`. `instance` is the request path (never the query string). */
export function sendProblem(req: Request, res: Response, problem: HttpProblem, correlationId?: string): void {
  const body: ProblemBody = {
    type: problemType(problem.code),
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    instance: req.originalUrl.split('?')[0] ?? req.path,
    code: problem.code,
    ...(correlationId ? { correlationId } : {}),
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
  for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.setHeader(name, value);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(body));
}
