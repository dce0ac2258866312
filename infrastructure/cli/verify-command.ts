import { describeResult, verifyExport } from '../../application/audit/verify.js';
import type { ManifestVerifier } from '../../application/ports/manifest-signer.js';
import { fileLines } from '../audit/file-lines.js';
import { loadManifestVerifier } from '../audit/jws-manifest.js';
import { CliUsageError, parseOptions } from './export-command.js';
import type { ProgressOutput } from './progress.js';

export const VERIFY_USAGE = `Usage:
  tessera verify <file> --jwks <url or file>

Checks an export offline: every row's hash chains to the row before it, the manifest's signature
verifies against the JWKS (Tessera's /oauth/jwks, or a saved copy of it: keep one with old
exports, since retired keys leave the published set), and the manifest's row count, totals and last
hash match the rows. Prints "OK: …" and exits 0, or names the first row that was altered, removed
or inserted and exits 1.
`;

export interface VerifyCommandOptions {
  /** How a --jwks value becomes a verifier (default: fetch the URL or read the file). */
  readonly loadVerifier?: (source: string) => Promise<ManifestVerifier>;
}

/** `tessera verify`: returns the exit code (0 verified, 1 not verified). Needs no configuration. */
export async function verifyCommand(
  args: readonly string[],
  out: ProgressOutput,
  options: VerifyCommandOptions = {},
): Promise<number> {
  const { options: opts, positional } = parseOptions(args, ['jwks'], VERIFY_USAGE);
  if (positional.length !== 1) {
    throw new CliUsageError(
      positional.length === 0 ? 'Name the file to verify.' : 'Name one file.',
      VERIFY_USAGE,
    );
  }
  const jwks = opts.get('jwks');
  if (jwks === undefined) throw new CliUsageError('--jwks is required.', VERIFY_USAGE);
  const verifier = await (options.loadVerifier ?? loadManifestVerifier)(jwks);
  const result = await verifyExport(fileLines(positional[0]!), verifier);
  out.write(`${describeResult(result)}\n`);
  return result.ok ? 0 : 1;
}
