/**
 * One-click purchases per second end to end over HTTP, 50 concurrent purchase loops.
 *
 * A purchase is the sequence a provider and its user go through: the provider's backend creates a
 * transaction for the user (`POST /v1/transactions`, client_credentials, one product with a SKU and
 * `timeSpec`), the user pays it with the saved card (`POST /v1/transactions/{id}/payment` with the
 * user's own token), and the backend checks access (`GET /v1/users/{sub}/access?sku=`) until the right
 * that this very transaction granted is the answer (rights are granted by a process manager after
 * the capture; the payment's answer waits until they are readable, so the first check normally
 * finds it, and the check is polled with a short delay, bounded, should it not). Latency runs from
 * the first call to that answer.
 *
 * Tessera runs as its own process (`tessera serve`, embedded mode, temp DATA_DIR); everything is set
 * up through its real APIs: provider, products and clients through the admin API, users signed in
 * through the authorization code flow (code from the development outbox), a 4242… card tokenised at
 * the sandbox processor and saved to each user's wallet. Each loop owns one (user, SKU) pair, so its
 * purchases are sequential and the newest right is always the one that lasts longest.
 *
 * Because a purchase is a sequence, the load comes from a small async driver (node:http keep-alive)
 * rather than autocannon; its own cost is in the baseline, which runs the same sequence with the same
 * driver against a bare Express server answering the three routes (bench/support/bare-purchase.ts).
 *
 *   npm run bench:purchase    BENCH_SECONDS (default 10) measured after BENCH_WARMUP (default 3) s,
 *                             BENCH_USERS (default 10) users shared round-robin by the 50 loops
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { purchaseRightId } from '../application/payment/rights-on-purchase.js';
import { Browser, formAction, hiddenField, type Visit } from '../tests/support/browser.js';
import { start, stop } from './support/processes.js';

const LOOPS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const USERS = Math.min(Number(process.env.BENCH_USERS ?? 10), LOOPS);
const SKUS = Math.ceil(LOOPS / USERS);
/** One HTTP call that takes longer is a failed purchase (the socket is dropped). */
const REQUEST_TIMEOUT_MS = 10_000;
/** A right not visible this long after the payment is a failed purchase. */
const GRANT_TIMEOUT_MS = 10_000;
/**
 * Pause between access checks: short at first, then doubling up to a cap, so a lagging grant is not
 * met with a flood of checks that would itself slow the server down.
 */
const POLL_FIRST_DELAY_MS = 5;
const POLL_MAX_DELAY_MS = 50;
const MAX_ERROR_SHARE = 0.01;
const REDIRECT_URI = 'http://127.0.0.1/cb';
const BACKEND_SCOPES = 'payment.transactions.write id.user.right.read';
const USER_SCOPES = 'openid id.user.read payment.transactions.write';
const PRICE = { amount: 4900, currency: 'NOK' };

const agent = new Agent({ keepAlive: true, maxSockets: 4 * LOOPS });

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One JSON call over the shared keep-alive agent; rejects on a socket error or after the timeout. */
function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveCall, reject) => {
    const req = httpRequest(
      new URL(path, base),
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolveCall({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) });
          } catch {
            resolveCall({ status: res.statusCode ?? 0, body: { text } });
          }
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function expectStatus(answer: Answer, allowed: readonly number[], what: string): Answer {
  if (!allowed.includes(answer.status)) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
  return answer;
}

/** What a purchase loop needs: where to send it, as whom, and what to buy. */
interface Target {
  readonly url: string;
  readonly backendToken: string;
  readonly users: ReadonlyArray<{ readonly sub: string; readonly token: string; readonly methodId: string }>;
  readonly skus: readonly string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where one purchase's time went (ms), and how many access checks it took. */
interface Phases {
  readonly create: number;
  readonly pay: number;
  /** From the payment's answer to the access check naming the new right. */
  readonly grant: number;
  readonly checks: number;
}

/** One purchase; rejects on any failure. */
async function purchase(target: Target, loop: number): Promise<Phases> {
  const t0 = performance.now();
  const user = target.users[loop % target.users.length]!;
  const sku = target.skus[Math.floor(loop / target.users.length) % target.skus.length]!;
  const created = expectStatus(
    await call(target.url, 'POST', '/v1/transactions', target.backendToken, {
      orderId: `bench-${randomUUID()}`,
      description: 'Film rental',
      amount: PRICE,
      vatRate: 2500,
      products: [{ sku, name: 'Film', price: PRICE, vatRate: 2500, timeSpec: 'P2D' }],
      successRedirect: 'https://shop.example/ok',
      cancelRedirect: 'https://shop.example/cancel',
      sub: user.sub,
    }),
    [201, 202],
    'create transaction',
  );
  const t1 = performance.now();
  const id = String(created.body.transactionId);
  // A 202 means the write is not readable yet: the payment waits for its position.
  const position = created.status === 202 ? `?minPosition=${String(created.body.position)}` : '';
  const paid = expectStatus(
    await call(target.url, 'POST', `/v1/transactions/${id}/payment${position}`, user.token, {
      methodId: user.methodId,
    }),
    [200],
    'one-click payment',
  );
  if (paid.body.status !== 'captured') throw new Error(`payment ${String(paid.body.status)}`);
  const t2 = performance.now();
  const rightId = purchaseRightId(id, 0);
  const deadline = Date.now() + GRANT_TIMEOUT_MS;
  for (let checks = 1; ; checks++) {
    const access = expectStatus(
      await call(target.url, 'GET', `/v1/users/${user.sub}/access?sku=${sku}`, target.backendToken),
      [200],
      'access check',
    );
    if (access.body.allowed === true && access.body.rightId === rightId) {
      return { create: t1 - t0, pay: t2 - t1, grant: performance.now() - t2, checks };
    }
    if (Date.now() > deadline) throw new Error(`right not visible after ${GRANT_TIMEOUT_MS} ms`);
    await sleep(Math.min(POLL_FIRST_DELAY_MS * 2 ** (checks - 1), POLL_MAX_DELAY_MS));
  }
}

interface Run {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly purchases: number;
  readonly errors: number;
  readonly checksPerPurchase: number;
  /** Server CPU time (user + system) over the measured window per purchase completed in it. */
  readonly cpuMsPerPurchase: number | null;
  /** Median of each phase (ms). */
  readonly phasesP50: { readonly create: number; readonly pay: number; readonly grant: number };
  readonly firstErrors: readonly string[];
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** CPU time (user + system, ms) the process has used so far; null where /proc is not available. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: the unit of /proc/<pid>/stat times on Linux. */
const CLOCK_TICKS = 100;

/**
 * LOOPS loops purchase back to back for `warmup` + `seconds` seconds; what completes in the
 * measured window counts (success or failure), by the time it completed.
 */
async function drive(target: Target, seconds: number, warmup: number, pid?: number): Promise<Run> {
  const began = performance.now();
  // The server's CPU time over the measured window: what a purchase costs, whatever else the
  // machine is busy with (wall-clock rates on a shared machine are not).
  let cpuFrom: number | null = null;
  let cpuUntil: number | null = null;
  const cpuStart = setTimeout(() => (cpuFrom = cpuMsOf(pid)), warmup * 1000);
  const cpuEnd = setTimeout(() => (cpuUntil = cpuMsOf(pid)), (warmup + seconds) * 1000);
  const from = began + warmup * 1000;
  const until = from + seconds * 1000;
  const latencies: number[] = [];
  const firstErrors: string[] = [];
  let errors = 0;
  let checks = 0;
  const phases = { create: [] as number[], pay: [] as number[], grant: [] as number[] };
  const loop = async (index: number) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const took = await purchase(target, index);
        const t1 = performance.now();
        if (t1 >= from && t1 < until) {
          latencies.push(t1 - t0);
          checks += took.checks;
          phases.create.push(took.create);
          phases.pay.push(took.pay);
          phases.grant.push(took.grant);
        }
      } catch (err) {
        const t1 = performance.now();
        if (t1 >= from && t1 < until) errors++;
        if (firstErrors.length < 5) firstErrors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
  clearTimeout(cpuStart);
  clearTimeout(cpuEnd);
  const median = (values: number[]) =>
    Number(
      percentile(
        values.sort((a, b) => a - b),
        50,
      ).toFixed(1),
    );
  latencies.sort((a, b) => a - b);
  return {
    phasesP50: { create: median(phases.create), pay: median(phases.pay), grant: median(phases.grant) },
    rate: latencies.length / seconds,
    p50: Number(percentile(latencies, 50).toFixed(1)),
    p99: Number(percentile(latencies, 99).toFixed(1)),
    purchases: latencies.length,
    errors,
    checksPerPurchase: Number((checks / Math.max(latencies.length, 1)).toFixed(2)),
    cpuMsPerPurchase:
      cpuFrom === null || cpuUntil === null || latencies.length === 0
        ? null
        : Number(((cpuUntil - cpuFrom) / latencies.length).toFixed(1)),
    firstErrors,
  };
}

function report(label: string, run: Run): void {
  console.log(
    `${label}: ${Math.round(run.rate).toLocaleString('en')} purchases/s, p50 ${run.p50} ms, ` +
      `p99 ${run.p99} ms, ${run.purchases} purchases, ${run.errors} errors, ` +
      `${run.checksPerPurchase} access checks per purchase, ` +
      `${run.cpuMsPerPurchase ?? '?'} ms server CPU per purchase; ` +
      `p50 create ${run.phasesP50.create} ms, pay ${run.phasesP50.pay} ms, ` +
      `right visible ${run.phasesP50.grant} ms later`,
  );
  for (const message of run.firstErrors) console.log(`  error: ${message}`);
  if (run.errors > MAX_ERROR_SHARE * (run.purchases + run.errors)) {
    throw new Error(`${label}: ${run.errors} of ${run.purchases + run.errors} purchases failed`);
  }
}

async function form(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Signs a person in at the provider's app (phone + code from the outbox, consent): their token. */
async function signIn(
  base: string,
  rp: oidc.Configuration,
  phone: string,
): Promise<{ sub: string; token: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: USER_SCOPES,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new Browser(base);
  const step = async (page: Visit, suffix: string, fields: Record<string, string>) => {
    if (page.status !== 200) throw new Error(`sign-in page ${page.status}: ${page.body.slice(0, 300)}`);
    return browser.post(formAction(page.body, suffix), { csrf: hiddenField(page.body, 'csrf'), ...fields });
  };
  const codePage = await step(await browser.get(url.href), '/identifier', { identifier: phone });
  const outbox = await fetch(`${base}/dev/outbox/latest?to=${encodeURIComponent(phone)}`);
  const code = /\b(\d{6})\b/.exec(((await outbox.json()) as { text: string }).text)?.[1];
  if (code === undefined) throw new Error(`no code for ${phone} in the outbox`);
  const consent = await step(codePage, '/code', { code, remember: '1' });
  const done = await step(consent, '/consent', { decision: 'allow' });
  if (done.leftTo === null) throw new Error(`sign-in did not end at the app: ${done.body.slice(0, 300)}`);
  const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.leftTo), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  const sub = tokens.claims()?.sub;
  if (sub === undefined) throw new Error('no ID token');
  return { sub, token: tokens.access_token };
}

/** Provider, products, clients, signed-in users with a saved card: all through Tessera's APIs. */
async function setUp(base: string, dataDir: string): Promise<Target> {
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const admin = async (path: string, body: unknown) =>
    expectStatus(await call(base, 'POST', path, adminToken, body), [201], `POST ${path}`).body;
  const providerId = String((await admin('/admin/v1/providers', { name: 'Bench Media' })).id);
  const skus = Array.from({ length: SKUS }, (_, i) => `film-${i + 1}`);
  for (const sku of skus) {
    await admin(`/admin/v1/providers/${providerId}/products`, {
      sku,
      name: `Film ${sku}`,
      kind: 'one_time',
      price: PRICE,
      vatRate: 2500,
      timeSpec: 'P2D',
    });
  }
  const backend = await admin(`/admin/v1/providers/${providerId}/clients`, {
    clientType: 'confidential',
    name: 'Bench backend',
    grantTypes: ['client_credentials'],
    scopes: BACKEND_SCOPES.split(' '),
  });
  const issued = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${String(backend.clientId)}:${String(backend.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: BACKEND_SCOPES }).toString(),
  });
  const backendToken = ((await issued.json()) as { access_token: string }).access_token;
  const app = await admin(`/admin/v1/providers/${providerId}/clients`, {
    clientType: 'confidential',
    name: 'Bench app',
    redirectUris: [REDIRECT_URI],
    scopes: USER_SCOPES.split(' '),
  });
  const rp = await oidc.discovery(
    new URL(base),
    String(app.clientId),
    undefined,
    oidc.ClientSecretBasic(String(app.clientSecret)),
    { execute: [oidc.allowInsecureRequests] },
  );
  const users: Array<Target['users'][number]> = [];
  for (let i = 0; i < USERS; i++) {
    const { sub, token } = await signIn(base, rp, `+47419${String(50_000 + i)}`);
    const tokenised = await form(`${base}/sandbox/card/tokens`, {
      number: '4242 4242 4242 4242',
      expiry: '12/30',
      cvc: '123',
      return_url: `${base}/pay/wallet/card`,
      state: 's',
    });
    const cardToken = new URL(tokenised.headers.get('location') ?? 'http://x/').searchParams.get('token');
    if (tokenised.status !== 303 || cardToken === null) throw new Error(`tokenisation: ${tokenised.status}`);
    const saved = expectStatus(
      await call(base, 'POST', '/v1/users/me/payment-methods/cards', token, { token: cardToken }),
      [201],
      'save card',
    );
    users.push({ sub, token, methodId: String(saved.body.methodId) });
  }
  return { url: base, backendToken, users, skus };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-purchase-'));
  const children: ChildProcess[] = [];
  try {
    const tessera = await start(
      ['infrastructure/main.ts', 'serve'],
      { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DEMO_SEED: 'false' },
      'stderr',
      // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there when it stops.
      process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
    );
    children.push(tessera.child);
    const bare = await start(['bench/support/bare-purchase.ts'], {}, 'stdout');
    children.push(bare.child);
    const target = await setUp(tessera.url, dataDir);
    console.log(
      `set up: ${USERS} users signed in with a saved card, ${SKUS} SKUs; ${LOOPS} purchase loops, ` +
        `${WARMUP} s warm-up + ${SECONDS} s measured`,
    );

    const baseline = await drive({ ...target, url: bare.url }, SECONDS, WARMUP, bare.child.pid);
    report('baseline (bare Express, same sequence)', baseline);
    const run = await drive(target, SECONDS, WARMUP, tessera.child.pid);
    report('tessera', run);
    console.log(
      JSON.stringify({
        bench: 'purchase',
        value: Math.round(run.rate),
        unit: 'purchases/s',
        baseline: Math.round(baseline.rate),
        ratio: Number((run.rate / baseline.rate).toFixed(3)),
        p50Ms: run.p50,
        p99Ms: run.p99,
        baselineP50Ms: baseline.p50,
        baselineP99Ms: baseline.p99,
        purchases: run.purchases,
        errors: run.errors,
        accessChecksPerPurchase: run.checksPerPurchase,
        serverCpuMsPerPurchase: run.cpuMsPerPurchase,
        baselineCpuMsPerPurchase: baseline.cpuMsPerPurchase,
        phasesP50Ms: run.phasesP50,
        users: USERS,
        connections: LOOPS,
        seconds: SECONDS,
      }),
    );
  } finally {
    agent.destroy();
    for (const child of children.reverse()) await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
