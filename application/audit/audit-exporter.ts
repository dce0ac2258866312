import { inject, injectable } from 'inversify';
import type { Clock } from '../ports/clock.js';
import { MANIFEST_SIGNER, type ManifestSigner } from '../ports/manifest-signer.js';
import { stableStringify } from '../kernel/stable-json.js';
import { PORTS } from '../tokens.js';
import { type AuditFormat, encoderFor } from './formats.js';
import { GENESIS_HASH, HashChain } from './hash-chain.js';
import {
  type Manifest,
  MANIFEST_KIND,
  MANIFEST_VERSION,
  ManifestSchema,
  TotalsAccumulator,
} from './manifest.js';
import {
  type MovementReaderOptions,
  MovementReader,
  type MovementStore,
  type Period,
  type ScanProgress,
} from './movement-reader.js';

export interface ExportOptions extends MovementReaderOptions {
  /** Stops the export between pages (a client that went away). */
  readonly signal?: AbortSignal;
  /** Called after every page read. */
  readonly onProgress?: (progress: ScanProgress & { readonly rows: number }) => void;
}

export interface ExportSummary {
  readonly manifest: Manifest;
  readonly jws: string;
  /** Transactions read from their streams because they were not in the summary cache. */
  readonly cacheMisses: number;
}

/** The export was stopped through its AbortSignal. */
export class ExportAbortedError extends Error {
  constructor() {
    super('The export was stopped');
    this.name = 'ExportAbortedError';
  }
}

/**
 * The auditor export: every money movement of a period, as a hash-chained CSV or NDJSON file closed
 * by a signed manifest (see audit-row.ts, hash-chain.ts, manifest.ts and formats.ts for the pieces).
 *
 * It is produced as text chunks, one per page of the log, so the caller writes each before the next
 * is read (honouring its own backpressure) and memory stays constant however long the period is.
 * The signing key is fixed when the export starts, so the manifest names the key that signs it even
 * if keys rotate meanwhile.
 */
@injectable()
export class AuditExporter {
  constructor(
    @inject(PORTS.EventStore) private readonly store: MovementStore,
    @inject(MANIFEST_SIGNER) private readonly signer: ManifestSigner,
    @inject(PORTS.Clock) private readonly clock: Clock,
  ) {}

  /**
   * Yields the file's text chunk by chunk; the generator's return value is the manifest. Throws
   * ExportAbortedError when `signal` fires (between chunks).
   */
  async *export(
    period: Period,
    format: AuditFormat,
    options: ExportOptions = {},
  ): AsyncGenerator<string, ExportSummary, undefined> {
    if (!(period.from.getTime() < period.to.getTime())) throw new RangeError('`from` must be before `to`');
    const key = await this.signer.signingKey();
    const reader = new MovementReader(this.store, options);
    const encoder = encoderFor(format);
    const chain = new HashChain();
    const totals = new TotalsAccumulator();
    let count = 0;
    const header = encoder.header();
    if (header !== '') yield header;
    const progress = options.onProgress;
    for await (const page of reader.rows(
      period,
      progress ? (p) => progress({ ...p, rows: count }) : undefined,
    )) {
      if (options.signal?.aborted) throw new ExportAbortedError();
      if (page.length === 0) continue;
      let chunk = '';
      for (const unchained of page) {
        const row = chain.append(unchained);
        totals.add(row);
        chunk += encoder.row(row);
      }
      count += page.length;
      yield chunk;
    }
    if (options.signal?.aborted) throw new ExportAbortedError();
    const manifest: Manifest = ManifestSchema.parse({
      kind: MANIFEST_KIND,
      version: MANIFEST_VERSION,
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      count,
      totals: totals.totals(),
      genesisHash: GENESIS_HASH,
      firstHash: chain.firstHash(),
      lastHash: chain.lastHash(),
      createdAt: this.clock.now().toISOString(),
      kid: key.kid,
    });
    const jws = await key.sign(stableStringify(manifest));
    yield encoder.trailer(jws);
    return { manifest, jws, cacheMisses: reader.cache.misses() };
  }
}
