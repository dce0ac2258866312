import type { Container } from 'inversify';
import 'reflect-metadata';
import type { Clock } from '../application/ports/clock.js';
import type { EventStore } from '../application/ports/event-store.js';
import type { ReadModelStore } from '../application/ports/read-model-store.js';
import type { Secrets } from './secrets.js';
import type { Logger } from '../application/ports/logger.js';
import type { ProjectionRunner } from '../projections/runner.js';
import { type Config, ConfigError, loadConfig } from './config.js';

// The server and its storage drivers are imported only by the commands that need them, so `help`
// and configuration errors answer at once.

const USAGE = `Usage: tessera <command>

Commands:
  serve                     Start the HTTP server (default). Embedded mode keeps data in DATA_DIR (./data).
  rebuild [projection...]   Rebuild read models from the event log (all when none are named).
  providers add|list ...    Register or list service providers.
  products add|list|price|retire ...  Manage a provider's catalog (products help for options).
  clients add|list ...      Register or list a provider's OAuth clients (clients help for options).
  keys list|rotate|prune    Manage the OpenID Connect signing keys.
  staff grant|revoke|list|token ...  Manage staff roles, provider access and staff API tokens (staff help).
  export --from --to [--format csv|ndjson] [--out file]  Export the transaction log for auditors.
  verify <file> --jwks <url|file>  Check an export's hash chain and signed manifest offline.
  help                      Show this help.

Configuration comes from environment variables: DATA_DIR, PORT, HOST, EVENTSTOREDB_URL, MONGODB_URL,
ADMIN_TOKEN, LOG_LEVEL, READY_MAX_LAG, DEMO_SEED (see infrastructure/config.ts).
`;

async function serve(config: Config): Promise<void> {
  const [{ startServer }, { describeStart }, { TOKENS }] = await Promise.all([
    import('./server.js'),
    import('./demo-seed.js'),
    import('./tokens.js'),
  ]);
  const server = await startServer(config);
  process.stderr.write(describeStart(server.url, server.adminToken, server.demo));
  const logger = server.container.get<Logger>(TOKENS.Logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function rebuild(config: Config, names: string[]): Promise<void> {
  const [{ buildContainer, disposeContainer }, { rebuildCommand }, { TOKENS }] = await Promise.all([
    import('./container.js'),
    import('./cli/rebuild-command.js'),
    import('./tokens.js'),
  ]);
  // Info-level log lines would tear through the progress bars; warnings and errors still show.
  const container = await buildContainer({
    ...config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  try {
    await rebuildCommand(container.get<ProjectionRunner>(TOKENS.ProjectionRunner), names, process.stdout);
  } finally {
    await disposeContainer(container);
  }
}

async function clients(config: Config, args: string[]): Promise<void> {
  const [{ buildContainer, disposeContainer }, { clientsCommand, CLIENTS_USAGE }, { TOKENS }, cq, cc] =
    await Promise.all([
      import('./container.js'),
      import('./cli/clients-command.js'),
      import('./tokens.js'),
      import('../application/catalog/client-queries.js'),
      import('../application/catalog/client-commands.js'),
    ]);
  if (args.length === 0 || args[0] === 'help') {
    process.stdout.write(CLIENTS_USAGE);
    return;
  }
  const container = await buildContainer({
    ...config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  try {
    // Listing and the provider check read projections: let them catch up with the log first.
    const runner = container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
    await runner.start();
    const head = await container.get<EventStore>(TOKENS.EventStore).headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 60_000 }))) throw new Error('read models did not catch up');
    await clientsCommand(
      { commands: container.get(cc.ClientCommands), queries: container.get(cq.ClientQueries) },
      args,
      process.stdout,
    );
  } finally {
    await disposeContainer(container);
  }
}

async function catalog(config: Config, noun: 'providers' | 'products', args: string[]): Promise<void> {
  const [{ catalogCommand, CATALOG_USAGE }, cq, cc] = await Promise.all([
    import('./cli/catalog-command.js'),
    import('../application/catalog/catalog-queries.js'),
    import('../application/catalog/catalog-commands.js'),
  ]);
  if (args.length === 0 || args[0] === 'help') {
    process.stdout.write(CATALOG_USAGE);
    return;
  }
  await withCaughtUpContainer(config, (container) =>
    catalogCommand(
      { commands: container.get(cc.CatalogCommands), queries: container.get(cq.CatalogQueries) },
      noun,
      args,
      process.stdout,
    ),
  );
}

/**
 * Runs `run` against a container whose read models have caught up with the log, and waits for them
 * to hold what `run` wrote before the process ends.
 */
async function withCaughtUpContainer(
  config: Config,
  run: (container: Container) => Promise<void>,
): Promise<void> {
  const [{ buildContainer, disposeContainer }, { TOKENS }] = await Promise.all([
    import('./container.js'),
    import('./tokens.js'),
  ]);
  const container = await buildContainer({
    ...config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  try {
    const runner = container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
    await runner.start();
    const events = container.get<EventStore>(TOKENS.EventStore);
    const caughtUp = async () => {
      if (!(await runner.waitFor(await events.headPosition(), { timeoutMs: 60_000 }))) {
        throw new Error('read models did not catch up');
      }
    };
    await caughtUp();
    await run(container);
    await caughtUp();
  } finally {
    await disposeContainer(container);
  }
}

async function staff(config: Config, args: string[]): Promise<void> {
  const [{ staffCommand, STAFF_USAGE }, sc, sq, st, uq] = await Promise.all([
    import('./cli/staff-command.js'),
    import('../application/staff/staff-commands.js'),
    import('../application/staff/staff-queries.js'),
    import('../application/staff/staff-tokens.js'),
    import('../application/user/user-queries.js'),
  ]);
  if (args.length === 0 || args[0] === 'help') {
    process.stdout.write(STAFF_USAGE);
    return;
  }
  await withCaughtUpContainer(config, (container) =>
    staffCommand(
      {
        commands: container.get(sc.StaffCommands),
        queries: container.get(sq.StaffQueries),
        users: container.get(uq.UserQueries),
        tokens: container.get(st.StaffTokens),
      },
      args,
      process.stdout,
    ),
  );
}

async function exportLog(config: Config, args: string[]): Promise<void> {
  const [{ buildContainer, disposeContainer }, { exportCommand }, { AuditExporter }] = await Promise.all([
    import('./container.js'),
    import('./cli/export-command.js'),
    import('../application/audit/audit-exporter.js'),
  ]);
  // The export reads the log itself: no read model needs to catch up.
  const container = await buildContainer({
    ...config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  try {
    await exportCommand(container.get(AuditExporter), args, process.stdout, process.stderr);
  } finally {
    await disposeContainer(container);
  }
}

async function keys(config: Config, args: string[]): Promise<void> {
  const [{ buildContainer, disposeContainer }, { keysCommand }, { openTesseraSigningKeys }, { TOKENS }] =
    await Promise.all([
      import('./container.js'),
      import('./cli/keys-command.js'),
      import('./oidc/tessera-keys.js'),
      import('./tokens.js'),
    ]);
  const container = await buildContainer({
    ...config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  try {
    const store = await openTesseraSigningKeys({
      readModels: container.get<ReadModelStore>(TOKENS.ReadModelStore),
      clock: container.get<Clock>(TOKENS.Clock),
      secrets: container.get<Secrets>(TOKENS.Secrets),
    });
    await store.ensureCurrent();
    await keysCommand(store, args, process.stdout);
  } finally {
    await disposeContainer(container);
  }
}

/** Runs one CLI command; returns the process exit code (serve keeps running and returns null). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const [command = 'serve', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const commands = [
    'serve',
    'rebuild',
    'clients',
    'keys',
    'providers',
    'products',
    'staff',
    'export',
    'verify',
  ];
  if (!commands.includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  try {
    // Verifying an export is offline work: it needs no configuration and no store.
    if (command === 'verify') {
      const { verifyCommand } = await import('./cli/verify-command.js');
      return await verifyCommand(args, process.stdout);
    }
    const config = loadConfig(env);
    if (command === 'serve') {
      await serve(config);
      return null;
    }
    if (command === 'clients') await clients(config, args);
    else if (command === 'providers' || command === 'products') await catalog(config, command, args);
    else if (command === 'keys') await keys(config, args);
    else if (command === 'staff') await staff(config, args);
    else if (command === 'export') await exportLog(config, args);
    else await rebuild(config, args);
    return 0;
  } catch (err) {
    // Configuration and start-up problems are for the operator: the message, not a stack trace.
    if (err instanceof ConfigError || (err instanceof Error && err.name === 'CliUsageError'))
      process.stderr.write(`${err.message}\n`);
    else
      process.stderr.write(
        `tessera ${command} failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    return 1;
  }
}

const code = await main(process.argv.slice(2), process.env);
if (code !== null) process.exit(code);
