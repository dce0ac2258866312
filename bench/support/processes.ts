/**
 * Child processes of the HTTP benchmarks: Tessera (`tessera serve`) and the bare baselines, each
 * started with tsx from the repository root and known by the URL it prints once it listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Starts `node [nodeArgs] --import tsx <args>` and resolves with the first http://127.0.0.1:<port>
 * it prints. `nodeArgs` are Node's own flags (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export function start(
  args: string[],
  env: Record<string, string>,
  urlFrom: 'stdout' | 'stderr',
  nodeArgs: readonly string[] = [],
): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<Started>((resolveStart, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${text}`)), 120_000);
    child[urlFrom]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, url: match[0] });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${String(code)}: ${text}`)));
  });
}

/** Stops a child with SIGTERM and waits for it to exit (at once if it already has). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}
