import { parseArgs } from 'node:util';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import { newId } from '../../application/kernel/ids.js';
import type { StaffCommands } from '../../application/staff/staff-commands.js';
import type { StaffMember, StaffQueries } from '../../application/staff/staff-queries.js';
import type { StaffTokens, StaffTokenView } from '../../application/staff/staff-tokens.js';
import type { UserQueries } from '../../application/user/user-queries.js';
import { OPERATOR, STAFF_ROLE_NAMES } from '../../domain/staff/values.js';
import type { CliOutput } from './clients-command.js';

export interface StaffCliServices {
  readonly commands: Pick<StaffCommands, 'grant' | 'revokeRole' | 'revokeProviderAccess'>;
  readonly queries: Pick<StaffQueries, 'get' | 'list'>;
  readonly users: Pick<UserQueries, 'findByIdentifier'>;
  readonly tokens: Pick<StaffTokens, 'issue' | 'list' | 'revoke'>;
}

export const STAFF_USAGE = `Usage:
  tessera staff grant <user> [--role <role>]... [--provider <providerId>]... --reason <text>
  tessera staff revoke <user> [--role <role>]... [--provider <providerId>]... --reason <text>
  tessera staff list
  tessera staff token <user> [--days <1-365>] [--label <text>]
  tessera staff token list [<user>]
  tessera staff token revoke <tokenId>

<user> is an account's sub, or one of its verified phone numbers or email addresses.
Roles: ${STAFF_ROLE_NAMES.join(', ')}. --provider gives access to that provider's reports.
A staff API token is printed once (Tessera keeps only its SHA-256 digest); it lasts --days (30).
`;

/** A mistake in the command line itself; the message includes the usage text. */
export class StaffUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n\n${STAFF_USAGE}`);
    this.name = 'StaffUsageError';
  }
}

const OPTIONS = {
  role: { type: 'string', multiple: true },
  provider: { type: 'string', multiple: true },
  reason: { type: 'string' },
  days: { type: 'string' },
  label: { type: 'string' },
} as const;

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_DAYS = 30;

function parse(args: readonly string[]): { positionals: string[]; values: Parsed } {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new StaffUsageError(err instanceof Error ? err.message : String(err));
  }
}

function cliContext(): CommandContext {
  return { actor: { kind: 'system', id: 'cli' }, correlationId: newId() };
}

/** A sub as given; a phone or email through its keyed hash (the account must hold it verified). */
async function resolveUser(services: StaffCliServices, user: string | undefined): Promise<string> {
  if (user === undefined || user.trim() === '') throw new StaffUsageError('Name the account.');
  const value = user.trim();
  if (UUID.test(value)) return value.toLowerCase();
  const kind = value.includes('@') ? 'email' : 'phone';
  const sub = await services.users.findByIdentifier({ kind, value });
  if (sub === null) throw new Error(`No account holds the verified ${kind} ${value}.`);
  return sub;
}

function reasonOf(values: Parsed): string {
  const reason = values.reason?.trim();
  if (reason === undefined || reason === '') throw new StaffUsageError('--reason is required.');
  return reason;
}

function holdingsOf(values: Parsed) {
  const roles = values.role ?? [];
  const providerIds = values.provider ?? [];
  if (roles.length + providerIds.length === 0)
    throw new StaffUsageError('Give at least one --role or --provider.');
  return { roles, providerIds };
}

function describe(member: StaffMember): string {
  const roles = member.roles.length > 0 ? member.roles.join(', ') : '-';
  const providers = member.providerIds.length > 0 ? member.providerIds.join(', ') : '-';
  return `${member.sub}  roles: ${roles}  providers: ${providers}  since ${member.since}\n`;
}

function describeToken(token: StaffTokenView): string {
  return `${token.id}  ${token.sub}  expires ${token.expiresAt}${token.label ? `  ${token.label}` : ''}\n`;
}

async function grant(services: StaffCliServices, user: string | undefined, values: Parsed, out: CliOutput) {
  const holdings = holdingsOf(values);
  const reason = reasonOf(values);
  const sub = await resolveUser(services, user);
  const result = await services.commands.grant(sub, holdings, { by: OPERATOR, reason }, cliContext());
  out.write(result.changed ? `Granted to ${sub}.\n` : `${sub} already held all of that; nothing changed.\n`);
}

async function revoke(services: StaffCliServices, user: string | undefined, values: Parsed, out: CliOutput) {
  const { roles, providerIds } = holdingsOf(values);
  const reason = reasonOf(values);
  const sub = await resolveUser(services, user);
  const change = { by: OPERATOR, reason };
  for (const role of roles) await services.commands.revokeRole(sub, role, change, cliContext());
  for (const providerId of providerIds) {
    await services.commands.revokeProviderAccess(sub, providerId, change, cliContext());
  }
  out.write(`Revoked from ${sub}.\n`);
}

async function list(services: StaffCliServices, out: CliOutput) {
  let cursor: string | null = null;
  let count = 0;
  do {
    const page = await services.queries.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const member of page.items) out.write(describe(member));
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  out.write(`${count} staff account${count === 1 ? '' : 's'}.\n`);
}

async function token(services: StaffCliServices, rest: string[], values: Parsed, out: CliOutput) {
  const [first, second, ...extra] = rest;
  if (extra.length > 0) throw new StaffUsageError(`Unexpected argument "${extra[0]}".`);
  if (first === 'list') {
    const sub = second === undefined ? undefined : await resolveUser(services, second);
    const tokens = await services.tokens.list(sub);
    for (const t of tokens) out.write(describeToken(t));
    out.write(`${tokens.length} live token${tokens.length === 1 ? '' : 's'}.\n`);
    return;
  }
  if (first === 'revoke') {
    if (second === undefined) throw new StaffUsageError('Name the token id to revoke.');
    if (!(await services.tokens.revoke(second))) throw new Error(`No live token has the id ${second}.`);
    out.write(`Revoked token ${second}.\n`);
    return;
  }
  if (second !== undefined) throw new StaffUsageError(`Unexpected argument "${second}".`);
  const days = values.days === undefined ? DEFAULT_DAYS : Number(values.days);
  if (!/^\d{1,3}$/.test(values.days ?? String(DEFAULT_DAYS))) {
    throw new StaffUsageError('--days must be a whole number from 1 to 365.');
  }
  const sub = await resolveUser(services, first);
  const issued = await services.tokens.issue(sub, {
    days,
    by: OPERATOR,
    ...(values.label !== undefined ? { label: values.label } : {}),
  });
  out.write(`Staff API token for ${sub} (id ${issued.view.id}, expires ${issued.view.expiresAt}):\n`);
  out.write(`  ${issued.token}\n`);
  out.write('Store it now: it is shown only this once (Tessera keeps only a hash of it).\n');
}

/**
 * `tessera staff grant|revoke|list|token ...`: the operator's way to make accounts staff, take
 * roles away, and mint or revoke staff API tokens. Every change is recorded with `by: operator`
 * and the given reason; refusals surface as the DomainError the admin API would report.
 */
export async function staffCommand(
  services: StaffCliServices,
  args: readonly string[],
  out: CliOutput,
): Promise<void> {
  const { positionals, values } = parse(args);
  const [action, ...rest] = positionals;
  if (action === 'token') return token(services, rest, values, out);
  if (action === 'list') {
    if (rest.length > 0) throw new StaffUsageError(`Unexpected argument "${rest[0]}".`);
    return list(services, out);
  }
  if (action === 'grant' || action === 'revoke') {
    if (rest.length > 1) throw new StaffUsageError(`Unexpected argument "${rest[1]}".`);
    return action === 'grant'
      ? grant(services, rest[0], values, out)
      : revoke(services, rest[0], values, out);
  }
  throw new StaffUsageError(action === undefined ? 'Name a subcommand.' : `Unknown subcommand "${action}".`);
}
