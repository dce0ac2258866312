import { z } from 'zod';
import { TIMELINE_KINDS } from '../../../application/support/timeline-sources.js';
import {
  ACTION_BODIES,
  ACTION_ROLES,
  FindUserQuery,
  StateQuery,
  SupportUserParams,
  type SupportActionName,
  TimelineQuerySchema,
} from '../support-api-router.js';
import { defineRoutes, json, problem, type RouteDoc, type RouteSecurity, WRITE_HEADERS } from './registry.js';

/**
 * The customer-support API (support-api-router.ts, mounted at /v1/support), described for the
 * OpenAPI document. Staff sign in through Tessera's own OpenID Connect server; the role each route
 * needs is named in its description.
 */

const SUPPORT = 'Support';

/** A staff member's access token; the role is checked against the staff directory, not scopes. */
const STAFF: RouteSecurity = { kind: 'bearer', anyOf: [[]] };

const Instant = z.iso.datetime();
const Actor = z.object({
  kind: z.enum(['user', 'client', 'support', 'system']),
  id: z.string(),
  label: z.string().describe('Who, in words.'),
});

const Identifier = z.object({ value: z.string().nullable(), verified: z.boolean(), primary: z.boolean() });

const SupportUser = z.object({
  sub: z.uuid(),
  status: z.enum(['active', 'erased']),
  phones: z.array(Identifier),
  emails: z.array(Identifier),
  name: z.string().nullable(),
  locale: z.string().nullable(),
  hasPassword: z.boolean(),
  signInLock: z.object({ reason: z.string(), until: Instant.nullable() }).nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  erasedAt: Instant.nullable(),
});

const TimelineEntry = z.object({
  position: z.int(),
  at: Instant,
  type: z.string(),
  kind: z.enum(TIMELINE_KINDS),
  streamId: z.string(),
  aggregateId: z.string(),
  actor: Actor,
  description: z.string().describe('Plain English.'),
  reason: z.string().nullable(),
  correlationId: z.string(),
});

const TimelinePage = z.object({
  sub: z.uuid(),
  entries: z.array(TimelineEntry),
  nextCursor: z.int().nullable(),
});

const StateAsOf = z
  .object({
    sub: z.uuid(),
    at: Instant,
    position: z.int(),
    account: z.record(z.string(), z.unknown()),
    consents: z.array(z.record(z.string(), z.unknown())),
    rights: z.array(z.record(z.string(), z.unknown())),
    subscriptions: z.array(z.record(z.string(), z.unknown())),
    transactions: z.array(z.record(z.string(), z.unknown())),
    paymentMethods: z.array(z.record(z.string(), z.unknown())),
  })
  .describe('The account rebuilt from its streams up to `at`.');

const ActionResult = z
  .object({ action: z.string(), position: z.int().nullable() })
  .catchall(z.unknown())
  .describe('What the action did; `position` is its log position.');

const forbidden = problem(
  'The staff member lacks the role, or the action exceeds an agent’s limits.',
  'forbidden',
  'support_role_required',
  'support_lead_required',
);

const ACTION_SUMMARIES: Readonly<Record<SupportActionName, string>> = {
  refund: 'Refund a payment in full or in part',
  'grant-right': 'Grant a goodwill right',
  'extend-right': 'Extend a right',
  'suspend-right': 'Suspend a right',
  'reactivate-right': 'Reactivate a right',
  'cancel-subscription': 'Cancel a subscription now or at the period end',
  'lock-sign-in': 'Lock sign-in',
  'unlock-sign-in': 'Unlock sign-in',
  'resend-verification': 'Send a fresh code to an unverified phone or email',
};

const operationId = (name: string) =>
  `support${name.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase())}`;

export const SUPPORT_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'get',
    path: '/v1/support/users',
    operationId: 'supportFindUser',
    summary: 'Find an account by sub, phone or email',
    description:
      'Role support-agent. Exactly one of the parameters. Phones and emails are found by keyed hash ' +
      'among verified ones; personal data is shown decrypted, and not at all for erased accounts.',
    tags: [SUPPORT],
    security: STAFF,
    query: FindUserQuery,
    responses: {
      200: json('The account.', z.object({ user: SupportUser })),
      403: forbidden,
      404: problem('No account matches.', 'user_not_found'),
    },
  },
  {
    method: 'get',
    path: '/v1/support/users/{sub}/timeline',
    operationId: 'supportTimeline',
    summary: 'An account’s history across all aggregates, oldest first',
    description: 'Role support-agent. Every event of every stream of the user, in log order.',
    tags: [SUPPORT],
    security: STAFF,
    params: SupportUserParams,
    query: TimelineQuerySchema,
    responses: { 200: json('A page of the history.', TimelinePage), 403: forbidden },
  },
  {
    method: 'get',
    path: '/v1/support/users/{sub}/state',
    operationId: 'supportStateAsOf',
    summary: 'The account as it stood at an instant',
    description: 'Role support-agent. Rebuilt by folding each stream up to `at`.',
    tags: [SUPPORT],
    security: STAFF,
    params: SupportUserParams,
    query: StateQuery,
    responses: { 200: json('The state.', StateAsOf), 403: forbidden },
  },
  ...(Object.keys(ACTION_BODIES) as SupportActionName[]).map((name): RouteDoc => ({
    method: 'post',
    path: `/v1/support/users/{sub}/actions/${name}`,
    operationId: operationId(name),
    summary: ACTION_SUMMARIES[name],
    description: `Role ${ACTION_ROLES[name]}. A \`reason\` is required and recorded with the change.`,
    tags: [SUPPORT],
    security: STAFF,
    params: SupportUserParams,
    body: ACTION_BODIES[name],
    responses: {
      200: json('Done.', ActionResult, WRITE_HEADERS),
      403: forbidden,
      404: problem('No such target on this account.', 'not_found'),
      409: problem('The target’s state does not allow it.', 'conflict'),
    },
  })),
]);
