import type { Clock } from '../../application/ports/clock.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import type { Secrets } from '../secrets.js';
import { OIDC_TTL_SECONDS } from './provider.js';
import { SigningKeyStore } from './signing-keys.js';

/**
 * Tessera's signing keys: kept in the read-model store, private parts sealed with a key derived from
 * SECRET_KEY, and a retiring key published for as long as the longest-lived token it signed.
 */
export function openTesseraSigningKeys(deps: {
  readonly readModels: ReadModelStore;
  readonly clock: Clock;
  readonly secrets: Secrets;
}): Promise<SigningKeyStore> {
  return SigningKeyStore.open({
    store: deps.readModels,
    clock: deps.clock,
    maxTokenLifetimeSeconds: Math.max(OIDC_TTL_SECONDS.IdToken, OIDC_TTL_SECONDS.AccessToken),
    encryptionSecret: deps.secrets.derive('signing-key-sealing'),
  });
}
