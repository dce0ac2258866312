/**
 * The EphemeralStore contract: every adapter (embedded SQLite, MongoDB) must pass this suite
 * unchanged. Time is driven by the ManualClock handed to `open`, never by the wall clock, and each
 * test opens its own store so counts (purgeExpired) are exact.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { failure } from './read-model-store.contract.js';

export interface OpenedEphemeralStore {
  store: EphemeralStore;
  cleanup(): Promise<void>;
}

const START = '2026-03-01T12:00:00.000Z';

export function ephemeralStoreContract(
  label: string,
  open: (clock: ManualClock) => Promise<OpenedEphemeralStore>,
): void {
  describe(`${label} (EphemeralStore contract)`, function () {
    let clock: ManualClock;
    let opened: OpenedEphemeralStore;
    let store: EphemeralStore;
    let ns: string;

    beforeEach(async () => {
      clock = new ManualClock(START);
      opened = await open(clock);
      store = opened.store;
      ns = `ns_${randomBytes(6).toString('hex')}`;
    });
    afterEach(async () => {
      await opened?.cleanup();
    });

    const now = (): number => clock.now().getTime();
    const keysOf = (entries: readonly { key: string }[]): string[] => entries.map((e) => e.key).sort();

    it('sets and gets an entry with its expiry', async () => {
      const value = {
        grantId: 'g1',
        scopes: ['openid', 'profile'],
        nested: { ok: true, n: 1.5, none: null },
      };
      await store.set(ns, 'code-1', value, { ttlSeconds: 60 });
      expect(await store.get(ns, 'code-1')).to.deep.equal({
        key: 'code-1',
        value,
        expiresAt: now() + 60_000,
        consumedAt: null,
      });
      expect(await store.get(ns, 'missing')).to.equal(null);
      await store.set(ns, 'text', 'just a string ÆØÅ 🙂', { ttlSeconds: 60 });
      expect((await store.get(ns, 'text'))?.value).to.equal('just a string ÆØÅ 🙂');
    });

    it('keeps namespaces apart', async () => {
      const other = `${ns}_other`;
      await store.set(ns, 'k', 'one', { ttlSeconds: 60 });
      await store.set(other, 'k', 'two', { ttlSeconds: 60 });
      expect((await store.get(ns, 'k'))?.value).to.equal('one');
      expect((await store.get(other, 'k'))?.value).to.equal('two');
      expect(await store.delete(other, 'k')).to.equal(true);
      expect((await store.get(ns, 'k'))?.value).to.equal('one');
    });

    it('hides an entry once its time to live has passed', async () => {
      await store.set(ns, 'session', { user: 'u1' }, { ttlSeconds: 30 });
      clock.advance(30_000 - 1);
      expect(await store.get(ns, 'session')).to.not.equal(null);
      clock.advance(1);
      expect(await store.get(ns, 'session')).to.equal(null);
      expect(await store.consume(ns, 'session')).to.equal(false);
    });

    it('replaces value, expiry and tags on set, and resets consumedAt', async () => {
      await store.set(ns, 'k', 'first', { ttlSeconds: 10, tags: { grantId: 'g1' } });
      expect(await store.consume(ns, 'k')).to.equal(true);
      clock.advance(5_000);
      await store.set(ns, 'k', 'second', { ttlSeconds: 100, tags: { grantId: 'g2' } });
      expect(await store.get(ns, 'k')).to.deep.equal({
        key: 'k',
        value: 'second',
        expiresAt: now() + 100_000,
        consumedAt: null,
      });
      expect(await store.findByTag(ns, 'grantId', 'g1')).to.deep.equal([]);
      expect(keysOf(await store.findByTag(ns, 'grantId', 'g2'))).to.deep.equal(['k']);
      expect(await store.consume(ns, 'k')).to.equal(true);
    });

    it('finds and deletes entries by tag', async () => {
      await store.set(ns, 'a', 1, { ttlSeconds: 60, tags: { grantId: 'g1', uid: 'ua' } });
      await store.set(ns, 'b', 2, { ttlSeconds: 60, tags: { grantId: 'g1', uid: 'ub' } });
      await store.set(ns, 'c', 3, { ttlSeconds: 60, tags: { grantId: 'g2' } });
      await store.set(`${ns}_other`, 'd', 4, { ttlSeconds: 60, tags: { grantId: 'g1' } });
      const found = await store.findByTag<number>(ns, 'grantId', 'g1');
      expect(keysOf(found)).to.deep.equal(['a', 'b']);
      expect(found.map((e) => e.value).sort()).to.deep.equal([1, 2]);
      expect(keysOf(await store.findByTag(ns, 'uid', 'ub'))).to.deep.equal(['b']);
      expect(await store.findByTag(ns, 'uid', 'g1')).to.deep.equal([]);

      expect(await store.deleteByTag(ns, 'grantId', 'g1')).to.equal(2);
      expect(await store.get(ns, 'a')).to.equal(null);
      expect(await store.get(ns, 'b')).to.equal(null);
      expect((await store.get(ns, 'c'))?.value).to.equal(3);
      expect((await store.get(`${ns}_other`, 'd'))?.value).to.equal(4);
      expect(await store.findByTag(ns, 'uid', 'ua')).to.deep.equal([]);
      expect(await store.deleteByTag(ns, 'grantId', 'g1')).to.equal(0);
    });

    it('does not find expired entries by tag', async () => {
      await store.set(ns, 'short', 's', { ttlSeconds: 10, tags: { userCode: 'X' } });
      await store.set(ns, 'long', 'l', { ttlSeconds: 100, tags: { userCode: 'X' } });
      clock.advance(10_000);
      expect(keysOf(await store.findByTag(ns, 'userCode', 'X'))).to.deep.equal(['long']);
    });

    it('deletes single entries', async () => {
      await store.set(ns, 'k', 'v', { ttlSeconds: 60, tags: { t: 'x' } });
      expect(await store.delete(ns, 'k')).to.equal(true);
      expect(await store.get(ns, 'k')).to.equal(null);
      expect(await store.findByTag(ns, 't', 'x')).to.deep.equal([]);
      expect(await store.delete(ns, 'k')).to.equal(false);
    });

    it('consumes an entry exactly once, even under concurrent calls', async () => {
      await store.set(ns, 'code', { c: 1 }, { ttlSeconds: 60 });
      clock.advance(1_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.consume(ns, 'code')));
      expect(results.filter((r) => r)).to.have.length(1);
      expect((await store.get(ns, 'code'))?.consumedAt).to.equal(now());
      clock.advance(1_000);
      expect(await store.consume(ns, 'code')).to.equal(false);
      expect((await store.get(ns, 'code'))?.consumedAt).to.equal(now() - 1_000);
    });

    it('does not consume missing or expired entries', async () => {
      expect(await store.consume(ns, 'missing')).to.equal(false);
      await store.set(ns, 'old', 1, { ttlSeconds: 5 });
      clock.advance(5_000);
      expect(await store.consume(ns, 'old')).to.equal(false);
    });

    it('counts with increment, keeping the expiry of a live counter', async () => {
      expect(await store.increment(ns, 'attempts', 60)).to.equal(1);
      const expiresAt = now() + 60_000;
      clock.advance(20_000);
      expect(await store.increment(ns, 'attempts', 60)).to.equal(2);
      expect(await store.increment(ns, 'attempts', 60, 3)).to.equal(5);
      const entry = await store.get<number>(ns, 'attempts');
      expect(entry?.value).to.equal(5);
      expect(entry?.expiresAt).to.equal(expiresAt);
    });

    it('restarts an expired counter with a fresh time to live', async () => {
      await store.increment(ns, 'attempts', 10);
      await store.increment(ns, 'attempts', 10);
      clock.advance(10_000);
      expect(await store.get(ns, 'attempts')).to.equal(null);
      expect(await store.increment(ns, 'attempts', 30, 2)).to.equal(2);
      expect((await store.get(ns, 'attempts'))?.expiresAt).to.equal(now() + 30_000);
    });

    it('increments atomically under concurrent calls', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.increment(ns, 'hits', 60)));
      expect([...results].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await store.get(ns, 'hits'))?.value).to.equal(20);
    });

    it('purges expired entries on demand', async () => {
      for (const key of ['a', 'b', 'c']) await store.set(ns, key, key, { ttlSeconds: 10, tags: { g: 'x' } });
      for (const key of ['d', 'e']) await store.set(ns, key, key, { ttlSeconds: 100, tags: { g: 'x' } });
      await store.increment(ns, 'counter', 10);
      expect(await store.purgeExpired()).to.equal(0);
      clock.advance(50_000);
      expect(await store.purgeExpired()).to.equal(4);
      expect(await store.purgeExpired()).to.equal(0);
      expect(keysOf(await store.findByTag(ns, 'g', 'x'))).to.deep.equal(['d', 'e']);
      clock.set(START);
      expect(await store.get(ns, 'a')).to.equal(null);
      expect((await store.get(ns, 'd'))?.value).to.equal('d');
    });

    it('rejects invalid namespaces, keys and times to live', async () => {
      const long = 'k'.repeat(513);
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['empty namespace', () => store.set('', 'k', 1, { ttlSeconds: 1 })],
        ['empty key', () => store.set(ns, '', 1, { ttlSeconds: 1 })],
        ['long key', () => store.get(ns, long)],
        ['long namespace', () => store.consume(long, 'k')],
        ['zero ttl', () => store.set(ns, 'k', 1, { ttlSeconds: 0 })],
        ['negative ttl', () => store.set(ns, 'k', 1, { ttlSeconds: -5 })],
        ['NaN ttl', () => store.increment(ns, 'k', Number.NaN)],
        ['infinite ttl', () => store.set(ns, 'k', 1, { ttlSeconds: Number.POSITIVE_INFINITY })],
      ];
      for (const [what, action] of cases) {
        expect(await failure(action), what).to.be.instanceOf(Error);
      }
      expect(await store.get(ns, 'k')).to.equal(null);
      await store.set(ns, 'k'.repeat(512), 1, { ttlSeconds: 1 });
      expect((await store.get(ns, 'k'.repeat(512)))?.value).to.equal(1);
    });
  });
}
