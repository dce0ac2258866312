/**
 * The PersonalDataVault contract: every adapter (embedded SQLite, MongoDB) must pass this suite
 * unchanged. `open` may be called several times in one test with the same `place` (to reopen the
 * same key store, possibly with another master key); `cleanup` removes the place.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  type PersonalDataVault,
  SealedValueError,
  SubjectErasedError,
  VaultMasterKeyError,
} from '../../application/ports/personal-data-vault.js';

export interface VaultPlace {
  open(masterKey: Buffer): Promise<PersonalDataVault>;
  cleanup(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** Flips one character of the part at `index` (0 = version … 4 = tag) of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index]!;
  const position = Math.floor(part.length / 2);
  const flipped = part[position] === 'A' ? 'B' : 'A';
  parts[index] = part.slice(0, position) + flipped + part.slice(position + 1);
  return parts.join('.');
}

export function personalDataVaultContract(label: string, place: () => Promise<VaultPlace>): void {
  describe(`${label} (PersonalDataVault contract)`, function () {
    let where: VaultPlace;
    let masterKey: Buffer;
    let vault: PersonalDataVault;
    const opened: PersonalDataVault[] = [];

    const reopen = async (key = masterKey) => {
      const v = await where.open(key);
      opened.push(v);
      return v;
    };

    beforeEach(async () => {
      where = await place();
      masterKey = randomBytes(32);
      vault = await reopen();
    });
    afterEach(async () => {
      for (const v of opened.splice(0)) await v.close();
      await where.cleanup();
    });

    it('round-trips unicode text and seals it differently each time', async () => {
      const subject = randomUUID();
      const text = 'Åse Ødegård-Ćirić 🙂 +4741234567 ä\u0000 ';
      const a = await vault.encrypt(subject, text);
      const b = await vault.encrypt(subject, text);
      expect(a).to.match(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/);
      expect(a).to.not.equal(b);
      expect(a).to.not.include('Ødegård');
      expect(await vault.decrypt(subject, a)).to.equal(text);
      expect(await vault.decrypt(subject, b)).to.equal(text);
      expect(await vault.decrypt(subject, await vault.encrypt(subject, ''))).to.equal('');
    });

    it('will not open one subject’s value as another’s', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const sealed = await vault.encrypt(alice, 'alice@example.com');
      await vault.encrypt(bob, 'bob@example.com');
      expect(await rejection(vault.decrypt(bob, sealed))).to.be.instanceOf(SealedValueError);
      expect(await rejection(vault.decrypt(randomUUID(), sealed))).to.be.instanceOf(SealedValueError);
      expect(await vault.decrypt(alice, sealed)).to.equal('alice@example.com');
    });

    it('detects tampering with any part, and malformed values', async () => {
      const subject = randomUUID();
      const sealed = await vault.encrypt(subject, 'a value worth protecting');
      for (const index of [1, 2, 3, 4]) {
        const err = await rejection(vault.decrypt(subject, tamper(sealed, index)));
        expect(err, `part ${index}`).to.be.instanceOf(SealedValueError);
      }
      for (const bad of ['', 'v1.x', sealed.replace(/^v1/, 'v9'), `${sealed}.extra`, 'v1.a.b.c.d']) {
        expect(await rejection(vault.decrypt(subject, bad)), bad).to.be.instanceOf(SealedValueError);
      }
      expect(await vault.decrypt(subject, sealed)).to.equal('a value worth protecting');
    });

    it('after destroy, opens nothing and seals nothing for the subject; others are untouched', async () => {
      const gone = randomUUID();
      const kept = randomUUID();
      const sealedGone = await vault.encrypt(gone, '+4799999999');
      const sealedKept = await vault.encrypt(kept, '+4741234567');
      expect(await vault.isErased(gone)).to.equal(false);

      await vault.destroy(gone);
      expect(await vault.isErased(gone)).to.equal(true);
      expect(await vault.decrypt(gone, sealedGone)).to.equal(null);
      const err = await rejection(vault.encrypt(gone, 'again'));
      expect(err).to.be.instanceOf(SubjectErasedError);
      expect(await vault.decrypt(kept, sealedKept)).to.equal('+4741234567');

      const fresh = await reopen();
      expect(await fresh.decrypt(gone, sealedGone)).to.equal(null);
      expect(await fresh.isErased(gone)).to.equal(true);
    });

    it('destroys idempotently, also a subject that never had a key', async () => {
      const subject = randomUUID();
      const sealed = await vault.encrypt(subject, 'x');
      await vault.destroy(subject);
      await vault.destroy(subject);
      expect(await vault.decrypt(subject, sealed)).to.equal(null);

      const never = randomUUID();
      expect(await vault.isErased(never)).to.equal(false);
      await vault.destroy(never);
      await vault.destroy(never);
      expect(await vault.isErased(never)).to.equal(true);
      expect(await rejection(vault.encrypt(never, 'x'))).to.be.instanceOf(SubjectErasedError);
    });

    it('gives a subject one key under concurrent first use', async () => {
      const subject = randomUUID();
      const other = await reopen();
      const sealed = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? vault : other).encrypt(subject, `value ${i}`)),
      );
      const keyIds = new Set(sealed.map((s) => s.split('.')[1]));
      expect(keyIds.size).to.equal(1);
      for (const [i, s] of sealed.entries()) expect(await vault.decrypt(subject, s)).to.equal(`value ${i}`);
    });

    it('keeps keys across reopening with the same master key', async () => {
      const subject = randomUUID();
      const sealed = await vault.encrypt(subject, 'Kari Nordmann');
      await vault.close();
      opened.splice(opened.indexOf(vault), 1);
      const again = await reopen();
      expect(await again.decrypt(subject, sealed)).to.equal('Kari Nordmann');
      expect(await again.decrypt(subject, await again.encrypt(subject, 'more'))).to.equal('more');
    });

    it('refuses to open with another master key, with an error naming the setting', async () => {
      await vault.encrypt(randomUUID(), 'x');
      const err = await rejection(reopen(randomBytes(32)));
      expect(err).to.be.instanceOf(VaultMasterKeyError);
      expect((err as Error).message).to.include('VAULT_MASTER_KEY');
      expect(await rejection(reopen(Buffer.alloc(16)))).to.be.instanceOf(TypeError);
    });

    it('computes keyed hashes that are stable, purpose-bound and master-key-bound', async () => {
      const h = vault.keyedHash('user.phone', '+4741234567');
      expect(h).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(vault.keyedHash('user.phone', '+4741234567')).to.equal(h);
      expect(vault.keyedHash('user.email', '+4741234567')).to.not.equal(h);
      expect(vault.keyedHash('user.phone', '+4741234568')).to.not.equal(h);
      expect((await reopen()).keyedHash('user.phone', '+4741234567')).to.equal(h);
      expect(() => vault.keyedHash('', 'x')).to.throw(TypeError);
    });
  });
}
