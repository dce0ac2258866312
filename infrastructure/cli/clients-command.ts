import { parseArgs } from 'node:util';
import type { ClientCommands } from '../../application/catalog/client-commands.js';
import type { ClientQueries, ClientView } from '../../application/catalog/client-queries.js';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import { newId } from '../../application/kernel/ids.js';
import { ClientTypeSchema } from '../../domain/catalog/client-values.js';

export interface ClientsCliServices {
  readonly commands: Pick<ClientCommands, 'registerClient'>;
  readonly queries: Pick<ClientQueries, 'listClients'>;
}

export interface CliOutput {
  write(text: string): unknown;
}

export const CLIENTS_USAGE = `Usage:
  tessera clients add --provider <providerId> --name <name> --type confidential|public
                      --redirect-uri <uri>... --scope <scope>...
                      [--grant-type <grant>...] [--post-logout-redirect-uri <uri>...]
                      [--backchannel-logout-uri <https uri>] [--logo-uri <https uri>]
  tessera clients list --provider <providerId>

--redirect-uri, --post-logout-redirect-uri, --scope and --grant-type may be repeated; --scope also
takes a space-separated list ("openid profile"). A confidential client's secret is printed once.
`;

/** A mistake in the command line itself; the message includes the usage text. */
export class ClientsUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n\n${CLIENTS_USAGE}`);
    this.name = 'ClientsUsageError';
  }
}

const OPTIONS = {
  provider: { type: 'string' },
  name: { type: 'string' },
  type: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'backchannel-logout-uri': { type: 'string' },
  'logo-uri': { type: 'string' },
  scope: { type: 'string', multiple: true },
  'grant-type': { type: 'string', multiple: true },
} as const;

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function parse(args: readonly string[]): { positionals: string[]; values: Parsed } {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ClientsUsageError(err instanceof Error ? err.message : String(err));
  }
}

function required(values: Parsed, name: 'provider' | 'name' | 'type'): string {
  const value = values[name];
  if (value === undefined || value === '') throw new ClientsUsageError(`--${name} is required.`);
  return value;
}

function cliContext(): CommandContext {
  return { actor: { kind: 'system', id: 'cli' }, correlationId: newId() };
}

async function add(services: ClientsCliServices, values: Parsed, out: CliOutput): Promise<void> {
  const providerId = required(values, 'provider');
  const name = required(values, 'name');
  const type = ClientTypeSchema.safeParse(required(values, 'type'));
  if (!type.success) throw new ClientsUsageError('--type must be "confidential" or "public".');
  const scopes = (values.scope ?? []).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  const result = await services.commands.registerClient(
    providerId,
    {
      clientType: type.data,
      name,
      redirectUris: values['redirect-uri'] ?? [],
      scopes,
      ...(values['grant-type'] ? { grantTypes: values['grant-type'] } : {}),
      ...(values['post-logout-redirect-uri']
        ? { postLogoutRedirectUris: values['post-logout-redirect-uri'] }
        : {}),
      ...(values['backchannel-logout-uri'] ? { backchannelLogoutUri: values['backchannel-logout-uri'] } : {}),
      ...(values['logo-uri'] ? { logoUri: values['logo-uri'] } : {}),
    },
    cliContext(),
  );
  out.write(`Registered ${type.data} client "${name}".\n`);
  out.write(`  client_id:     ${result.id}\n`);
  if (result.clientSecret !== null) {
    out.write(`  client_secret: ${result.clientSecret}\n`);
    out.write('Store the secret now: it is shown only this once (Tessera keeps only a hash of it).\n');
  }
}

function describe(client: ClientView): string {
  const uris = client.redirectUris.length > 0 ? client.redirectUris.join(' ') : '-';
  return `${client.id}  ${client.clientType.padEnd(12)} ${client.status.padEnd(8)} ${client.name}\n    scopes: ${client.scopes.join(' ')}\n    redirect URIs: ${uris}\n`;
}

async function list(services: ClientsCliServices, values: Parsed, out: CliOutput): Promise<void> {
  const providerId = required(values, 'provider');
  let cursor: string | null = null;
  let count = 0;
  do {
    const page = await services.queries.listClients(providerId, {
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const client of page.items) out.write(describe(client));
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  out.write(`${count} client${count === 1 ? '' : 's'}.\n`);
}

/**
 * `tessera clients add|list ...`: register a provider's OAuth/OIDC clients and list them from the
 * command line. Secrets are printed once and never again; refusals (unknown provider, bad redirect
 * URI, ...) surface as the DomainError the HTTP API would report.
 */
export async function clientsCommand(
  services: ClientsCliServices,
  args: readonly string[],
  out: CliOutput,
): Promise<void> {
  const { positionals, values } = parse(args);
  const [sub, ...rest] = positionals;
  if (rest.length > 0) throw new ClientsUsageError(`Unexpected argument "${rest[0]}".`);
  if (sub === 'add') return add(services, values, out);
  if (sub === 'list') return list(services, values, out);
  throw new ClientsUsageError(sub === undefined ? 'Name a subcommand.' : `Unknown subcommand "${sub}".`);
}
