import express, { Router, type Request, type Response } from 'express';
import type { ConsentCommands } from '../../application/consent/consent-commands.js';
import type { ConsentQueries, ConsentView } from '../../application/consent/consent-queries.js';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';
import type { Views } from '../../application/ports/views.js';
import type { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import type { CodeRejection } from '../../application/signin/results.js';
import { MessageDeliveryError } from '../../application/ports/message-sender.js';
import { LOCALES, toLocale } from '../../application/signin/messages.js';
import type { UserCommands } from '../../application/user/user-commands.js';
import type { UserQueries, UserView } from '../../application/user/user-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { type IdentifierKind, lookupForm } from '../../domain/user/values.js';
import { CONSENTS_PROJECTION } from '../../projections/consents.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import { bearerAuth, bearerToken, type ScopeRequirement } from './bearer-auth.js';
import { requestContext } from './context.js';
import { HttpProblem } from './problem.js';
import { type AwaitMinPosition, setPosition } from './read-after-write.js';
import { noStore } from './security-headers.js';
import {
  EmailParams,
  NewEmailBody,
  NewPhoneBody,
  normaliseIdentifierInput,
  PatchMeBody,
  PhoneParams,
  SubParams,
  toUserResource,
  toVerificationResource,
  type VerificationResource,
  VerifyCodeBody,
  visibleSections,
} from './users-resources.js';
import { parseInput } from './validation.js';

/**
 * The scopes a user has granted a client, or null when the user has not consented to that client
 * at all. The data a provider reads by `sub` is limited to what these scopes reveal.
 */
export type ConsentLookup = (sub: string, clientId: string) => Promise<readonly string[] | null>;

export interface UsersRouterDeps {
  readonly users: UserCommands;
  readonly queries: UserQueries;
  readonly verifier: TokenVerifier;
  readonly views: Views;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for its projection before answering 202 instead of the resource. */
  readonly writeVisibleTimeoutMs: number;
  /** Country for national-format phone numbers (USER_SETTINGS.defaultCountry). */
  readonly defaultCountry?: string;
  /** Sends and checks verification codes; without it, added phones and emails stay unverified. */
  readonly codes?: Pick<OneTimeCodes, 'request' | 'verify'>;
  /** Consent records; without it no provider reads anyone by `sub` (every lookup is a 404). */
  readonly consentedScopes?: ConsentLookup;
  /**
   * The user's own consents at /users/me/consents; without it those routes are not served. When
   * given, reads by `sub` also wait for the consents projection on `?minPosition=`.
   */
  readonly consents?: {
    readonly queries: Pick<ConsentQueries, 'listForUser'>;
    readonly commands: Pick<ConsentCommands, 'revoke'>;
  };
}

const PROJECTIONS = [USERS_PROJECTION];

/** GET /users/me: account data at large, or a user's OpenID Connect claims scopes. */
const READ_ME: readonly ScopeRequirement[] = [
  'id.user.read',
  ['openid', 'profile'],
  ['openid', 'email'],
  ['openid', 'phone'],
];
const WRITE: readonly ScopeRequirement[] = ['id.user.write'];
const READ_BY_SUB: readonly ScopeRequirement[] = ['id.user.read'];
/**
 * Connected services are account management, not OpenID Connect claims: listing them needs
 * `id.user.read` (an `openid` token alone would tell any client which other services the user
 * uses), and revoking one needs `id.user.write`.
 */
const READ_CONSENTS: readonly ScopeRequirement[] = ['id.user.read'];
const REVOKE_CONSENT: readonly ScopeRequirement[] = ['id.user.write'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toConsentResource(consent: ConsentView) {
  return {
    clientId: consent.clientId,
    name: consent.clientName,
    logoUri: consent.logoUri,
    scopes: consent.scopes,
    grantedAt: consent.grantedAt,
    updatedAt: consent.updatedAt,
  };
}

function noSuchConsent(): HttpProblem {
  return new HttpProblem(
    404,
    'consent_not_found',
    'You have not allowed this client anything; nothing to revoke.',
  );
}

const KIND_PATH: Readonly<Record<IdentifierKind, string>> = { phone: 'phones', email: 'emails' };

/** One answer for "no such user" and "no consent", so a provider cannot probe who has an account. */
function unknownToProvider(): HttpProblem {
  return new HttpProblem(
    404,
    'user_not_found',
    'No such user, or the user has not allowed this client to read their data.',
  );
}

function userSub(token: VerifiedToken): string {
  if (token.sub === null) {
    throw new HttpProblem(
      403,
      'user_token_required',
      'This endpoint acts for a signed-in user, and a client_credentials token has none. Use a token ' +
        'from the authorization code flow, or GET /v1/users/{sub} for a user who has consented.',
    );
  }
  return token.sub;
}

function userContext(res: Response, sub: string): CommandContext {
  return { actor: { kind: 'user', id: sub }, correlationId: requestContext(res).correlationId };
}

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

/**
 * The user-data API for access tokens from Tessera's OpenID Connect server (mounted at `/v1`):
 *
 *   GET    /users/me                              the token's user, limited by its scopes
 *   PATCH  /users/me                              `{ name?, locale? }` (id.user.write)
 *   POST   /users/me/{phones|emails}              add, unverified; a code is sent when possible → 201
 *   POST   /users/me/{phones|emails}/verify       `{ challengeId, code }` → the identifier, verified
 *   POST   /users/me/{phones|emails}/:id/verification   send a new code → 202
 *   POST   /users/me/{phones|emails}/:id/primary  make a verified one primary → 204
 *   DELETE /users/me/{phones|emails}/:id          remove (never the last verified one) → 204
 *   GET    /users/me/consents                     connected services (id.user.read)
 *   DELETE /users/me/consents/:clientId           withdraw a consent; the client's grants and tokens
 *                                                 are revoked → 204, 404 if none is active (id.user.write)
 *   GET    /users/:sub                            for a provider's client_credentials token with
 *                                                 id.user.read, if the user consented to that client
 *
 * Writes carry `Tessera-Position`; `GET` accepts `?minPosition=` to read one's own writes.
 */
export function createUsersRouter(deps: UsersRouterDeps): Router {
  const { users, queries, verifier } = deps;
  const consentedScopes: ConsentLookup = deps.consentedScopes ?? (async () => null);
  const router = Router();
  router.use(noStore(), express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }));

  const auth = (anyOf: readonly ScopeRequirement[]) => bearerAuth(verifier, { anyOf });

  async function activeUser(sub: string): Promise<UserView> {
    const view = await queries.getUser(sub);
    if (view.status === 'erased') {
      throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
    }
    return view;
  }

  router.get('/users/me', auth(READ_ME), async (req, res) => {
    const token = bearerToken(res);
    const sub = userSub(token);
    await deps.awaitMinPosition(req, PROJECTIONS);
    res.json(toUserResource(await activeUser(sub), visibleSections(token.scopes)));
  });

  router.patch('/users/me', auth(WRITE), async (req, res) => {
    const token = bearerToken(res);
    const sub = userSub(token);
    const body = parseInput(PatchMeBody, req.body, 'body');
    const result = await users.updateProfile(sub, body, userContext(res, sub));
    setPosition(res, result.position);
    const visible =
      result.position === null ||
      (await deps.views.waitFor(result.position, {
        timeoutMs: deps.writeVisibleTimeoutMs,
        projections: PROJECTIONS,
      }));
    if (!visible) {
      res.status(202).json({ sub, position: result.position });
      return;
    }
    res.json(toUserResource(await activeUser(sub), visibleSections(token.scopes)));
  });

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

  const consents = deps.consents;
  if (consents) {
    router.get('/users/me/consents', auth(READ_CONSENTS), async (req, res) => {
      const sub = userSub(bearerToken(res));
      await deps.awaitMinPosition(req, [CONSENTS_PROJECTION]);
      const items = await consents.queries.listForUser(sub);
      res.json({ items: items.map(toConsentResource) });
    });

    router.delete('/users/me/consents/:clientId', auth(REVOKE_CONSENT), async (req, res) => {
      const sub = userSub(bearerToken(res));
      const clientId = String(req.params.clientId);
      if (!UUID.test(clientId)) throw noSuchConsent();
      const result = await consents.commands.revoke(sub, clientId, {}, userContext(res, sub));
      if (!result.revoked) throw noSuchConsent();
      setPosition(res, result.position);
      // Answer once the lists and the providers' reads by sub no longer show the consent (bounded).
      if (result.position !== null) {
        await deps.views.waitFor(result.position, {
          timeoutMs: deps.writeVisibleTimeoutMs,
          projections: [CONSENTS_PROJECTION],
        });
      }
      res.status(204).end();
    });
  }

  const bySubProjections = consents ? [...PROJECTIONS, CONSENTS_PROJECTION] : PROJECTIONS;
  router.get('/users/:sub', auth(READ_BY_SUB), async (req, res) => {
    const token = bearerToken(res);
    if (token.sub !== null) {
      throw new HttpProblem(
        403,
        'client_token_required',
        "Reading a user by sub is for a provider's backend with a client_credentials token; " +
          'a signed-in user reads their own data at GET /v1/users/me.',
      );
    }
    const { sub } = parseInput(SubParams, req.params, 'params');
    await deps.awaitMinPosition(req, bySubProjections);
    const scopes = await consentedScopes(sub, token.clientId);
    if (scopes === null) throw unknownToProvider();
    let view: UserView;
    try {
      view = await queries.getUser(sub);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') throw unknownToProvider();
      throw err;
    }
    if (view.status === 'erased') throw unknownToProvider();
    res.json(toUserResource(view, visibleSections(scopes)));
  });

  return router;
}

function codesUnavailable(): HttpProblem {
  return new HttpProblem(
    503,
    'verification_unavailable',
    'Verification codes cannot be sent from this server right now; try again later.',
    { headers: { 'Retry-After': '60' } },
  );
}
