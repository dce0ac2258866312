/**
 * One-click payment (mounted at `/v1`): the paying user's own token charges a saved method.
 *
 *   POST /transactions/{transactionId}/payment   `{ methodId? }` (Idempotency-Key) → 200 with the outcome
 *
 * Only a user token with `payment.transactions.write` may call it, and only for a transaction made
 * out to that user at the provider of the token's client; anything else is the same 404 as a
 * transaction that does not exist. A client_credentials token is refused (403 `user_token_required`):
 * a provider's backend never charges a saved method on its own.
 *
 * Every attempt that reached the payment provider answers 200 with the attempt's outcome — captured,
 * requires_action (send the browser to `actionUrl`), failed (with the decline `code`; the
 * transaction stays payable) or unknown (settled later from the provider's own record). A decline
 * is an answer about the payment, not an error of the request, exactly as the PaymentProvider port
 * treats it. Problems (problem+json) mean nothing was charged: no such transaction or method, no
 * default method, a transaction already paid or in progress.
 *
 * A captured answer comes once the rights the purchase grants are readable (bounded; see
 * `rightsReadable`), and names them, so a shop can let the user in at once.
 *
 * Idempotency: the Idempotency-Key names the attempt (derived from the user and the key). A repeat
 * answers that attempt as it stands now and never starts another; concurrent repeats join the same
 * attempt, and the provider, called with that attempt's keys, moves money once. The same key with
 * another method is 409 `idempotency_key_reused`.
 */
import { type Response, Router } from 'express';
import { IdempotencyKeyReusedError } from '../../application/kernel/command-handler.js';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import { sha256Hex } from '../../application/kernel/stable-json.js';
import type { PaymentFlow, PayOutcome } from '../../application/payment/payment-flow.js';
import { methodReference } from '../../application/payment/payment-methods.js';
import type { TransactionQueries } from '../../application/payment/transaction-queries.js';
import type {
  ChargeableMethod,
  PaymentMethodQueries,
} from '../../application/payment-method/payment-method-queries.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { TRANSACTIONS_PROJECTION } from '../../projections/transactions.js';
import { idempotencyKey } from './admin-writes.js';
import { caller, callerAuth, type ProviderOfClient } from './caller.js';
import { requestContext } from './context.js';
import { OneClickBody, toPaymentOutcomeResource } from './payment-methods-resources.js';
import { HttpProblem } from './problem.js';
import type { AwaitMinPosition } from './read-after-write.js';
import { TransactionParams } from './transactions-resources.js';
import { parseInput } from './validation.js';

export interface OneClickRouterDeps {
  readonly flow: Pick<PaymentFlow, 'pay' | 'resume'>;
  readonly transactions: Pick<TransactionQueries, 'get'>;
  readonly methods: Pick<PaymentMethodQueries, 'chargeableMethod' | 'chargeableDefault'>;
  /** The public base URL the hosted payment page lives under. */
  readonly issuer: () => string;
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly awaitMinPosition: AwaitMinPosition;
  /**
   * Resolves once the rights a captured outcome's purchase grants are readable (false after its own
   * bound); a captured answer waits for it, so the shop's next access check allows.
   */
  readonly rightsReadable?: (outcome: PayOutcome) => Promise<boolean>;
}

export const ONE_CLICK_SCOPES = ['payment.transactions.write'] as const;

/** The attempt an Idempotency-Key names: the same user and key always give the same attempt. */
export function oneClickAttemptId(sub: string, key: string): string {
  return `oc-${sha256Hex(`${sub}\u0000${key}`).slice(0, 40)}`;
}

function noSuchTransaction(): DomainError {
  return new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
}

function noDefault(): DomainError {
  return new DomainError(
    'conflict',
    'no_default_payment_method',
    'No default payment method is saved; name one with `methodId`.',
  );
}

export function createOneClickRouter(deps: OneClickRouterDeps): Router {
  const router = Router();
  const auth = callerAuth(deps.verifier, deps.providerOf, ONE_CLICK_SCOPES);

  /** The saved method to charge: the one named, else the default. */
  async function chosen(sub: string, methodId: string | undefined): Promise<ChargeableMethod> {
    if (methodId !== undefined) return deps.methods.chargeableMethod(sub, methodId);
    const found = await deps.methods.chargeableDefault(sub);
    if (found === null) throw noDefault();
    return found;
  }

  /** The attempt the key named earlier, as it stands now (settled with the provider if pending). */
  async function earlier(transactionId: string, attemptId: string, ctx: CommandContext) {
    try {
      return await deps.flow.resume(transactionId, attemptId, ctx);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'attempt_not_found') return null;
      throw err;
    }
  }

  /**
   * A repeat's method must be the first request's. The method is compared by what the attempt
   * recorded; one that can no longer be resolved (removed since) cannot be compared, and the first
   * answer stands.
   */
  async function replayedMethodId(sub: string, outcome: PayOutcome, methodId: string | undefined) {
    const recorded = outcome.transaction.attempts.find((a) => a.attemptId === outcome.attemptId)?.method;
    let now: ChargeableMethod;
    try {
      now = await chosen(sub, methodId);
    } catch (err) {
      if (err instanceof DomainError) return null;
      throw err;
    }
    const reference = methodReference(now.method);
    if (recorded && (recorded.kind !== reference.kind || recorded.reference !== reference.reference)) {
      throw new IdempotencyKeyReusedError();
    }
    return now.methodId;
  }

  router.post('/transactions/:transactionId/payment', ...auth, async (req, res: Response) => {
    const who = caller(res);
    if (who.sub === null) {
      throw new HttpProblem(
        403,
        'user_token_required',
        'One-click payment is made by the paying user: use a token from the authorization code flow.',
      );
    }
    const sub = who.sub;
    const { transactionId } = parseInput(TransactionParams, req.params, 'params');
    const body = parseInput(OneClickBody, req.body ?? {}, 'body');
    const key = idempotencyKey(req);
    await deps.awaitMinPosition(req, [TRANSACTIONS_PROJECTION]);
    const doc = await deps.transactions.get(who.providerId, transactionId);
    if (doc.sub !== sub) throw noSuchTransaction();
    const ctx: CommandContext = {
      actor: { kind: 'user', id: sub },
      correlationId: requestContext(res).correlationId,
    };
    const attemptId = key === undefined ? undefined : oneClickAttemptId(sub, key);

    if (attemptId !== undefined) {
      const before = await earlier(transactionId, attemptId, ctx);
      if (before !== null) {
        const methodId = await replayedMethodId(sub, before, body.methodId);
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(200).json(toPaymentOutcomeResource(before, methodId, deps.issuer()));
        return;
      }
    }

    const method = await chosen(sub, body.methodId);
    let outcome: PayOutcome;
    try {
      outcome = await deps.flow.pay(
        transactionId,
        { sub, method: method.method, ...(attemptId === undefined ? {} : { attemptId }) },
        ctx,
      );
    } catch (err) {
      // A concurrent repeat of the key that named another method.
      if (attemptId !== undefined && err instanceof DomainError && err.code === 'attempt_exists')
        throw new IdempotencyKeyReusedError();
      throw err;
    }
    await deps.rightsReadable?.(outcome);
    res.status(200).json(toPaymentOutcomeResource(outcome, method.methodId, deps.issuer()));
  });

  return router;
}
