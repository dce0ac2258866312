import type { Logger } from '../../application/ports/logger.js';
import { SigningKeyRotation } from './key-rotation.js';
import { createTesseraOidc, type OidcSlot, type TesseraOidcDeps } from './tessera-oidc.js';
import { openTesseraSigningKeys } from './tessera-keys.js';

/** How often a running server looks at its signing keys (rotation, pruning, keys changed elsewhere). */
export const SIGNING_KEY_CHECK_INTERVAL_MS = 60_000;

export interface OidcLifecycleOptions {
  readonly rotateAfterDays: number;
  readonly checkIntervalMs?: number;
  readonly logger: Logger;
}

export interface RunningOidc {
  readonly signingKeys: SigningKeyRotation;
  stop(): void;
}

/**
 * Builds the provider into the slot and keeps it current: whenever the signing keys change, a new
 * provider is built and swapped in. Protocol state lives in the stores and the cookie keys are
 * derived from SECRET_KEY, so requests and sign-ins in progress carry on across the swap.
 */
export async function startTesseraOidc(
  deps: TesseraOidcDeps,
  slot: OidcSlot,
  options: OidcLifecycleOptions,
): Promise<RunningOidc> {
  slot.set(await createTesseraOidc(deps));
  const rotation = new SigningKeyRotation({
    keys: await openTesseraSigningKeys(deps),
    clock: deps.clock,
    rotateAfterDays: options.rotateAfterDays,
    logger: options.logger,
    onKeysChanged: async () => slot.set(await createTesseraOidc(deps)),
  });
  await rotation.prime();
  rotation.start(options.checkIntervalMs ?? SIGNING_KEY_CHECK_INTERVAL_MS);
  return { signingKeys: rotation, stop: () => rotation.stop() };
}
