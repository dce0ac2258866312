import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A relying party's back-channel logout endpoint for end-to-end tests: an HTTPS server on
 * 127.0.0.1 (Tessera accepts only https back-channel URIs) that records every POST it receives.
 *
 * Two things stand between the provider and such a receiver, and `routeProviderFetch` moves both
 * aside for the receiver's origin only: the certificate is self-signed, and oidc-provider's
 * outgoing fetch refuses sockets to special-use addresses (loopback and private networks, its SSRF
 * guard). The provider's own fetch call is kept (method, headers, body, timeout, no redirects);
 * only its dispatcher is swapped for one that trusts this receiver's certificate.
 */

export interface BackchannelDelivery {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  /** The `logout_token` form field, or null when the body has none. */
  readonly logoutToken: string | null;
}

export interface BackchannelReceiver {
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  /** The receiver's certificate (PEM), to trust it. */
  readonly certificate: string;
  /** Every request received so far, oldest first. */
  readonly deliveries: readonly BackchannelDelivery[];
  /** An absolute URI at `path` on the receiver. */
  uri(path: string): string;
  /** Resolves once `count` requests have arrived in total; rejects after `timeoutMs`. */
  waitForDeliveries(count: number, timeoutMs?: number): Promise<readonly BackchannelDelivery[]>;
  /** Forgets what was received so far. */
  clear(): void;
  close(): Promise<void>;
}

/** A self-signed P-256 certificate for 127.0.0.1, valid for a day, made with the openssl CLI. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bcl-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a receiver on a random port of 127.0.0.1; it answers every request 200 OK. */
export async function startBackchannelReceiver(): Promise<BackchannelReceiver> {
  const { key, cert } = selfSignedCertificate();
  const deliveries: BackchannelDelivery[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      deliveries.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        logoutToken: new URLSearchParams(body).get('logout_token'),
      });
      for (const wake of waiters) wake();
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    certificate: cert,
    deliveries,
    uri: (path) => new URL(path, origin).href,
    waitForDeliveries(count, timeoutMs = 3000) {
      if (deliveries.length >= count) return Promise.resolve([...deliveries]);
      return new Promise((resolve, reject) => {
        const done = (): void => {
          if (deliveries.length < count) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve([...deliveries]);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(
            new Error(`${deliveries.length} of ${count} back-channel deliveries within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        waiters.add(done);
      });
    },
    clear: () => void deliveries.splice(0),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

type Fetch = typeof globalThis.fetch;
type AgentConstructor = new (options: { connect: { ca: string } }) => object;

/**
 * Routes the process's fetch calls to the receiver's origin through a dispatcher that trusts its
 * certificate (and has no special-use address guard); every other call is untouched. Returns the
 * function that restores the original fetch.
 */
export async function routeProviderFetch(receiver: BackchannelReceiver): Promise<() => void> {
  // Node's fetch creates its global dispatcher on first use; its class is the Agent to build on.
  await (await fetch('data:text/plain,')).arrayBuffer();
  const globalDispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')];
  const Agent = (globalDispatcher as { constructor?: AgentConstructor } | undefined)?.constructor;
  if (Agent === undefined) throw new Error("Cannot find Node's fetch dispatcher class");
  const trusting = new Agent({ connect: { ca: receiver.certificate } });
  const original: Fetch = globalThis.fetch;
  const routed: Fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${receiver.origin}/`)) return original(input, init);
    return original(input, { ...init, dispatcher: trusting } as RequestInit);
  };
  globalThis.fetch = routed;
  return () => {
    globalThis.fetch = original;
    void (trusting as { close?: () => Promise<void> }).close?.();
  };
}
