import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwksManifestVerifier, JwsManifestSigner } from '../../../infrastructure/audit/jws-manifest.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SigningKeyStore } from '../../../infrastructure/oidc/signing-keys.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { manifestSignerContract } from '../../contracts/manifest-signer.contract.js';

/** A signing-key store of its own (the OpenID Connect keys), in a fresh read-model file. */
async function keyStore(dir: string, name: string) {
  const readModels = SqliteReadModelStore.open({ file: join(dir, `${name}.db`) });
  const keys = await SigningKeyStore.open({
    store: readModels,
    clock: new ManualClock('2026-01-01T00:00:00Z'),
    maxTokenLifetimeSeconds: 3600,
  });
  await keys.ensureCurrent();
  return { keys, readModels };
}

manifestSignerContract('JWS manifest signer with the OpenID Connect keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-manifest-'));
  const own = await keyStore(dir, 'own');
  const foreign = await keyStore(dir, 'foreign');
  return {
    signer: new JwsManifestSigner(own.keys),
    verifier: async () => JwksManifestVerifier.fromSet(await own.keys.publicJwks()),
    foreignVerifier: JwksManifestVerifier.fromSet(await foreign.keys.publicJwks()),
    rotate: async () => {
      await own.keys.rotate();
    },
    async close() {
      await own.readModels.close();
      await foreign.readModels.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
