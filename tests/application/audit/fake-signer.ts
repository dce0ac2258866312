import type { ManifestSigner } from '../../../application/ports/manifest-signer.js';

/** A signer for tests that do not look at the signature (streaming, HTTP plumbing). */
export function fakeManifestSigner(kid = 'test-key'): ManifestSigner {
  return {
    signingKey: async () => ({
      kid,
      sign: async (payload) =>
        `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}.`,
    }),
  };
}
