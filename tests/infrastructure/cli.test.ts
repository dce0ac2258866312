import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestServer } from '../support/test-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(TSX, ['infrastructure/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('CLI (infrastructure/main.ts)', function () {
  this.timeout(60_000);
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops with exit code 1 and a message naming a bad PORT, without a stack trace', () => {
    const { status, stdout, stderr } = run(['serve'], { PORT: 'not-a-port', DATA_DIR: dataDir });
    expect(status).to.equal(1);
    expect(stderr).to.include('Invalid configuration').and.include('PORT').and.include('not-a-port');
    expect(stderr).to.not.match(/^\s+at /m);
    expect(stdout).to.equal('');
  });

  it('prints help and exits 0', () => {
    const { status, stdout } = run(['help']);
    expect(status).to.equal(0);
    expect(stdout).to.include('serve').and.include('rebuild');
  });

  it('refuses an unknown command with exit code 2', () => {
    const { status, stderr } = run(['frobnicate']);
    expect(status).to.equal(2);
    expect(stderr).to.include('Unknown command "frobnicate"');
  });

  it('rebuilds the catalog projection of an embedded data directory', () => {
    const { status, stdout, stderr } = run(['rebuild', 'catalog'], {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    expect(status, stderr).to.equal(0);
    expect(stdout).to.include('catalog');
  });

  it('refuses to rebuild an unknown projection with exit code 1', () => {
    const { status, stderr } = run(['rebuild', 'nope'], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    expect(status).to.equal(1);
    expect(stderr).to.include('Unknown projection "nope"');
  });

  it('stops with exit code 1 naming EVENTSTOREDB_URL when the distributed event store is unreachable', () => {
    const { status, stderr } = run(['serve'], {
      EVENTSTOREDB_URL: 'esdb://127.0.0.1:1?tls=false',
      MONGODB_URL: 'mongodb://127.0.0.1:1/tessera',
      ADMIN_TOKEN: 'a-distributed-admin-token-of-40-characters',
      SECRET_KEY: 'a-distributed-secret-key-of-40-characters',
      DEV_OUTBOX: 'true',
      LOG_LEVEL: 'silent',
    });
    expect(status).to.equal(1);
    expect(stderr).to.include('Cannot use EventStoreDB at EVENTSTOREDB_URL');
    expect(stderr).to.not.match(/^\s+at /m);
  });

  it('registers and lists a client of a provider from the command line', async () => {
    const server = await startTestServer({ dataDir });
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'CLI Media' } });
    await server.close();
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const added = run(
      [
        'clients',
        'add',
        '--provider',
        provider.body.id,
        '--name',
        'CLI backend',
        '--type',
        'confidential',
        '--grant-type',
        'client_credentials',
        '--scope',
        'id.user.read',
      ],
      env,
    );
    expect(added.status, added.stderr).to.equal(0);
    const clientId = /client_id:\s+(\S+)/.exec(added.stdout)?.[1];
    expect(clientId).to.be.a('string');
    expect(added.stdout).to.match(/client_secret:\s+\S{43}/);
    const listed = run(['clients', 'list', '--provider', provider.body.id], env);
    expect(listed.status, listed.stderr).to.equal(0);
    expect(listed.stdout)
      .to.include(clientId!)
      .and.include('CLI backend')
      .and.not.match(/client_secret/);
    const refused = run(
      [
        'clients',
        'add',
        '--provider',
        provider.body.id,
        '--name',
        'x',
        '--type',
        'public',
        '--scope',
        'nope',
      ],
      env,
    );
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include('"nope" is not one of');
  });

  it('serves on PORT=0 and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infrastructure/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let stderr = '';
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line: ${stderr}`)), 30_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1]!);
          }
        });
      });
      expect(stderr).to.include('admin-token');
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      expect(stderr, 'the admin token stays out of the terminal').to.not.include(token);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).to.equal(200);
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
