import { type Request, type Response, Router } from 'express';
import type { Views } from '../../application/ports/views.js';
import type { StaffCommands, StaffWriteResult } from '../../application/staff/staff-commands.js';
import type { StaffQueries } from '../../application/staff/staff-queries.js';
import type { UserQueries } from '../../application/user/user-queries.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { OPERATOR } from '../../domain/staff/values.js';
import { STAFF_PROJECTION } from '../../projections/staff.js';
import { adminContext, writeResponder } from './admin-writes.js';
import type { AwaitMinPosition } from './read-after-write.js';
import {
  GrantProviderBody,
  GrantRoleBody,
  NewStaffBody,
  RevokeQuery,
  StaffListQuery,
  StaffProviderParams,
  StaffRoleParams,
  StaffSubParams,
  toStaffResource,
} from './staff/staff-resources.js';
import { parseInput } from './validation.js';

export interface StaffRouterDeps {
  readonly commands: StaffCommands;
  readonly queries: Pick<StaffQueries, 'get' | 'list'>;
  /** Finds the account holding a verified phone or email (by its keyed hash). */
  readonly users: Pick<UserQueries, 'findByIdentifier'>;
  readonly views: Views;
  readonly awaitMinPosition: AwaitMinPosition;
  /** How long a write waits for the staff projection before answering 202 instead of the member. */
  readonly writeVisibleTimeoutMs: number;
}

const PROJECTIONS = [STAFF_PROJECTION];

const notStaff = () => new DomainError('not_found', 'staff_not_found', 'This account is not staff.');

/**
 * Staff accounts in the admin API (mounted under `/admin/v1` behind admin auth). Every change
 * needs a reason and is recorded with `by: "operator"`:
 *
 *   GET    /staff                                   staff accounts, `{ items, nextCursor }`
 *   POST   /staff                                   make an account staff: `{ sub|phone|email, roles?, providerIds?, reason }`
 *   GET    /staff/:sub                              one staff account
 *   POST   /staff/:sub/roles                        `{ role, reason }`
 *   DELETE /staff/:sub/roles/:role?reason=          revoke a role
 *   POST   /staff/:sub/providers                    `{ providerId, reason }`
 *   DELETE /staff/:sub/providers/:providerId?reason= revoke provider access
 *
 * Writes answer with the account as the directory now sees it (waiting briefly for the
 * projection) and `Tessera-Position`, or 202 when the projection is slow.
 */
export function createStaffRouter(deps: StaffRouterDeps): Router {
  const { commands, queries } = deps;
  const router = Router();
  const respond = writeResponder({
    views: deps.views,
    timeoutMs: deps.writeVisibleTimeoutMs,
    projections: PROJECTIONS,
  });
  const answer = (res: Response, status: 200 | 201, result: StaffWriteResult) =>
    respond(res, {
      status,
      result,
      location: `/admin/v1/staff/${result.id}`,
      load: async () => {
        const member = await queries.get(result.id);
        if (member === null) throw notStaff();
        return toStaffResource(member);
      },
      accepted: () => ({ sub: result.id, position: result.position }),
    });
  const change = (res: Response, reason: string) => ({
    input: { by: OPERATOR, reason },
    ctx: adminContext(res),
  });

  async function resolveAccount(body: NewStaffBody): Promise<string> {
    if (body.sub !== undefined) return body.sub;
    const input =
      body.phone !== undefined
        ? { kind: 'phone' as const, value: body.phone }
        : { kind: 'email' as const, value: body.email ?? '' };
    const sub = await deps.users.findByIdentifier(input);
    if (sub === null) {
      throw new DomainError('not_found', 'user_not_found', `No account holds this ${input.kind} (verified).`);
    }
    return sub;
  }

  router.get('/staff', async (req, res) => {
    const query = parseInput(StaffListQuery, req.query, 'query');
    await deps.awaitMinPosition(req, PROJECTIONS);
    const page = await queries.list(query);
    res.json({ items: page.items.map(toStaffResource), nextCursor: page.nextCursor });
  });

  router.post('/staff', async (req, res) => {
    const body = parseInput(NewStaffBody, req.body, 'body');
    const sub = await resolveAccount(body);
    const before = await queries.get(sub);
    const wasStaff = before !== null && (before.roles.length > 0 || before.providerIds.length > 0);
    const { input, ctx } = change(res, body.reason);
    const result = await commands.grant(
      sub,
      { roles: body.roles ?? [], providerIds: body.providerIds ?? [] },
      input,
      ctx,
    );
    await answer(res, wasStaff ? 200 : 201, result);
  });

  router.get('/staff/:sub', async (req: Request, res) => {
    const { sub } = parseInput(StaffSubParams, req.params, 'params');
    await deps.awaitMinPosition(req, PROJECTIONS);
    const member = await queries.get(sub);
    if (member === null) throw notStaff();
    res.json(toStaffResource(member));
  });

  router.post('/staff/:sub/roles', async (req, res) => {
    const { sub } = parseInput(StaffSubParams, req.params, 'params');
    const body = parseInput(GrantRoleBody, req.body, 'body');
    const { input, ctx } = change(res, body.reason);
    await answer(res, 200, await commands.grantRole(sub, body.role, input, ctx));
  });

  router.delete('/staff/:sub/roles/:role', async (req, res) => {
    const { sub, role } = parseInput(StaffRoleParams, req.params, 'params');
    const { reason } = parseInput(RevokeQuery, req.query, 'query');
    const { input, ctx } = change(res, reason);
    await answer(res, 200, await commands.revokeRole(sub, role, input, ctx));
  });

  router.post('/staff/:sub/providers', async (req, res) => {
    const { sub } = parseInput(StaffSubParams, req.params, 'params');
    const body = parseInput(GrantProviderBody, req.body, 'body');
    const { input, ctx } = change(res, body.reason);
    await answer(res, 200, await commands.grantProviderAccess(sub, body.providerId, input, ctx));
  });

  router.delete('/staff/:sub/providers/:providerId', async (req, res) => {
    const { sub, providerId } = parseInput(StaffProviderParams, req.params, 'params');
    const { reason } = parseInput(RevokeQuery, req.query, 'query');
    const { input, ctx } = change(res, reason);
    await answer(res, 200, await commands.revokeProviderAccess(sub, providerId, input, ctx));
  });

  return router;
}
