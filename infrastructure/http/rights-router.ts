/**
 * The rights API for providers (client_credentials tokens) and for a user's own token:
 *
 *   POST /users/{sub}/rights                      grant (id.user.right.write; Idempotency-Key)
 *   POST /rights/batch                            grant many, reported one by one
 *   GET  /users/{sub}/rights[?active=now|<instant>&sku=]   (id.user.right.read)
 *   GET  /users/{sub}/rights/{rightId}
 *   POST /users/{sub}/rights/{rightId}/extend|suspend|reactivate|terminate   (id.user.right.write)
 *   POST /users/{sub}/rights/{rightId}/usage      (id.user.right.use)
 *   GET  /users/{sub}/access?sku=&at=             → { allowed, rightId, validUntil, reason }
 *   POST /access/batch                            many checks, many users
 *   GET  /users/{sub}/access/explain?sku=         the answer and the events behind it
 *   GET  /users/{sub}/entitlements                a signed entitlement token (JWT) for offline checks
 *
 * Everything is scoped to the calling client's provider: another provider's right is a 404, never
 * a leak. A user's own token (with id.user.right.read) reads that user's rights at the provider of
 * the client it was issued to, under their own sub or `me`; writes are for providers' backends.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../application/ports/clock.js';
import type { Views } from '../../application/ports/views.js';
import type { AccessExplainer } from '../../application/right/access-explainer.js';
import type { RightCommands } from '../../application/right/right-commands.js';
import type { AccessAnswer, RightQueries } from '../../application/right/right-queries.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { normaliseInstant } from '../../domain/right/values.js';
import { RIGHTS_PROJECTION } from '../../projections/rights.js';
import type { EntitlementTokenSigner } from '../oidc/entitlement-tokens.js';
import { idempotencyKey, userResourceResponder } from './admin-writes.js';
import {
  type Caller,
  caller,
  callerAuth,
  clientContext,
  pathUser,
  type ProviderOfClient,
  requireBackend,
} from './caller.js';
import { type AwaitMinPosition, setPosition } from './read-after-write.js';
import {
  AccessBatchBody,
  AccessQuery,
  ExtendBody,
  GrantBatchBody,
  GrantBody,
  instantOf,
  ReasonBody,
  RightParams,
  RightsQuery,
  toAccessResource,
  toRightResource,
} from './rights-resources.js';
import { parseInput } from './validation.js';
import { bearerValue, satisfies } from './bearer-auth.js';
import type { AnswerJsonWhole } from './observe.js';
import { canPeek } from './token-cache.js';

export interface RightsRouterDeps {
  readonly commands: RightCommands;
  readonly queries: RightQueries;
  readonly explainer: AccessExplainer;
  readonly entitlements: EntitlementTokenSigner;
  /** The OpenID Connect issuer (entitlement tokens' `iss`), known once the server listens. */
  readonly issuer: () => string;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly clock: Clock;
  readonly views: Pick<Views, 'waitFor'>;
  readonly awaitMinPosition: AwaitMinPosition;
  readonly writeVisibleTimeoutMs: number;
}

// Built once: a zod schema compiles its fast path on first use, so none is made per request.
const RightIdParam = RightParams.pick({ rightId: true });
const SkuQuery = AccessQuery.pick({ sku: true });
const EmptyBody = z.strictObject({});

const notFound = (): DomainError => new DomainError('not_found', 'right_not_found', 'No such right.');
const BACKEND_ONLY = 'Changing rights';

const READ = ['id.user.right.read'];
const WRITE = ['id.user.right.write'];
const USE = ['id.user.right.use', 'id.user.right.write'];
const PROJECTIONS = [RIGHTS_PROJECTION];

/** What the access check's fast path needs. */
export interface AccessFastPathDeps extends Pick<
  RightsRouterDeps,
  'queries' | 'verifier' | 'providerOf' | 'clock'
> {
  /** Writes the answer with every header and the log line and metric of the middleware it skips. */
  readonly answer: AnswerJsonWhole;
}

/** Exactly the pattern `z.uuid()` checks a sub against (zod's own regex). */
const UUID = z.regexes.uuid();
const SKU_MEMORY = 1000;
/**
 * The one spelling the fast path takes: a sub (or `me`) needing no decoding, and a lone `sku` of
 * characters a SKU may hold, none of which is escaped. Any other spelling (escapes, other case,
 * a trailing slash, more parameters) is left to the router, which decodes and judges it.
 */
const ACCESS_URL = /^\/v1\/users\/([A-Za-z0-9-]{2,36})\/access\?sku=([A-Za-z0-9._-]{1,64})$/;
const ACCESS_ROUTE = '/v1/users/:sub/access';

/**
 * `GET /v1/users/{sub}/access?sku=` for the common case, mounted ahead of all middleware: a
 * remembered token with the read scope, a remembered provider, a well-formed sub and a lone, valid
 * `sku`, no body, no conditional headers. Then it answers exactly as the route in
 * createRightsRouter does behind the shared middleware (same body, same headers, same log line and
 * metric), reading the rights synchronously where the store allows, so such a check runs start to
 * finish without a promise. Anything else (no or unknown token, `at=`, `me` for a backend, a bad
 * sub, a body, a read that fails) is handed on untouched, before anything is written, to the
 * middleware and that route, which decide and word every refusal; so this path adds speed, never a
 * different answer.
 */
export function accessFastPath(deps: AccessFastPathDeps): RequestHandler {
  const { verifier, providerOf, queries, clock, answer } = deps;
  if (!canPeek(verifier) || providerOf.peek === undefined) return (_req, _res, next) => next();
  const peekProvider = providerOf.peek;
  /** SKUs that passed SkuSchema (a provider checks a few SKUs over and over); bounded. */
  const validSkus = new Set<string>();
  const skuValid = (sku: string): boolean => {
    if (validSkus.has(sku)) return true;
    if (!SkuQuery.safeParse({ sku }).success) return false;
    if (validSkus.size >= SKU_MEMORY) validSkus.clear();
    validSkus.add(sku);
    return true;
  };
  return (req, res, next) => {
    if (req.method !== 'GET') return next();
    const match = ACCESS_URL.exec(req.url);
    if (match === null) return next();
    const startedAt = process.hrtime.bigint();
    const headers = req.headers;
    if (
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      headers['if-none-match'] !== undefined ||
      headers['if-modified-since'] !== undefined
    )
      return next();
    const authorization = headers.authorization;
    const value = authorization === undefined ? undefined : bearerValue(authorization);
    const token = value === undefined ? undefined : verifier.peek(value);
    if (token === undefined || !satisfies(token.scopes, READ)) return next();
    const providerId = peekProvider(token.clientId);
    if (providerId === undefined || providerId === null) return next();
    const raw = match[1]!;
    let sub: string;
    if (raw === 'me' && token.sub !== null) sub = token.sub;
    else if (UUID.test(raw) && (token.sub === null || token.sub === raw)) sub = raw;
    else return next();
    const sku = match[2]!;
    if (!skuValid(sku)) return next();

    const at = clock.now();
    let decided: AccessAnswer | undefined;
    try {
      decided = queries.accessNow(sub, providerId, sku, at);
    } catch {
      return next(); // the route reads again (on a swapped generation, if that is the cause) and reports
    }
    if (decided !== undefined) {
      answer(req, res, startedAt, ACCESS_ROUTE, toAccessResource(sub, sku, decided, at));
      return;
    }
    queries
      .access(sub, providerId, sku, at)
      .then(
        (decided) => answer(req, res, startedAt, ACCESS_ROUTE, toAccessResource(sub, sku, decided, at)),
        () => next(),
      )
      .catch(next);
  };
}

export function createRightsRouter(deps: RightsRouterDeps): Router {
  const router = Router();
  const auth = (anyOf: readonly string[]) => callerAuth(deps.verifier, deps.providerOf, anyOf);

  /** The right named by the path, as the caller may see it: its provider's and its user's. */
  async function pathRight(req: Request, who: Caller) {
    const sub = pathUser(req, who, notFound);
    const { rightId } = parseInput(RightIdParam, { rightId: req.params.rightId }, 'params');
    const right = await deps.queries.get(who.providerId, rightId);
    if (right.sub !== sub) throw new DomainError('not_found', 'right_not_found', 'No such right.');
    return right;
  }

  /** Answers a write with the right as readers will see it (or 202 while the projection catches up). */
  const answerWrite = userResourceResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
    collection: 'rights',
    idField: 'rightId',
    load: async (providerId, id) => toRightResource(await deps.queries.get(providerId, id)),
  });

  // First: the access check is the hottest route, matched before any other.
  router.get('/users/:sub/access', ...auth(READ), async (req, res) => {
    const who = caller(res);
    const sub = pathUser(req, who, notFound);
    const query = parseInput(AccessQuery, req.query, 'query');
    const at = instantOf(query.at, deps.clock.now());
    const answer = await deps.queries.access(sub, who.providerId, query.sku, at);
    res.json(toAccessResource(sub, query.sku, answer, at));
  });

  router.post('/users/:sub/rights', ...auth(WRITE), async (req, res) => {
    const who = caller(res);
    requireBackend(who, BACKEND_ONLY);
    const sub = pathUser(req, who, notFound);
    const body = parseInput(GrantBody, req.body, 'body');
    const key = idempotencyKey(req);
    const result = await deps.commands.grant(
      {
        sub,
        providerId: who.providerId,
        sku: body.sku,
        grantor: { kind: 'provider', id: who.clientId },
        ...(body.validFrom === undefined ? {} : { validFrom: normaliseInstant(body.validFrom)! }),
        ...(body.validUntil === undefined
          ? {}
          : { validUntil: body.validUntil === null ? null : normaliseInstant(body.validUntil)! }),
        ...(body.payload === undefined ? {} : { payload: body.payload }),
      },
      clientContext(res, who),
      key === undefined ? {} : { idempotencyKey: key },
    );
    await answerWrite(
      res,
      who.providerId,
      { id: result.rightId, sub },
      { position: result.position, deduplicated: !result.created },
      201,
    );
  });

  router.post('/rights/batch', ...auth(WRITE), async (req, res) => {
    const who = caller(res);
    requireBackend(who, BACKEND_ONLY);
    const body = parseInput(GrantBatchBody, req.body, 'body');
    const items = await deps.commands.grantMany(
      body.rights.map((r) => ({
        sub: r.sub,
        providerId: who.providerId,
        sku: r.sku,
        grantor: { kind: 'provider' as const, id: who.clientId },
        ...(r.validFrom === undefined ? {} : { validFrom: normaliseInstant(r.validFrom)! }),
        ...(r.validUntil === undefined
          ? {}
          : { validUntil: r.validUntil === null ? null : normaliseInstant(r.validUntil)! }),
        ...(r.payload === undefined ? {} : { payload: r.payload }),
      })),
      clientContext(res, who),
    );
    const positions = items.flatMap((i) => (i.ok && i.result.position !== null ? [i.result.position] : []));
    if (positions.length > 0) {
      const last = Math.max(...positions);
      setPosition(res, last);
      await deps.views.waitFor(last, { timeoutMs: deps.writeVisibleTimeoutMs, projections: PROJECTIONS });
    }
    res.status(200).json({
      results: items.map((item) =>
        item.ok
          ? { index: item.index, status: item.result.created ? 201 : 200, rightId: item.result.rightId }
          : { index: item.index, status: statusOf(item.error.kind), error: item.error },
      ),
    });
  });

  router.get('/users/:sub/rights', ...auth(READ), async (req, res) => {
    const who = caller(res);
    const sub = pathUser(req, who, notFound);
    const query = parseInput(RightsQuery, req.query, 'query');
    await deps.awaitMinPosition(req, PROJECTIONS);
    const at = query.active === undefined ? undefined : instantOf(query.active, deps.clock.now());
    const rights = await deps.queries.listForUser(sub, {
      providerId: who.providerId,
      ...(at === undefined ? {} : { activeAt: at }),
      ...(query.sku === undefined ? {} : { sku: query.sku }),
    });
    res.json({ rights: rights.map(toRightResource) });
  });

  router.get('/users/:sub/rights/:rightId', ...auth(READ), async (req, res) => {
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toRightResource(await pathRight(req, caller(res))));
  });

  const change = (
    path: string,
    scopes: readonly string[],
    run: (who: Caller, rightId: string, body: unknown, res: Response) => Promise<{ position: number | null }>,
  ) =>
    router.post(`/users/:sub/rights/:rightId/${path}`, ...auth(scopes), async (req, res) => {
      const who = caller(res);
      requireBackend(who, BACKEND_ONLY);
      const right = await pathRight(req, who);
      const result = await run(who, right.id, req.body ?? {}, res);
      await answerWrite(res, who.providerId, right, result);
    });

  change('extend', WRITE, (who, rightId, body, res) => {
    const input = parseInput(ExtendBody, body, 'body');
    return deps.commands.extend(
      who.providerId,
      rightId,
      'validUntil' in input ? { validUntil: normaliseInstant(input.validUntil)! } : { by: input.by },
      clientContext(res, who),
    );
  });
  change('suspend', WRITE, (who, rightId, body, res) =>
    deps.commands.suspend(
      who.providerId,
      rightId,
      parseInput(ReasonBody, body, 'body').reason,
      clientContext(res, who),
    ),
  );
  change('reactivate', WRITE, (who, rightId, body, res) => {
    parseInput(EmptyBody, body, 'body');
    return deps.commands.reactivate(who.providerId, rightId, clientContext(res, who));
  });
  change('terminate', WRITE, (who, rightId, body, res) =>
    deps.commands.terminate(
      who.providerId,
      rightId,
      parseInput(ReasonBody, body, 'body').reason,
      clientContext(res, who),
    ),
  );
  change('usage', USE, (who, rightId, body, res) => {
    parseInput(EmptyBody, body, 'body');
    return deps.commands.recordUsage(who.providerId, rightId, clientContext(res, who));
  });

  router.post('/access/batch', ...auth(READ), async (req, res) => {
    const who = caller(res);
    requireBackend(who, BACKEND_ONLY);
    const body = parseInput(AccessBatchBody, req.body, 'body');
    const at = body.at === undefined ? deps.clock.now() : new Date(body.at);
    const results = await Promise.all(
      body.checks.map(async (c) =>
        toAccessResource(c.sub, c.sku, await deps.queries.access(c.sub, who.providerId, c.sku, at), at),
      ),
    );
    res.json({ at: at.toISOString(), results });
  });

  router.get('/users/:sub/access/explain', ...auth(READ), async (req, res) => {
    const who = caller(res);
    requireBackend(who, BACKEND_ONLY);
    const sub = pathUser(req, who, notFound);
    const { sku } = parseInput(SkuQuery, req.query, 'query');
    const explanation = await deps.explainer.explain(sub, who.providerId, sku, deps.clock.now());
    res.json({
      ...explanation,
      rights: explanation.rights.map((r) => ({ right: toRightResource(r.right), events: r.events })),
    });
  });

  router.get('/users/:sub/entitlements', ...auth(READ), async (req, res) => {
    const who = caller(res);
    const sub = pathUser(req, who, notFound);
    const now = deps.clock.now();
    const active = await deps.queries.listForUser(sub, { providerId: who.providerId, activeAt: now });
    const entitlements = active.map((r) => ({ sku: r.sku, rightId: r.id, validUntil: r.validUntil }));
    const signed = await deps.entitlements.sign({
      issuer: deps.issuer(),
      audience: who.clientId,
      sub,
      providerId: who.providerId,
      entitlements,
    });
    res.json({
      token: signed.token,
      expiresAt: new Date(signed.expiresAt * 1000).toISOString(),
      entitlements,
    });
  });

  return router;
}

function statusOf(kind: string): number {
  switch (kind) {
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'forbidden':
      return 403;
    default:
      return 422;
  }
}
