/**
 * The manifest's signature: a compact JWS (RFC 7515) made with Tessera's OpenID Connect signing key,
 * so anyone holding the published JWKS (/oauth/jwks) verifies an export offline.
 *
 *   header  { alg: "RS256", kid, typ: "tessera-audit-manifest+json" }
 *   payload the manifest as stable JSON (application/audit/manifest.ts)
 *
 * Keys rotate, and a retired key leaves the JWKS once its tokens have expired: an auditor keeps a
 * copy of the JWKS with the export (`curl …/oauth/jwks > jwks.json`) to verify it years later.
 */
import { readFile } from 'node:fs/promises';
import {
  CompactSign,
  type CompactVerifyGetKey,
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import {
  type ManifestSigner,
  type ManifestSigningKey,
  ManifestSignatureError,
  type ManifestVerifier,
  type VerifiedManifest,
} from '../../application/ports/manifest-signer.js';
import { MANIFEST_JWS_TYPE } from '../../application/audit/manifest.js';
import type { SigningKeyStore } from '../oidc/signing-keys.js';

/** Signs with the first key of the private JWKS: SigningKeyStore lists the current key first. */
export class JwsManifestSigner implements ManifestSigner {
  constructor(private readonly keys: Pick<SigningKeyStore, 'jwks'>) {}

  async signingKey(): Promise<ManifestSigningKey> {
    const [jwk] = (await this.keys.jwks()).keys as JWK[];
    if (jwk === undefined || jwk.kid === undefined || jwk.alg === undefined) {
      throw new Error('No current signing key');
    }
    const { kid, alg } = jwk;
    const key = await importJWK(jwk, alg);
    return {
      kid,
      sign: (payload) =>
        new CompactSign(new TextEncoder().encode(payload))
          .setProtectedHeader({ alg, kid, typ: MANIFEST_JWS_TYPE })
          .sign(key),
    };
  }
}

/** Verifies manifests against a JWKS (a local set, or fetched from a URL by jose). */
export class JwksManifestVerifier implements ManifestVerifier {
  constructor(private readonly keys: CompactVerifyGetKey) {}

  static fromSet(set: JSONWebKeySet): JwksManifestVerifier {
    return new JwksManifestVerifier(createLocalJWKSet(set));
  }

  async verify(jws: string): Promise<VerifiedManifest> {
    try {
      const { payload, protectedHeader } = await compactVerify(jws, this.keys, {
        algorithms: ['RS256', 'ES256'],
      });
      if (protectedHeader.typ !== MANIFEST_JWS_TYPE) {
        throw new ManifestSignatureError(`the JWS is a "${String(protectedHeader.typ)}", not a manifest`);
      }
      return { payload: new TextDecoder().decode(payload), kid: protectedHeader.kid ?? '' };
    } catch (err) {
      if (err instanceof ManifestSignatureError) throw err;
      const code = (err as { code?: string }).code;
      const reason =
        code === 'ERR_JWKS_NO_MATCHING_KEY'
          ? 'no key in the JWKS matches its kid'
          : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
            ? 'the signature is wrong for its content and key'
            : err instanceof Error
              ? err.message
              : String(err);
      throw new ManifestSignatureError(reason);
    }
  }
}

/** `https://…/oauth/jwks` (fetched) or a file holding a JWKS document. */
export async function loadManifestVerifier(source: string): Promise<JwksManifestVerifier> {
  if (/^https?:\/\//i.test(source)) return new JwksManifestVerifier(createRemoteJWKSet(new URL(source)));
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the JWKS file ${source}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  if (typeof set !== 'object' || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
    throw new Error(`${source} is not a JWKS (an object with "keys")`);
  }
  return JwksManifestVerifier.fromSet(set as JSONWebKeySet);
}
