import { expect } from 'chai';
import { AUDIT_COLUMNS, type AuditRow } from '../../../application/audit/audit-row.js';
import { parseCsvRecord } from '../../../application/audit/formats.js';
import { chainHash } from '../../../application/audit/hash-chain.js';
import { describeResult, type VerifyResult, verifyExport } from '../../../application/audit/verify.js';
import { JwksManifestVerifier } from '../../../infrastructure/audit/jws-manifest.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { AuditWorld, carrierMethod, textLines } from './audit-world.js';

const FROM = '2026-01-01T00:00:00.000Z';
const TO = '2026-01-02T00:00:00.000Z';

/** NDJSON lines: rows then the manifest line. */
function split(text: string): { rows: AuditRow[]; manifestLine: string } {
  const lines = text.trimEnd().split('\n');
  const manifestLine = lines.pop()!;
  return { rows: lines.map((l) => JSON.parse(l) as AuditRow), manifestLine };
}

function join(rows: readonly AuditRow[], manifestLine: string): string {
  return [...rows.map((r) => JSON.stringify(r)), manifestLine].join('\n') + '\n';
}

/** Re-hashes rows from `from` on, as someone covering their tracks would. */
function rechain(rows: AuditRow[], from: number): AuditRow[] {
  const out = rows.slice(0, from);
  for (const row of rows.slice(from)) {
    const prevHash = out.at(-1)?.hash ?? '0'.repeat(64);
    const { hash: _h, ...rest } = { ...row, prevHash };
    out.push({ ...rest, hash: chainHash(prevHash, rest) });
  }
  return out;
}

/**
 * Offline verification names the first row that was tampered with, and what happened to it, for
 * every kind of change: altered, removed, inserted, reordered, cut off, re-chained; and refuses a
 * manifest that was altered or is checked against the wrong key.
 */
describe('Verifying an auditor export', function () {
  this.timeout(30_000);
  let world: AuditWorld;
  let ndjson: string;
  let csv: string;
  let verifier: JwksManifestVerifier;

  before(async () => {
    world = await AuditWorld.open();
    for (let i = 0; i < 4; i++) {
      world.tick();
      const tx = await world.create(1000 * (i + 1));
      if (i === 1) await world.decline(tx, carrierMethod);
      await world.pay(tx);
      if (i % 2 === 0) await world.refund(tx, 500);
    }
    ndjson = (await world.exportText(FROM, TO, 'ndjson')).text;
    csv = (await world.exportText(FROM, TO, 'csv')).text;
    verifier = await world.verifier();
  });

  after(async () => {
    await world.close();
  });

  const verify = (text: string): Promise<VerifyResult> => verifyExport(textLines(text), verifier);

  function firstProblem(result: VerifyResult): { row: number | null; message: string } {
    expect(result.ok, 'verification should fail').to.equal(false);
    return result.problems[0]!;
  }

  it('accepts the untouched export in both formats and sums it up', async () => {
    const { rows } = split(ndjson);
    expect(rows).to.have.length(7);
    for (const text of [ndjson, csv]) {
      const result = await verify(text);
      expect(result.problems).to.deep.equal([]);
      expect(describeResult(result)).to.equal(
        'OK: 7 rows, totals: NOK captured 10000, refunded 1000, net 9000 (VAT 1800), failed 2000',
      );
    }
  });

  it('names an altered row', async () => {
    const { rows, manifestLine } = split(ndjson);
    rows[3] = { ...rows[3]!, amount: rows[3]!.amount + 100 };
    const problem = firstProblem(await verify(join(rows, manifestLine)));
    expect(problem).to.deep.equal({ row: 4, message: 'was altered: its content does not match its hash' });
  });

  it('names the row after a removed one', async () => {
    const { rows, manifestLine } = split(ndjson);
    rows.splice(2, 1);
    const problem = firstProblem(await verify(join(rows, manifestLine)));
    expect(problem.row).to.equal(3);
    expect(problem.message).to.match(/a row between them was removed/);
    const first = split(ndjson);
    first.rows.shift();
    expect(firstProblem(await verify(join(first.rows, first.manifestLine)))).to.deep.include({ row: 1 });
  });

  it('names an inserted row, also one chained to the row before it', async () => {
    const { rows, manifestLine } = split(ndjson);
    const forged = { ...rows[1]!, eventId: 'forged', amount: 99 };
    const chained = { ...forged, prevHash: rows[1]!.hash, hash: chainHash(rows[1]!.hash, forged) };
    const withChained = [...rows.slice(0, 2), chained, ...rows.slice(2)];
    const problem = firstProblem(await verify(join(withChained, manifestLine)));
    expect(problem).to.deep.equal({ row: 4, message: 'follows row 2, so row 3 was inserted' });
    const withLoose = [...rows.slice(0, 2), forged, ...rows.slice(2)];
    expect(firstProblem(await verify(join(withLoose, manifestLine)))).to.deep.include({ row: 3 });
  });

  it('names rows that were reordered', async () => {
    const { rows, manifestLine } = split(ndjson);
    [rows[2], rows[3]] = [rows[3]!, rows[2]!];
    const problem = firstProblem(await verify(join(rows, manifestLine)));
    expect(problem).to.deep.equal({
      row: 3,
      message: 'is out of order: it belongs after row 4 (rows were reordered)',
    });
  });

  it('names rows cut off the end, or added after the last signed row', async () => {
    const { rows, manifestLine } = split(ndjson);
    const cut = firstProblem(await verify(join(rows.slice(0, -1), manifestLine)));
    expect(cut.row).to.equal(7);
    expect(cut.message).to.match(/removed at the end/);
    const extra = { ...rows[0]!, eventId: 'extra' };
    const added = rechain([...rows, extra], rows.length);
    const problem = firstProblem(await verify(join(added, manifestLine)));
    expect(problem).to.deep.equal({ row: 8, message: 'was inserted: the manifest ends the export at row 7' });
  });

  it('catches rows rewritten and re-chained after signing', async () => {
    const { rows, manifestLine } = split(ndjson);
    rows[4] = { ...rows[4]!, amount: 1 };
    const problem = firstProblem(await verify(join(rechain(rows, 4), manifestLine)));
    expect(problem.message).to.match(/not to the manifest’s last hash/);
  });

  it('refuses an altered manifest and a file without one', async () => {
    const { rows, manifestLine } = split(ndjson);
    const jws = (JSON.parse(manifestLine) as { manifest: string }).manifest;
    const [header, payload, signature] = jws.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { count: number };
    const forged = Buffer.from(JSON.stringify({ ...claims, count: 6 })).toString('base64url');
    const altered = JSON.stringify({ manifest: `${header}.${forged}.${signature}` });
    const problem = firstProblem(await verify(join(rows, altered)));
    expect(problem.message).to.equal(
      'manifest: the signature does not verify (the signature is wrong for its content and key)',
    );
    const missing = firstProblem(await verify(join(rows, '')));
    expect(missing.message).to.match(/no manifest/);
  });

  it('refuses a manifest checked against a JWKS without its key', async () => {
    const other = await SigningKeyStore.open({
      store: world.readModels,
      clock: new ManualClock(),
      maxTokenLifetimeSeconds: 60,
      algorithms: ['ES256'],
    });
    await other.ensureCurrent();
    const foreign = (await other.publicJwks()).keys.filter((k) => k.alg === 'ES256');
    const result = await verifyExport(textLines(ndjson), JwksManifestVerifier.fromSet({ keys: foreign }));
    expect(firstProblem(result).message).to.equal(
      'manifest: the signature does not verify (no key in the JWKS matches its kid)',
    );
    // Same kid, other key material: the signature itself fails.
    const [mine] = (await world.keys.publicJwks()).keys;
    const impostor = { ...foreign[0]!, kid: mine!.kid, alg: 'ES256' };
    const header = JSON.parse(
      Buffer.from(
        (JSON.parse(split(ndjson).manifestLine) as { manifest: string }).manifest.split('.')[0]!,
        'base64url',
      ).toString(),
    ) as { alg: string };
    expect(header.alg).to.equal('RS256');
    const wrong = await verifyExport(textLines(ndjson), JwksManifestVerifier.fromSet({ keys: [impostor] }));
    expect(wrong.ok).to.equal(false);
  });

  it('names the altered row of a CSV export', async () => {
    const lines = csv.split('\r\n');
    const amount = AUDIT_COLUMNS.indexOf('amount');
    const fields = parseCsvRecord(lines[2]!);
    fields[amount] = String(Number(fields[amount]) + 1);
    lines[2] = fields.join(',');
    const problem = firstProblem(await verify(lines.join('\r\n')));
    expect(problem).to.deep.equal({ row: 2, message: 'was altered: its content does not match its hash' });
    expect(describeResult(await verify(lines.join('\r\n')))).to.match(/^FAILED: row 2 was altered/);
  });
});
