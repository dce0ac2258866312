/**
 * A signed-in user's saved payment methods, for the user's own token (mounted at `/v1`):
 *
 *   GET    /users/me/payment-methods                    the saved methods, oldest first
 *   POST   /users/me/payment-methods/cards              `{ token, makeDefault? }` save a tokenised card → 201
 *   POST   /users/me/payment-methods/carrier            `{ phone?, makeDefault? }` save a verified phone → 201
 *   POST   /users/me/payment-methods/{methodId}/default make it the default (one-click charges it) → 204
 *   DELETE /users/me/payment-methods/{methodId}         remove it (idempotent) → 204
 *
 * Scopes: reading takes `id.user.read` (account management) or `payment.transactions.write` (an app
 * that pays for its user and offers the saved methods); every change takes
 * `payment.transactions.write`, since a saved method is what one-click purchases charge. A
 * client_credentials token has no user and is refused (403 `user_token_required`): a provider's
 * backend never sees a wallet.
 *
 * A card is saved from its token only: the card provider is asked server to server what the token
 * is (CardTokenizer.describeToken), so brand, last four and expiry can never be made up by a caller.
 * Saves accept an Idempotency-Key: the method's id is derived from it, so a repeat records nothing
 * new and answers the same method.
 */
import { type Response, Router } from 'express';
import { v5 as uuidv5 } from 'uuid';
import type { PaymentMethodCommands } from '../../application/payment-method/payment-method-commands.js';
import type {
  PaymentMethodQueries,
  PaymentMethodView,
} from '../../application/payment-method/payment-method-queries.js';
import {
  type CardTokenizer,
  PaymentProviderUnavailable,
  type TokenizedCard,
} from '../../application/ports/payment-provider.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { Views } from '../../application/ports/views.js';
import { IdempotencyKeyReusedError } from '../../application/kernel/command-handler.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { PAYMENT_METHODS_PROJECTION } from '../../projections/payment-methods.js';
import { idempotencyKey } from './admin-writes.js';
import { bearerAuth, bearerToken, type ScopeRequirement } from './bearer-auth.js';
import {
  PaymentMethodParams,
  SaveCardBody,
  SaveCarrierBody,
  toPaymentMethodResource,
} from './payment-methods-resources.js';
import { HttpProblem } from './problem.js';
import { type AwaitMinPosition, setPosition } from './read-after-write.js';
import { userContext, userSub } from './user-token.js';
import { parseInput } from './validation.js';

export interface PaymentMethodsRouterDeps {
  readonly commands: Pick<PaymentMethodCommands, 'saveCard' | 'saveCarrier' | 'setDefault' | 'remove'>;
  readonly queries: Pick<PaymentMethodQueries, 'list'>;
  /** The card provider's tokenizer; null when no card provider is configured (saving a card is 422). */
  readonly tokenizer: Pick<CardTokenizer, 'describeToken'> | null;
  readonly verifier: TokenVerifier;
  readonly views: Pick<Views, 'waitFor'>;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for the read model before answering 202 instead of the method. */
  readonly writeVisibleTimeoutMs: number;
}

export const READ_PAYMENT_METHODS: readonly ScopeRequirement[] = [
  'id.user.read',
  'payment.transactions.write',
];
export const WRITE_PAYMENT_METHODS: readonly ScopeRequirement[] = ['payment.transactions.write'];
const PROJECTIONS = [PAYMENT_METHODS_PROJECTION];

/** Namespace of method ids derived from (user, Idempotency-Key): a fixed, arbitrary UUID. */
const METHOD_ID_NAMESPACE = '6f1d3c2a-8b4e-5f70-9a1c-2d3e4f5a6b7c';

function methodIdFor(sub: string, key: string | undefined): string | undefined {
  return key === undefined ? undefined : uuidv5(`${sub}\u0000${key}`, METHOD_ID_NAMESPACE);
}

/** With an Idempotency-Key, a method id already used means the key came with another request. */
async function keyed<T>(key: string | undefined, save: () => Promise<T>): Promise<T> {
  try {
    return await save();
  } catch (err) {
    if (key !== undefined && err instanceof DomainError && err.code === 'payment_method_id_taken')
      throw new IdempotencyKeyReusedError();
    throw err;
  }
}

function providerUnavailable(): HttpProblem {
  return new HttpProblem(
    503,
    'payment_provider_unavailable',
    'The card provider did not answer; repeat the request (with the same Idempotency-Key).',
    { headers: { 'Retry-After': '5' } },
  );
}

export function createPaymentMethodsRouter(deps: PaymentMethodsRouterDeps): Router {
  const router = Router();
  const read = bearerAuth(deps.verifier, { anyOf: READ_PAYMENT_METHODS });
  const write = bearerAuth(deps.verifier, { anyOf: WRITE_PAYMENT_METHODS });
  const me = (res: Response) => userSub(bearerToken(res));

  /** The card behind a token, as the provider describes it; an unknown token is the caller's mistake. */
  async function describe(token: string): Promise<TokenizedCard> {
    if (deps.tokenizer === null) {
      throw new HttpProblem(422, 'payment_method_unavailable', 'Card payments are not available here.');
    }
    let card: TokenizedCard | null;
    try {
      card = await deps.tokenizer.describeToken(token);
    } catch (err) {
      if (err instanceof PaymentProviderUnavailable) throw providerUnavailable();
      throw err;
    }
    if (card === null) {
      throw new HttpProblem(422, 'unknown_card_token', 'The card provider does not know this token.', {
        errors: [{ path: 'body.token', message: 'is not a token of the card provider' }],
      });
    }
    return card;
  }

  /** Answers a saved method: 201 with it once the read model shows it, else 202 with its id. */
  async function answerSaved(
    res: Response,
    sub: string,
    result: { methodId: string; position: number | null },
    replayed: boolean,
  ): Promise<void> {
    setPosition(res, result.position);
    if (replayed && result.position === null) res.setHeader('Idempotent-Replayed', 'true');
    const seen =
      result.position === null ||
      (await deps.views.waitFor(result.position, {
        timeoutMs: deps.writeVisibleTimeoutMs,
        projections: PROJECTIONS,
      }));
    const found: PaymentMethodView | undefined = seen
      ? (await deps.queries.list(sub)).find((m) => m.methodId === result.methodId)
      : undefined;
    if (!found) {
      res.status(202).json({ methodId: result.methodId, position: result.position });
      return;
    }
    res.status(201).json(toPaymentMethodResource(found));
  }

  router.get('/users/me/payment-methods', read, async (req, res) => {
    const sub = me(res);
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json({ items: (await deps.queries.list(sub)).map(toPaymentMethodResource) });
  });

  router.post('/users/me/payment-methods/cards', write, async (req, res) => {
    const sub = me(res);
    const body = parseInput(SaveCardBody, req.body, 'body');
    const key = idempotencyKey(req);
    const card = await describe(body.token);
    const methodId = methodIdFor(sub, key);
    const result = await keyed(key, () =>
      deps.commands.saveCard(
        sub,
        {
          token: card.token,
          brand: card.brand,
          last4: card.last4,
          expMonth: card.expMonth,
          expYear: card.expYear,
          ...(body.makeDefault === undefined ? {} : { makeDefault: body.makeDefault }),
          ...(methodId === undefined ? {} : { methodId }),
        },
        userContext(res, sub),
      ),
    );
    await answerSaved(res, sub, result, key !== undefined);
  });

  router.post('/users/me/payment-methods/carrier', write, async (req, res) => {
    const sub = me(res);
    const body = parseInput(SaveCarrierBody, req.body, 'body');
    const key = idempotencyKey(req);
    const methodId = methodIdFor(sub, key);
    const result = await keyed(key, () =>
      deps.commands.saveCarrier(
        sub,
        {
          ...(body.phone === undefined ? {} : { phone: body.phone }),
          ...(body.makeDefault === undefined ? {} : { makeDefault: body.makeDefault }),
          ...(methodId === undefined ? {} : { methodId }),
        },
        userContext(res, sub),
      ),
    );
    await answerSaved(res, sub, result, key !== undefined);
  });

  router.post('/users/me/payment-methods/:methodId/default', write, async (req, res) => {
    const sub = me(res);
    const { methodId } = parseInput(PaymentMethodParams, req.params, 'params');
    const result = await deps.commands.setDefault(sub, methodId, userContext(res, sub));
    setPosition(res, result.position);
    res.status(204).end();
  });

  router.delete('/users/me/payment-methods/:methodId', write, async (req, res) => {
    const sub = me(res);
    const { methodId } = parseInput(PaymentMethodParams, req.params, 'params');
    const result = await deps.commands.remove(sub, methodId, userContext(res, sub));
    setPosition(res, result.position);
    res.status(204).end();
  });

  return router;
}
