import { expect } from 'chai';
import type { RecordedEvent } from '../../../domain/kernel/event.js';
import type { CheckpointStore } from '../../../application/ports/provider-feed-store.js';
import { ProcessManager, type ProcessManagerOptions } from '../../../application/feed/process-manager.js';
import { type FeedFixture, openFeedFixture } from '../../support/feed-fixture.js';

/** Polls `condition` every few milliseconds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A checkpoint store that counts writes and, once `crashed`, drops them (the process is gone). */
class RecordingCheckpoints implements CheckpointStore {
  saves = 0;
  crashed = false;
  constructor(private readonly inner: CheckpointStore) {}
  getCheckpoint(name: string): Promise<number> {
    return this.inner.getCheckpoint(name);
  }
  async saveCheckpoint(name: string, position: number): Promise<void> {
    if (this.crashed) return;
    this.saves += 1;
    await this.inner.saveCheckpoint(name, position);
  }
}

describe('Process manager checkpoints', function () {
  this.timeout(20_000);
  let f: FeedFixture;
  const managers: ProcessManager[] = [];

  /** A process manager recording the positions it is handed, in order. */
  const manager = (options: Partial<ProcessManagerOptions> & { checkpoints: CheckpointStore }) => {
    const handled: number[] = [];
    const pm = new ProcessManager({
      name: 'pm',
      store: f.store,
      retryDelayMs: 10,
      handle: async (events: readonly RecordedEvent[]) => {
        handled.push(...events.map((e) => e.globalPosition));
      },
      ...options,
    });
    managers.push(pm);
    return { pm, handled };
  };

  beforeEach(() => {
    f = openFeedFixture();
  });
  afterEach(async () => {
    for (const pm of managers.splice(0)) await pm.stop();
    await f.close();
  });

  it('stores the checkpoint at most once per interval while nobody waits, and at once for a waiter', async () => {
    const provider = await f.registerProvider();
    const checkpoints = new RecordingCheckpoints(f.feedStore);
    const { pm, handled } = manager({ checkpoints, checkpointIntervalMs: 60_000 });
    await pm.start();
    await until(() => pm.handledPosition >= 1, 'the first batch');
    const first = await f.feedStore.getCheckpoint('pm');

    let last = 0;
    for (let i = 0; i < 5; i++) {
      last = (await f.addProduct(provider, `sku-${i}`)).position;
      await until(() => pm.handledPosition >= last, `product ${i}`);
    }
    expect(handled).to.include(last);
    // Five more batches handled, none of them stored yet.
    expect(await f.feedStore.getCheckpoint('pm')).to.equal(first);
    expect(pm.position).to.equal(first);
    const savesBefore = checkpoints.saves;

    expect(await pm.waitFor(last)).to.equal(true);
    expect(await f.feedStore.getCheckpoint('pm')).to.equal(last);
    expect(pm.position).to.equal(last);
    expect(checkpoints.saves).to.equal(savesBefore + 1);
  });

  it('tells a caller when a position is handled without storing the checkpoint for it', async () => {
    const provider = await f.registerProvider();
    const checkpoints = new RecordingCheckpoints(f.feedStore);
    const { pm, handled } = manager({ checkpoints, checkpointIntervalMs: 60_000 });
    await pm.start();
    await until(() => pm.handledPosition >= 1, 'the first batch');
    const savesBefore = checkpoints.saves;
    const { position } = await f.addProduct(provider, 'awaited');
    const waiting = pm.waitForHandled(position);
    expect(await waiting).to.equal(true);
    expect(handled).to.include(position);
    expect(checkpoints.saves).to.equal(savesBefore);
    expect(pm.position).to.be.below(position);
    // A position nobody will write within the bound: false, not a hang.
    expect(await pm.waitForHandled(position + 100, 50)).to.equal(false);
  });

  it('stores what was handled when stopped', async () => {
    const provider = await f.registerProvider();
    const { pm } = manager({ checkpoints: f.feedStore, checkpointIntervalMs: 60_000 });
    await pm.start();
    await until(() => pm.handledPosition >= 1, 'the first batch');
    const { position } = await f.addProduct(provider, 'late');
    await until(() => pm.handledPosition >= position, 'the product');
    expect(await f.feedStore.getCheckpoint('pm')).to.be.below(position);
    await pm.stop();
    expect(await f.feedStore.getCheckpoint('pm')).to.equal(position);
  });

  it('catches the stored checkpoint up after the interval without anyone waiting', async () => {
    const provider = await f.registerProvider();
    const checkpoints = new RecordingCheckpoints(f.feedStore);
    const { pm } = manager({ checkpoints, checkpointIntervalMs: 100 });
    await pm.start();
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await f.addProduct(provider, `burst-${i}`)).position;
    await until(async () => (await f.feedStore.getCheckpoint('pm')) === last, 'the trailing checkpoint');
    // A burst of batches costs a few writes, not one per batch.
    expect(checkpoints.saves).to.be.at.most(4);
  });

  it('after a crash hands over again exactly what was handled since the stored checkpoint', async () => {
    const provider = await f.registerProvider();
    const checkpoints = new RecordingCheckpoints(f.feedStore);
    const before = manager({ checkpoints, checkpointIntervalMs: 60_000 });
    await before.pm.start();
    await until(() => before.pm.handledPosition >= 1, 'the first batch');
    let last = 0;
    for (let i = 0; i < 4; i++) {
      last = (await f.addProduct(provider, `c-${i}`)).position;
      await until(() => before.pm.handledPosition >= last, `product ${i}`);
    }
    // The process dies: nothing it would store from now on reaches the disk.
    checkpoints.crashed = true;
    await before.pm.stop();
    const stored = await f.feedStore.getCheckpoint('pm');
    expect(stored).to.be.below(last);

    const after = manager({ checkpoints: f.feedStore, name: 'pm' });
    await after.pm.start();
    expect(await after.pm.waitFor(last)).to.equal(true);
    // Nothing skipped: everything past the stored checkpoint comes again, in order, and only that.
    expect(after.handled).to.deep.equal(before.handled.filter((p) => p > stored));
    expect(after.handled.at(-1)).to.equal(last);
  });

  it('with an interval of 0 stores the checkpoint after every batch', async () => {
    const provider = await f.registerProvider();
    const { pm } = manager({ checkpoints: f.feedStore, checkpointIntervalMs: 0 });
    await pm.start();
    const { position } = await f.addProduct(provider, 'eager');
    await until(() => pm.handledPosition >= position, 'the product');
    await until(() => pm.position >= position, 'the checkpoint');
    expect(await f.feedStore.getCheckpoint('pm')).to.equal(position);
  });
});
