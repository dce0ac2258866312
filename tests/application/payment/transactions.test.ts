import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import { transactionStreamId } from '../../../domain/payment/values.js';
import { ctx, nok, order, otherSub, PaymentWorld, providerA, providerB, sub } from './payment-world.js';

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

const card = { kind: 'card' as const, reference: 'tok_visa' };
const issuer = { kind: 'provider' as const, id: 'client-a' };

describe('Transaction commands and queries (SQLite)', function () {
  this.timeout(20_000);
  let world: PaymentWorld;

  beforeEach(async () => {
    world = await PaymentWorld.start();
  });

  afterEach(async () => {
    await world.stop();
  });

  describe('create', () => {
    it('creates a transaction readers see with its products and VAT', async () => {
      const created = await world.commands.create(providerA, order('o-1'), ctx);
      expect(created.transaction.status).to.equal('created');
      await world.caughtUp();
      const doc = await world.queries.get(providerA, created.transactionId);
      expect(doc).to.include({ status: 'created', orderId: 'o-1', sub, providerId: providerA });
      expect(doc.vat).to.deep.equal(nok(980));
      expect(doc.products).to.have.length(1);
      expect(doc.createdAt).to.equal('2026-01-01T00:00:00.000Z');
      expect(await world.queries.findByOrderId(providerA, 'o-1')).to.include({ id: created.transactionId });
    });

    it('refuses products that do not add up to the amount', async () => {
      const error = await refusal(world.commands.create(providerA, order('o-1', { amount: nok(5000) }), ctx));
      expect(error).to.include({ code: 'products_sum_mismatch', field: 'products', kind: 'invalid' });
    });

    it('keeps orderId unique per provider', async () => {
      await world.commands.create(providerA, order('o-1'), ctx);
      const error = await refusal(
        world.commands.create(providerA, order('o-1', { description: 'Other' }), ctx),
      );
      expect(error).to.include({ code: 'order_exists', field: 'orderId', kind: 'conflict' });
      const elsewhere = await world.commands.create(providerB, order('o-1'), ctx);
      expect(elsewhere.changed).to.equal(true);
    });

    it('lets exactly one of concurrent creates for one orderId through', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          world.commands.create(providerA, order('race', { description: `try ${i}` }), ctx),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).to.have.length(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as DomainError).code).to.equal('order_exists');
      }
    });

    it('answers a repeat with the same Idempotency-Key and body with the first transaction', async () => {
      const first = await world.commands.create(providerA, order('o-1'), ctx, { idempotencyKey: 'k1' });
      const again = await world.commands.create(providerA, order('o-1'), ctx, { idempotencyKey: 'k1' });
      expect(again).to.include({
        transactionId: first.transactionId,
        deduplicated: true,
        position: first.position,
      });
      const error = await refusal(
        world.commands.create(providerA, order('o-2'), ctx, { idempotencyKey: 'k1' }),
      );
      expect(error).to.include({ code: 'idempotency_key_reused', kind: 'conflict' });
      // The same key of another provider is another key.
      const b = await world.commands.create(providerB, order('o-1'), ctx, { idempotencyKey: 'k1' });
      expect(b.transactionId).to.not.equal(first.transactionId);
    });

    it('creates once for concurrent repeats over a few keys', async () => {
      const keys = ['k1', 'k2', 'k3', 'k4'];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const key = keys[i % keys.length]!;
          return world.commands.create(providerA, order(`order-${key}`), ctx, { idempotencyKey: key });
        }),
      );
      const ids = new Set(results.map((r) => r.transactionId));
      expect(ids.size).to.equal(keys.length);
      await world.caughtUp();
      const page = await world.queries.listForUser(providerA, sub, { limit: 100 });
      expect(page.items).to.have.length(keys.length);
    });
  });

  describe('paying', () => {
    it('records a decline, then a challenge and a capture, with the attempts summarised', async () => {
      const { transactionId } = await world.commands.create(providerA, order('o-1'), ctx);
      const first = await world.commands.startAttempt(providerA, transactionId, { method: card }, ctx);
      await world.commands.fail(
        providerA,
        transactionId,
        first.attemptId,
        { code: 'card_declined', message: 'Your card was declined.' },
        ctx,
      );
      world.clock.advance(60_000);
      const second = await world.commands.startAttempt(
        providerA,
        transactionId,
        { attemptId: 'attempt-2', method: { kind: 'card', reference: 'tok_3ds' } },
        ctx,
      );
      expect(second.attemptId).to.equal('attempt-2');
      await world.commands.requireAction(providerA, transactionId, 'attempt-2', { action: 'challenge' }, ctx);
      const captured = await world.commands.capture(providerA, transactionId, 'attempt-2', {}, ctx);
      expect(captured.transaction.status).to.equal('captured');
      const repeat = await world.commands.capture(providerA, transactionId, 'attempt-2', {}, ctx);
      expect(repeat).to.include({ changed: false, position: null });

      await world.caughtUp();
      const doc = await world.queries.get(providerA, transactionId);
      expect(doc).to.include({ status: 'captured', lastError: null, currentAttemptId: null });
      expect(doc.captured).to.deep.equal(nok(4900));
      expect(doc.attempts.map((a) => [a.attemptId, a.status, a.code])).to.deep.equal([
        [first.attemptId, 'failed', 'card_declined'],
        ['attempt-2', 'captured', null],
      ]);
      expect(doc.attempts[1]).to.include({ startedAt: '2026-01-01T00:01:00.000Z' });
    });

    it('keeps an unknown outcome until the provider answers', async () => {
      const { transactionId } = await world.commands.create(providerA, order('o-1'), ctx);
      await world.commands.startAttempt(providerA, transactionId, { attemptId: 'a1', method: card }, ctx);
      await world.commands.markUnknown(providerA, transactionId, 'a1', 'provider timed out', ctx);
      const guess = await refusal(world.commands.capture(providerA, transactionId, 'a1', {}, ctx));
      expect(guess.code).to.equal('outcome_unknown');
      const answer = await world.commands.reconcile(
        providerA,
        transactionId,
        'a1',
        { status: 'captured' },
        ctx,
      );
      expect(answer.transaction.status).to.equal('captured');
      await world.caughtUp();
      const doc = await world.queries.get(providerA, transactionId);
      expect(doc.attempts[0]).to.include({ status: 'captured', reconciled: true });
    });

    it('expires an unpaid transaction after its expiry', async () => {
      const { transactionId } = await world.commands.create(
        providerA,
        order('o-1', { expiresAt: '2026-01-01T00:30:00+00:00' }),
        ctx,
      );
      expect((await refusal(world.commands.expire(providerA, transactionId, ctx))).code).to.equal(
        'not_expired',
      );
      world.clock.advance(30 * 60_000);
      const late = await refusal(
        world.commands.startAttempt(providerA, transactionId, { method: card }, ctx),
      );
      expect(late.code).to.equal('transaction_expired');
      expect((await world.commands.expire(providerA, transactionId, ctx)).transaction.status).to.equal(
        'expired',
      );
    });

    it('cancels for the user, and never for another provider', async () => {
      const { transactionId } = await world.commands.create(providerA, order('o-1'), ctx);
      const foreign = await refusal(world.commands.cancel(providerB, transactionId, { by: 'provider' }, ctx));
      expect(foreign).to.include({ code: 'transaction_not_found', kind: 'not_found' });
      const canceled = await world.commands.cancel(providerA, transactionId, { by: 'user' }, ctx);
      expect(canceled.transaction).to.include({ status: 'canceled', canceledBy: 'user' });
      await world.caughtUp();
      expect((await refusal(world.queries.get(providerB, transactionId))).code).to.equal(
        'transaction_not_found',
      );
      expect((await refusal(world.commands.capture(providerA, 'not-a-uuid', 'a1', {}, ctx))).code).to.equal(
        'transaction_not_found',
      );
    });
  });

  describe('refunds', () => {
    async function paid(orderId = 'o-1'): Promise<string> {
      const { transactionId } = await world.commands.create(providerA, order(orderId), ctx);
      await world.commands.startAttempt(providerA, transactionId, { attemptId: 'a1', method: card }, ctx);
      await world.commands.capture(providerA, transactionId, 'a1', {}, ctx);
      return transactionId;
    }

    it('refunds partially and in full, never above what is left', async () => {
      const id = await paid();
      const first = await world.commands.refund(
        providerA,
        id,
        { amount: nok(900), reason: 'late delivery', issuer },
        ctx,
      );
      expect(first.transaction.status).to.equal('partially_refunded');
      const over = await refusal(
        world.commands.refund(providerA, id, { amount: nok(4001), reason: 'all', issuer }, ctx),
      );
      expect(over).to.include({ code: 'refund_exceeds_captured', field: 'amount' });
      await world.commands.refund(providerA, id, { amount: nok(4000), reason: 'all', issuer }, ctx);
      await world.caughtUp();
      const doc = await world.queries.get(providerA, id);
      expect(doc).to.include({ status: 'refunded' });
      expect(doc.refunded).to.deep.equal(nok(4900));
      expect(doc.refundable).to.deep.equal(nok(0));
      expect(doc.refunds.map((r) => r.amount.amount)).to.deep.equal([900, 4000]);
    });

    it('refunds once for repeats of one Idempotency-Key, also concurrently', async () => {
      const id = await paid();
      const input = { amount: nok(1000), reason: 'goodwill', issuer };
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          world.commands.refund(providerA, id, input, ctx, { idempotencyKey: 'r-1' }),
        ),
      );
      expect(new Set(results.map((r) => r.refundId)).size).to.equal(1);
      const events = await world.store.readStream(transactionStreamId(id));
      expect(events.filter((e) => e.type === 'RefundIssued')).to.have.length(1);
      const changed = await refusal(
        world.commands.refund(providerA, id, { ...input, amount: nok(2000) }, ctx, { idempotencyKey: 'r-1' }),
      );
      expect(changed.code).to.equal('idempotency_key_reused');
    });
  });

  describe('listing', () => {
    it("lists a user's transactions newest first and a period's in pages", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const who = i === 2 ? otherSub : sub;
        ids.push((await world.commands.create(providerA, order(`o-${i}`, { sub: who }), ctx)).transactionId);
        world.clock.advance(3_600_000);
      }
      await world.commands.create(providerB, order('b-1'), ctx);
      await world.caughtUp();

      const mine = await world.queries.listForUser(providerA, sub);
      expect(mine.items.map((d) => d.id)).to.deep.equal([ids[4], ids[3], ids[1], ids[0]]);

      const period = { from: '2026-01-01T01:00:00Z', to: '2026-01-01T04:00:00.000Z' };
      const first = await world.queries.listByPeriod(providerA, period, { limit: 2 });
      expect(first.items.map((d) => d.id)).to.deep.equal([ids[1], ids[2]]);
      const second = await world.queries.listByPeriod(providerA, period, {
        limit: 2,
        cursor: first.nextCursor!,
      });
      expect(second.items.map((d) => d.id)).to.deep.equal([ids[3]]);
      expect(second.nextCursor).to.equal(null);

      const bad = await refusal(world.queries.listByPeriod(providerA, { from: period.to, to: period.from }));
      expect(bad).to.include({ code: 'invalid_period', field: 'to' });
      expect((await refusal(world.queries.listForUser(providerA, sub, { limit: 0 }))).code).to.equal(
        'invalid_limit',
      );
    });
  });
});
