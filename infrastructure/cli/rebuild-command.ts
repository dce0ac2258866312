import type { BuildProgress, ProjectionRunner } from '../../projections/runner.js';
import { ProgressBar, type ProgressOutput, formatCount } from './progress.js';

export interface RebuildCommandOptions {
  /** Milliseconds clock (default Date.now); injectable for tests. */
  readonly now?: () => number;
}

/**
 * `tessera rebuild [projection...]`: rebuilds the named projections (all when none are named) from
 * position 0 into fresh collections and swaps them in, one after another, with a progress bar each.
 * A server running on the same data follows the swap by itself. Unknown names are refused before
 * anything is rebuilt; the first failing rebuild stops the command with its error.
 */
export async function rebuildCommand(
  runner: Pick<ProjectionRunner, 'names' | 'rebuild'>,
  names: string[],
  out: ProgressOutput,
  options: RebuildCommandOptions = {},
): Promise<void> {
  const now = options.now ?? Date.now;
  const known = runner.names();
  const targets = names.length > 0 ? [...new Set(names)] : known;
  const unknown = targets.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown projection${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}. Known projections: ${
        known.join(', ') || '(none)'
      }`,
    );
  }
  for (const name of targets) {
    const bar = new ProgressBar(out, name, { now });
    const startedAt = now();
    let last: BuildProgress = { position: 0, head: 0, events: 0 };
    try {
      await runner.rebuild(name, (p) => {
        last = p;
        bar.update(p.position, p.head);
      });
    } catch (err) {
      bar.abort();
      out.write(`${name}: rebuild failed: ${err instanceof Error ? err.message : String(err)}\n`);
      throw err;
    }
    const seconds = (now() - startedAt) / 1000;
    const rate = seconds > 0 ? last.events / seconds : 0;
    bar.finish(
      `${name}: rebuilt in ${seconds.toFixed(1)}s, ${formatCount(last.events)} events applied (${formatCount(
        Math.round(rate),
      )} ev/s), now at position ${formatCount(last.position)}`,
    );
  }
}
