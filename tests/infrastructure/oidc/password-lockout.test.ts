import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../application/ports/logger.js';
import { DEFAULT_POLICY } from '../../../application/signin/limits.js';
import { userStreamId } from '../../../domain/user/values.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import {
  ACCOUNT_PASSWORD_WINDOW_SECONDS,
  MAX_ACCOUNT_PASSWORD_FAILURES,
  MAX_PASSWORD_ATTEMPTS,
  PASSWORD_LOCK_REASON,
  PASSWORD_LOCKOUT_SECONDS,
  type PasswordOutcome,
  SignInFlow,
} from '../../../infrastructure/oidc/interactions-signin.js';
import { ctx, openUserWorld, type UserWorld } from '../../support/user-fixture.js';

/**
 * The password step's lockout on real embedded adapters and a manual clock: wrong passwords are
 * counted per account across interactions, the try that reaches the limit records a SignInLocked
 * event, a locked account is refused without its password being checked, and the lock ends at its
 * `until`.
 */
describe('SignInFlow: password lockout across interactions', function () {
  this.timeout(30_000);
  const PASSWORD = 'correct horse battery staple';
  let world: UserWorld;
  let dir: string;
  let store: SqliteEphemeralStore;
  let flow: SignInFlow;
  let verified: number;
  let sub: string;
  let interactions = 0;

  const unused = (): never => {
    throw new Error('not part of the password step');
  };

  beforeEach(async () => {
    world = await openUserWorld();
    dir = mkdtempSync(join(tmpdir(), 'tessera-lockout-'));
    store = SqliteEphemeralStore.open({
      file: join(dir, 'ephemeral.db'),
      clock: world.clock,
      purgeIntervalMs: 0,
    });
    verified = 0;
    const commands = world.commands;
    flow = new SignInFlow({
      codes: { request: unused, verify: unused, policy: DEFAULT_POLICY },
      users: {
        registerWithIdentifier: unused,
        lockSignIn: (s, lock, c) => commands.lockSignIn(s, lock, c),
        verifyPassword: (s, p) => {
          verified++;
          return commands.verifyPassword(s, p);
        },
      },
      accounts: world.queries,
      views: world.runner,
      store,
      defaultCountry: 'NO',
      logger: silentLogger,
      clock: world.clock,
    });
    const registered = await commands.registerWithIdentifier({ kind: 'phone', value: '+4741250101' }, ctx);
    sub = registered.sub;
    await world.caughtUp((await commands.setPassword(sub, PASSWORD, ctx)).position);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await world.close();
  });

  /** A new interaction whose code was right, now waiting for the account's password. */
  async function waitingInteraction(): Promise<string> {
    const uid = `interaction-${++interactions}`;
    await flow.awaitPassword(uid, { sub, amr: ['sms'], remember: false }, 'voluntary');
    return uid;
  }

  /** Posts wrong passwords in one interaction until it is refused; returns how many were posted. */
  async function wrongUntilRefused(uid: string): Promise<{ posted: number; last: PasswordOutcome }> {
    for (let posted = 1; ; posted++) {
      const last = await flow.checkPassword(uid, `wrong ${posted}`, { correlationId: `corr-${uid}` });
      if (last.ok || last.reason !== 'wrong_password') return { posted, last };
    }
  }

  /** Wrong passwords spread over as many interactions as it takes, at most `count`. */
  async function wrongPasswords(count: number): Promise<void> {
    while (count > 0) {
      const uid = await waitingInteraction();
      const n = Math.min(count, MAX_PASSWORD_ATTEMPTS - 1);
      for (let i = 0; i < n; i++) {
        const outcome = await flow.checkPassword(uid, 'wrong', { correlationId: 'corr' });
        expect(outcome).to.include({ ok: false, reason: 'wrong_password' });
      }
      count -= n;
    }
  }

  const lockEvents = async () =>
    (await world.store.readStream(userStreamId(sub))).filter((e) => e.type === 'SignInLocked');

  it('locks sign-in at the limit, refuses a waiting interaction unchecked, and unlocks at `until`', async () => {
    const waiting = await waitingInteraction();
    let total = 0;
    let last: PasswordOutcome | null = null;
    while ((await lockEvents()).length === 0) {
      const round = await wrongUntilRefused(await waitingInteraction());
      total += round.posted;
      last = round.last;
      expect(total).to.be.at.most(MAX_ACCOUNT_PASSWORD_FAILURES);
    }
    expect(total).to.equal(MAX_ACCOUNT_PASSWORD_FAILURES);
    expect(last).to.deep.equal({ ok: false, reason: 'too_many_attempts' });

    const [locked, ...more] = await lockEvents();
    expect(more).to.have.length(0);
    const until = new Date(world.clock.now().getTime() + PASSWORD_LOCKOUT_SECONDS * 1000).toISOString();
    expect(locked!.data).to.deep.equal({ userId: sub, reason: PASSWORD_LOCK_REASON, until });
    expect(locked!.metadata.actor).to.deep.equal({ kind: 'system', id: 'sign-in' });
    expect(locked!.metadata.correlationId).to.match(/^corr-interaction-/);
    expect((await world.queries.getUser(sub)).signInLock).to.deep.equal({
      reason: PASSWORD_LOCK_REASON,
      until,
    });

    const before = verified;
    expect(await flow.checkPassword(waiting, PASSWORD, { correlationId: 'c' })).to.deep.equal({
      ok: false,
      reason: 'account_locked',
    });
    expect(verified).to.equal(before);
    expect(await flow.pendingPassword(waiting)).to.equal(null);

    world.clock.advance((PASSWORD_LOCKOUT_SECONDS - 1) * 1000);
    const early = await waitingInteraction();
    expect(await flow.checkPassword(early, PASSWORD, { correlationId: 'c' })).to.include({
      reason: 'account_locked',
    });

    world.clock.advance(1000);
    expect((await world.queries.getUser(sub)).signInLock).to.equal(null);
    const after = await waitingInteraction();
    expect(await flow.checkPassword(after, PASSWORD, { correlationId: 'c' })).to.deep.equal({
      ok: true,
      sub,
      amr: ['sms', 'pwd'],
      remember: false,
    });
    expect(await lockEvents()).to.have.length(1);
  });

  it('starts the count afresh after a right password', async () => {
    await wrongPasswords(MAX_ACCOUNT_PASSWORD_FAILURES - 1);
    const right = await flow.checkPassword(await waitingInteraction(), PASSWORD, { correlationId: 'c' });
    expect(right.ok).to.equal(true);
    await wrongPasswords(MAX_ACCOUNT_PASSWORD_FAILURES - 1);
    expect(await lockEvents()).to.have.length(0);
    expect((await world.queries.getUser(sub)).signInLock).to.equal(null);
  });

  it('forgets wrong passwords once their window has passed', async () => {
    await wrongPasswords(MAX_ACCOUNT_PASSWORD_FAILURES - 1);
    world.clock.advance(ACCOUNT_PASSWORD_WINDOW_SECONDS * 1000);
    await wrongPasswords(MAX_ACCOUNT_PASSWORD_FAILURES - 1);
    expect(await lockEvents()).to.have.length(0);

    const uid = await waitingInteraction();
    expect(await flow.checkPassword(uid, 'wrong', { correlationId: 'c' })).to.deep.equal({
      ok: false,
      reason: 'too_many_attempts',
    });
    expect(await lockEvents()).to.have.length(1);
  });
});
