import type { Request, Response } from 'express';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import type { Views } from '../../application/ports/views.js';
import type { WriteResult } from '../../application/catalog/results.js';
import { IdempotencyKeyHeader } from './catalog-resources.js';
import { requestContext } from './context.js';
import { setPosition } from './read-after-write.js';
import { parseInput } from './validation.js';

/** Until providers get their own tokens, the admin API acts as staff. */
export function adminContext(res: Response): CommandContext {
  return { actor: { kind: 'support', id: 'admin' }, correlationId: requestContext(res).correlationId };
}

/** The request's `Idempotency-Key`, validated; undefined when absent. */
export function idempotencyKey(req: Request): string | undefined {
  return parseInput(IdempotencyKeyHeader, { 'idempotency-key': req.get('Idempotency-Key') }, 'headers')[
    'idempotency-key'
  ];
}

export interface WriteResponderOptions {
  readonly views: Pick<Views, 'waitFor'>;
  /** How long a write waits for its projections before answering 202 instead of the resource. */
  readonly timeoutMs: number;
  readonly projections: readonly string[];
}

export interface WrittenResource {
  readonly status: 200 | 201;
  readonly result: WriteResult;
  readonly location: string;
  /** The resource as readers will see it, once the projections have applied the write. */
  readonly load: () => Promise<object>;
  /** The body of a 202 when the projections are slow (default `{ id, position }`). */
  readonly accepted?: () => object;
}

/**
 * Answers an admin write with the resource as readers will see it (waiting briefly for the
 * projections) plus its log position in `Tessera-Position`; if the projections are slow, 202 with the
 * id and position instead. A create repeated with the same Idempotency-Key is marked
 * `Idempotent-Replayed: true`.
 */
export function writeResponder(options: WriteResponderOptions) {
  return async (res: Response, written: WrittenResource): Promise<void> => {
    const { result, location } = written;
    setPosition(res, result.position);
    if (written.status === 201) res.setHeader('Location', location);
    if (result.deduplicated) res.setHeader('Idempotent-Replayed', 'true');
    const visible =
      result.position === null ||
      (await options.views.waitFor(result.position, {
        timeoutMs: options.timeoutMs,
        projections: options.projections,
      }));
    if (!visible) {
      const body = written.accepted?.() ?? { id: result.id, position: result.position };
      res.status(202).setHeader('Location', location).json(body);
      return;
    }
    res.status(written.status).json(await written.load());
  };
}

/** A resource of one user under `/v1/users/{sub}/{collection}/{id}`, as a write answers it. */
export interface UserResourceOptions extends WriteResponderOptions {
  /** The path segment of the resource's collection, e.g. `rights`. */
  readonly collection: string;
  /** The name of the id in a 202's body, e.g. `rightId`. */
  readonly idField: string;
  /** The resource as readers see it, read at the caller's provider. */
  readonly load: (providerId: string, id: string) => Promise<object>;
}

/**
 * writeResponder for the user-scoped resources of the /v1 API (rights, subscriptions): the resource
 * once readable (201 for a create, 200 for a change), else 202 with its id and log position.
 */
export function userResourceResponder(options: UserResourceOptions) {
  const respond = writeResponder(options);
  return (
    res: Response,
    providerId: string,
    resource: { readonly id: string; readonly sub: string },
    result: { readonly position: number | null; readonly deduplicated?: boolean },
    status: 200 | 201 = 200,
  ): Promise<void> =>
    respond(res, {
      status,
      result: { id: resource.id, position: result.position, deduplicated: result.deduplicated === true },
      location: `/v1/users/${resource.sub}/${options.collection}/${resource.id}`,
      load: () => options.load(providerId, resource.id),
      accepted: () => ({ [options.idField]: resource.id, position: result.position }),
    });
}
