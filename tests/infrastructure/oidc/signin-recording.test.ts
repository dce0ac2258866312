import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../application/ports/logger.js';
import { DEFAULT_POLICY } from '../../../application/signin/limits.js';
import { userStreamId } from '../../../domain/user/values.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { SignInFlow } from '../../../infrastructure/oidc/interactions-signin.js';
import { ctx, openUserWorld, type UserWorld } from '../../support/user-fixture.js';

/**
 * Every completed sign-in is a SignedIn event: right after the code when no password is asked for,
 * after the password step otherwise (with the client the interaction was for), and never for a
 * locked account. The code service is a stub that accepts any code for the pending phone.
 */
describe('SignInFlow: recording sign-ins', function () {
  this.timeout(30_000);
  const PHONE = '+4741250701';
  const PASSWORD = 'correct horse battery staple';
  let world: UserWorld;
  let dir: string;
  let store: SqliteEphemeralStore;
  let flow: SignInFlow;
  let n = 0;
  const step = (acr: boolean) => ({
    ip: '127.0.0.1',
    locale: 'en' as const,
    correlationId: 'corr',
    interaction: { params: { client_id: 'client-7', ...(acr ? { acr_values: '2' } : {}) } },
  });

  beforeEach(async () => {
    world = await openUserWorld();
    dir = mkdtempSync(join(tmpdir(), 'tessera-signin-rec-'));
    store = SqliteEphemeralStore.open({ file: join(dir, 'e.db'), clock: world.clock, purgeIntervalMs: 0 });
    flow = new SignInFlow({
      codes: {
        policy: DEFAULT_POLICY,
        request: async () => ({
          ok: true,
          challengeId: `ch-${++n}`,
          channel: 'sms',
          expiresAt: new Date(world.clock.now().getTime() + 600_000),
          resendAfterSeconds: 30,
        }),
        verify: async () => ({ ok: true, identifier: { kind: 'phone', value: PHONE } }),
      },
      users: world.commands,
      accounts: world.queries,
      views: world.runner,
      store,
      defaultCountry: 'NO',
      logger: silentLogger,
      clock: world.clock,
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await world.close();
  });

  const signedIn = async (sub: string) =>
    (await world.store.readStream(userStreamId(sub))).filter((e) => e.type === 'SignedIn').map((e) => e.data);

  it('records a code-only sign-in at once, with the interaction’s client', async () => {
    expect((await flow.start('uid-1', PHONE, step(false))).ok).to.equal(true);
    const done = await flow.finish('uid-1', '123456', step(false));
    if (!done.ok) throw new Error(done.reason);
    expect(await signedIn(done.sub)).to.deep.equal([
      { userId: done.sub, method: 'sms', withPassword: false, clientId: 'client-7' },
    ]);
  });

  it('waits for the password step when acr 2 is asked for, then records it with the password', async () => {
    const first = await world.commands.registerWithIdentifier({ kind: 'phone', value: PHONE }, ctx);
    await world.caughtUp((await world.commands.setPassword(first.sub, PASSWORD, ctx)).position);
    await flow.start('uid-2', PHONE, step(true));
    const done = await flow.finish('uid-2', '123456', step(true));
    if (!done.ok) throw new Error(done.reason);
    expect(await signedIn(done.sub)).to.deep.equal([]);
    await flow.awaitPassword('uid-2', { sub: done.sub, amr: done.amr, remember: false }, 'voluntary');
    const outcome = await flow.checkPassword('uid-2', PASSWORD, { correlationId: 'corr' });
    expect(outcome.ok).to.equal(true);
    expect(await signedIn(done.sub)).to.deep.equal([
      { userId: done.sub, method: 'sms', withPassword: true, clientId: 'client-7' },
    ]);
  });

  it('records nothing for a locked account', async () => {
    const first = await world.commands.registerWithIdentifier({ kind: 'phone', value: PHONE }, ctx);
    await world.caughtUp(
      (await world.commands.lockSignIn(first.sub, { reason: 'support', until: null }, ctx)).position,
    );
    await flow.start('uid-3', PHONE, step(false));
    const done = await flow.finish('uid-3', '123456', step(false));
    expect(done).to.deep.equal({ ok: false, reason: 'account_locked' });
    expect(await signedIn(first.sub)).to.deep.equal([]);
  });
});
