import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import type { AuditExporter, ExportOptions } from '../../application/audit/audit-exporter.js';
import { verifyExport } from '../../application/audit/verify.js';
import { silentLogger } from '../../application/ports/logger.js';
import { createAuditRouter } from '../../infrastructure/http/audit-router.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { AuditWorld, textLines } from '../application/audit/audit-world.js';

/** Stands in for the staff-token guard: the role comes from a test header. */
const fakeGuard =
  (role: 'auditor'): RequestHandler =>
  (req, _res, next) => {
    if (req.get('x-test-role') !== role)
      throw new HttpProblem(403, 'forbidden', `Only an ${role} may do this.`);
    next();
  };

async function serve(exporter: Pick<AuditExporter, 'export'>, maxSpanDays?: number) {
  const app = express();
  app.use(correlation(silentLogger));
  app.use('/v1', createAuditRouter({ exporter, guard: fakeGuard, ...(maxSpanDays ? { maxSpanDays } : {}) }));
  app.use(notFound());
  app.use(errorHandler());
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const auditor = { 'x-test-role': 'auditor' };

/**
 * GET /v1/audit/transactions on a small express app with the real problem handling: the guard,
 * validation of the period, both formats streamed and verifiable, backpressure and disconnects.
 */
describe('Audit export over HTTP', function () {
  this.timeout(30_000);
  let world: AuditWorld;
  let http: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    world = await AuditWorld.open();
    for (let i = 0; i < 3; i++) {
      world.tick();
      const tx = await world.create(1000 + i);
      await world.pay(tx);
      if (i === 1) await world.refund(tx, 500);
    }
    http = await serve(world.exporter, 31);
  });

  after(async () => {
    await http.close();
    await world.close();
  });

  const url = (query: string) => `${http.base}/v1/audit/transactions?${query}`;

  it('refuses callers without the auditor role before looking at the query', async () => {
    const res = await fetch(url('from=nonsense'));
    expect(res.status).to.equal(403);
    expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
    expect(((await res.json()) as { code: string }).code).to.equal('forbidden');
  });

  it('names each bad query parameter', async () => {
    const cases: [string, string[]][] = [
      ['to=2026-01-02T00:00:00Z', ['query.from']],
      ['from=yesterday&to=2026-01-02', ['query.from', 'query.to']],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', ['query.to']],
      ['from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', ['query.to']],
      ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', ['query.to']],
      ['from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=xlsx', ['query.format']],
    ];
    for (const [query, paths] of cases) {
      const res = await fetch(url(query), { headers: auditor });
      expect(res.status, query).to.equal(400);
      expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
      const body = (await res.json()) as { code: string; errors: { path: string; message: string }[] };
      expect(body.code).to.equal('invalid_request');
      expect(
        body.errors.map((e) => e.path),
        query,
      ).to.deep.equal(paths);
    }
    const span = (await (
      await fetch(url('from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z'), { headers: auditor })
    ).json()) as { errors: { message: string }[] };
    expect(span.errors[0]!.message).to.match(/at most 31 days/);
  });

  it('streams NDJSON (the default) and CSV, chunked, each verifying against the JWKS', async () => {
    const verifier = await world.verifier();
    for (const [format, type] of [
      ['', /^application\/x-ndjson/],
      ['&format=ndjson', /^application\/x-ndjson/],
      ['&format=csv', /^text\/csv/],
    ] as const) {
      const res = await fetch(url(`from=2026-01-01T00:00:00%2B00:00&to=2026-01-02T00:00:00Z${format}`), {
        headers: auditor,
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(type);
      expect(res.headers.get('transfer-encoding')).to.equal('chunked');
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="tessera-transactions-/);
      const text = await res.text();
      const result = await verifyExport(textLines(text), verifier);
      expect(result.problems).to.deep.equal([]);
      expect(result.rows).to.equal(4);
    }
  });

  it('waits for a slow client and stops exporting when it disconnects', async () => {
    let produced = 0;
    let signal: AbortSignal | undefined;
    const endless: Pick<AuditExporter, 'export'> = {
      export: async function* (_period, _format, options: ExportOptions = {}) {
        signal = options.signal;
        const chunk = 'x'.repeat(64 * 1024);
        for (;;) {
          if (options.signal?.aborted) throw new Error('aborted');
          produced += 1;
          yield chunk;
        }
      } as AuditExporter['export'],
    };
    const slow = await serve(endless);
    try {
      const response = await new Promise<IncomingMessage>((resolve) =>
        get(
          `${slow.base}/v1/audit/transactions?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`,
          { headers: auditor },
          resolve,
        ),
      );
      response.pause();
      await new Promise((r) => setTimeout(r, 300));
      const whilePaused = produced;
      await new Promise((r) => setTimeout(r, 300));
      // Nothing more is produced while the client reads nothing: the server waits for 'drain'.
      expect(produced).to.equal(whilePaused);
      expect(whilePaused * 64).to.be.lessThan(64 * 1024); // well under 64 MB buffered
      response.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(signal?.aborted).to.equal(true);
      const afterClose = produced;
      await new Promise((r) => setTimeout(r, 200));
      expect(produced).to.equal(afterClose);
    } finally {
      await slow.close();
    }
  });
});
