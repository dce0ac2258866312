/**
 * The baseline server of bench:access: Express 5 answering a small JSON body (the size of an access
 * answer) to an authorized GET, on the same runtime (tsx) as Tessera. Prints its URL on stdout.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.get('/v1/users/:sub/access', (req, res) => {
  res.json({
    sub: req.params.sub,
    sku: String(req.query.sku ?? ''),
    at: new Date().toISOString(),
    allowed: req.get('authorization') !== undefined,
    rightId: '01a21c66-aa57-75de-b078-64ad0a4cd32f',
    validUntil: '2026-12-31T00:00:00.000Z',
    reason: 'active',
  });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
