/**
 * client_credentials tokens per second over HTTP, 50 connections.
 *
 * Tessera runs as its own process (`tessera serve`, embedded mode, temp DATA_DIR) with a confidential
 * client registered through the admin API; the load comes from this process with 50 concurrent
 * keep-alive connections (autocannon), each POSTing a token request with HTTP Basic client authentication. The baseline,
 * measured the same way in the same run, is a bare Express endpoint answering a token-shaped JSON body
 * to the same form POST (bench/support/bare-express.ts).
 *
 *   npm run bench:token        BENCH_SECONDS (default 5) per measurement, after 1 s of warm-up
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { start, stop } from './support/processes.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Drives the target with autocannon (its own HTTP/1.1 client, far lighter than fetch). */
async function load(target: Target, seconds: number): Promise<number> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} requests failed or did not answer 2xx`);
  return result.requests.total / (result.duration || seconds);
}

async function measure(label: string, target: Target): Promise<number> {
  await load(target, 1);
  const rate = await load(target, SECONDS);
  console.log(`${label}: ${Math.round(rate).toLocaleString('en')} requests/s`);
  return rate;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-token-'));
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'id.user.read' }).toString();
  try {
    console.log(`baseline: bare Express endpoint, ${CONNECTIONS} connections, ${SECONDS} s`);
    const bare = await start(['bench/support/bare-express.ts'], {}, 'stdout');
    const baseline = await measure('baseline', {
      url: `${bare.url}/token`,
      headers: { authorization: 'Basic YTpi', 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    await stop(bare.child);

    console.log(`tessera: client_credentials at /oauth/token, ${CONNECTIONS} connections, ${SECONDS} s`);
    const tessera = await start(
      ['infrastructure/main.ts', 'serve'],
      { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DEMO_SEED: 'false' },
      'stderr',
    );
    try {
      const admin = {
        authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}`,
        'content-type': 'application/json',
      };
      const provider = (await (
        await fetch(`${tessera.url}/admin/v1/providers`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'Bench Media' }),
        })
      ).json()) as { id: string };
      const client = (await (
        await fetch(`${tessera.url}/admin/v1/providers/${provider.id}/clients`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({
            clientType: 'confidential',
            name: 'Bench backend',
            grantTypes: ['client_credentials'],
            scopes: ['id.user.read'],
          }),
        })
      ).json()) as { clientId: string; clientSecret: string };
      const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
      const value = await measure('tessera', {
        url: `${tessera.url}/oauth/token`,
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      console.log(
        JSON.stringify({
          bench: 'token',
          value: Math.round(value),
          unit: 'tokens/s',
          baseline: Math.round(baseline),
          ratio: Number((value / baseline).toFixed(3)),
          connections: CONNECTIONS,
          seconds: SECONDS,
        }),
      );
    } finally {
      await stop(tessera.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
