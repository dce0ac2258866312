import { expect } from 'chai';
import type { AuditRow } from '../../../application/audit/audit-row.js';
import { verifyExport } from '../../../application/audit/verify.js';
import { AuditWorld, carrierMethod, textLines } from './audit-world.js';

const FROM = '2026-01-01T00:00:00.000Z';
const TO = '2026-01-02T00:00:00.000Z';
const PHONE = '+4791234567';
const EMAIL = 'kari.nordmann@example.no';
const NAME = 'Kari Nordmann';

function rowsOf(ndjson: string): AuditRow[] {
  return ndjson
    .trimEnd()
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as AuditRow);
}

/** Personal data in any spelling an export could carry it. */
function expectNoPersonalData(text: string): void {
  for (const needle of [PHONE, PHONE.slice(3), '91234567', '912 34 567', EMAIL, 'kari', 'Nordmann']) {
    expect(text.toLowerCase(), `export must not contain "${needle}"`).not.to.include(needle.toLowerCase());
  }
}

/**
 * Erasure stays auditable: after a user's personal data is crypto-shredded, the money rows are all
 * still exported, still balance and still verify; and no export, before or after, carries the
 * user's phone number, email or name.
 */
describe('Auditor export and erasure (SQLite)', function () {
  this.timeout(30_000);
  let world: AuditWorld;
  let sub: string;

  before(async () => {
    world = await AuditWorld.open();
    const users = world.users();
    const ctx = { actor: { kind: 'system' as const, id: 'test' }, correlationId: 'corr-erasure' };
    ({ sub } = await users.registerWithIdentifier({ kind: 'phone', value: PHONE }, ctx));
    await users.addIdentifier(sub, { kind: 'email', value: EMAIL }, ctx);
    await users.verifyIdentifier(sub, { kind: 'email', value: EMAIL }, ctx);
    await users.updateProfile(sub, { name: NAME }, ctx);
    world.tick();
    const film = await world.create(4900, 'NOK', sub);
    await world.pay(film, carrierMethod);
    world.tick();
    const plan = await world.create(12_900, 'NOK', sub);
    await world.decline(plan);
    await world.pay(plan);
    world.tick();
    await world.refund(plan, 2900);
  });

  after(async () => {
    await world.close();
  });

  it('exports the same balanced rows after the user is erased, with no personal data before or after', async () => {
    const before = await world.exportText(FROM, TO, 'ndjson');
    const beforeCsv = await world.exportText(FROM, TO, 'csv');
    expectNoPersonalData(before.text);
    expectNoPersonalData(beforeCsv.text);
    // The user's own events do hold the personal data, sealed: readable before erasure.
    const userEvents = await world.store.readStream(`user-${sub}`);
    expect(userEvents.length).to.be.greaterThan(0);
    expect(JSON.stringify(userEvents)).not.to.include(PHONE);
    const profile = userEvents.find((e) => e.type === 'ProfileChanged');
    const sealedName = (profile?.data as { name?: string } | undefined)?.name;
    expect(sealedName, 'the name was recorded sealed').to.be.a('string');
    expect(await world.vault.decrypt(sub, sealedName!)).to.equal(NAME);

    world.tick();
    await world
      .users()
      .erase(sub, { actor: { kind: 'support', id: 'agent-7' }, correlationId: 'c' }, 'request');
    // The personal data is gone: the sealed name no longer opens.
    expect(await world.vault.isErased(sub)).to.equal(true);
    expect(await world.vault.decrypt(sub, sealedName!)).to.equal(null);

    const after = await world.exportText(FROM, TO, 'ndjson');
    const afterCsv = await world.exportText(FROM, TO, 'csv');
    expectNoPersonalData(after.text);
    expectNoPersonalData(afterCsv.text);
    // Every money row is still there, identical, hash for hash.
    const rowsBefore = rowsOf(before.text);
    const rowsAfter = rowsOf(after.text);
    expect(rowsAfter).to.deep.equal(rowsBefore);
    expect(rowsAfter.map((r) => r.movement)).to.deep.equal(['captured', 'failed', 'captured', 'refunded']);
    expect(rowsAfter.every((r) => r.sub === sub)).to.equal(true);
    // And it balances: net = captured - refunded, and equals the rows' sum.
    const nok = after.summary.manifest.totals.NOK!;
    expect(nok).to.deep.equal({ captured: 17_800, refunded: 2900, net: 14_900, vat: 2980, failed: 12_900 });
    expect(nok.net).to.equal(rowsAfter.reduce((sum, r) => sum + r.net, 0));
    expect(after.summary.manifest.lastHash).to.equal(before.summary.manifest.lastHash);
    for (const text of [after.text, afterCsv.text]) {
      const result = await verifyExport(textLines(text), await world.verifier());
      expect(result.problems).to.deep.equal([]);
    }
  });
});
