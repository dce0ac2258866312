/**
 * The customer-support API, mounted at `/v1/support`:
 *
 *   GET  /users?phone=|email=|sub=                     find an account
 *   GET  /users/{sub}/timeline?kind=&from=&to=&cursor=&limit=   its history, oldest first
 *   GET  /users/{sub}/state?at=                         the account as it stood at an instant
 *   POST /users/{sub}/actions/{action}                  a support action (body names the target and the reason)
 *
 * Who may call is decided by the `guard` the composition root passes: `guard(role)` must
 * authenticate the staff member and put `{ sub, roles }` in `res.locals.staff`, refusing those
 * without the role. Finer rules (refund and goodwill limits) are the application's.
 */
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { StaffRole } from '../../application/staff/staff-directory.js';
import type { StaffPrincipal } from '../../application/support/support-access.js';
import type { ActionMeta, SupportActions } from '../../application/support/support-actions.js';
import type { StateAsOfQuery } from '../../application/support/state-as-of.js';
import { TIMELINE_KINDS, type TimelineKind } from '../../application/support/timeline-sources.js';
import { type AccountTimeline, MAX_TIMELINE_LIMIT } from '../../application/support/timeline.js';
import type { UserLookup, UserSearch } from '../../application/support/user-lookup.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { MoneySchema } from '../../domain/shared/money.js';
import { idempotencyKey } from './admin-writes.js';
import { requestContext } from './context.js';
import { HttpProblem } from './problem.js';
import { setPosition } from './read-after-write.js';
import { parseInput } from './validation.js';

/** Authenticates staff holding `role` and sets `res.locals.staff = { sub, roles }`. */
export type StaffGuard = (role: StaffRole) => RequestHandler;

export interface SupportApiRouterDeps {
  readonly guard: StaffGuard;
  readonly lookup: Pick<UserLookup, 'find'>;
  readonly timeline: Pick<AccountTimeline, 'page'>;
  readonly state: Pick<StateAsOfQuery, 'at'>;
  readonly actions: SupportActions;
}

const Instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });
const Reason = z
  .string({ message: 'is required: say why you are doing this' })
  .trim()
  .min(1, 'must not be empty: say why you are doing this')
  .max(500);

export const SupportUserParams = z.object({ sub: z.uuid({ message: 'must be a user id (a UUID)' }) });

export const FindUserQuery = z
  .object({
    sub: z.string().min(1).max(100).optional(),
    phone: z.string().min(1).max(100).optional(),
    email: z.string().min(1).max(320).optional(),
  })
  .refine((q) => [q.sub, q.phone, q.email].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of sub, phone or email',
    path: ['sub'],
  });

const KindList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  )
  .pipe(z.array(z.enum(TIMELINE_KINDS)));

export const TimelineQuerySchema = z.object({
  kind: KindList.optional().describe(`Comma-separated kinds: ${TIMELINE_KINDS.join(', ')}.`),
  from: Instant.optional().describe('Entries at or after this instant.'),
  to: Instant.optional().describe('Entries before this instant.'),
  cursor: z.coerce.number().int().min(0).optional().describe('The previous page’s `nextCursor`.'),
  limit: z.coerce.number().int().min(1).max(MAX_TIMELINE_LIMIT).optional(),
});

export const StateQuery = z.object({ at: Instant.optional().describe('Default: now.') });

const RightId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a right id');

/** The body of each action, by the action's path segment. */
export const ACTION_BODIES = {
  refund: z.object({
    transactionId: z.uuid(),
    amount: MoneySchema.optional().describe('Minor units; default everything still refundable.'),
    reason: Reason,
  }),
  'grant-right': z
    .object({
      providerId: z.uuid(),
      sku: z.string().min(1).max(100),
      days: z.int().min(1).max(36_500).optional(),
      validUntil: Instant.nullable().optional().describe('null: without end (support lead only).'),
      reason: Reason,
    })
    .refine((b) => (b.days === undefined) !== (b.validUntil === undefined), {
      message: 'give either days or validUntil',
      path: ['days'],
    }),
  'extend-right': z
    .object({
      rightId: RightId,
      by: z.string().min(2).max(40).optional().describe('An ISO 8601 duration such as P7D.'),
      validUntil: Instant.optional(),
      reason: Reason,
    })
    .refine((b) => (b.by === undefined) !== (b.validUntil === undefined), {
      message: 'give either by or validUntil',
      path: ['by'],
    }),
  'suspend-right': z.object({ rightId: RightId, reason: Reason }),
  'reactivate-right': z.object({ rightId: RightId, reason: Reason }),
  'cancel-subscription': z.object({
    subscriptionId: z.uuid(),
    atPeriodEnd: z.boolean().default(false).describe('true: end with the current period.'),
    reason: Reason,
  }),
  'lock-sign-in': z.object({
    until: Instant.nullable().default(null).describe('null: until unlocked.'),
    reason: Reason,
  }),
  'unlock-sign-in': z.object({ reason: Reason }),
  'resend-verification': z.object({ kind: z.enum(['phone', 'email']), reason: Reason }),
} as const;

export type SupportActionName = keyof typeof ACTION_BODIES;

/** Unlocking is a lead's decision; every other action starts at support-agent (limits apply). */
export const ACTION_ROLES: Readonly<Record<SupportActionName, StaffRole>> = {
  refund: 'support-agent',
  'grant-right': 'support-agent',
  'extend-right': 'support-agent',
  'suspend-right': 'support-agent',
  'reactivate-right': 'support-agent',
  'cancel-subscription': 'support-agent',
  'lock-sign-in': 'support-agent',
  'unlock-sign-in': 'support-lead',
  'resend-verification': 'support-agent',
};

const StaffLocals = z.object({ sub: z.string().min(1), roles: z.array(z.string()) });

function staffOf(res: Response): StaffPrincipal {
  const parsed = StaffLocals.safeParse(res.locals.staff);
  if (!parsed.success) throw new HttpProblem(401, 'unauthorized', 'Sign in as a member of staff.');
  return parsed.data as StaffPrincipal;
}

const toInstant = (text: string) => new Date(Date.parse(text)).toISOString();

/** Runs one action with its parsed body; answers what the action reports. */
async function runAction(
  actions: SupportActions,
  name: SupportActionName,
  sub: string,
  req: Request,
  meta: ActionMeta,
): Promise<{ readonly position: number | null }> {
  switch (name) {
    case 'refund': {
      const b = parseInput(ACTION_BODIES.refund, req.body, 'body');
      return actions.refund(
        sub,
        { transactionId: b.transactionId, ...(b.amount ? { amount: b.amount } : {}) },
        meta,
        idempotencyKey(req),
      );
    }
    case 'grant-right': {
      const b = parseInput(ACTION_BODIES['grant-right'], req.body, 'body');
      const length =
        b.days !== undefined
          ? { days: b.days }
          : {
              validUntil:
                b.validUntil === null || b.validUntil === undefined ? null : toInstant(b.validUntil),
            };
      return actions.grantGoodwillRight(sub, { providerId: b.providerId, sku: b.sku, length }, meta);
    }
    case 'extend-right': {
      const b = parseInput(ACTION_BODIES['extend-right'], req.body, 'body');
      const input = b.by !== undefined ? { by: b.by } : { validUntil: toInstant(b.validUntil!) };
      return actions.extendRight(sub, b.rightId, input, meta);
    }
    case 'suspend-right': {
      const b = parseInput(ACTION_BODIES['suspend-right'], req.body, 'body');
      return actions.suspendRight(sub, b.rightId, meta);
    }
    case 'reactivate-right': {
      const b = parseInput(ACTION_BODIES['reactivate-right'], req.body, 'body');
      return actions.reactivateRight(sub, b.rightId, meta);
    }
    case 'cancel-subscription': {
      const b = parseInput(ACTION_BODIES['cancel-subscription'], req.body, 'body');
      return actions.cancelSubscription(sub, b.subscriptionId, { atPeriodEnd: b.atPeriodEnd }, meta);
    }
    case 'lock-sign-in': {
      const b = parseInput(ACTION_BODIES['lock-sign-in'], req.body, 'body');
      return actions.lockSignIn(sub, { until: b.until === null ? null : toInstant(b.until) }, meta);
    }
    case 'unlock-sign-in':
      parseInput(ACTION_BODIES['unlock-sign-in'], req.body, 'body');
      return actions.unlockSignIn(sub, meta);
    case 'resend-verification': {
      const b = parseInput(ACTION_BODIES['resend-verification'], req.body, 'body');
      return { position: null, ...(await actions.resendVerification(sub, { kind: b.kind }, meta)) };
    }
  }
}

export function createSupportApiRouter(deps: SupportApiRouterDeps): Router {
  const router = Router();
  const agent = deps.guard('support-agent');

  router.get('/users', agent, async (req, res) => {
    const q = parseInput(FindUserQuery, req.query, 'query');
    const search: UserSearch =
      q.sub !== undefined ? { sub: q.sub } : q.phone !== undefined ? { phone: q.phone } : { email: q.email! };
    let user;
    try {
      user = await deps.lookup.find(search);
    } catch (err) {
      // Malformed search input is a bad query parameter, not a bad body.
      if (err instanceof DomainError && err.kind === 'invalid' && err.field) {
        throw new HttpProblem(400, 'invalid_request', err.message, {
          errors: [{ path: `query.${err.field}`, message: err.message }],
        });
      }
      throw err;
    }
    if (user === null) throw new HttpProblem(404, 'user_not_found', 'No account matches.');
    res.json({ user });
  });

  router.get('/users/:sub/timeline', agent, async (req, res) => {
    const { sub } = parseInput(SupportUserParams, req.params, 'params');
    const q = parseInput(TimelineQuerySchema, req.query, 'query');
    const page = await deps.timeline.page(sub, {
      ...(q.kind ? { kinds: q.kind as TimelineKind[] } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
    });
    res.json(page);
  });

  router.get('/users/:sub/state', agent, async (req, res) => {
    const { sub } = parseInput(SupportUserParams, req.params, 'params');
    const q = parseInput(StateQuery, req.query, 'query');
    res.json(await deps.state.at(sub, q.at ? new Date(Date.parse(q.at)) : new Date()));
  });

  const json = express.json({ limit: '16kb' });
  for (const name of Object.keys(ACTION_BODIES) as SupportActionName[]) {
    router.post(`/users/:sub/actions/${name}`, deps.guard(ACTION_ROLES[name]), json, async (req, res) => {
      const { sub } = parseInput(SupportUserParams, req.params, 'params');
      const meta: ActionMeta = {
        staff: staffOf(res),
        reason: typeof req.body?.reason === 'string' ? (req.body.reason as string) : '',
        correlationId: requestContext(res).correlationId,
      };
      const result = await runAction(deps.actions, name, sub, req, meta);
      setPosition(res, result.position);
      res.status(200).json({ action: name, ...result });
    });
  }
  return router;
}
