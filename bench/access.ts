/**
 * Access checks per second over HTTP, 50 connections, against a store holding 100,000 users with
 * rights (`GET /v1/users/{sub}/access?sku=…` with a provider's client_credentials token, a random
 * user per request).
 *
 * The log is seeded directly (a provider, two products, one right per user, a tenth of them
 * expired), then Tessera runs as its own process (`tessera serve`, embedded mode) and builds its
 * read models from it before the load starts. The baseline, measured the same way in the same run,
 * is a bare Express endpoint answering an access-shaped JSON body (bench/support/bare-json.ts).
 * Both servers run side by side and are measured in alternating rounds; the medians are reported,
 * so a slow moment of the machine weighs on both. Target: ratio ≥ 0.8 and p99 ≤ 2 × the baseline's.
 *
 *   npm run bench:access    BENCH_SECONDS (default 5) per round, BENCH_ROUNDS (default 3),
 *                           BENCH_USERS (default 100000),
 *                           BENCH_PROFILE=<dir> writes a CPU profile of the Tessera process there
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { start, stop } from './support/processes.js';
import 'reflect-metadata';
import { CatalogCommands } from '../application/catalog/catalog-commands.js';
import { CommandHandler } from '../application/kernel/command-handler.js';
import type { NewEvent } from '../application/ports/event-store.js';
import { EventRegistry } from '../domain/kernel/registry.js';
import { RightGranted } from '../domain/right/events.js';
import { rightStreamId } from '../domain/right/values.js';
import { SystemClock } from '../infrastructure/clock.js';
import { ALL_EVENTS } from '../infrastructure/container.js';
import { SqliteEventStore } from '../infrastructure/eventstore/sqlite-event-store.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DAY = 24 * 3600 * 1000;

/** A provider with two products and one right per user, written straight into the log. */
async function seed(dataDir: string): Promise<{ providerId: string; subs: string[] }> {
  const clock = new SystemClock();
  const store = SqliteEventStore.open({
    file: join(dataDir, 'events.db'),
    registry: new EventRegistry(ALL_EVENTS),
    clock,
  });
  try {
    const catalog = new CatalogCommands(new CommandHandler(store, clock));
    const ctx = { actor: { kind: 'system' as const, id: 'bench' }, correlationId: randomUUID() };
    const providerId = (await catalog.registerProvider({ name: 'Bench Media' }, ctx)).id;
    const products: Record<string, string> = {};
    for (const sku of ['film', 'premium']) {
      products[sku] = (
        await catalog.addProduct(
          providerId,
          {
            sku,
            name: sku,
            kind: 'one_time',
            timeSpec: 'P30D',
            price: { amount: 4900, currency: 'NOK' },
            vatRate: 2500,
          },
          ctx,
        )
      ).id;
    }
    const subs = Array.from({ length: USERS }, () => randomUUID());
    const now = Date.now();
    const started = Date.now();
    for (let i = 0; i < USERS; i += 1000) {
      await Promise.all(
        subs.slice(i, i + 1000).map((sub, k) => {
          const expired = (i + k) % 10 === 0;
          const sku = (i + k) % 2 === 0 ? 'film' : 'premium';
          const rightId = randomUUID();
          const event: NewEvent = {
            type: RightGranted.type,
            data: {
              rightId,
              providerId,
              productId: products[sku]!,
              sku,
              sub,
              grantor: { kind: 'provider', id: 'bench' },
              validFrom: new Date(now - 40 * DAY).toISOString(),
              validUntil: new Date(expired ? now - DAY : now + 30 * DAY).toISOString(),
              payload: null,
              initialState: 'active',
            },
            metadata: { correlationId: ctx.correlationId, causationId: null, actor: ctx.actor },
          };
          return store.append(rightStreamId(rightId), [event], { expectedRevision: 'no_stream' });
        }),
      );
      process.stdout.write(`\rseeding ${(i + 1000).toLocaleString('en-US')} rights`);
    }
    process.stdout.write(
      `\rseeded ${USERS.toLocaleString('en-US')} rights in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return { providerId, subs };
  } finally {
    await store.close();
  }
}

interface Run {
  readonly rate: number;
  readonly p99: number;
}

async function load(url: string, token: string, subs: readonly string[], seconds: number): Promise<Run> {
  let i = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const sub = subs[(i = (i + 7919) % subs.length)]!;
          return { ...request, path: `/v1/users/${sub}/access?sku=${i % 2 === 0 ? 'film' : 'premium'}` };
        },
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} requests failed or did not answer 2xx`);
  return { rate: result.requests.total / (result.duration || seconds), p99: result.latency.p99 };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Alternating rounds against both targets (after a warm-up of each); medians of each. */
async function compare(
  baselineUrl: string,
  tesseraUrl: string,
  token: string,
  subs: readonly string[],
): Promise<{ baseline: Run; tessera: Run }> {
  await load(baselineUrl, 'x'.repeat(43), subs, 1);
  await load(tesseraUrl, token, subs, 1);
  const runs = { baseline: [] as Run[], tessera: [] as Run[] };
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await load(baselineUrl, 'x'.repeat(43), subs, SECONDS);
    const t = await load(tesseraUrl, token, subs, SECONDS);
    runs.baseline.push(b);
    runs.tessera.push(t);
    console.log(
      `round ${round}: baseline ${Math.round(b.rate).toLocaleString('en')}/s p99 ${b.p99} ms; ` +
        `tessera ${Math.round(t.rate).toLocaleString('en')}/s p99 ${t.p99} ms`,
    );
  }
  const summary = (list: Run[]): Run => ({
    rate: median(list.map((r) => r.rate)),
    p99: median(list.map((r) => r.p99)),
  });
  return { baseline: summary(runs.baseline), tessera: summary(runs.tessera) };
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/readyz`).catch(() => null);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('Tessera did not become ready');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-access-'));
  try {
    const { providerId, subs } = await seed(dataDir);

    const bare = await start(['bench/support/bare-json.ts'], {}, 'stdout');
    const profile = process.env.BENCH_PROFILE;
    const tessera = await start(
      [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), 'infrastructure/main.ts', 'serve'],
      { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DEMO_SEED: 'false' },
      'stderr',
    );
    try {
      const built = Date.now();
      await waitReady(tessera.url);
      console.log(`read models built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
      const admin = {
        authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}`,
        'content-type': 'application/json',
      };
      const client = (await (
        await fetch(`${tessera.url}/admin/v1/providers/${providerId}/clients`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({
            clientType: 'confidential',
            name: 'Bench backend',
            grantTypes: ['client_credentials'],
            scopes: ['id.user.right.read'],
          }),
        })
      ).json()) as { clientId: string; clientSecret: string };
      const issued = (await (
        await fetch(`${tessera.url}/oauth/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials&scope=id.user.right.read',
        })
      ).json()) as { access_token: string };
      const probe = await fetch(`${tessera.url}/v1/users/${subs[1]}/access?sku=premium`, {
        headers: { authorization: `Bearer ${issued.access_token}` },
      });
      const answer = (await probe.json()) as { allowed?: boolean };
      if (probe.status !== 200 || answer.allowed !== true) {
        throw new Error(`probe failed: ${probe.status} ${JSON.stringify(answer)}`);
      }
      console.log(
        `GET /v1/users/{sub}/access vs a bare Express endpoint: ${CONNECTIONS} connections, ` +
          `${ROUNDS} rounds of ${SECONDS} s each`,
      );
      const { baseline, tessera: run } = await compare(bare.url, tessera.url, issued.access_token, subs);
      console.log(
        JSON.stringify({
          bench: 'access',
          value: Math.round(run.rate),
          unit: 'checks/s',
          baseline: Math.round(baseline.rate),
          ratio: Number((run.rate / baseline.rate).toFixed(3)),
          p99Ms: run.p99,
          baselineP99Ms: baseline.p99,
          p99Ratio: Number((run.p99 / Math.max(baseline.p99, 1)).toFixed(2)),
          users: USERS,
          connections: CONNECTIONS,
          rounds: ROUNDS,
          seconds: SECONDS,
        }),
      );
    } finally {
      await stop(tessera.child);
      await stop(bare.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
