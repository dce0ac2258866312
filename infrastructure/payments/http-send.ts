import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * The HTTP client of the payment adapters: node:http(s) over keep-alive agents, one connection pool
 * per process. A payment takes two or more processor calls, so reusing connections matters, and the
 * plain node:http client costs a fraction of the CPU of `fetch` (no web streams, no AbortSignal).
 *
 * An idle pooled connection is closed after IDLE_SOCKET_MS, well before common server keep-alive
 * timeouts (Node's default is 5 s): reusing a connection the server is just closing would fail the
 * request after it may have left, which for a payment means an outcome to reconcile.
 */

/** What a call answered: the status and the body as text. */
export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

/** Sends one request; `fetch`-compatible errors: a timeout rejects with an error named TimeoutError. */
export type HttpSend = (
  url: string,
  init: {
    readonly method: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
    readonly timeoutMs: number;
  },
) => Promise<RawAnswer>;

const IDLE_SOCKET_MS = 2000;
const MAX_SOCKETS = 256;

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS });

function timeoutError(ms: number): Error {
  const error = new Error(`no answer within ${ms} ms`);
  error.name = 'TimeoutError';
  return error;
}

export const nodeHttpSend: HttpSend = (url, init) => {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const headers: OutgoingHttpHeaders = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      { method: init.method, headers, agent: secure ? httpsAgent : httpAgent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('the connection closed before the answer ended')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    // The whole exchange, not only the wait for the first byte, is bounded.
    const timer = setTimeout(() => {
      const error = timeoutError(init.timeoutMs);
      fail(error);
      req.destroy(error);
    }, init.timeoutMs);
    req.on('error', fail);
    req.end(init.body);
  });
};

/** The same exchange over a `fetch` implementation (tests inject one). */
export function fetchSend(fetchFn: typeof fetch): HttpSend {
  return async (url, init) => {
    const response = await fetchFn(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };
}
