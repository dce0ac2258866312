/**
 * The user's phones and emails (mounted by the users router under /users/me):
 *
 *   POST   /users/me/{phones|emails}              add, unverified; a code is sent when possible → 201
 *   POST   /users/me/{phones|emails}/verify       `{ challengeId, code }` → the identifier, verified
 *   POST   /users/me/{phones|emails}/:id/verification   send a new code → 202
 *   POST   /users/me/{phones|emails}/:id/primary  make a verified one primary → 204
 *   DELETE /users/me/{phones|emails}/:id          remove (never the last verified one) → 204
 */
import type { Request, RequestHandler, Router } from 'express';
import { MessageDeliveryError } from '../../application/ports/message-sender.js';
import { LOCALES, toLocale } from '../../application/signin/messages.js';
import type { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import type { CodeRejection } from '../../application/signin/results.js';
import type { UserCommands } from '../../application/user/user-commands.js';
import type { UserView } from '../../application/user/user-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { type IdentifierKind, lookupForm } from '../../domain/user/values.js';
import { bearerToken, type ScopeRequirement } from './bearer-auth.js';
import { HttpProblem } from './problem.js';
import { setPosition } from './read-after-write.js';
import { userContext, userSub } from './user-token.js';
import {
  EmailParams,
  NewEmailBody,
  NewPhoneBody,
  normaliseIdentifierInput,
  PhoneParams,
  toVerificationResource,
  type VerificationResource,
  VerifyCodeBody,
} from './users-resources.js';
import { parseInput } from './validation.js';

export interface IdentifierRoutesDeps {
  readonly users: UserCommands;
  readonly auth: (anyOf: readonly ScopeRequirement[]) => RequestHandler;
  /** The token's account, refused when it was deleted. */
  readonly activeUser: (sub: string) => Promise<UserView>;
  readonly defaultCountry: string | undefined;
  readonly codes?: Pick<OneTimeCodes, 'request' | 'verify'>;
}

const WRITE: readonly ScopeRequirement[] = ['id.user.write'];

const KIND_PATH: Readonly<Record<IdentifierKind, string>> = { phone: 'phones', email: 'emails' };

function retryAfter(seconds: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) };
}

function codeRejected(rejection: CodeRejection): HttpProblem {
  switch (rejection.reason) {
    case 'wrong_code':
      return new HttpProblem(
        422,
        'wrong_code',
        `The code is not right; ${rejection.attemptsLeft} more attempt(s) with this code.`,
        { errors: [{ path: 'body.code', message: 'is not the code that was sent' }] },
      );
    case 'expired':
      return new HttpProblem(422, 'code_expired', 'This code has expired or was used; request a new one.');
    case 'too_many_attempts':
      return new HttpProblem(
        422,
        'code_attempts_exhausted',
        'Too many wrong attempts with this code; request a new one.',
      );
    case 'locked':
      return new HttpProblem(
        429,
        'identifier_locked',
        `Too many wrong codes; try again after ${rejection.until.toISOString()}.`,
        { headers: retryAfter(rejection.retryAfterSeconds) },
      );
    case 'rate_limited':
      return new HttpProblem(429, 'rate_limited', 'Too many wrong codes from this address; wait a while.', {
        headers: retryAfter(rejection.retryAfterSeconds),
      });
  }
}

function codesUnavailable(): HttpProblem {
  return new HttpProblem(
    503,
    'verification_unavailable',
    'Verification codes cannot be sent from this server right now; try again later.',
    { headers: { 'Retry-After': '60' } },
  );
}

export function identifierRoutes(router: Router, deps: IdentifierRoutesDeps): void {
  const { users, auth, activeUser } = deps;
  for (const kind of ['phone', 'email'] as const) {
    const base = `/users/me/${KIND_PATH[kind]}`;
    const Body = kind === 'phone' ? NewPhoneBody : NewEmailBody;
    const Params = kind === 'phone' ? PhoneParams : EmailParams;

    const fromParams = (req: Request): string => {
      const params: Record<string, string> = parseInput(Params, req.params, 'params');
      return normaliseIdentifierInput(kind, params[kind]!, 'params', deps.defaultCountry);
    };

    const sendCode = async (req: Request, value: string) => {
      if (!deps.codes) return null;
      const locale = toLocale(req.acceptsLanguages(...LOCALES) || undefined);
      return deps.codes.request({ kind, value }, { ip: req.ip ?? '', locale });
    };

    router.post(base, auth(WRITE), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const body: Record<string, string> = parseInput(Body, req.body, 'body');
      const value = normaliseIdentifierInput(kind, body[kind]!, 'body', deps.defaultCountry);
      const result = await users.addIdentifier(sub, { kind, value }, userContext(res, sub));
      setPosition(res, result.position);
      let verification: VerificationResource;
      try {
        verification = toVerificationResource(await sendCode(req, value));
      } catch (err) {
        // The identifier is added either way; a new code can be asked for at …/verification.
        if (!(err instanceof MessageDeliveryError)) throw err;
        verification = { status: 'delivery_failed' };
      }
      res
        .status(201)
        .setHeader('Location', `/v1${base}/${encodeURIComponent(value)}`)
        .json({ value, verified: false, primary: false, verification });
    });

    router.post(`${base}/verify`, auth(WRITE), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const body = parseInput(VerifyCodeBody, req.body, 'body');
      if (!deps.codes) throw codesUnavailable();
      const outcome = await deps.codes.verify(body.challengeId, body.code, { ip: req.ip ?? '' });
      if (!outcome.ok) throw codeRejected(outcome);
      if (outcome.identifier.kind !== kind) {
        throw new HttpProblem(
          422,
          'wrong_identifier_kind',
          `This code was sent to ${outcome.identifier.kind === 'phone' ? 'a phone' : 'an email address'}, not to ${
            kind === 'phone' ? 'a phone' : 'an email address'
          }; it is used up, so request a new one at the right address.`,
        );
      }
      const { value } = outcome.identifier;
      const result = await users.verifyIdentifier(sub, { kind, value }, userContext(res, sub));
      setPosition(res, result.position);
      res.json({ value, verified: true });
    });

    router.post(`${base}/:${kind}/verification`, auth(WRITE), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const value = fromParams(req);
      if (!deps.codes) throw codesUnavailable();
      const view = await activeUser(sub);
      const wanted = lookupForm(kind, value);
      const entry = (kind === 'phone' ? view.phones : view.emails).find(
        (i) => i.value !== null && lookupForm(kind, i.value) === wanted,
      );
      if (!entry) {
        throw new DomainError('not_found', `${kind}_not_found`, `This ${kind} is not on the account.`, kind);
      }
      if (entry.verified) {
        throw new DomainError(
          'conflict',
          `${kind}_already_verified`,
          `This ${kind} is already verified.`,
          kind,
        );
      }
      let sent: Awaited<ReturnType<typeof sendCode>>;
      try {
        sent = await sendCode(req, entry.value ?? value);
      } catch (err) {
        if (!(err instanceof MessageDeliveryError)) throw err;
        throw new HttpProblem(503, 'delivery_failed', 'The code could not be sent; try again shortly.', {
          headers: retryAfter(30),
        });
      }
      if (sent && !sent.ok) {
        throw new HttpProblem(429, 'code_throttled', 'A code was sent recently; wait before asking again.', {
          headers: retryAfter(sent.retryAfterSeconds),
        });
      }
      res.status(202).json(toVerificationResource(sent));
    });

    router.post(`${base}/:${kind}/primary`, auth(WRITE), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const value = fromParams(req);
      const result = await users.makePrimary(sub, { kind, value }, userContext(res, sub));
      setPosition(res, result.position);
      res.status(204).end();
    });

    router.delete(`${base}/:${kind}`, auth(WRITE), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const value = fromParams(req);
      const result = await users.removeIdentifier(sub, { kind, value }, userContext(res, sub));
      setPosition(res, result.position);
      res.status(204).end();
    });
  }
}
