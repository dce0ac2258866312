import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AuditRow } from '../../application/audit/audit-row.js';
import { CliUsageError, exportCommand } from '../../infrastructure/cli/export-command.js';
import { verifyCommand } from '../../infrastructure/cli/verify-command.js';
import { AuditWorld } from '../application/audit/audit-world.js';

class Capture {
  text = '';
  readonly isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** `tessera export` writes a verifiable file with a progress bar; `tessera verify` checks it offline. */
describe('CLI export and verify', function () {
  this.timeout(30_000);
  let world: AuditWorld;
  let jwksFile: string;
  const period = ['--from', '2026-01-01T00:00:00Z', '--to=2026-01-02T00:00:00Z'];

  before(async () => {
    world = await AuditWorld.open();
    for (let i = 0; i < 3; i++) {
      world.tick();
      const tx = await world.create(2000);
      if (i === 0) await world.decline(tx);
      await world.pay(tx);
    }
    jwksFile = join(world.dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(await world.keys.publicJwks()));
  });

  after(async () => {
    await world.close();
  });

  it('exports to a file with progress on stderr and a summary, then verifies it', async () => {
    for (const name of ['period.ndjson', 'period.csv']) {
      const file = join(world.dir, name);
      const out = new Capture();
      const err = new Capture();
      await exportCommand(world.exporter, [...period, '--out', file], out, err);
      expect(existsSync(`${file}.partial`)).to.equal(false);
      expect(err.text).to.match(/^export \[#+\] 100% /m);
      expect(err.text).to.include(`export: 4 rows written to ${file}`);
      expect(out.text).to.include('4 rows, 2026-01-01T00:00:00.000Z to 2026-01-02T00:00:00.000Z');
      expect(out.text).to.include('NOK captured 6000, refunded 0, net 6000 (VAT 1200), failed 2000');
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith('eventId,')).to.equal(name.endsWith('.csv'));
      const verified = new Capture();
      expect(await verifyCommand([file, '--jwks', jwksFile], verified)).to.equal(0);
      expect(verified.text).to.equal(
        'OK: 4 rows, totals: NOK captured 6000, refunded 0, net 6000 (VAT 1200), failed 2000\n',
      );
    }
  });

  it('names the first altered row and exits 1', async () => {
    const file = join(world.dir, 'tampered.ndjson');
    await exportCommand(
      world.exporter,
      [...period, '--out', file, '--format', 'ndjson'],
      new Capture(),
      new Capture(),
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const row = JSON.parse(lines[1]!) as AuditRow;
    lines[1] = JSON.stringify({ ...row, net: row.net + 1 });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const out = new Capture();
    expect(await verifyCommand([file, `--jwks=${jwksFile}`], out)).to.equal(1);
    expect(out.text).to.match(/^FAILED: row 2 was altered: its content does not match its hash\n/);
  });

  it('refuses bad command lines with the usage text', async () => {
    const cases: [string[], RegExp][] = [
      [['--to', '2026-01-02T00:00:00Z', '--out', 'x'], /--from is required/],
      [['--from', '2026-01-02', '--to', '2026-01-03T00:00:00Z', '--out', 'x'], /not an ISO 8601 instant/],
      [
        ['--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z', '--out', 'x'],
        /--to must be after/,
      ],
      [[...period], /--out is required/],
      [[...period, '--out', 'x', '--format', 'xlsx'], /--format must be/],
      [[...period, '--out'], /--out needs a value/],
      [[...period, '--out', 'x', '--bogus', '1'], /Unknown option "--bogus"/],
    ];
    for (const [args, message] of cases) {
      const err = await refusal(exportCommand(world.exporter, args, new Capture(), new Capture()));
      expect(err, args.join(' ')).to.be.instanceOf(CliUsageError);
      expect(err.message).to.match(message).and.to.include('Usage:');
    }
    expect((await refusal(verifyCommand([], new Capture()))).message).to.match(/Name the file/);
    expect((await refusal(verifyCommand(['f'], new Capture()))).message).to.match(/--jwks is required/);
  });
});
