import type { Response } from 'express';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import type { VerifiedToken } from '../../application/ports/token-verifier.js';
import { requestContext } from './context.js';
import { HttpProblem } from './problem.js';

/** The user a token acts for; a client_credentials token has none and is refused. */
export function userSub(token: VerifiedToken): string {
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

/** The context of a write the token's user makes. */
export function userContext(res: Response, sub: string): CommandContext {
  return { actor: { kind: 'user', id: sub }, correlationId: requestContext(res).correlationId };
}
