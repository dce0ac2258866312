import { expect } from 'chai';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';
import { CachingTokenVerifier } from '../../infrastructure/http/token-cache.js';

describe('CachingTokenVerifier', () => {
  let now: number;
  let lookups: number;
  let valid: Map<string, VerifiedToken>;
  const inner: TokenVerifier = {
    verify: async (token) => {
      lookups += 1;
      return valid.get(token) ?? null;
    },
  };
  const token = (expiresAt: number): VerifiedToken => ({
    clientId: 'c',
    sub: null,
    scopes: ['a'],
    expiresAt,
  });

  beforeEach(() => {
    now = 1_000_000_000_000;
    lookups = 0;
    valid = new Map([['t1', token(now / 1000 + 3600)]]);
  });

  it('answers a good token from memory for a few seconds, then asks again', async () => {
    const cache = new CachingTokenVerifier(inner, () => now, 5000);
    expect((await cache.verify('t1'))?.clientId).to.equal('c');
    expect((await cache.verify('t1'))?.clientId).to.equal('c');
    expect(lookups).to.equal(1);
    now += 5000;
    valid.delete('t1');
    expect(await cache.verify('t1')).to.equal(null);
    expect(lookups).to.equal(2);
  });

  it('never remembers an unknown token, nor a token past its own expiry', async () => {
    const cache = new CachingTokenVerifier(inner, () => now, 5000);
    expect(await cache.verify('nope')).to.equal(null);
    expect(await cache.verify('nope')).to.equal(null);
    expect(lookups).to.equal(2);
    valid.set('short', token(now / 1000 + 1));
    await cache.verify('short');
    now += 1000;
    valid.delete('short');
    expect(await cache.verify('short')).to.equal(null);
  });

  it('forgets everything on clear(), so a revocation takes effect at once', async () => {
    const cache = new CachingTokenVerifier(inner, () => now, 5000);
    await cache.verify('t1');
    valid.delete('t1');
    cache.clear();
    expect(await cache.verify('t1')).to.equal(null);
  });

  it('peeks at remembered tokens without asking, and never past the remembered window', async () => {
    const cache = new CachingTokenVerifier(inner, () => now, 5000);
    expect(cache.peek('t1')).to.equal(undefined);
    expect(lookups).to.equal(0);
    await cache.verify('t1');
    expect(cache.peek('t1')?.clientId).to.equal('c');
    expect(cache.peek('other')).to.equal(undefined);
    now += 4999;
    expect(cache.peek('t1')?.clientId).to.equal('c');
    now += 1;
    expect(cache.peek('t1')).to.equal(undefined);
    expect(lookups).to.equal(1);
  });

  it('peeks at nothing after clear()', async () => {
    const cache = new CachingTokenVerifier(inner, () => now, 5000);
    await cache.verify('t1');
    cache.clear();
    expect(cache.peek('t1')).to.equal(undefined);
  });
});
