/**
 * Staff API tokens on the /v1 staff APIs (the audit export, support tools):
 * `Authorization: Bearer tst_…`, minted by `tessera staff token` (StaffTokens).
 *
 *   const staffAuth = staffTokenAuth({ tokens, directory });
 *   router.get('/audit/transactions', staffAuth.requireStaffToken('auditor'), handler);
 *   // in handler: staffTokenCaller(res) → { sub, roles, providerIds, tokenId }
 *
 * No token, or one that is unknown, expired or revoked: 401. A live token whose owner lacks what
 * the route requires: 403. What the owner holds is asked of the StaffDirectory on every request
 * (a key lookup in the staff read model), so a revoked role takes effect on the very next call;
 * there is no cache.
 */
import type { RequestHandler, Response } from 'express';
import {
  describeRequirement,
  meetsRequirement,
  type StaffRequirement,
} from '../../../application/staff/staff-access.js';
import type { StaffDirectory, StaffRole } from '../../../application/staff/staff-directory.js';
import type { StaffTokens } from '../../../application/staff/staff-tokens.js';
import { HttpProblem } from '../problem.js';

const REALM = 'tessera-staff';
const LOCALS_KEY = 'staffToken';

export interface StaffTokenCaller {
  readonly sub: string;
  readonly roles: readonly StaffRole[];
  readonly providerIds: readonly string[];
  readonly tokenId: string;
}

export interface StaffTokenAuthDeps {
  readonly tokens: Pick<StaffTokens, 'authenticate'>;
  readonly directory: StaffDirectory;
}

export interface StaffTokenAuth {
  /**
   * Passes when the token's owner holds any one of `anyOf` (see StaffRequirement; none given: any
   * staff role or provider access).
   */
  requireStaffToken(anyOf?: StaffRequirement | readonly StaffRequirement[]): RequestHandler;
}

function unauthorized(code: 'unauthorized' | 'invalid_token', detail: string): HttpProblem {
  const challenge =
    code === 'unauthorized' ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
  return new HttpProblem(401, code, detail, { headers: { 'WWW-Authenticate': challenge } });
}

/** The staff member requireStaffToken let through. */
export function staffTokenCaller(res: Response): StaffTokenCaller {
  const caller = res.locals[LOCALS_KEY] as StaffTokenCaller | undefined;
  if (caller === undefined)
    throw new Error('No staff caller: requireStaffToken must run before this handler');
  return caller;
}

export function staffTokenAuth(deps: StaffTokenAuthDeps): StaffTokenAuth {
  return {
    requireStaffToken(anyOf = []) {
      const required: readonly StaffRequirement[] = typeof anyOf === 'string' ? [anyOf] : anyOf;
      return async (req, res, next) => {
        const header = req.get('Authorization');
        if (header === undefined) {
          throw unauthorized('unauthorized', 'Send a staff API token as `Authorization: Bearer <token>`.');
        }
        const match = /^Bearer +(\S+) *$/i.exec(header);
        const token = match ? await deps.tokens.authenticate(match[1]!) : null;
        if (token === null) {
          throw unauthorized(
            'invalid_token',
            'The staff API token is malformed, unknown, expired or revoked.',
          );
        }
        const [roles, providerIds] = await Promise.all([
          deps.directory.rolesOf(token.sub),
          deps.directory.providersOf(token.sub),
        ]);
        if (!meetsRequirement({ roles, providerIds }, required)) {
          throw new HttpProblem(
            403,
            'staff_role_required',
            `This needs ${describeRequirement(required)}; the token's account does not have it.`,
          );
        }
        const caller: StaffTokenCaller = { sub: token.sub, roles, providerIds, tokenId: token.id };
        res.locals[LOCALS_KEY] = caller;
        next();
      };
    },
  };
}
