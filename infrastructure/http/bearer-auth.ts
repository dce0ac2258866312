import type { RequestHandler, Response } from 'express';
import {
  type TokenVerifier,
  TokenVerifierUnavailableError,
  type VerifiedToken,
} from '../../application/ports/token-verifier.js';
import { HttpProblem } from './problem.js';
import { canPeek } from './token-cache.js';

const REALM = 'tessera';
const TOKEN_KEY = 'token';

/** `Authorization: Bearer <b64token>` (RFC 6750 §2.1); the scheme is case-insensitive. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * A scope requirement: one scope, or several that must all be held. `anyOf` passes when the token
 * satisfies at least one requirement.
 */
export type ScopeRequirement = string | readonly string[];

export interface BearerAuthOptions {
  /** Scopes the token must hold; unset, any valid token passes. */
  readonly anyOf?: readonly ScopeRequirement[];
}

function challenge(attributes: Record<string, string>): string {
  const parts = [`realm="${REALM}"`, ...Object.entries(attributes).map(([k, v]) => `${k}="${v}"`)];
  return `Bearer ${parts.join(', ')}`;
}

function invalidToken(detail: string): HttpProblem {
  return new HttpProblem(401, 'invalid_token', detail, {
    headers: { 'WWW-Authenticate': challenge({ error: 'invalid_token' }) },
  });
}

function asSet(requirement: ScopeRequirement): readonly string[] {
  return typeof requirement === 'string' ? [requirement] : requirement;
}

/** The token of an `Authorization: Bearer <token>` header value; undefined for anything else. */
export function bearerValue(header: string): string | undefined {
  return BEARER.exec(header)?.[1];
}

/** Whether `scopes` satisfy at least one of the requirements. */
export function satisfies(scopes: readonly string[], anyOf: readonly ScopeRequirement[]): boolean {
  // A token holds a handful of scopes: a linear search beats building a set per request.
  return anyOf.some((requirement) => asSet(requirement).every((scope) => scopes.includes(scope)));
}

/** 403 with the RFC 6750 `insufficient_scope` challenge naming the (first) sufficient scope set. */
export function insufficientScope(anyOf: readonly ScopeRequirement[]): HttpProblem {
  const options = anyOf.map((requirement) => asSet(requirement).join(' '));
  const detail =
    options.length === 1
      ? `This token lacks the scope this endpoint needs: ${options[0]}.`
      : `This token lacks the scopes this endpoint needs; any one of these will do: ${options
          .map((o) => `"${o}"`)
          .join(', ')}.`;
  return new HttpProblem(403, 'insufficient_scope', detail, {
    headers: {
      'WWW-Authenticate': challenge({ error: 'insufficient_scope', scope: options[0] ?? '' }),
    },
  });
}

/**
 * Authenticates a request by an access token from Tessera's OpenID Connect server and puts the
 * verified token in `res.locals.token` (read it with `bearerToken(res)`).
 *
 * - no `Authorization` header: 401 with a bare `Bearer realm` challenge (RFC 6750 §3.1: a request
 *   without credentials gets no error code);
 * - malformed, unknown, expired or revoked token: 401 `invalid_token`;
 * - valid token without a required scope: 403 `insufficient_scope` with the needed `scope`;
 * - tokens cannot be checked yet (the authorization server is starting): 503 with Retry-After.
 *
 * The token value is never logged and never echoed in a response.
 */
export function bearerAuth(verifier: TokenVerifier, options: BearerAuthOptions = {}): RequestHandler {
  const peeking = canPeek(verifier);
  return (req, res, next) => {
    const header = req.get('Authorization');
    if (header === undefined || header.trim() === '') {
      throw new HttpProblem(
        401,
        'unauthorized',
        'Send an access token from Tessera as `Authorization: Bearer <token>`.',
        { headers: { 'WWW-Authenticate': challenge({}) } },
      );
    }
    const match = BEARER.exec(header);
    if (!match) throw invalidToken('The Authorization header must be `Bearer <token>`.');
    const value = match[1]!;
    const accept = (token: VerifiedToken | null): void => {
      if (token === null) throw invalidToken('The access token is unknown, expired or revoked.');
      if (options.anyOf && options.anyOf.length > 0 && !satisfies(token.scopes, options.anyOf)) {
        throw insufficientScope(options.anyOf);
      }
      res.locals[TOKEN_KEY] = token;
      next();
    };
    // A token verified moments ago is accepted without a promise; any other is verified.
    const remembered = peeking ? verifier.peek(value) : undefined;
    if (remembered !== undefined) return accept(remembered);
    return verifier.verify(value).then(accept, (err: unknown) => {
      if (err instanceof TokenVerifierUnavailableError) {
        throw new HttpProblem(503, 'oidc_starting', 'Tokens cannot be checked yet; retry shortly.', {
          headers: { 'Retry-After': '1' },
        });
      }
      throw err;
    });
  };
}

/** The token bearerAuth verified for this request. */
export function bearerToken(res: Response): VerifiedToken {
  const token = res.locals[TOKEN_KEY] as VerifiedToken | undefined;
  if (!token) throw new Error('No verified token: bearerAuth must run before this handler');
  return token;
}
