/**
 * The baseline server of bench:token: Express 5 answering a small JSON body to a form POST, on the
 * same runtime (tsx) as Tessera. Prints its URL on stdout.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.urlencoded({ extended: false }));
app.post('/token', (req, res) => {
  res.json({
    access_token: 'a'.repeat(43),
    token_type: 'Bearer',
    expires_in: 3600,
    scope: String((req.body as Record<string, unknown>).scope ?? ''),
  });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
