/**
 * Keeps the OpenID Connect signing keys fresh while the server runs. Every check: retiring keys
 * whose tokens have all expired are deleted, the current key is replaced once it is older than the
 * rotation period, and when the stored key set differs from the one the provider was built with
 * (rotated here, by the `keys rotate` command, or by another process), the provider is rebuilt:
 * oidc-provider reads its keys only at construction.
 *
 * Several processes may run checks against one store: a rotation two of them start at once keeps
 * one new key (SigningKeyStore.rotate), and each process rebuilds its own provider when it sees
 * the change.
 */
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import type { SigningKeyInfo, SigningKeyStore } from './signing-keys.js';

const DAY_MS = 24 * 3600 * 1000;

export interface SigningKeyRotationDeps {
  readonly keys: Pick<SigningKeyStore, 'list' | 'rotate' | 'prune'>;
  readonly clock: Clock;
  /** Age in days at which the current key is replaced; 0 never replaces it automatically. */
  readonly rotateAfterDays: number;
  /** Rebuilds whatever signs with the keys (the provider). */
  readonly onKeysChanged: () => Promise<void>;
  readonly logger: Logger;
}

export interface RotationCheck {
  readonly pruned: number;
  readonly rotated: boolean;
  /** The key set differs from the previous check's (or the primed one). */
  readonly changed: boolean;
}

/** The key set as the provider sees it: which keys, in which role. */
const fingerprint = (keys: readonly SigningKeyInfo[]): string =>
  keys.map((k) => `${k.kid}:${k.status}`).join(',');

export class SigningKeyRotation {
  private seen: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RotationCheck> | null = null;

  constructor(private readonly deps: SigningKeyRotationDeps) {
    if (!Number.isInteger(deps.rotateAfterDays) || deps.rotateAfterDays < 0) {
      throw new RangeError(
        `rotateAfterDays must be a non-negative integer, got ${String(deps.rotateAfterDays)}`,
      );
    }
  }

  /** Records the key set the provider was just built with. */
  async prime(): Promise<void> {
    this.seen = fingerprint(await this.deps.keys.list());
  }

  /** One check; concurrent calls share the one in progress. */
  check(): Promise<RotationCheck> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Checks every `intervalMs` until stop(); a failed check is logged and retried at the next. */
  start(intervalMs: number): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.check().catch((err: unknown) => {
        this.deps.logger.error(
          { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) },
          'signing key check failed',
        );
      });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async run(): Promise<RotationCheck> {
    const pruned = await this.deps.keys.prune();
    let rotated = false;
    if (this.deps.rotateAfterDays > 0) {
      const current = (await this.deps.keys.list()).filter((k) => k.status === 'current');
      const now = this.deps.clock.now().getTime();
      const due =
        current.length === 0 ||
        current.some((k) => now - Date.parse(k.createdAt) >= this.deps.rotateAfterDays * DAY_MS);
      if (due) {
        const keys = await this.deps.keys.rotate();
        rotated = true;
        this.deps.logger.info({ kids: keys.map((k) => k.kid) }, 'signing keys rotated');
      }
    }
    const now = fingerprint(await this.deps.keys.list());
    const changed = this.seen !== null && now !== this.seen;
    if (changed) {
      await this.deps.onKeysChanged();
      this.deps.logger.info({}, 'signing keys changed: provider rebuilt');
    }
    // Recorded only once the provider has the new keys, so a failed rebuild is retried.
    this.seen = now;
    return { pruned, rotated, changed };
  }
}
