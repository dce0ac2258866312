/**
 * The ManifestSigner contract (with its ManifestVerifier): what an auditor relies on when an export's
 * manifest is checked offline. Every signer adapter runs this suite, each with the verifier that
 * checks its signatures against the published keys.
 */
import { expect } from 'chai';
import {
  ManifestSignatureError,
  type ManifestSigner,
  type ManifestVerifier,
} from '../../application/ports/manifest-signer.js';

export interface ManifestSignerFixture {
  readonly signer: ManifestSigner;
  /** Checks against the keys published now. */
  verifier(): Promise<ManifestVerifier>;
  /** A verifier that knows only keys of another installation. */
  readonly foreignVerifier: ManifestVerifier;
  /** Replaces the current signing key (the old one stays published). */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the signature to be refused');
}

/** Changes one character of a base64url segment of a compact JWS. */
function tamper(jws: string, segment: 0 | 1 | 2): string {
  const parts = jws.split('.');
  const part = parts[segment]!;
  const at = Math.floor(part.length / 2);
  parts[segment] = `${part.slice(0, at)}${part[at] === 'A' ? 'B' : 'A'}${part.slice(at + 1)}`;
  return parts.join('.');
}

export function manifestSignerContract(label: string, open: () => Promise<ManifestSignerFixture>): void {
  describe(`${label} (ManifestSigner contract)`, function () {
    this.timeout(20_000);
    let fx: ManifestSignerFixture;
    beforeEach(async () => {
      fx = await open();
    });
    afterEach(async () => {
      await fx?.close();
    });

    it('signs a payload that verifies to exactly the same text under the key it names', async () => {
      const key = await fx.signer.signingKey();
      const payload = JSON.stringify({ period: '2026-01', count: 3, text: 'ÆØÅ – 🧾' });
      const jws = await key.sign(payload);
      expect(jws.split('.')).to.have.length(3);
      const verified = await (await fx.verifier()).verify(jws);
      expect(verified).to.deep.equal({ payload, kid: key.kid });
    });

    it('refuses an altered payload or signature, and a key it does not know', async () => {
      const key = await fx.signer.signingKey();
      const jws = await key.sign('{"count":3}');
      const verifier = await fx.verifier();
      for (const altered of [tamper(jws, 1), tamper(jws, 2)]) {
        expect(await refusal(verifier.verify(altered))).to.be.instanceOf(ManifestSignatureError);
      }
      expect(await refusal(fx.foreignVerifier.verify(jws))).to.be.instanceOf(ManifestSignatureError);
      expect(await refusal(verifier.verify('not a jws'))).to.be.instanceOf(ManifestSignatureError);
    });

    it('keeps one key for a whole export, and old exports verify after the key is replaced', async () => {
      const key = await fx.signer.signingKey();
      const first = await key.sign('{"part":1}');
      await fx.rotate();
      const second = await key.sign('{"part":2}');
      const verifier = await fx.verifier();
      expect((await verifier.verify(first)).kid).to.equal(key.kid);
      expect((await verifier.verify(second)).kid).to.equal(key.kid);
      const next = await fx.signer.signingKey();
      expect(next.kid).to.not.equal(key.kid);
      expect((await verifier.verify(await next.sign('{"part":3}'))).kid).to.equal(next.kid);
    });
  });
}
