import { expect } from 'chai';
import type { AuditRow } from '../../../application/audit/audit-row.js';
import { AUDIT_COLUMNS } from '../../../application/audit/audit-row.js';
import { parseCsvRecord } from '../../../application/audit/formats.js';
import {
  canonicalRow,
  canonicalRowReference,
  chainHash,
  GENESIS_HASH,
} from '../../../application/audit/hash-chain.js';
import { sha256Hex, stableStringify } from '../../../application/kernel/stable-json.js';
import { type Manifest, ManifestSchema } from '../../../application/audit/manifest.js';
import { verifyExport } from '../../../application/audit/verify.js';
import { transactionDecider } from '../../../domain/payment/decider.js';
import type { PaymentEvent } from '../../../domain/payment/events.js';
import type { TransactionState } from '../../../domain/payment/state.js';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { AuditWorld, carrierMethod, payer, providerA, textLines } from './audit-world.js';

/** The NDJSON export's rows and its manifest (read from the JWS payload without checking it). */
function parseNdjson(text: string): { rows: AuditRow[]; manifest: Manifest; jws: string } {
  const lines = text.trimEnd().split('\n');
  const last = JSON.parse(lines.pop()!) as { manifest: string };
  const manifest = ManifestSchema.parse(decodeJwt(last.manifest));
  return { rows: lines.map((l) => JSON.parse(l) as AuditRow), manifest, jws: last.manifest };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

/**
 * The auditor export over transactions written through TransactionCommands on SQLite: which events
 * become rows, what each row says, the totals, the hash chain, both formats and the period's edges.
 */
describe('Auditor export (SQLite)', function () {
  this.timeout(30_000);
  let world: AuditWorld;
  const ids: Record<string, string> = {};

  before(async () => {
    world = await AuditWorld.open();
    world.tick(); // 00:01
    ids.tx1 = await world.create(4900);
    world.tick(); // 00:02
    ids.tx1Attempt = await world.pay(ids.tx1);
    world.tick(); // 00:03
    ids.tx2 = await world.create(12_900);
    world.tick(); // 00:04
    ids.tx2Declined = await world.decline(ids.tx2, carrierMethod);
    world.tick(); // 00:05
    ids.tx2Attempt = await world.pay(ids.tx2);
    world.tick(); // 00:06
    ids.refund1 = await world.refund(ids.tx1, 1000);
    world.tick(); // 00:07
    ids.tx3 = await world.create(10_000, 'SEK', payer, 'o,"quoted"');
    await world.pay(ids.tx3, carrierMethod);
    world.tick(); // 00:08
    ids.refund2 = await world.refund(ids.tx1, 3900);
    world.tick(); // 00:09
    await world.create(2500); // never paid: no row
  });

  after(async () => {
    await world.close();
  });

  it('exports each capture, refund and declined attempt with its amounts, VAT, method, state and actor', async () => {
    const { text } = await world.exportText(at(0), at(60), 'ndjson');
    const { rows } = parseNdjson(text);
    expect(
      rows.map((r) => [r.transactionId, r.movement, r.amount, r.net, r.vat, r.stateAfter]),
    ).to.deep.equal([
      [ids.tx1, 'captured', 4900, 4900, 980, 'captured'],
      [ids.tx2, 'failed', 12_900, 0, 0, 'failed'],
      [ids.tx2, 'captured', 12_900, 12_900, 2580, 'captured'],
      [ids.tx1, 'refunded', 1000, -1000, -200, 'partially_refunded'],
      [ids.tx3, 'captured', 10_000, 10_000, 2000, 'captured'],
      // The last refund's VAT makes the refunds' VAT add up to the captured VAT exactly.
      [ids.tx1, 'refunded', 3900, -3900, -780, 'refunded'],
    ]);
    const [capture, declined, , refund, carrier] = rows as [AuditRow, AuditRow, AuditRow, AuditRow, AuditRow];
    expect(capture).to.include({
      providerId: providerA,
      orderId: 'order-1',
      sub: payer,
      reference: ids.tx1Attempt,
      currency: 'NOK',
      vatRate: 2500,
      method: 'card',
      cardBrand: 'visa',
      cardLast4: '4242',
      actorKind: 'client',
      actorId: 'client-a',
      occurredAt: at(2),
    });
    expect(declined).to.include({
      reference: ids.tx2Declined,
      method: 'carrier',
      cardBrand: null,
      cardLast4: null,
    });
    // A refund goes back to the captured attempt's card; its actor is the support agent.
    expect(refund).to.include({
      reference: ids.refund1,
      method: 'card',
      cardLast4: '4242',
      actorKind: 'support',
      actorId: 'agent-7',
    });
    expect(carrier).to.include({ orderId: 'o,"quoted"', currency: 'SEK', method: 'carrier' });
    // Positions and event ids are those of the log.
    const log = await world.store.readAll({ after: 0, maxCount: 1000 });
    for (const row of rows) {
      const event = log.find((e) => e.eventId === row.eventId);
      expect(event?.globalPosition).to.equal(row.position);
    }
    // Every row's state after it is the transaction's own fold up to and including its event.
    for (const row of rows) {
      const stream = await world.store.readStream(`payment-${row.transactionId}`);
      let state: TransactionState = transactionDecider.initialState();
      for (const e of stream) {
        state = transactionDecider.evolve(state, { type: e.type, data: e.data } as PaymentEvent);
        if (e.eventId === row.eventId) break;
      }
      expect(row.stateAfter, row.eventId).to.equal(state.status);
    }
  });

  it('chains every row to the previous one and closes with a signed manifest of counts and totals', async () => {
    const { text, summary } = await world.exportText(at(0), at(60), 'ndjson');
    const { rows, manifest, jws } = parseNdjson(text);
    let prev = GENESIS_HASH;
    for (const row of rows) {
      expect(row.prevHash).to.equal(prev);
      expect(row.hash).to.equal(chainHash(prev, row));
      // The fast canonical form is exactly the stable JSON of the row without its hashes.
      expect(canonicalRow(row)).to.equal(canonicalRowReference(row));
      expect(row.hash).to.equal(
        sha256Hex(prev + stableStringify({ ...row, prevHash: undefined, hash: undefined })),
      );
      prev = row.hash;
    }
    expect(manifest).to.deep.equal(summary.manifest);
    expect(manifest).to.include({
      count: 6,
      firstHash: rows[0]!.hash,
      lastHash: prev,
      genesisHash: GENESIS_HASH,
    });
    expect(manifest.period).to.deep.equal({ from: at(0), to: at(60) });
    expect(manifest.totals).to.deep.equal({
      NOK: { captured: 17_800, refunded: 4900, net: 12_900, vat: 2580, failed: 12_900 },
      SEK: { captured: 10_000, refunded: 0, net: 10_000, vat: 2000, failed: 0 },
    });
    const [key] = await world.keys.list();
    expect(manifest.kid).to.equal(key!.kid);
    expect(decodeProtectedHeader(jws)).to.include({ kid: key!.kid, typ: 'tessera-audit-manifest+json' });
    const result = await verifyExport(textLines(text), await world.verifier());
    expect(result.problems).to.deep.equal([]);
    expect(result).to.include({ ok: true, rows: 6, format: 'ndjson' });
  });

  it('writes RFC 4180 CSV with a header, the same rows and hashes, and the manifest as the last record', async () => {
    const ndjson = parseNdjson((await world.exportText(at(0), at(60), 'ndjson')).text);
    const { text } = await world.exportText(at(0), at(60), 'csv');
    const records = text.split('\r\n');
    expect(records.pop()).to.equal('');
    expect(records[0]).to.equal(AUDIT_COLUMNS.join(','));
    const trailer = parseCsvRecord(records.pop()!);
    expect(trailer).to.have.length(AUDIT_COLUMNS.length);
    expect(trailer[0]).to.equal('#manifest');
    expect(decodeJwt(trailer[1]!)).to.include({ count: 6 });
    const rows = records.slice(1).map(parseCsvRecord);
    expect(rows).to.have.length(6);
    expect(rows.map((r) => r[AUDIT_COLUMNS.indexOf('hash')])).to.deep.equal(ndjson.rows.map((r) => r.hash));
    // The order id with a comma and quotes is quoted, quotes doubled.
    expect(text).to.include(',"o,""quoted""",');
    expect(rows[4]![AUDIT_COLUMNS.indexOf('orderId')]).to.equal('o,"quoted"');
    // Nulls are empty fields.
    expect(rows[1]![AUDIT_COLUMNS.indexOf('cardBrand')]).to.equal('');
    const result = await verifyExport(textLines(text), await world.verifier());
    expect(result.problems).to.deep.equal([]);
    expect(result).to.include({ ok: true, rows: 6, format: 'csv' });
    expect(result.totals).to.deep.equal(ndjson.manifest.totals);
  });

  it('takes events at or after `from` and before `to`, also when the transaction began earlier', async () => {
    // No skew margin: the scan starts right at 00:05, so the refund needs tx1's summary from its stream.
    const { text, summary } = await world.exportText(at(5), at(8), 'ndjson', { skewMs: 0 });
    const { rows, manifest } = parseNdjson(text);
    expect(rows.map((r) => [r.occurredAt, r.transactionId, r.movement])).to.deep.equal([
      [at(5), ids.tx2, 'captured'],
      [at(6), ids.tx1, 'refunded'],
      [at(7), ids.tx3, 'captured'],
    ]);
    expect(summary.cacheMisses).to.be.greaterThan(0);
    expect(rows[1]).to.include({
      vat: -200,
      stateAfter: 'partially_refunded',
      cardLast4: '4242',
      orderId: 'order-1',
    });
    expect(manifest.totals.NOK).to.deep.equal({
      captured: 12_900,
      refunded: 1000,
      net: 11_900,
      vat: 2380,
      failed: 0,
    });
    // The default margin reads a little more of the log but chooses the same rows.
    const wide = parseNdjson((await world.exportText(at(5), at(8), 'ndjson')).text);
    expect(wide.rows.map((r) => r.hash)).to.deep.equal(rows.map((r) => r.hash));
    // Small pages and a one-entry cache give the same rows.
    const tight = parseNdjson(
      (await world.exportText(at(5), at(8), 'ndjson', { pageSize: 1, cacheSize: 1, skewMs: 0 })).text,
    );
    expect(tight.rows.map((r) => r.hash)).to.deep.equal(rows.map((r) => r.hash));
  });

  it('exports an empty period as a manifest alone, and refuses a period that ends before it starts', async () => {
    const { text } = await world.exportText(at(30), at(40), 'ndjson');
    const { rows, manifest } = parseNdjson(text);
    expect(rows).to.deep.equal([]);
    expect(manifest).to.include({ count: 0, firstHash: null, lastHash: GENESIS_HASH });
    expect(manifest.totals).to.deep.equal({});
    expect((await verifyExport(textLines(text), await world.verifier())).ok).to.equal(true);
    let refused: unknown = null;
    try {
      await world.exportText(at(8), at(8), 'csv');
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(RangeError);
  });

  it('stops between pages when its signal is aborted', async () => {
    const controller = new AbortController();
    const run = world.exporter.export({ from: new Date(at(0)), to: new Date(at(60)) }, 'ndjson', {
      pageSize: 1,
      signal: controller.signal,
    });
    await run.next();
    controller.abort();
    let stopped: unknown = null;
    try {
      for (;;) if ((await run.next()).done) break;
    } catch (err) {
      stopped = err;
    }
    expect((stopped as Error | null)?.name).to.equal('ExportAbortedError');
  });
});
