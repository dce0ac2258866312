import { type ManifestVerifier, ManifestSignatureError } from '../ports/manifest-signer.js';
import { type AuditRow, AuditRowSchema } from './audit-row.js';
import { type AuditFormat, detectFormat, FormatError, RecordDecoder } from './formats.js';
import { chainHash, GENESIS_HASH } from './hash-chain.js';
import {
  type CurrencyTotals,
  describeTotals,
  type Manifest,
  ManifestSchema,
  TotalsAccumulator,
} from './manifest.js';

/**
 * Offline verification of an export file: every row chains to the one before it, the manifest's
 * signature verifies against the JWKS, and the manifest's count, totals and first and last hash
 * match the rows. The first row that breaks the chain is named with what happened to it (altered,
 * removed before it, inserted, out of order); finding out which of these needs a second read of
 * the file, made only when the chain breaks, so memory stays constant either way.
 */

export interface VerifyProblem {
  /** The data row concerned (1-based, the header not counted), or null for the file as a whole. */
  readonly row: number | null;
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly format: AuditFormat | null;
  readonly rows: number;
  readonly totals: Record<string, CurrencyTotals>;
  readonly manifest: Manifest | null;
  /** In file order; the first one names the first bad row. Empty when `ok`. */
  readonly problems: readonly VerifyProblem[];
}

/** Opens the file's lines (without line ends); called a second time to explain a broken chain. */
export type LineSource = () => AsyncIterable<string>;

interface Break {
  readonly row: number;
  readonly prevHash: string;
  readonly expected: string;
}

type Decoded =
  { readonly kind: 'row'; readonly row: AuditRow } | { readonly kind: 'manifest'; readonly jws: string };

/** Reads records, numbering rows; a line that cannot be read is reported through `onBad`. */
async function* records(
  open: LineSource,
  onFormat: (f: AuditFormat) => void,
  onBad: (row: number | null, message: string) => void,
): AsyncGenerator<Decoded & { readonly number: number }> {
  let decoder: RecordDecoder | null = null;
  let number = 0;
  for await (const line of open()) {
    if (decoder === null) {
      if (line.trim() === '') continue;
      const format = detectFormat(line.replace(/^\uFEFF/, ''));
      onFormat(format);
      decoder = new RecordDecoder(format);
    }
    let record;
    try {
      record = decoder.line(number === 0 ? line.replace(/^\uFEFF/, '') : line);
    } catch (err) {
      const message = err instanceof FormatError ? err.message : String(err);
      onBad(number + 1, `cannot be read: it ${message}`);
      number += 1;
      continue;
    }
    if (record === null || record.kind === 'header') continue;
    if (record.kind === 'manifest') {
      yield { kind: 'manifest', jws: record.jws, number };
      continue;
    }
    number += 1;
    const parsed = AuditRowSchema.safeParse(record.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      onBad(number, `is not a valid row: ${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`);
      continue;
    }
    yield { kind: 'row', row: parsed.data, number };
  }
  if (decoder?.unfinished()) onBad(null, 'the file ends inside a quoted CSV field');
}

export async function verifyExport(open: LineSource, verifier: ManifestVerifier): Promise<VerifyResult> {
  const problems: VerifyProblem[] = [];
  const bad = (row: number | null, message: string) => problems.push({ row, message });
  let format: AuditFormat | null = null;
  const totals = new TotalsAccumulator();
  let prev = GENESIS_HASH;
  let firstHash: string | null = null;
  let rows = 0;
  let jws: string | null = null;
  let broken: Break | null = null;
  let chainOk = true;

  for await (const record of records(
    open,
    (f) => (format = f),
    (row, message) => {
      chainOk = false;
      bad(row, message);
    },
  )) {
    if (record.kind === 'manifest') {
      if (jws !== null) bad(null, 'the file has a second manifest');
      jws = record.jws;
      continue;
    }
    rows = record.number;
    if (jws !== null && chainOk) {
      chainOk = false;
      bad(record.number, 'comes after the manifest: it was appended to a signed export');
    }
    if (!chainOk) continue;
    const row = record.row;
    if (row.prevHash !== prev) {
      broken = { row: record.number, prevHash: row.prevHash, expected: prev };
      chainOk = false;
      continue;
    }
    if (chainHash(prev, row) !== row.hash) {
      chainOk = false;
      bad(record.number, 'was altered: its content does not match its hash');
      continue;
    }
    firstHash ??= row.hash;
    prev = row.hash;
    totals.add(row);
  }
  if (broken !== null) bad(broken.row, await explainBreak(open, broken));

  const manifest = await checkManifest(jws, verifier, bad);
  if (manifest !== null && chainOk) {
    await compareWithManifest(
      manifest,
      { rows, firstHash, lastHash: prev, totals: totals.totals() },
      open,
      bad,
    );
  }
  const sorted = [...problems].sort((a, b) => (a.row ?? Infinity) - (b.row ?? Infinity));
  return { ok: problems.length === 0, format, rows, totals: totals.totals(), manifest, problems: sorted };
}

/** Second read: where the broken row's predecessor really is, and who follows the row before it. */
async function explainBreak(open: LineSource, broken: Break): Promise<string> {
  let predecessor: number | null = null;
  let followerOfExpected: number | null = null;
  const ignore = () => undefined;
  for await (const record of records(open, ignore, ignore)) {
    if (record.kind !== 'row') continue;
    if (record.row.hash === broken.prevHash) predecessor ??= record.number;
    if (record.row.prevHash === broken.expected && record.number > broken.row)
      followerOfExpected ??= record.number;
  }
  const i = broken.row;
  if (broken.prevHash === GENESIS_HASH && i > 1) {
    return 'does not follow the row before it: it claims to be the first row (rows were inserted or reordered before it)';
  }
  if (predecessor !== null && predecessor > i) {
    return `is out of order: it belongs after row ${predecessor} (rows were reordered)`;
  }
  if (predecessor !== null && predecessor < i - 1) {
    return `follows row ${predecessor}, so row ${predecessor + 1}${
      predecessor + 1 < i - 1 ? ` to row ${i - 1}` : ''
    } ${predecessor + 1 < i - 1 ? 'were' : 'was'} inserted`;
  }
  if (followerOfExpected === i + 1) return 'was inserted: the row after it follows the row before it';
  if (followerOfExpected !== null) return `does not follow the row before it (rows were reordered)`;
  return i === 1
    ? 'does not start the chain: the row before it was removed'
    : 'does not follow the row before it: a row between them was removed';
}

async function checkManifest(
  jws: string | null,
  verifier: ManifestVerifier,
  bad: (row: number | null, message: string) => void,
): Promise<Manifest | null> {
  if (jws === null) {
    bad(null, 'the file has no manifest (it was cut off or the manifest was removed)');
    return null;
  }
  let verified;
  try {
    verified = await verifier.verify(jws);
  } catch (err) {
    const reason = err instanceof ManifestSignatureError ? err.message : String(err);
    bad(null, `manifest: the signature does not verify (${reason})`);
    return null;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(verified.payload);
  } catch {
    bad(null, 'manifest: the signed payload is not JSON');
    return null;
  }
  const manifest = ManifestSchema.safeParse(payload);
  if (!manifest.success) {
    bad(null, 'manifest: the signed payload is not an export manifest');
    return null;
  }
  if (manifest.data.kid !== verified.kid) {
    bad(null, `manifest: names key ${manifest.data.kid} but is signed with ${verified.kid}`);
  }
  return manifest.data;
}

async function compareWithManifest(
  manifest: Manifest,
  seen: { rows: number; firstHash: string | null; lastHash: string; totals: Record<string, CurrencyTotals> },
  open: LineSource,
  bad: (row: number | null, message: string) => void,
): Promise<void> {
  if (seen.rows < manifest.count) {
    bad(
      seen.rows + 1,
      `is missing: the file ends after row ${seen.rows}, the manifest counts ${manifest.count} rows (rows were removed at the end)`,
    );
    return;
  }
  if (seen.rows > manifest.count) {
    const lastSigned = await hashOfRow(open, manifest.count);
    bad(
      manifest.count + 1,
      lastSigned === manifest.lastHash
        ? `was inserted: the manifest ends the export at row ${manifest.count}`
        : `the manifest counts ${manifest.count} rows, the file has ${seen.rows}`,
    );
    return;
  }
  if (seen.firstHash !== manifest.firstHash) {
    bad(1, 'does not match the manifest’s first hash: the rows were rewritten and re-chained');
    return;
  }
  if (seen.lastHash !== manifest.lastHash) {
    bad(null, 'the rows chain, but not to the manifest’s last hash: rows were rewritten and re-chained');
    return;
  }
  const expected = describeTotals(manifest.totals);
  const actual = describeTotals(seen.totals);
  if (expected !== actual) bad(null, `the totals (${actual}) differ from the manifest’s (${expected})`);
}

async function hashOfRow(open: LineSource, number: number): Promise<string | null> {
  if (number === 0) return GENESIS_HASH;
  const ignore = () => undefined;
  for await (const record of records(open, ignore, ignore)) {
    if (record.kind === 'row' && record.number === number) return record.row.hash;
  }
  return null;
}

/** "OK: 3 rows, NOK captured …" or the problems, first one first. */
export function describeResult(result: VerifyResult): string {
  if (result.ok) return `OK: ${result.rows} rows, totals: ${describeTotals(result.totals)}`;
  return result.problems
    .map(
      (p, index) =>
        `${index === 0 ? 'FAILED: ' : '  also: '}${p.row === null ? '' : `row ${p.row} `}${p.message}`,
    )
    .join('\n');
}
