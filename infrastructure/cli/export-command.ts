import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { AuditExporter } from '../../application/audit/audit-exporter.js';
import { AUDIT_FORMATS, type AuditFormat } from '../../application/audit/formats.js';
import { describeTotals } from '../../application/audit/manifest.js';
import { formatCount, ProgressBar, type ProgressOutput } from './progress.js';

export const EXPORT_USAGE = `Usage:
  tessera export --from <instant> --to <instant> --out <file> [--format ndjson|csv]

Writes every money movement (captures, refunds, declined attempts) whose event falls in [from, to)
to <file>: hash-chained rows and a signed manifest as the last line. Instants are ISO 8601 with a
time zone (2026-01-01T00:00:00Z). The format defaults to the file's extension (.csv → csv), else
ndjson. The file appears only once complete; check it with \`tessera verify <file> --jwks <url>\`.
`;

/** A mistake in the command line itself; the message includes the usage text. */
export class CliUsageError extends Error {
  constructor(problem: string, usage: string) {
    super(`${problem}\n\n${usage}`);
    this.name = 'CliUsageError';
  }
}

/**
 * Splits `--name value` / `--name=value` options from positional arguments. Unknown options and
 * options without a value are usage errors.
 */
export function parseOptions(
  args: readonly string[],
  known: readonly string[],
  usage: string,
): { options: Map<string, string>; positional: string[] } {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!known.includes(name)) throw new CliUsageError(`Unknown option "--${name}".`, usage);
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new CliUsageError(`--${name} needs a value.`, usage);
    options.set(name, value);
  }
  return { options, positional };
}

function instant(options: Map<string, string>, name: string): Date {
  const text = options.get(name);
  if (text === undefined) throw new CliUsageError(`--${name} is required.`, EXPORT_USAGE);
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const at = new Date(text);
  if (!ok || Number.isNaN(at.getTime())) {
    throw new CliUsageError(`--${name} "${text}" is not an ISO 8601 instant with a time zone.`, EXPORT_USAGE);
  }
  return at;
}

export interface ExportCommandOptions {
  /** Milliseconds clock for the progress bar (default Date.now). */
  readonly now?: () => number;
}

/**
 * `tessera export`: reads the log directly and writes the export to a file, with a progress bar on
 * `progress` (stderr). The file is written as `<out>.partial` and renamed when complete, so an
 * interrupted export never leaves a file that looks whole.
 */
export async function exportCommand(
  exporter: Pick<AuditExporter, 'export'>,
  args: readonly string[],
  out: ProgressOutput,
  progress: ProgressOutput,
  options: ExportCommandOptions = {},
): Promise<void> {
  const { options: opts, positional } = parseOptions(args, ['from', 'to', 'out', 'format'], EXPORT_USAGE);
  if (positional.length > 0) throw new CliUsageError(`Unexpected argument "${positional[0]}".`, EXPORT_USAGE);
  const from = instant(opts, 'from');
  const to = instant(opts, 'to');
  if (from.getTime() >= to.getTime()) throw new CliUsageError('--to must be after --from.', EXPORT_USAGE);
  const file = opts.get('out');
  if (file === undefined) throw new CliUsageError('--out is required.', EXPORT_USAGE);
  const requested = opts.get('format') ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
  if (!(AUDIT_FORMATS as readonly string[]).includes(requested)) {
    throw new CliUsageError(`--format must be ndjson or csv, not "${requested}".`, EXPORT_USAGE);
  }
  const format = requested as AuditFormat;

  const partial = `${file}.partial`;
  const stream = createWriteStream(partial, { flags: 'w', mode: 0o600 });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const bar = new ProgressBar(progress, 'export', options.now ? { now: options.now } : {});
  try {
    const run = exporter.export({ from, to }, format, {
      onProgress: (p) => bar.update(p.position - p.start, Math.max(1, p.end - p.start)),
    });
    let summary;
    for (;;) {
      const next = await Promise.race([run.next(), failed]);
      if (next.done) {
        summary = next.value;
        break;
      }
      if (!stream.write(next.value)) {
        await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
      }
    }
    await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
    await rename(partial, file);
    const m = summary.manifest;
    bar.finish(`export: ${formatCount(m.count)} rows written to ${file}`);
    out.write(
      `${formatCount(m.count)} rows, ${m.period.from} to ${m.period.to}, totals: ${describeTotals(m.totals)}\n`,
    );
    out.write(`last hash ${m.lastHash}, signed with key ${m.kid}\n`);
  } catch (err) {
    bar.abort();
    stream.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}
