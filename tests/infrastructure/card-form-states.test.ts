import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { CardFormStates } from '../../infrastructure/http/pages/card-form.js';

describe('CardFormStates (the state of a visit to the card form)', () => {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEphemeralStore;
  let states: CardFormStates<{ readonly sessionKey: string; readonly paymentId: string }>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-card-form-'));
    clock = new ManualClock('2026-01-01T00:00:00Z');
    store = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock });
    states = new CardFormStates(store, 'test-card-state', 60);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mine = (e: { sessionKey: string; paymentId: string }) =>
    e.sessionKey === 's1' && e.paymentId === 'p1';

  it('gives the entry back once, to the session and payment it was issued for', async () => {
    const state = await states.issue({ sessionKey: 's1', paymentId: 'p1' });
    expect(state).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(await states.redeem(state, (e) => e.sessionKey === 's2')).to.equal(null);
    expect(await states.redeem(state, mine)).to.deep.equal({ sessionKey: 's1', paymentId: 'p1' });
    expect(await states.redeem(state, mine), 'a reload').to.equal(null);
  });

  it('finds nothing for a forged, missing or expired state, and stores no state itself', async () => {
    const state = await states.issue({ sessionKey: 's1', paymentId: 'p1' });
    for (const forged of [undefined, '', ['x'], `${state}x`, 'x'.repeat(500)]) {
      expect(await states.redeem(forged, mine)).to.equal(null);
    }
    expect(await store.get('test-card-state', state)).to.equal(null);
    clock.advance(61_000);
    expect(await states.redeem(state, mine)).to.equal(null);
  });
});
