import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import { newId } from '../../../application/kernel/ids.js';
import { openStaffWorld, staffCtx, type StaffWorld } from '../../support/staff-fixture.js';

const change = (reason = 'on the support rota') => ({ by: 'operator', reason });

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('Staff: commands, the staff projection, queries and tokens', function () {
  this.timeout(30_000);
  let w: StaffWorld;
  let phoneSeq = 0;
  const newUser = () => w.newUser(`+474150${String(++phoneSeq).padStart(4, '0')}`);

  before(async () => {
    w = await openStaffWorld();
  });
  after(async () => {
    await w?.close();
  });

  describe('StaffCommands and StaffQueries (the StaffDirectory)', () => {
    it('grants roles and provider access, and the directory reads them back', async () => {
      const sub = await newUser();
      const acme = await w.newProvider('Acme');
      expect(await w.queries.rolesOf(sub)).to.deep.equal([]);
      const first = await w.commands.grantRole(sub, 'support-agent', change(), staffCtx);
      expect(first).to.include({ id: sub, changed: true });
      expect(first.position).to.be.a('number');
      await w.commands.grantProviderAccess(sub, acme, change(), staffCtx);
      await w.caughtUp();
      expect(await w.queries.rolesOf(sub)).to.deep.equal(['support-agent']);
      expect(await w.queries.providersOf(sub)).to.deep.equal([acme]);
      const member = await w.queries.get(sub);
      expect(member?.since).to.equal('2026-01-01T00:00:00.000Z');
    });

    it('a repeated grant changes nothing and appends nothing', async () => {
      const sub = await newUser();
      await w.commands.grantRole(sub, 'auditor', change(), staffCtx);
      const head = await w.store.headPosition();
      const again = await w.commands.grantRole(sub, 'auditor', change(), staffCtx);
      expect(again).to.include({ changed: false, position: null });
      expect(await w.store.headPosition()).to.equal(head);
    });

    it('records who granted and why in the staff stream', async () => {
      const sub = await newUser();
      await w.commands.grantRole(
        sub,
        'support-lead',
        { by: 'operator', reason: 'team lead from May' },
        staffCtx,
      );
      const events = await w.store.readStream(`staff-${sub}`);
      expect(events.map((e) => e.type)).to.deep.equal(['StaffRoleGranted']);
      expect(events[0]!.data).to.deep.equal({
        sub,
        role: 'support-lead',
        by: 'operator',
        reason: 'team lead from May',
      });
    });

    it('revoking takes roles away; an account left with nothing drops off the list', async () => {
      const sub = await newUser();
      await w.commands.grantRole(sub, 'support-agent', change(), staffCtx);
      await w.caughtUp();
      const listed = async () => {
        const subs: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await w.queries.list({ limit: 2, ...(cursor ? { cursor } : {}) });
          subs.push(...page.items.map((m) => m.sub));
          cursor = page.nextCursor;
        } while (cursor);
        return subs;
      };
      expect(await listed()).to.include(sub);
      await w.commands.revokeRole(sub, 'support-agent', change('left the team'), staffCtx);
      await w.caughtUp();
      expect(await w.queries.rolesOf(sub)).to.deep.equal([]);
      expect(await listed()).to.not.include(sub);
      expect((await w.queries.get(sub))?.roles).to.deep.equal([]);
    });

    it('refuses to revoke what is not held', async () => {
      const sub = await newUser();
      expect((await refusal(w.commands.revokeRole(sub, 'auditor', change(), staffCtx))).code).to.equal(
        'role_not_held',
      );
      const acme = await w.newProvider('Acme 2');
      expect((await refusal(w.commands.revokeProviderAccess(sub, acme, change(), staffCtx))).code).to.equal(
        'provider_access_not_held',
      );
    });

    it('only an existing account can be made staff, and only with a registered provider', async () => {
      const unknown = newId();
      const err = await refusal(w.commands.grantRole(unknown, 'auditor', change(), staffCtx));
      expect(err).to.include({ code: 'user_not_found', kind: 'not_found' });
      const sub = await newUser();
      expect((await refusal(w.commands.grantProviderAccess(sub, newId(), change(), staffCtx))).code).to.equal(
        'provider_not_found',
      );
      const acme = await w.newProvider('Acme 3');
      const many = await refusal(
        w.commands.grant(sub, { roles: ['auditor'], providerIds: [acme, newId()] }, change(), staffCtx),
      );
      expect(many.code).to.equal('provider_not_found');
      expect(await w.store.readStream(`staff-${sub}`)).to.have.length(0);
    });

    it('an erased account cannot be made staff, and loses what it held', async () => {
      const sub = await newUser();
      const acme = await w.newProvider('Acme 4');
      await w.commands.grant(sub, { roles: ['support-agent'], providerIds: [acme] }, change(), staffCtx);
      await w.users.erase(sub, staffCtx);
      await w.caughtUp();
      expect(await w.queries.rolesOf(sub)).to.deep.equal([]);
      expect(await w.queries.providersOf(sub)).to.deep.equal([]);
      expect(await w.queries.get(sub)).to.equal(null);
      const err = await refusal(w.commands.grantRole(sub, 'auditor', change(), staffCtx));
      expect(err).to.include({ code: 'user_erased', kind: 'conflict' });
    });
  });

  describe('StaffTokens', () => {
    let sub: string;
    before(async () => {
      sub = await newUser();
      await w.commands.grantRole(sub, 'auditor', change(), staffCtx);
      await w.caughtUp();
    });

    it('issues a token shown once, stored only as a digest, and authenticates it', async () => {
      const { token, view } = await w.tokens.issue(sub, { days: 30, by: 'operator', label: 'exports' });
      expect(token).to.match(/^tst_[A-Za-z0-9_-]{43}$/);
      expect(view).to.include({ sub, label: 'exports', by: 'operator' });
      expect(Date.parse(view.expiresAt) - Date.parse(view.createdAt)).to.equal(30 * 86_400_000);
      expect(await w.tokens.authenticate(token)).to.deep.equal(view);
      const listed = await w.tokens.list(sub);
      expect(listed.map((t) => t.id)).to.include(view.id);
      expect(JSON.stringify(listed)).to.not.include(token.slice(4));
      expect(await w.tokens.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).to.equal(
        null,
      );
      expect(await w.tokens.authenticate('not-a-token')).to.equal(null);
    });

    it('a token stops working when it expires', async () => {
      const { token } = await w.tokens.issue(sub, { days: 1, by: 'operator' });
      w.clock.advance(86_400_000 - 1000);
      expect(await w.tokens.authenticate(token)).to.not.equal(null);
      w.clock.advance(1000);
      expect(await w.tokens.authenticate(token)).to.equal(null);
      expect((await w.tokens.list(sub)).some((t) => t.expiresAt <= w.clock.now().toISOString())).to.equal(
        false,
      );
    });

    it('revokes a token by its id', async () => {
      const { token, view } = await w.tokens.issue(sub, { days: 7, by: 'operator' });
      expect(await w.tokens.revoke(view.id)).to.equal(true);
      expect(await w.tokens.authenticate(token)).to.equal(null);
      expect(await w.tokens.revoke(view.id)).to.equal(false);
      expect((await w.tokens.list()).map((t) => t.id)).to.not.include(view.id);
    });

    it('refuses tokens for accounts that are not staff, and bad lifetimes', async () => {
      const plain = await newUser();
      expect((await refusal(w.tokens.issue(plain, { days: 30, by: 'operator' }))).code).to.equal('not_staff');
      expect((await refusal(w.tokens.issue(sub, { days: 0, by: 'operator' }))).code).to.equal('invalid_days');
      expect((await refusal(w.tokens.issue(sub, { days: 366, by: 'operator' }))).code).to.equal(
        'invalid_days',
      );
    });
  });
});
