/**
 * Who is calling a provider-facing route. Rights, subscriptions, access checks and the change feed
 * are answered for a service provider: the provider is the one the calling client belongs to, so a
 * provider's backend (a client_credentials token) sees only what it granted, for its own SKUs. A
 * user's own token (a sub) may read that user's rights where a route allows it.
 */
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import { requestContext } from './context.js';
import { parseInput } from './validation.js';
import { bearerAuth, bearerToken, type ScopeRequirement } from './bearer-auth.js';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';
import { HttpProblem } from './problem.js';

export interface Caller {
  readonly clientId: string;
  /** The provider the calling client belongs to. */
  readonly providerId: string;
  /** The user a user token acts for; null for a provider's backend (client_credentials). */
  readonly sub: string | null;
  readonly scopes: readonly string[];
}

/**
 * The provider of a client, or null when the client is unknown or disabled. `peek`, when present,
 * answers from memory without waiting: undefined means "not remembered, ask the function".
 */
export type ProviderOfClient = ((clientId: string) => Promise<string | null>) & {
  readonly peek?: (clientId: string) => string | null | undefined;
};

const CALLER_KEY = 'caller';

/**
 * bearerAuth, then the calling client's provider. A token whose client no longer belongs to an
 * active provider is refused like an invalid token.
 */
export function callerAuth(
  verifier: TokenVerifier,
  providerOf: ProviderOfClient,
  anyOf: readonly ScopeRequirement[],
): RequestHandler[] {
  const settle = (res: Response, token: VerifiedToken, providerId: string | null): void => {
    if (providerId === null) {
      throw new HttpProblem(401, 'invalid_token', 'The access token belongs to no active client.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="tessera", error="invalid_token"' },
      });
    }
    const found: Caller = { clientId: token.clientId, providerId, sub: token.sub, scopes: token.scopes };
    res.locals[CALLER_KEY] = found;
  };
  return [
    bearerAuth(verifier, { anyOf }),
    (_req, res, next) => {
      const token = bearerToken(res);
      // A remembered provider is settled without a promise; otherwise it is looked up.
      const known = providerOf.peek?.(token.clientId);
      if (known !== undefined) {
        settle(res, token, known);
        next();
        return;
      }
      return providerOf(token.clientId).then((providerId) => {
        settle(res, token, providerId);
        next();
      });
    },
  ];
}

export function caller(res: Response): Caller {
  const found = res.locals[CALLER_KEY] as Caller | undefined;
  if (!found) throw new Error('No caller: callerAuth must run before this handler');
  return found;
}

/**
 * The provider of a client, remembered for a minute: every provider-facing request needs it, and a
 * client never moves to another provider (a disabled client's tokens are refused by the verifier).
 */
export function cachedProviderOf(
  lookup: (clientId: string) => Promise<{ readonly providerId: string; readonly status: string } | null>,
  ttlMs = 60_000,
  max = 10_000,
): ProviderOfClient {
  const cache = new Map<string, { readonly providerId: string | null; readonly at: number }>();
  const peek = (clientId: string): string | null | undefined => {
    const hit = cache.get(clientId);
    return hit !== undefined && Date.now() - hit.at < ttlMs ? hit.providerId : undefined;
  };
  const providerOf = async (clientId: string): Promise<string | null> => {
    const known = peek(clientId);
    if (known !== undefined) return known;
    const now = Date.now();
    const client = await lookup(clientId);
    const providerId = client !== null && client.status === 'active' ? client.providerId : null;
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(clientId, { providerId, at: now });
    return providerId;
  };
  return Object.assign(providerOf, { peek });
}

const SubParam = z.object({ sub: z.uuid('must be a user id (the OIDC `sub`, a UUID)') });

/**
 * The user a provider-facing path names (`/users/{sub}/…`): a UUID, or `me` for a user token's own
 * sub. A user's token reaches only its own user: naming another throws `notFound()`, the same
 * answer as for a resource that does not exist.
 */
export function pathUser(req: Request, who: Caller, notFound: () => Error): string {
  const raw = String(req.params.sub);
  if (raw === 'me') {
    if (who.sub === null) {
      throw new HttpProblem(
        400,
        'user_required',
        '`me` names the user of a user token; name the user by sub.',
      );
    }
    return who.sub;
  }
  const { sub } = parseInput(SubParam, { sub: raw }, 'params');
  if (who.sub !== null && who.sub !== sub) throw notFound();
  return sub;
}

/** Changes are for a provider's backend: a user's token is refused with 403. */
export function requireBackend(who: Caller, what: string): void {
  if (who.sub !== null) {
    throw new HttpProblem(
      403,
      'client_token_required',
      `${what} is for a provider's backend with a client_credentials token.`,
    );
  }
}

/** The context of a write a provider's client makes. */
export function clientContext(res: Response, who: Caller): CommandContext {
  return { actor: { kind: 'client', id: who.clientId }, correlationId: requestContext(res).correlationId };
}
