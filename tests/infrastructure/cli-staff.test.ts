import { expect } from 'chai';
import { DomainError } from '../../domain/kernel/decider.js';
import { staffCommand, StaffUsageError } from '../../infrastructure/cli/staff-command.js';
import { openStaffWorld, type StaffWorld } from '../support/staff-fixture.js';

class Captured {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
}

describe('CLI: staff grant / revoke / list / token', function () {
  this.timeout(30_000);
  let w: StaffWorld;

  const run = async (args: string[]) => {
    const out = new Captured();
    await staffCommand(
      { commands: w.commands, queries: w.queries, users: w.userQueries, tokens: w.tokens },
      args,
      out,
    );
    await w.caughtUp();
    return out.text;
  };
  const fails = async (args: string[]): Promise<Error> => {
    try {
      await run(args);
    } catch (err) {
      return err as Error;
    }
    throw new Error(`expected "${args.join(' ')}" to fail`);
  };

  before(async () => {
    w = await openStaffWorld();
  });
  after(async () => {
    await w?.close();
  });

  it('grants roles to an account named by its sub, phone or email, and lists staff', async () => {
    const bySub = await w.newUser('+4741700001');
    const byPhone = await w.newUser('+4741700002');
    const byEmail = (
      await w.users.registerWithIdentifier(
        { kind: 'email', value: 'Kari@Example.com' },
        {
          actor: { kind: 'system', id: 'test' },
          correlationId: 'cli-staff',
        },
      )
    ).sub;
    const acme = await w.newProvider('Acme');

    expect(
      await run(['grant', bySub, '--role', 'support-agent', '--role', 'support-lead', '--reason', 'rota']),
    ).to.include(`Granted to ${bySub}.`);
    // A phone as a person types it, normalised and found through its keyed hash.
    await run(['grant', '41 70 00 02', '--role', 'auditor', '--reason', 'year-end audit']);
    await run(['grant', 'kari@example.com', '--provider', acme, '--reason', 'Acme reports']);

    expect(await w.queries.rolesOf(bySub)).to.deep.equal(['support-agent', 'support-lead']);
    expect(await w.queries.rolesOf(byPhone)).to.deep.equal(['auditor']);
    expect(await w.queries.providersOf(byEmail)).to.deep.equal([acme]);

    const again = await run(['grant', bySub, '--role', 'support-agent', '--reason', 'rota']);
    expect(again).to.include('nothing changed');

    const listed = await run(['list']);
    expect(listed).to.include(bySub).and.include('support-agent, support-lead');
    expect(listed).to.include(byPhone).and.include(byEmail).and.include(acme);
    expect(listed).to.include('3 staff accounts.');
    const events = await w.store.readStream(`staff-${byPhone}`);
    expect(events[0]!.data).to.include({ by: 'operator', reason: 'year-end audit' });
    expect(events[0]!.metadata.actor).to.deep.equal({ kind: 'system', id: 'cli' });
  });

  it('revokes roles and provider access', async () => {
    const sub = await w.newUser('+4741700010');
    const acme = await w.newProvider('Acme 2');
    await run(['grant', sub, '--role', 'auditor', '--provider', acme, '--reason', 'audit']);
    expect(
      await run(['revoke', '+4741700010', '--role', 'auditor', '--provider', acme, '--reason', 'done']),
    ).to.include(`Revoked from ${sub}.`);
    expect(await w.queries.get(sub)).to.deep.include({ roles: [], providerIds: [] });
    const err = await fails(['revoke', sub, '--role', 'auditor', '--reason', 'again']);
    expect(err).to.be.instanceOf(DomainError).and.include({ code: 'role_not_held' });
  });

  it('mints a token shown once, lists it without the token, and revokes it', async () => {
    const sub = await w.newUser('+4741700020');
    await run(['grant', sub, '--role', 'auditor', '--reason', 'exports']);
    const text = await run(['token', '+4741700020', '--days', '7', '--label', 'curl exports']);
    const token = /^ {2}(tst_\S+)$/m.exec(text)?.[1];
    const id = /\(id (\S+), expires (\S+)\)/.exec(text);
    expect(token).to.match(/^tst_/);
    expect(id?.[2]).to.equal(new Date(w.clock.now().getTime() + 7 * 86_400_000).toISOString());
    expect(text).to.include('shown only this once');
    expect((await w.tokens.authenticate(token!))?.sub).to.equal(sub);

    const listed = await run(['token', 'list', sub]);
    expect(listed).to.include(id![1]!).and.include('curl exports').and.include('1 live token.');
    expect(listed).to.not.include(token!);
    expect(await run(['token', 'list'])).to.include(id![1]!);

    expect(await run(['token', 'revoke', id![1]!])).to.include('Revoked token');
    expect(await w.tokens.authenticate(token!)).to.equal(null);
    expect((await fails(['token', 'revoke', id![1]!])).message).to.include('No live token');
  });

  it('refuses tokens for accounts that are not staff', async () => {
    await w.newUser('+4741700030');
    const err = await fails(['token', '+4741700030']);
    expect(err).to.be.instanceOf(DomainError).and.include({ code: 'not_staff' });
  });

  it('explains command-line mistakes with the usage text', async () => {
    const sub = await w.newUser('+4741700040');
    const cases: Array<[string[], string]> = [
      [[], 'Name a subcommand.'],
      [['promote', sub], 'Unknown subcommand'],
      [['grant', sub, '--role', 'auditor'], '--reason is required.'],
      [['grant', sub, '--reason', 'x'], 'Give at least one --role or --provider.'],
      [['grant', '--role', 'auditor', '--reason', 'x'], 'Name the account.'],
      [['token', sub, '--days', 'many'], '--days must be a whole number'],
      [['grant', sub, '--bogus'], "Unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const err = await fails(args);
      expect(err, args.join(' ')).to.be.instanceOf(StaffUsageError);
      expect(err.message).to.include(message).and.include('Usage:');
    }
    const unknownRole = await fails(['grant', sub, '--role', 'root', '--reason', 'x']);
    expect(unknownRole).to.be.instanceOf(DomainError).and.include({ code: 'invalid_role' });
    expect((await fails(['grant', '+4799999999', '--role', 'auditor', '--reason', 'x'])).message).to.include(
      'No account holds the verified phone',
    );
  });
});
