/**
 * The transactions API for providers (client_credentials tokens) and for a user's own token, both
 * with `payment.transactions.write`:
 *
 *   POST /transactions                       ask a user to pay (Idempotency-Key) → 201 + payment link
 *   GET  /transactions/{transactionId}       verify the outcome
 *   GET  /transactions?sub=… | ?from=&to=    a user's transactions, or those created in a period (paged)
 *   POST /transactions/{transactionId}/refunds   refund part or all (Idempotency-Key; backends only)
 *
 * Everything is scoped to the calling client's provider: another provider's transaction is a 404,
 * never a leak. A user token acts for its own user only: it creates transactions that user pays,
 * and reads only that user's.
 */
import { Router } from 'express';
import type { PaymentFlow } from '../../application/payment/payment-flow.js';
import type { TransactionCommands } from '../../application/payment/transaction-commands.js';
import type { TransactionQueries } from '../../application/payment/transaction-queries.js';
import { PaymentProviderUnavailable } from '../../application/ports/payment-provider.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { Views } from '../../application/ports/views.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { TRANSACTIONS_PROJECTION } from '../../projections/transactions.js';
import { idempotencyKey, writeResponder } from './admin-writes.js';
import { type Caller, caller, callerAuth, clientContext, type ProviderOfClient } from './caller.js';
import { HttpProblem } from './problem.js';
import type { AwaitMinPosition } from './read-after-write.js';
import {
  CreateTransactionBody,
  paymentLink,
  RefundBody,
  TransactionListQuery,
  TransactionParams,
  toTransactionResource,
} from './transactions-resources.js';
import { parseInput } from './validation.js';

export interface TransactionsRouterDeps {
  readonly commands: TransactionCommands;
  readonly queries: TransactionQueries;
  readonly flow: Pick<PaymentFlow, 'refund'>;
  /** The public base URL the hosted payment page lives under, known once the server listens. */
  readonly issuer: () => string;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly views: Pick<Views, 'waitFor'>;
  readonly awaitMinPosition: AwaitMinPosition;
  readonly writeVisibleTimeoutMs: number;
}

const WRITE = ['payment.transactions.write'];
const PROJECTIONS = [TRANSACTIONS_PROJECTION];

function noSuchTransaction(): DomainError {
  return new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
}

/** The paying user: a user token's own, or the one a backend names. */
function payer(who: Caller, named: string | undefined): string {
  if (who.sub !== null) {
    if (named !== undefined && named !== who.sub) {
      throw new HttpProblem(422, 'validation_failed', 'A user token creates transactions for its own user.', {
        errors: [{ path: 'body.sub', message: 'must be the token’s own user, or left out' }],
      });
    }
    return who.sub;
  }
  if (named === undefined) {
    throw new HttpProblem(
      422,
      'validation_failed',
      'The request body is not valid; see `errors` for each field.',
      {
        errors: [{ path: 'body.sub', message: 'is required with a client_credentials token' }],
      },
    );
  }
  return named;
}

export function createTransactionsRouter(deps: TransactionsRouterDeps): Router {
  const router = Router();
  const auth = callerAuth(deps.verifier, deps.providerOf, WRITE);

  /** Answers a write with the transaction as readers will see it, or 202 while they catch up. */
  const respond = writeResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
  });

  /** The transaction as this caller may see it. */
  async function readable(who: Caller, transactionId: string) {
    const doc = await deps.queries.get(who.providerId, transactionId);
    if (who.sub !== null && doc.sub !== who.sub) throw noSuchTransaction();
    return doc;
  }

  router.post('/transactions', ...auth, async (req, res) => {
    const who = caller(res);
    const body = parseInput(CreateTransactionBody, req.body, 'body');
    const sub = payer(who, body.sub);
    const key = idempotencyKey(req);
    const { sub: _named, ...rest } = body;
    const result = await deps.commands.create(
      who.providerId,
      { ...rest, sub, createdBy: who.clientId },
      clientContext(res, who),
      key === undefined ? {} : { idempotencyKey: key },
    );
    const id = result.transactionId;
    await respond(res, {
      status: 201,
      result: { id, position: result.position, deduplicated: result.deduplicated },
      location: `/v1/transactions/${id}`,
      load: async () => toTransactionResource(await deps.queries.get(who.providerId, id), deps.issuer()),
      accepted: () => ({
        transactionId: id,
        position: result.position,
        links: { payment: paymentLink(deps.issuer(), id) },
      }),
    });
  });

  router.get('/transactions', ...auth, async (req, res) => {
    const who = caller(res);
    const query = parseInput(TransactionListQuery, req.query, 'query');
    if (who.sub !== null && query.sub !== who.sub) {
      throw new HttpProblem(
        403,
        'client_token_required',
        'A user token lists only its own user’s transactions.',
      );
    }
    await deps.awaitMinPosition(req, PROJECTIONS);
    const page = {
      ...(query.limit ? { limit: query.limit } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    };
    const found =
      query.sub !== undefined
        ? await deps.queries.listForUser(who.providerId, query.sub, page)
        : await deps.queries.listByPeriod(who.providerId, { from: query.from!, to: query.to! }, page);
    res.json({
      items: found.items.map((doc) => toTransactionResource(doc, deps.issuer())),
      nextCursor: found.nextCursor,
    });
  });

  router.get('/transactions/:transactionId', ...auth, async (req, res) => {
    const who = caller(res);
    const { transactionId } = parseInput(TransactionParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toTransactionResource(await readable(who, transactionId), deps.issuer()));
  });

  router.post('/transactions/:transactionId/refunds', ...auth, async (req, res) => {
    const who = caller(res);
    if (who.sub !== null) {
      throw new HttpProblem(
        403,
        'client_token_required',
        "Refunds are for a provider's backend (client_credentials).",
      );
    }
    const { transactionId } = parseInput(TransactionParams, req.params, 'params');
    const body = parseInput(RefundBody, req.body, 'body');
    const key = idempotencyKey(req);
    let result;
    try {
      result = await deps.flow.refund(
        who.providerId,
        transactionId,
        { amount: body.amount, reason: body.reason, issuer: { kind: 'provider', id: who.clientId } },
        clientContext(res, who),
        key,
      );
    } catch (err) {
      if (!(err instanceof PaymentProviderUnavailable)) throw err;
      throw new HttpProblem(
        503,
        'payment_provider_unavailable',
        'The payment provider did not answer; repeat the request with the same Idempotency-Key.',
        { headers: { 'Retry-After': '5' } },
      );
    }
    const refund = result.transaction.refunds.find((r) => r.refundId === result.refundId);
    await respond(res, {
      status: 201,
      result: { id: result.refundId, position: result.position, deduplicated: result.deduplicated },
      location: `/v1/transactions/${transactionId}`,
      load: async () => ({
        refundId: result.refundId,
        amount: refund?.amount ?? body.amount,
        reason: refund?.reason ?? body.reason,
        transaction: toTransactionResource(
          await deps.queries.get(who.providerId, transactionId),
          deps.issuer(),
        ),
      }),
      accepted: () => ({ transactionId, refundId: result.refundId, position: result.position }),
    });
  });

  return router;
}
