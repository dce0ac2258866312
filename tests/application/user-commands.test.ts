import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../domain/kernel/decider.js';
import { userStreamId } from '../../domain/user/values.js';
import { ctx, openUserWorld, type UserWorld } from '../support/user-fixture.js';

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

const phone = (value: string) => ({ kind: 'phone' as const, value });
const email = (value: string) => ({ kind: 'email' as const, value });

describe('User commands and queries (SQLite)', function () {
  let world: UserWorld;
  beforeEach(async () => {
    world = await openUserWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  /** A user signed up with a phone who added and verified an email. */
  async function userWithPhoneAndEmail(p: string, e: string): Promise<string> {
    const { sub } = await world.commands.registerWithIdentifier(phone(p), ctx);
    await world.commands.addIdentifier(sub, email(e), ctx);
    await world.commands.verifyIdentifier(sub, email(e), ctx);
    return sub;
  }

  describe('sign-in = sign-up', () => {
    it('returns the same account for the same phone, however it is written', async () => {
      const first = await world.commands.registerWithIdentifier(phone('412 34 567'), ctx, {
        locale: 'nb-NO',
      });
      const second = await world.commands.registerWithIdentifier(phone('+47 41 23 45 67'), ctx);
      const third = await world.commands.registerWithIdentifier(phone('004741234567'), ctx);
      expect(first.created).to.equal(true);
      expect(second).to.deep.equal({ sub: first.sub, position: null, created: false });
      expect(third.sub).to.equal(first.sub);
      expect(await world.store.readStream(userStreamId(first.sub))).to.have.length(1);

      await world.caughtUp(first.position);
      const view = await world.queries.getUser(first.sub);
      expect(view.phones).to.deep.equal([{ value: '+4741234567', verified: true, primary: true }]);
      expect(view.locale).to.equal('nb-NO');
      expect(await world.queries.findByIdentifier(phone('41234567'))).to.equal(first.sub);
      expect(await world.queries.findByIdentifier(phone('+4799999999'))).to.equal(null);
    });

    it('agrees on one account when the same email signs up concurrently', async () => {
      const results = await Promise.all(
        ['kari@example.no', 'Kari@EXAMPLE.no', ' kari@example.NO ', 'KARI@example.no'].map((e) =>
          world.commands.registerWithIdentifier(email(e), ctx),
        ),
      );
      expect(new Set(results.map((r) => r.sub)).size).to.equal(1);
      expect(results.filter((r) => r.created)).to.have.length(1);
      const losers = results.filter((r) => !r.created);
      expect(await world.vault.isErased(losers[0]!.sub)).to.equal(false);
      const heads = await world.store.readAll({ after: 0, maxCount: 100 });
      expect(heads.filter((e) => e.type === 'UserRegistered')).to.have.length(1);
    });

    it('refuses an invalid identifier before anything is stored', async () => {
      expect((await refusal(world.commands.registerWithIdentifier(phone('12'), ctx))).code).to.equal(
        'invalid_phone',
      );
      expect(
        (await refusal(world.commands.registerWithIdentifier(email('not-an-email'), ctx))).code,
      ).to.equal('invalid_email');
      expect(await world.store.headPosition()).to.equal(0);
    });
  });

  describe('uniqueness of phones and emails', () => {
    it('lets an email be verified on one account only', async () => {
      const kari = await userWithPhoneAndEmail('41234567', 'kari@example.no');
      const { sub: ola } = await world.commands.registerWithIdentifier(phone('98765432'), ctx);
      await world.commands.addIdentifier(ola, email('KARI@example.no'), ctx);
      const err = await refusal(world.commands.verifyIdentifier(ola, email('kari@example.no'), ctx));
      expect([err.code, err.kind]).to.deep.equal(['email_taken', 'conflict']);
      expect(await world.queries.findByIdentifier(email('kari@example.no'))).to.equal(kari);
      expect((await world.commands.registerWithIdentifier(email('kari@example.no'), ctx)).sub).to.equal(kari);
    });

    it('lets exactly one of two concurrent verifications of one email win', async () => {
      const a = (await world.commands.registerWithIdentifier(phone('41234567'), ctx)).sub;
      const b = (await world.commands.registerWithIdentifier(phone('98765432'), ctx)).sub;
      await world.commands.addIdentifier(a, email('shared@example.no'), ctx);
      await world.commands.addIdentifier(b, email('shared@example.no'), ctx);
      const outcomes = await Promise.allSettled([
        world.commands.verifyIdentifier(a, email('shared@example.no'), ctx),
        world.commands.verifyIdentifier(b, email('shared@example.no'), ctx),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).to.have.length(1);
      expect(lost).to.have.length(1);
      expect((lost[0]!.reason as DomainError).code).to.equal('email_taken');
      const owner = await world.queries.findByIdentifier(email('shared@example.no'));
      expect(owner).to.equal(outcomes[0]!.status === 'fulfilled' ? a : b);
    });

    it('frees a verified identifier when it is removed', async () => {
      const kari = await userWithPhoneAndEmail('41234567', 'kari@example.no');
      await world.commands.removeIdentifier(kari, email('kari@example.no'), ctx);
      expect(await world.queries.findByIdentifier(email('kari@example.no'))).to.equal(null);
      const other = await world.commands.registerWithIdentifier(email('kari@example.no'), ctx);
      expect(other.created).to.equal(true);
      const last = await refusal(world.commands.removeIdentifier(kari, phone('41234567'), ctx));
      expect(last.code).to.equal('last_identifier');
    });
  });

  describe('profile, primary and locks', () => {
    it('shows the owner their data, primary identifiers and lock, read from sealed values', async () => {
      const sub = await userWithPhoneAndEmail('41234567', 'kari@example.no');
      await world.commands.addIdentifier(sub, phone('+46 70 123 45 67'), ctx);
      await world.commands.verifyIdentifier(sub, phone('+46701234567'), ctx);
      await world.commands.makePrimary(sub, phone('+46701234567'), ctx);
      await world.commands.updateProfile(sub, { name: '  Kari Nordmann ', locale: 'nb' }, ctx);
      const unchanged = await world.commands.updateProfile(sub, { name: 'Kari Nordmann' }, ctx);
      expect(unchanged.position).to.equal(null);
      const locked = await world.commands.lockSignIn(
        sub,
        { reason: 'too_many_attempts', until: '2026-01-01T00:15:00Z' },
        ctx,
      );
      await world.caughtUp(locked.position);

      const view = await world.queries.getUser(sub);
      expect(view).to.deep.include({
        status: 'active',
        name: 'Kari Nordmann',
        locale: 'nb',
        hasPassword: false,
      });
      expect(view.phones).to.deep.equal([
        { value: '+4741234567', verified: true, primary: false },
        { value: '+46701234567', verified: true, primary: true },
      ]);
      expect(view.emails).to.deep.equal([{ value: 'kari@example.no', verified: true, primary: true }]);
      expect(view.signInLock).to.deep.equal({
        reason: 'too_many_attempts',
        until: '2026-01-01T00:15:00.000Z',
      });
      world.clock.advance(15 * 60_000);
      expect((await world.queries.getUser(sub)).signInLock).to.equal(null);
      expect((await refusal(world.queries.getUser('0194f0c2-7a4e-7c3b-9d2e-000000000000'))).code).to.equal(
        'user_not_found',
      );
    });

    it('keeps clear personal data out of the event log and the read models', async () => {
      const sub = await userWithPhoneAndEmail('41234567', 'kari.nordmann@example.no');
      const done = await world.commands.updateProfile(sub, { name: 'Kari Nordmann' }, ctx);
      await world.caughtUp(done.position);
      await world.runner.stop();
      for (const file of readdirSync(world.dir)) {
        const bytes = readFileSync(join(world.dir, file));
        for (const clear of ['41234567', 'kari.nordmann', 'Kari Nordmann']) {
          expect(bytes.includes(Buffer.from(clear)), `${clear} in ${file}`).to.equal(false);
        }
      }
    });
  });

  describe('passwords', () => {
    it('hashes with argon2id at OWASP parameters and verifies', async () => {
      const { sub } = await world.commands.registerWithIdentifier(phone('41234567'), ctx);
      expect(await world.commands.verifyPassword(sub, 'correct horse battery')).to.equal(false);
      await world.commands.setPassword(sub, 'correct horse battery', ctx);
      const events = await world.store.readStream(userStreamId(sub));
      const set = events.find((e) => e.type === 'PasswordSet')!.data as { passwordHash: string };
      expect(set.passwordHash).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(set.passwordHash).to.not.include('correct horse');
      expect(await world.commands.verifyPassword(sub, 'correct horse battery')).to.equal(true);
      expect(await world.commands.verifyPassword(sub, 'correct horse battery!')).to.equal(false);
      expect(
        await world.commands.verifyPassword('0194f0c2-7a4e-7c3b-9d2e-000000000000', 'x'.repeat(10)),
      ).to.equal(false);
      expect((await refusal(world.commands.setPassword(sub, 'short', ctx))).code).to.equal(
        'invalid_password',
      );
      await world.commands.removePassword(sub, ctx);
      expect(await world.commands.verifyPassword(sub, 'correct horse battery')).to.equal(false);
    });
  });

  describe('erasure', () => {
    it('shreds personal data, keeps the events, and frees the identifiers', async () => {
      const sub = await userWithPhoneAndEmail('41234567', 'kari@example.no');
      await world.commands.updateProfile(sub, { name: 'Kari Nordmann' }, ctx);
      await world.commands.setPassword(sub, 'correct horse battery', ctx);
      const sealedBefore = (await world.store.readStream(userStreamId(sub)))
        .map((e) => e.data as Record<string, unknown>)
        .flatMap((d) => [d.identifier, d.email, d.name].filter((v): v is string => typeof v === 'string'));
      expect(sealedBefore).to.have.length(3);

      const erased = await world.commands.erase(sub, ctx, 'asked by the user');
      const events = await world.store.readStream(userStreamId(sub));
      expect(events.at(-1)!.type).to.equal('UserErased');
      expect(events.length).to.be.greaterThan(5);
      for (const sealed of sealedBefore) expect(await world.vault.decrypt(sub, sealed)).to.equal(null);
      expect(await world.vault.isErased(sub)).to.equal(true);

      await world.caughtUp(erased.position);
      const view = await world.queries.getUser(sub);
      expect(view).to.deep.include({
        status: 'erased',
        name: null,
        phones: [],
        emails: [],
        hasPassword: false,
      });
      expect(view.erasedAt).to.equal('2026-01-01T00:00:00.000Z');
      expect(await world.commands.verifyPassword(sub, 'correct horse battery')).to.equal(false);

      expect(await world.queries.findByIdentifier(phone('41234567'))).to.equal(null);
      expect(await world.queries.findByIdentifier(email('kari@example.no'))).to.equal(null);
      const again = await world.commands.registerWithIdentifier(phone('41234567'), ctx);
      expect(again.created).to.equal(true);
      expect(again.sub).to.not.equal(sub);

      expect((await refusal(world.commands.addIdentifier(sub, email('new@example.no'), ctx))).code).to.equal(
        'user_erased',
      );
      expect((await refusal(world.commands.updateProfile(sub, { locale: 'en' }, ctx))).code).to.equal(
        'user_erased',
      );
      const repeated = await world.commands.erase(sub, ctx);
      expect(repeated.position).to.equal(null);
    });
  });
});
