/**
 * Signing and checking the manifest that closes an auditor export. The application builds the
 * manifest's payload; an adapter signs it as a compact JWS with the platform's signing keys (the
 * OpenID Connect keys, published in the JWKS), so an auditor verifies an export offline with nothing
 * but the file and the JWKS.
 */

/** One key, fixed for the whole export: the manifest names it before it is signed with it. */
export interface ManifestSigningKey {
  /** The key id (`kid`) the JWS header and the manifest both carry. */
  readonly kid: string;
  /** Signs `payload` (UTF-8 text) and returns a compact JWS. */
  sign(payload: string): Promise<string>;
}

export interface ManifestSigner {
  /** The key exports sign with now (the current signing key). */
  signingKey(): Promise<ManifestSigningKey>;
}

export interface VerifiedManifest {
  /** The signed payload as UTF-8 text. */
  readonly payload: string;
  /** The `kid` of the key that verified it. */
  readonly kid: string;
}

/** A manifest's signature does not verify: unknown key, wrong key, or altered content. */
export class ManifestSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestSignatureError';
  }
}

export interface ManifestVerifier {
  /** Checks a compact JWS; throws ManifestSignatureError when it does not verify. */
  verify(jws: string): Promise<VerifiedManifest>;
}

/** Injection token of the ManifestSigner. */
export const MANIFEST_SIGNER = Symbol.for('tessera.port.ManifestSigner');
