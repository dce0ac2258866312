import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ManualClock } from '../../../infrastructure/clock.js';
import { DevOutbox, OUTBOX_NAMESPACE, recipientKey } from '../../../infrastructure/delivery/dev-outbox.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';

describe('DevOutbox', () => {
  let dir: string;
  let file: string;
  let clock: ManualClock;
  let store: SqliteEphemeralStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-outbox-'));
    file = join(dir, 'ephemeral.db');
    clock = new ManualClock('2026-05-01T10:00:00.000Z');
    store = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps SMS and email messages, newest first', async () => {
    const outbox = new DevOutbox({ store, clock });
    await outbox.sms.send({ to: '+4741234567', text: 'first' });
    clock.advance(1000);
    await outbox.email.send({ to: 'kari@example.no', subject: 'Hi', text: 'second', html: '<p>second</p>' });
    clock.advance(1000);
    await outbox.sms.send({ to: '+4741234567', text: 'third' });

    const list = await outbox.list();
    expect(list.map((m) => m.text)).to.deep.equal(['third', 'second', 'first']);
    expect(list[1]).to.include({
      channel: 'email',
      to: 'kari@example.no',
      subject: 'Hi',
      html: '<p>second</p>',
      sentAt: '2026-05-01T10:00:01.000Z',
    });
    expect(list[0]).to.include({ channel: 'sms', sentAt: '2026-05-01T10:00:02.000Z' });
    expect(list[0]).not.to.have.property('subject');
    expect((await outbox.list(1)).map((m) => m.text)).to.deep.equal(['third']);
  });

  it('finds the newest message to a recipient, however the number or address is written', async () => {
    const outbox = new DevOutbox({ store, clock });
    await outbox.sms.send({ to: '+4741234567', text: 'old' });
    await outbox.sms.send({ to: '+4799999999', text: 'someone else' });
    await outbox.sms.send({ to: '+4741234567', text: 'new' });
    await outbox.email.send({ to: 'Kari@example.no', subject: 's', text: 'mail' });

    expect((await outbox.latest('+4741234567'))?.text).to.equal('new');
    expect((await outbox.latest(' 4741234567'))?.text).to.equal('new');
    expect((await outbox.latest('kari@EXAMPLE.no'))?.text).to.equal('mail');
    expect(await outbox.latest('+4700000000')).to.equal(null);
    expect(recipientKey(' 47 41 23 45 67')).to.equal('+4741234567');
  });

  it('is bounded, dropping the oldest', async () => {
    const outbox = new DevOutbox({ store, clock, maxMessages: 3 });
    for (let i = 1; i <= 5; i += 1) {
      await outbox.sms.send({ to: '+4741234567', text: `message ${i}` });
      clock.advance(10);
    }
    expect((await outbox.list()).map((m) => m.text)).to.deep.equal(['message 5', 'message 4', 'message 3']);
    expect(await store.findByTag(OUTBOX_NAMESPACE, 'box', 'all')).to.have.length(3);
  });

  it('forgets messages after a day and can be cleared', async () => {
    const outbox = new DevOutbox({ store, clock });
    await outbox.sms.send({ to: '+4741234567', text: 'old' });
    clock.advance(86_400_000);
    await outbox.sms.send({ to: '+4741234567', text: 'new' });
    expect((await outbox.list()).map((m) => m.text)).to.deep.equal(['new']);
    expect(await outbox.clear()).to.equal(1);
    expect(await outbox.list()).to.deep.equal([]);
  });

  it('shares messages between processes using the same store file', async () => {
    const other = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
    try {
      await new DevOutbox({ store: other, clock }).sms.send({ to: '+4741234567', text: 'from elsewhere' });
      expect((await new DevOutbox({ store, clock }).latest('+4741234567'))?.text).to.equal('from elsewhere');
    } finally {
      await other.close();
    }
  });
});
