/**
 * The ProviderFeedStore contract: every adapter (embedded SQLite, MongoDB) must pass this suite
 * unchanged. `open` may be called several times with the same place to reopen the same storage.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  type AttemptRecord,
  InvalidDeliveryCursorError,
  MAX_LOGGED_ATTEMPTS,
  type NewDelivery,
  type ProviderFeedStore,
  type ProviderMessage,
} from '../../application/ports/provider-feed-store.js';
import { newId } from '../../application/kernel/ids.js';

export interface FeedStorePlace {
  open(): Promise<ProviderFeedStore>;
  cleanup(): Promise<void>;
}

const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function message(
  providerId: string,
  position: number,
  extra: Partial<ProviderMessage> = {},
): ProviderMessage {
  return {
    providerId,
    type: 'product.added',
    subject: { productId: `p-${position}` },
    data: { position, nested: { ok: true, list: [1, 'two'] } },
    occurredAt: at(position).toISOString(),
    eventId: randomUUID(),
    position,
    ...extra,
  };
}

const entry = (m: ProviderMessage) => ({ id: newId(), message: m });

function delivery(m: ProviderMessage, dueMs = 0, replay?: NewDelivery['replay']): NewDelivery {
  return {
    id: newId(),
    message: m,
    createdAt: at(dueMs).toISOString(),
    nextAttemptAt: at(dueMs).toISOString(),
    ...(replay ? { replay } : {}),
  };
}

const failed = (when: number, next: number | null): AttemptRecord => ({
  attempt: { at: at(when).toISOString(), statusCode: 500, error: 'HTTP 500', durationMs: 3 },
  status: next === null ? 'failed' : 'pending',
  nextAttemptAt: next === null ? null : at(next).toISOString(),
});

export function providerFeedStoreContract(label: string, place: () => Promise<FeedStorePlace>): void {
  describe(`${label} (ProviderFeedStore contract)`, function () {
    this.timeout(20_000);
    let where: FeedStorePlace;
    let store: ProviderFeedStore;
    const opened: ProviderFeedStore[] = [];
    const reopen = async () => {
      const s = await where.open();
      opened.push(s);
      return s;
    };
    let a: string;
    let b: string;

    beforeEach(async () => {
      where = await place();
      store = await reopen();
      a = randomUUID();
      b = randomUUID();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await where.cleanup();
    });

    describe('checkpoints', () => {
      it('start at 0, persist, never move backwards, and are independent per name', async () => {
        expect(await store.getCheckpoint('x')).to.equal(0);
        await store.saveCheckpoint('x', 7);
        await store.saveCheckpoint('x', 5);
        await store.saveCheckpoint('y', 2);
        const again = await reopen();
        expect(await again.getCheckpoint('x')).to.equal(7);
        expect(await again.getCheckpoint('y')).to.equal(2);
        await again.saveCheckpoint('x', 9);
        expect(await store.getCheckpoint('x')).to.equal(9);
      });
    });

    describe('event queue', () => {
      it('appends once per (provider, event) and leases in log order', async () => {
        const m1 = message(a, 10);
        const m2 = message(a, 11);
        const m3 = message(a, 12);
        expect(await store.enqueue([entry(m2), entry(m1)], T0)).to.equal(2);
        expect(await store.enqueue([entry(m1), entry(m3), entry(m2)], T0)).to.equal(1);
        expect(await store.queueDepth(a)).to.equal(3);
        const leased = await store.lease(a, 10, 30_000, T0);
        expect(leased.map((m) => m.position)).to.deep.equal([10, 11, 12]);
        expect(leased[0]).to.deep.include({
          ...m1,
          deliveryCount: 1,
          leaseExpiresAt: at(30_000).toISOString(),
        });
        expect(new Set(leased.map((m) => m.leaseId)).size).to.equal(3);
      });

      it('leases at most `max` and keeps leased messages invisible until the lease ends', async () => {
        await store.enqueue(
          [1, 2, 3].map((p) => entry(message(a, p))),
          T0,
        );
        const first = await store.lease(a, 2, 10_000, T0);
        expect(first.map((m) => m.position)).to.deep.equal([1, 2]);
        expect(await store.lease(a, 5, 10_000, at(1))).to.have.length(1);
        expect(await store.lease(a, 5, 10_000, at(9_999))).to.deep.equal([]);
        const again = await store.lease(a, 5, 10_000, at(10_000));
        expect(again.map((m) => [m.position, m.deliveryCount])).to.deep.equal([
          [1, 2],
          [2, 2],
        ]);
        expect(again[0]!.id).to.equal(first[0]!.id);
        expect(again[0]!.leaseId).to.not.equal(first[0]!.leaseId);
      });

      it('acknowledges only with the current lease and only within the provider', async () => {
        await store.enqueue([entry(message(a, 1)), entry(message(b, 2))], T0);
        const [first] = await store.lease(a, 1, 1_000, T0);
        const [other] = await store.lease(b, 1, 1_000, T0);
        expect(await store.ack(b, first!.id, first!.leaseId)).to.equal('not_found');
        expect(await store.ack(a, other!.id, other!.leaseId)).to.equal('not_found');
        expect(await store.ack(a, randomUUID(), first!.leaseId)).to.equal('not_found');
        const [second] = await store.lease(a, 1, 1_000, at(1_000));
        expect(await store.ack(a, first!.id, first!.leaseId)).to.equal('stale_lease');
        expect(await store.ack(a, second!.id, second!.leaseId)).to.equal('acked');
        expect(await store.ack(a, second!.id, second!.leaseId)).to.equal('acked');
        expect(await store.queueDepth(a)).to.equal(0);
        expect(await store.queueDepth(b)).to.equal(1);
        expect(await store.lease(a, 5, 1_000, at(100_000))).to.deep.equal([]);
      });

      it('accepts an ack after the lease ran out as long as nobody leased the message again', async () => {
        await store.enqueue([entry(message(a, 1))], T0);
        const [m] = await store.lease(a, 1, 1_000, T0);
        expect(await store.ack(a, m!.id, m!.leaseId)).to.equal('acked');
        expect(await store.lease(a, 1, 1_000, at(5_000))).to.deep.equal([]);
      });

      it('never hands one message to two concurrent leases', async () => {
        await store.enqueue(
          Array.from({ length: 20 }, (_, i) => entry(message(a, i + 1))),
          T0,
        );
        const batches = await Promise.all([1, 2, 3, 4].map(() => store.lease(a, 7, 60_000, T0)));
        const ids = batches.flat().map((m) => m.id);
        expect(ids).to.have.length(20);
        expect(new Set(ids).size).to.equal(20);
      });

      it('keeps an acknowledged message as a marker until purged, so it is not queued again', async () => {
        const m = message(a, 5);
        await store.enqueue([entry(m)], T0);
        const [leased] = await store.lease(a, 1, 1_000, T0);
        await store.ack(a, leased!.id, leased!.leaseId);
        expect(await store.enqueue([entry(m)], T0)).to.equal(0);
        expect(await store.purgeAcknowledged(4)).to.equal(0);
        expect(await store.purgeAcknowledged(5)).to.equal(1);
        expect(await store.ack(a, leased!.id, leased!.leaseId)).to.equal('not_found');
      });

      it('prunes messages older than the retention bound', async () => {
        await store.enqueue([entry(message(a, 1))], T0);
        await store.enqueue([entry(message(a, 2))], at(60_000));
        expect(await store.pruneQueue(at(30_000))).to.equal(1);
        expect((await store.lease(a, 5, 1_000, at(60_000))).map((m) => m.position)).to.deep.equal([2]);
      });

      it('keeps the queue across reopening', async () => {
        await store.enqueue([entry(message(a, 1))], T0);
        const [m] = await store.lease(a, 1, 1_000, T0);
        const again = await reopen();
        expect(await again.lease(a, 1, 1_000, T0)).to.deep.equal([]);
        const [redelivered] = await again.lease(a, 1, 1_000, at(1_000));
        expect(redelivered).to.deep.include({ id: m!.id, deliveryCount: 2 });
      });
    });

    describe('webhooks', () => {
      it('stores, replaces and deletes one endpoint per provider', async () => {
        expect(await store.getWebhook(a)).to.equal(null);
        const endpoint = {
          providerId: a,
          url: 'https://hooks.example/a',
          sealedSecret: 'sealed-1',
          createdAt: T0.toISOString(),
          updatedAt: T0.toISOString(),
        };
        await store.putWebhook(endpoint);
        expect(await store.getWebhook(a)).to.deep.equal(endpoint);
        expect(await store.getWebhook(b)).to.equal(null);
        const changed = { ...endpoint, url: 'https://hooks.example/a2', updatedAt: at(1).toISOString() };
        await store.putWebhook(changed);
        expect(await (await reopen()).getWebhook(a)).to.deep.equal(changed);
        expect(await store.deleteWebhook(a)).to.equal(true);
        expect(await store.deleteWebhook(a)).to.equal(false);
        expect(await store.getWebhook(a)).to.equal(null);
      });
    });

    describe('deliveries', () => {
      it('schedules an original delivery once per (provider, event) and replays every time', async () => {
        const m = message(a, 1);
        const original = delivery(m);
        expect(await store.scheduleDeliveries([original])).to.equal(1);
        expect(await store.scheduleDeliveries([delivery(m)])).to.equal(0);
        expect(await store.scheduleDeliveries([delivery(message(b, 1, { eventId: m.eventId }))])).to.equal(1);
        expect(
          await store.scheduleDeliveries([delivery(m, 0, { of: original.id }), delivery(m, 0, { of: null })]),
        ).to.equal(2);
        const page = await store.listDeliveries(a, { limit: 10 });
        expect(page.items).to.have.length(3);
        expect(page.items.map((d) => d.replayOf).sort()).to.deep.equal([null, null, original.id].sort());
      });

      it('claims due deliveries atomically and records attempts only under the current claim', async () => {
        const m = message(a, 1);
        const d = delivery(m, 0);
        await store.scheduleDeliveries([d, delivery(message(a, 2), 60_000)]);
        const claims = await Promise.all([
          store.claimDueDeliveries(T0, 5, 30_000),
          store.claimDueDeliveries(T0, 5, 30_000),
        ]);
        const claimed = claims.flat();
        expect(claimed).to.have.length(1);
        expect(claimed[0]!.delivery).to.deep.include({ id: d.id, status: 'pending', attemptCount: 0 });
        expect(claimed[0]!.delivery.message).to.deep.equal(m);
        // The claim runs out (the worker died): another worker takes it over.
        const [retaken] = await store.claimDueDeliveries(at(30_000), 1, 30_000);
        expect(retaken!.delivery.id).to.equal(d.id);
        expect(await store.recordAttempt(d.id, claimed[0]!.claimId, failed(1, 10_000))).to.equal(false);
        expect(await store.recordAttempt(d.id, retaken!.claimId, failed(30_000, 40_000))).to.equal(true);
        expect(await store.recordAttempt(d.id, retaken!.claimId, failed(30_000, 40_000))).to.equal(false);

        const [logged] = await store.getDeliveries(a, [d.id]);
        expect(logged).to.deep.include({
          status: 'pending',
          attemptCount: 1,
          nextAttemptAt: at(40_000).toISOString(),
          deliveredAt: null,
        });
        expect(logged!.attempts).to.deep.equal([failed(30_000, 40_000).attempt]);
        expect(await store.claimDueDeliveries(at(39_999), 5, 1_000)).to.have.length(0);
        const [third] = await store.claimDueDeliveries(at(40_000), 1, 1_000);
        const ok: AttemptRecord = {
          attempt: { at: at(40_000).toISOString(), statusCode: 204, error: null, durationMs: 2 },
          status: 'delivered',
          nextAttemptAt: null,
        };
        expect(await store.recordAttempt(d.id, third!.claimId, ok)).to.equal(true);
        const [done] = await store.getDeliveries(a, [d.id]);
        expect(done).to.deep.include({
          status: 'delivered',
          attemptCount: 2,
          nextAttemptAt: null,
          deliveredAt: at(40_000).toISOString(),
        });
        expect(await store.claimDueDeliveries(at(10_000_000), 5, 1_000)).to.have.length(1); // the other one
      });

      it('stops retrying a failed delivery and keeps only the latest attempts', async () => {
        const d = delivery(message(a, 1));
        await store.scheduleDeliveries([d]);
        for (let i = 0; i < MAX_LOGGED_ATTEMPTS + 2; i++) {
          const [c] = await store.claimDueDeliveries(at(i * 10), 1, 5);
          const last = i === MAX_LOGGED_ATTEMPTS + 1;
          expect(
            await store.recordAttempt(d.id, c!.claimId, failed(i * 10, last ? null : i * 10 + 10)),
          ).to.equal(true);
        }
        const [logged] = await store.getDeliveries(a, [d.id]);
        expect(logged!.status).to.equal('failed');
        expect(logged!.attemptCount).to.equal(MAX_LOGGED_ATTEMPTS + 2);
        expect(logged!.attempts).to.have.length(MAX_LOGGED_ATTEMPTS);
        expect(logged!.attempts[MAX_LOGGED_ATTEMPTS - 1]!.at).to.equal(
          at((MAX_LOGGED_ATTEMPTS + 1) * 10).toISOString(),
        );
        expect(await store.claimDueDeliveries(at(10_000_000), 5, 1_000)).to.deep.equal([]);
      });

      it('lists a provider’s deliveries newest first with a cursor, never another provider’s', async () => {
        const mine: NewDelivery[] = [];
        for (let i = 1; i <= 5; i++) {
          const d = delivery(message(a, i), i);
          mine.push(d);
          await store.scheduleDeliveries([d, delivery(message(b, i), i)]);
        }
        // Created in the same millisecond: both are listed, one after the other.
        const twins = [delivery(message(a, 6), 6), delivery(message(a, 7), 6)];
        await store.scheduleDeliveries(twins);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listDeliveries(a, { limit: 2, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).to.be.at.most(2);
          seen.push(...page.items.map((d) => d.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen.slice(2)).to.deep.equal(mine.map((d) => d.id).reverse());
        expect([...seen.slice(0, 2)].sort()).to.deep.equal(twins.map((d) => d.id).sort());
        expect(await store.getDeliveries(b, [mine[0]!.id])).to.deep.equal([]);
        expect((await store.getDeliveries(a, [mine[1]!.id, mine[0]!.id])).map((d) => d.id)).to.deep.equal([
          mine[1]!.id,
          mine[0]!.id,
        ]);
        let error: unknown;
        await store
          .listDeliveries(a, { limit: 2, cursor: 'not-a-cursor' })
          .catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(InvalidDeliveryCursorError);
      });

      it('prunes only finished deliveries created before the bound', async () => {
        const old = delivery(message(a, 1), 0);
        const pending = delivery(message(a, 2), 0);
        const recent = delivery(message(a, 3), 100_000);
        await store.scheduleDeliveries([old, pending, recent]);
        for (const d of [old]) {
          const claims = await store.claimDueDeliveries(T0, 5, 1_000);
          const c = claims.find((x) => x.delivery.id === d.id)!;
          await store.recordAttempt(d.id, c.claimId, failed(0, null));
        }
        expect(await store.pruneDeliveries(at(50_000))).to.equal(1);
        const left = await store.listDeliveries(a, { limit: 10 });
        expect(left.items.map((d) => d.id).sort()).to.deep.equal([pending.id, recent.id].sort());
      });
    });
  });
}
