/**
 * Subscriptions for providers' backends (client_credentials tokens) and a user's own token:
 *
 *   POST /users/{sub}/subscriptions                    start, on a plan SKU (id.user.right.write)
 *   GET  /users/{sub}/subscriptions                    the user's subscriptions here (id.user.right.read)
 *   GET  /users/{sub}/subscriptions/{id}
 *   POST /users/{sub}/subscriptions/{id}/cancel        { atPeriodEnd = true, reason? }
 *   POST /users/{sub}/subscriptions/{id}/resume        undo a cancellation at period end
 *   POST /users/{sub}/subscriptions/{id}/suspend|reactivate
 *   POST /users/{sub}/subscriptions/{id}/plan          { sku }: the plan from the next period
 *
 * Each period's right is issued by the subscription (see the rights API); scoped to the calling
 * client's provider like everything provider-facing.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Views } from '../../application/ports/views.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { SubscriptionCommands } from '../../application/subscription/subscription-commands.js';
import type { SubscriptionQueries } from '../../application/subscription/subscription-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { SkuSchema } from '../../domain/catalog/values.js';
import { SUBSCRIPTIONS_PROJECTION, type SubscriptionDoc } from '../../projections/subscriptions.js';
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
import type { AwaitMinPosition } from './read-after-write.js';
import { parseInput } from './validation.js';

const Sub = z.uuid('must be a user id (the OIDC `sub`, a UUID)');
export const SubscriptionParams = z.object({ sub: Sub, subscriptionId: z.uuid('must be a subscription id') });
export const StartSubscriptionBody = z.strictObject({ sku: SkuSchema });
export const CancelSubscriptionBody = z.strictObject({
  atPeriodEnd: z.boolean().default(true),
  reason: z.string().trim().min(1).max(500).optional(),
});
export const SuspendSubscriptionBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).optional(),
});
export const ChangePlanBody = z.strictObject({ sku: SkuSchema });

export function toSubscriptionResource(doc: SubscriptionDoc) {
  return {
    subscriptionId: doc.id,
    sub: doc.sub,
    providerId: doc.providerId,
    status: doc.status,
    sku: doc.plan.sku,
    productId: doc.plan.productId,
    period: doc.plan.period,
    scheduledSku: doc.scheduledPlan?.sku ?? null,
    currentPeriod: doc.currentPeriod,
    periodStart: doc.periodStart,
    periodEnd: doc.periodEnd,
    trialEnd: doc.trialEnd,
    inTrial: doc.inTrial,
    cancelAtPeriodEnd: doc.cancelAtPeriodEnd,
    renewal: doc.renewal,
    agreementId: doc.agreementId,
    pastDue: doc.pastDue,
    startedAt: doc.startedAt,
    endedAt: doc.endedAt,
    updatedAt: doc.updatedAt,
    generation: doc.revision,
  };
}

export interface SubscriptionsRouterDeps {
  readonly commands: SubscriptionCommands;
  readonly queries: SubscriptionQueries;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly views: Pick<Views, 'waitFor'>;
  readonly awaitMinPosition: AwaitMinPosition;
  readonly writeVisibleTimeoutMs: number;
}

// Built once: a zod schema compiles its fast path on first use, so none is made per request.
const SubscriptionIdParam = SubscriptionParams.pick({ subscriptionId: true });
const EmptyBody = z.strictObject({});

const notFound = (): DomainError =>
  new DomainError('not_found', 'subscription_not_found', 'No such subscription.');
const BACKEND_ONLY = 'Managing subscriptions';

const READ = ['id.user.right.read'];
const WRITE = ['id.user.right.write'];
const PROJECTIONS = [SUBSCRIPTIONS_PROJECTION];

export function createSubscriptionsRouter(deps: SubscriptionsRouterDeps): Router {
  const router = Router();
  const auth = (anyOf: readonly string[]) => callerAuth(deps.verifier, deps.providerOf, anyOf);

  async function pathSubscription(req: Request, who: Caller): Promise<SubscriptionDoc> {
    const sub = pathUser(req, who, notFound);
    const { subscriptionId } = parseInput(
      SubscriptionIdParam,
      { subscriptionId: req.params.subscriptionId },
      'params',
    );
    const doc = await deps.queries.get(who.providerId, subscriptionId);
    if (doc.sub !== sub)
      throw new DomainError('not_found', 'subscription_not_found', 'No such subscription.');
    return doc;
  }

  /** Answers a write with the subscription as readers will see it (or 202 while projections catch up). */
  const answer = userResourceResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
    collection: 'subscriptions',
    idField: 'subscriptionId',
    load: async (providerId, id) => toSubscriptionResource(await deps.queries.get(providerId, id)),
  });

  router.post('/users/:sub/subscriptions', ...auth(WRITE), async (req, res) => {
    const who = caller(res);
    requireBackend(who, BACKEND_ONLY);
    const sub = pathUser(req, who, notFound);
    const { sku } = parseInput(StartSubscriptionBody, req.body, 'body');
    const key = idempotencyKey(req);
    const result = await deps.commands.start(
      who.providerId,
      sub,
      sku,
      clientContext(res, who),
      key === undefined ? {} : { idempotencyKey: key },
    );
    await answer(res, who.providerId, { id: result.subscriptionId, sub }, result, 201);
  });

  router.get('/users/:sub/subscriptions', ...auth(READ), async (req, res) => {
    const who = caller(res);
    const sub = pathUser(req, who, notFound);
    await deps.awaitMinPosition(req, PROJECTIONS);
    const items = await deps.queries.listForUser(sub, who.providerId);
    res.json({ subscriptions: items.map(toSubscriptionResource) });
  });

  router.get('/users/:sub/subscriptions/:subscriptionId', ...auth(READ), async (req, res) => {
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toSubscriptionResource(await pathSubscription(req, caller(res))));
  });

  const action = (
    path: string,
    run: (who: Caller, id: string, body: unknown, res: Response) => Promise<{ position: number | null }>,
  ) =>
    router.post(`/users/:sub/subscriptions/:subscriptionId/${path}`, ...auth(WRITE), async (req, res) => {
      const who = caller(res);
      requireBackend(who, BACKEND_ONLY);
      const doc = await pathSubscription(req, who);
      const result = await run(who, doc.id, req.body ?? {}, res);
      await answer(res, who.providerId, doc, result);
    });

  action('cancel', (who, id, body, res) => {
    const input = parseInput(CancelSubscriptionBody, body, 'body');
    return deps.commands.cancel(
      who.providerId,
      id,
      { atPeriodEnd: input.atPeriodEnd, ...(input.reason === undefined ? {} : { reason: input.reason }) },
      clientContext(res, who),
    );
  });
  action('resume', (who, id, body, res) => {
    parseInput(EmptyBody, body, 'body');
    return deps.commands.resume(who.providerId, id, clientContext(res, who));
  });
  action('suspend', (who, id, body, res) =>
    deps.commands.suspend(
      who.providerId,
      id,
      clientContext(res, who),
      parseInput(SuspendSubscriptionBody, body, 'body').reason,
    ),
  );
  action('reactivate', (who, id, body, res) => {
    parseInput(EmptyBody, body, 'body');
    return deps.commands.reactivate(who.providerId, id, clientContext(res, who));
  });
  action('plan', (who, id, body, res) =>
    deps.commands.changePlan(
      who.providerId,
      id,
      parseInput(ChangePlanBody, body, 'body').sku,
      clientContext(res, who),
    ),
  );

  return router;
}
