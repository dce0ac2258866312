import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import type { Clock } from '../../application/ports/clock.js';
import { loadConfig } from '../../infrastructure/config.js';
import { type RunningServer, startServer } from '../../infrastructure/server.js';

export interface TestServerOptions {
  /** Extra environment for loadConfig (PORT=0, LOG_LEVEL=silent and DEMO_SEED=false are the defaults). */
  readonly env?: Readonly<Record<string, string>>;
  /** Reuse a data directory (e.g. to restart on the same data); it is then not deleted on close. */
  readonly dataDir?: string;
  readonly clock?: Clock;
  readonly logDestination?: DestinationStream;
  readonly readAfterWriteTimeoutMs?: number;
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON for JSON and problem+json responses, else the text. */
  readonly body: T;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bearer token; defaults to the admin token, `null` sends none. */
  readonly token?: string | null;
}

export interface TestServer {
  readonly url: string;
  readonly adminToken: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  /** Calls the API with the admin token; JSON in, JSON out. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Polls /readyz until it answers 200 (projections live and caught up). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the real server (embedded mode, ephemeral port) on a fresh temp DATA_DIR, for end-to-end
 * tests. close() stops it and removes the directory it created.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    DEMO_SEED: 'false',
    ...options.env,
  });
  let server: RunningServer;
  try {
    server = await startServer(config, {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logDestination ? { logDestination: options.logDestination } : {}),
      ...(options.readAfterWriteTimeoutMs !== undefined
        ? { readAfterWriteTimeoutMs: options.readAfterWriteTimeoutMs }
        : {}),
    });
  } catch (err) {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const adminToken = server.adminToken.token;

  async function request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? adminToken : opts.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = /json/.test(type) && text !== '' ? (JSON.parse(text) as T) : (text as T);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  return {
    url: server.url,
    adminToken,
    dataDir,
    server,
    request,
    async waitUntilReady(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`${server.url}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) return;
        if (Date.now() > deadline) throw new Error(`Server not ready within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
