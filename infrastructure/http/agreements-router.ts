/**
 * The charging agreements API for providers' backends (client_credentials) and a user's own token,
 * both with `payment.transactions.write`:
 *
 *   POST /agreements                      ask a user to agree to recurring charges (Idempotency-Key)
 *                                         → 201 with the agreement and its `confirmation` link
 *   GET  /agreements                      the provider's agreements (`sub`, `status`, paged)
 *   GET  /agreements/{agreementId}        one agreement
 *   POST /agreements/{agreementId}/stop   stop charging: the subscription ends with its paid period
 *
 * Everything is scoped to the calling client's provider: another provider's agreement is a 404. A
 * user token acts for its own user only.
 */
import { type Response, Router } from 'express';
import type { AgreementCommands } from '../../application/agreement/agreement-commands.js';
import type { AgreementQueries } from '../../application/agreement/agreement-queries.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { Views } from '../../application/ports/views.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { AGREEMENTS_PROJECTION, type AgreementDoc } from '../../projections/agreements.js';
import { idempotencyKey, writeResponder } from './admin-writes.js';
import {
  AgreementListQuery,
  AgreementParams,
  confirmationLink,
  CreateAgreementBody,
  StopAgreementBody,
  toAgreementResource,
} from './agreements-resources.js';
import { type Caller, caller, callerAuth, type ProviderOfClient } from './caller.js';
import { requestContext } from './context.js';
import { HttpProblem } from './problem.js';
import type { AwaitMinPosition } from './read-after-write.js';
import { parseInput } from './validation.js';

export interface AgreementsRouterDeps {
  readonly commands: Pick<AgreementCommands, 'create' | 'stop' | 'stopByUser'>;
  readonly queries: Pick<AgreementQueries, 'get' | 'listForProvider'>;
  /** The public base URL the confirmation page lives under. */
  readonly issuer: () => string;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly views: Pick<Views, 'waitFor'>;
  readonly awaitMinPosition: AwaitMinPosition;
  readonly writeVisibleTimeoutMs: number;
}

const WRITE = ['payment.transactions.write'];
const PROJECTIONS = [AGREEMENTS_PROJECTION];

const noSuchAgreement = () =>
  new DomainError('not_found', 'agreement_not_found', 'No such charging agreement.');

function context(res: Response, who: Caller) {
  return {
    actor:
      who.sub === null
        ? { kind: 'client' as const, id: who.clientId }
        : { kind: 'user' as const, id: who.sub },
    correlationId: requestContext(res).correlationId,
  };
}

export function createAgreementsRouter(deps: AgreementsRouterDeps): Router {
  const router = Router();
  const auth = callerAuth(deps.verifier, deps.providerOf, WRITE);

  /** Answers a write with the agreement as readers will see it, or 202 while they catch up. */
  const respond = writeResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
  });

  /** The agreement as this caller may see it: the provider's, and a user token's own. */
  async function readable(who: Caller, agreementId: string): Promise<AgreementDoc> {
    const doc = await deps.queries.get(who.providerId, agreementId);
    if (who.sub !== null && doc.sub !== who.sub) throw noSuchAgreement();
    return doc;
  }

  router.post('/agreements', ...auth, async (req, res) => {
    const who = caller(res);
    const body = parseInput(CreateAgreementBody, req.body, 'body');
    if (who.sub !== null && body.sub !== undefined && body.sub !== who.sub) {
      throw new HttpProblem(422, 'validation_failed', 'A user token makes agreements for its own user.', {
        errors: [{ path: 'body.sub', message: 'must be the token’s own user, or left out' }],
      });
    }
    const sub = who.sub ?? body.sub;
    const key = idempotencyKey(req);
    const result = await deps.commands.create(
      who.providerId,
      {
        sku: body.sku,
        successRedirect: body.successRedirect,
        cancelRedirect: body.cancelRedirect,
        createdBy: who.clientId,
        ...(sub === undefined ? {} : { sub }),
        ...(body.price === undefined ? {} : { price: body.price }),
        ...(body.recurrence === undefined ? {} : { recurrence: body.recurrence }),
        ...(body.trial === undefined ? {} : { trial: body.trial }),
        ...(body.firstPayment === undefined ? {} : { firstPayment: body.firstPayment }),
      },
      context(res, who),
      key === undefined ? {} : { idempotencyKey: key },
    );
    const id = result.agreementId;
    await respond(res, {
      status: 201,
      result: { id, position: result.position, deduplicated: result.deduplicated },
      location: `/v1/agreements/${id}`,
      load: async () => toAgreementResource(await deps.queries.get(who.providerId, id), deps.issuer()),
      accepted: () => ({
        agreementId: id,
        position: result.position,
        links: { confirmation: confirmationLink(deps.issuer(), id) },
      }),
    });
  });

  router.get('/agreements', ...auth, async (req, res) => {
    const who = caller(res);
    const query = parseInput(AgreementListQuery, req.query, 'query');
    if (who.sub !== null && query.sub !== undefined && query.sub !== who.sub) {
      throw new HttpProblem(
        403,
        'client_token_required',
        'A user token lists only its own user’s agreements.',
      );
    }
    await deps.awaitMinPosition(req, PROJECTIONS);
    const sub = who.sub ?? query.sub;
    const page = await deps.queries.listForProvider(who.providerId, {
      ...(sub === undefined ? {} : { sub }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    res.json({
      items: page.items.map((doc) => toAgreementResource(doc, deps.issuer())),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/agreements/:agreementId', ...auth, async (req, res) => {
    const who = caller(res);
    const { agreementId } = parseInput(AgreementParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toAgreementResource(await readable(who, agreementId), deps.issuer()));
  });

  router.post('/agreements/:agreementId/stop', ...auth, async (req, res) => {
    const who = caller(res);
    const { agreementId } = parseInput(AgreementParams, req.params, 'params');
    const body = parseInput(StopAgreementBody, req.body ?? {}, 'body');
    const doc = await readable(who, agreementId);
    const ctx = context(res, who);
    const result =
      who.sub !== null
        ? await deps.commands.stopByUser(who.sub, doc.id, ctx)
        : await deps.commands.stop(who.providerId, doc.id, who.clientId, ctx, body.reason);
    await respond(res, {
      status: 200,
      result: { id: doc.id, position: result.position, deduplicated: result.deduplicated },
      location: `/v1/agreements/${doc.id}`,
      load: async () => toAgreementResource(await deps.queries.get(who.providerId, doc.id), deps.issuer()),
      accepted: () => ({ agreementId: doc.id, status: result.agreement.status, position: result.position }),
    });
  });

  return router;
}
