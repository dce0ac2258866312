/**
 * The baseline server of bench:purchase: Express 5 answering the three calls of a one-click purchase
 * (create a transaction, pay it, check access) with small JSON bodies shaped like Tessera's, on the
 * same runtime (tsx) as Tessera. It keeps just enough state that the access check names the right
 * the last payment granted (the same derived right id as Tessera's), so the driver runs exactly the
 * same sequence and checks against both. Prints its URL on stdout.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { purchaseRightId } from '../../application/payment/rights-on-purchase.js';

interface Pending {
  readonly sub: string;
  readonly sku: string;
}

/** Created, not yet paid transactions by id. */
const pending = new Map<string, Pending>();
/** The right the last payment granted, by `sub sku`. */
const granted = new Map<string, { rightId: string; validUntil: string }>();

const app = express();
app.disable('x-powered-by');
app.use(express.json());

app.post('/v1/transactions', (req, res) => {
  const body = req.body as { orderId?: string; sub?: string; products?: Array<{ sku?: string }> };
  const transactionId = randomUUID();
  pending.set(transactionId, { sub: String(body.sub), sku: String(body.products?.[0]?.sku) });
  res.setHeader('Location', `/v1/transactions/${transactionId}`);
  res.status(201).json({
    transactionId,
    orderId: body.orderId,
    sub: body.sub,
    status: 'created',
    amount: { amount: 4900, currency: 'NOK' },
    vatRate: 2500,
    links: { payment: `http://127.0.0.1/pay/${transactionId}` },
  });
});

app.post('/v1/transactions/:transactionId/payment', (req, res) => {
  const transactionId = req.params.transactionId;
  const found = pending.get(transactionId);
  if (!found || req.get('authorization') === undefined) {
    res.status(404).json({ code: 'transaction_not_found' });
    return;
  }
  pending.delete(transactionId);
  granted.set(`${found.sub} ${found.sku}`, {
    rightId: purchaseRightId(transactionId, 0),
    validUntil: new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString(),
  });
  res.json({
    transactionId,
    attemptId: randomUUID(),
    methodId: (req.body as { methodId?: string }).methodId ?? null,
    status: 'captured',
    transactionStatus: 'captured',
    code: null,
    actionUrl: null,
  });
});

app.get('/v1/users/:sub/access', (req, res) => {
  const sku = String(req.query.sku ?? '');
  const right = granted.get(`${req.params.sub} ${sku}`);
  res.json({
    sub: req.params.sub,
    sku,
    at: new Date().toISOString(),
    allowed: right !== undefined,
    rightId: right?.rightId ?? null,
    validUntil: right?.validUntil ?? null,
    reason: right ? 'active' : 'no_right',
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
