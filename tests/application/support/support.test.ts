import { expect } from 'chai';
import type { RecordedEvent } from '../../../domain/kernel/event.js';
import { DomainError } from '../../../domain/kernel/decider.js';
import type { Views } from '../../../application/ports/views.js';
import { PORTS } from '../../../application/tokens.js';
import { UserCommands } from '../../../application/user/user-commands.js';
import type { TimelineEntry } from '../../../application/support/timeline.js';
import { agent, auditor, HOUR, lead, meta, nok, type Story, SupportWorld } from './support-world.js';

async function refusal(run: Promise<unknown>): Promise<DomainError> {
  try {
    await run;
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

/** Every event in the log of every stream in which some event names `sub`: the timeline's oracle. */
async function eventsOf(world: SupportWorld, sub: string): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let after = 0; ;) {
    const batch = await world.store.readAll({ after, maxCount: 1000 });
    if (batch.length === 0) break;
    all.push(...batch);
    after = batch.at(-1)!.globalPosition;
  }
  const names = (e: RecordedEvent) => {
    const d = e.data as Record<string, unknown>;
    return d.sub === sub || d.userId === sub;
  };
  const streams = new Set(all.filter(names).map((e) => e.streamId));
  return all.filter((e) => streams.has(e.streamId));
}

describe('Support: lookup, account history, state as of, actions', function () {
  this.timeout(60_000);
  const world = new SupportWorld();
  let story: Story;

  before(async () => {
    await world.open();
    story = await world.story('+4741250601');
  });
  after(() => world.close());

  describe('sign-in recording', () => {
    it('writes SignedIn with the method and the client the sign-in was for, as the user', async () => {
      const events = await world.store.readStream(`user-${story.sub}`);
      const signedIn = events.filter((e) => e.type === 'SignedIn');
      expect(signedIn).to.have.length(1);
      expect(signedIn[0]!.data).to.deep.equal({
        userId: story.sub,
        method: 'sms',
        withPassword: false,
        clientId: story.client.clientId,
      });
      expect(signedIn[0]!.metadata.actor).to.deep.equal({ kind: 'user', id: story.sub });
    });
  });

  describe('find a user', () => {
    it('finds by sub, by phone in national or international form, and decrypts for display', async () => {
      const bySub = await world.lookup.find({ sub: story.sub });
      expect(bySub?.sub).to.equal(story.sub);
      expect(bySub?.phones.map((p) => p.value)).to.deep.equal(['+4741250601']);
      expect((await world.lookup.find({ phone: '412 50 601' }))?.sub).to.equal(story.sub);
      expect((await world.lookup.find({ phone: '+47 41 25 06 01' }))?.sub).to.equal(story.sub);
      expect(await world.lookup.find({ phone: '+4741250699' })).to.equal(null);
      expect(await world.lookup.find({ email: 'nobody@example.com' })).to.equal(null);
      expect(await world.lookup.find({ sub: '0190f3c2-7a1b-7c3d-8e4f-0000000000ff' })).to.equal(null);
    });

    it('refuses malformed input, naming the field', async () => {
      expect((await refusal(world.lookup.find({ phone: 'call me' }))).field).to.equal('phone');
      expect((await refusal(world.lookup.find({ email: '+4741250601' }))).field).to.equal('email');
      expect((await refusal(world.lookup.find({ sub: 'nope' }))).field).to.equal('sub');
    });

    it('shows an erased account as erased, without personal data', async () => {
      const client = story.client;
      const sub = await world.signIn('+4741250602', client);
      const users = world.get<UserCommands>(UserCommands);
      const erased = await users.erase(sub, { actor: { kind: 'user', id: sub }, correlationId: 'erase' });
      await world.get<Views>(PORTS.Views).waitFor(erased.position!, { timeoutMs: 5000 });
      const found = await world.lookup.find({ sub });
      expect(found?.status).to.equal('erased');
      expect(found?.phones).to.deep.equal([]);
      expect(found?.name).to.equal(null);
      expect(await world.lookup.find({ phone: '+4741250602' })).to.equal(null);
    });
  });

  describe('account history', () => {
    let full: readonly TimelineEntry[];
    before(async () => {
      full = (await world.timeline.page(story.sub, { limit: 500 })).entries;
    });

    it('lists every event of every aggregate of the user, in log order', async () => {
      const oracle = await eventsOf(world, story.sub);
      expect(full.map((e) => e.position)).to.deep.equal(oracle.map((e) => e.globalPosition));
      const positions = full.map((e) => e.position);
      expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
      const types = full.map((e) => e.type);
      const milestones = [
        'UserRegistered',
        'SignedIn',
        'ConsentGranted',
        'RightGranted',
        'SubscriptionStarted',
        'SubscriptionPeriodStarted',
        'TransactionCreated',
        'PaymentCaptured',
        'RefundIssued',
      ];
      let at = -1;
      for (const type of milestones) {
        const next = types.indexOf(type, at + 1);
        expect(next, `${type} after index ${at}`).to.be.greaterThan(at);
        at = next;
      }
      expect(new Set(full.map((e) => e.kind))).to.include.members([
        'account',
        'sign-in',
        'consent',
        'right',
        'subscription',
        'payment',
      ]);
    });

    it('names the actor of each entry and tells it in plain words', () => {
      const of = (type: string) => full.find((e) => e.type === type)!;
      expect(of('SignedIn').actor).to.include({ kind: 'user', id: story.sub, label: 'the user' });
      expect(of('SignedIn').description).to.equal('Signed in to Acme App with a code by SMS');
      expect(of('SignedIn').kind).to.equal('sign-in');
      expect(of('ConsentGranted').description).to.equal('Allowed Acme App access to openid, phone');
      const granted = full.find((e) => e.type === 'RightGranted' && e.aggregateId === story.rightId)!;
      expect(granted.actor).to.include({
        kind: 'client',
        id: world.acme.clientId,
        label: 'client Acme backend',
      });
      expect(granted.description).to.match(/^Right for SKU film-48h granted by provider Acme, valid \d+ \w+/);
      expect(of('SubscriptionStarted').description).to.equal('Subscribed to plan premium-monthly at Acme');
      expect(of('PaymentCaptured').description).to.match(/^Paid 49\.00 NOK with \w+ •••• 4242$/);
      expect(of('PaymentCaptured').actor).to.include({ kind: 'user', id: story.sub });
      const refund = of('RefundIssued');
      expect(refund.actor).to.include({ kind: 'support', id: agent.sub });
      expect(refund.reason).to.equal('Film would not play');
      expect(refund.description).to.equal('Refunded 20.00 NOK by support: Film would not play');
      expect(refund.streamId).to.equal(`payment-${story.transactionId}`);
      expect(refund.aggregateId).to.equal(story.transactionId);
    });

    it('filters by kind', async () => {
      const signIns = (await world.timeline.page(story.sub, { kinds: ['sign-in'] })).entries;
      expect(signIns.map((e) => e.type)).to.deep.equal(['SignedIn']);
      const money = (await world.timeline.page(story.sub, { kinds: ['payment', 'consent'] })).entries;
      expect(money.length).to.be.greaterThan(2);
      expect(new Set(money.map((e) => e.kind))).to.deep.equal(new Set(['payment', 'consent']));
    });

    it('filters by period (from inclusive, to exclusive)', async () => {
      const page = await world.timeline.page(story.sub, { from: story.subscribedAt, to: story.paidAt });
      expect(page.entries.length).to.be.greaterThan(0);
      for (const e of page.entries) {
        expect(e.at >= story.subscribedAt && e.at < story.paidAt, e.at).to.equal(true);
      }
      expect(page.entries.map((e) => e.type)).to.include('SubscriptionStarted');
      // The subscription's own period right is granted then; the provider's right an hour before is not.
      expect(page.entries.map((e) => e.aggregateId)).not.to.include(story.rightId);
      expect(page.entries.map((e) => e.type)).not.to.include('PaymentCaptured');
    });

    it('pages by global position', async () => {
      const seen: TimelineEntry[] = [];
      let cursor: number | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await world.timeline.page(story.sub, { limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.entries.length).to.be.at.most(3);
        seen.push(...page.entries);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen.map((e) => e.position)).to.deep.equal(full.map((e) => e.position));
    });
  });

  describe('state as of', () => {
    const before = (iso: string) => new Date(Date.parse(iso) - 1);

    it('rebuilds the account and everything of it at several instants', async () => {
      const early = await world.state.at(story.sub, before(story.signedInAt));
      expect(early.account.status).to.equal('unregistered');
      expect(early.rights).to.deep.equal([]);

      const afterRight = await world.state.at(story.sub, before(story.subscribedAt));
      expect(afterRight.account.status).to.equal('active');
      expect(afterRight.account.phones[0]?.value).to.equal('+4741250601');
      expect(afterRight.consents.map((c) => c.status)).to.deep.equal(['active']);
      expect(afterRight.rights.map((r) => [r.rightId, r.state])).to.deep.equal([[story.rightId, 'ACTIVE']]);
      expect(afterRight.subscriptions).to.deep.equal([]);

      const paid = await world.state.at(story.sub, before(story.refundedAt));
      expect(paid.subscriptions.map((s) => s.subscriptionId)).to.deep.equal([story.subscriptionId]);
      const tx = paid.transactions.find((t) => t.transactionId === story.transactionId)!;
      expect(tx.status).to.equal('captured');
      expect(tx.captured).to.deep.equal(nok(4900));
      expect(tx.refunded).to.deep.equal(nok(0));
      expect(tx.method).to.match(/•••• 4242$/);

      const now = await world.state.at(story.sub, world.clock.now());
      const refunded = now.transactions.find((t) => t.transactionId === story.transactionId)!;
      expect(refunded.refunded).to.deep.equal(nok(2000));
      expect(now.position).to.be.greaterThan(paid.position);

      // The film right lasts two days: at a later instant the same events say EXPIRED.
      const later = await world.state.at(story.sub, new Date(Date.parse(story.rightAt) + 3 * 24 * HOUR));
      expect(later.rights.find((r) => r.rightId === story.rightId)?.state).to.equal('EXPIRED');
    });
  });

  describe('actions', () => {
    const reasonOf = async (streamId: string, type: string) => {
      const e = (await world.store.readStream(streamId)).filter((x) => x.type === type).at(-1)!;
      return { actor: e.metadata.actor, reason: e.metadata.reason, data: e.data as Record<string, unknown> };
    };

    it('suspends and reactivates a right, recording the agent and the reason', async () => {
      await world.actions.suspendRight(story.sub, story.rightId, meta(agent, 'Chargeback dispute'));
      const suspended = await reasonOf(`right-${story.rightId}`, 'RightSuspended');
      expect(suspended.actor).to.deep.equal({ kind: 'support', id: agent.sub });
      expect(suspended.reason).to.equal('Chargeback dispute');
      expect(suspended.data.reason).to.equal('Chargeback dispute');
      const during = await world.state.at(story.sub, world.clock.now());
      expect(during.rights.find((r) => r.rightId === story.rightId)?.state).to.equal('SUSPENDED');

      await world.actions.reactivateRight(story.sub, story.rightId, meta(agent, 'Dispute settled'));
      const back = await reasonOf(`right-${story.rightId}`, 'RightReactivated');
      expect(back.reason).to.equal('Dispute settled');
      const after = await world.state.at(story.sub, world.clock.now());
      expect(after.rights.find((r) => r.rightId === story.rightId)?.state).to.equal('ACTIVE');
    });

    it('extends a right within the agent limit; further needs a lead', async () => {
      await world.actions.extendRight(story.sub, story.rightId, { by: 'P7D' }, meta(agent, 'Outage'));
      const extended = await reasonOf(`right-${story.rightId}`, 'RightExtended');
      expect(extended.actor.kind).to.equal('support');
      expect(extended.reason).to.equal('Outage');
      const tooFar = await refusal(
        world.actions.extendRight(story.sub, story.rightId, { by: 'P60D' }, meta(agent, 'Outage')),
      );
      expect(tooFar.code).to.equal('support_lead_required');
      await world.actions.extendRight(story.sub, story.rightId, { by: 'P60D' }, meta(lead, 'Long outage'));
    });

    it('grants goodwill rights with grantor support; perpetual ones only by a lead', async () => {
      const { rightId } = await world.actions.grantGoodwillRight(
        story.sub,
        { providerId: world.acme.providerId, sku: 'film-48h', length: { days: 7 } },
        meta(agent, 'Sorry for the outage'),
      );
      const granted = await reasonOf(`right-${rightId}`, 'RightGranted');
      expect(granted.data.grantor).to.deep.equal({ kind: 'support', id: agent.sub });
      expect(granted.reason).to.equal('Sorry for the outage');
      const forever = { providerId: world.acme.providerId, sku: 'film-48h', length: { validUntil: null } };
      expect(
        (await refusal(world.actions.grantGoodwillRight(story.sub, forever, meta(agent, 'x')))).code,
      ).to.equal('support_lead_required');
      await world.actions.grantGoodwillRight(story.sub, forever, meta(lead, 'Lifetime goodwill'));
    });

    it('cancels a subscription at the period end, with the reason on the event', async () => {
      await world.actions.cancelSubscription(
        story.sub,
        story.subscriptionId,
        { atPeriodEnd: true },
        meta(agent, 'Customer asked by phone'),
      );
      const scheduled = await reasonOf(
        `subscription-${story.subscriptionId}`,
        'SubscriptionCancellationScheduled',
      );
      expect(scheduled.actor).to.deep.equal({ kind: 'support', id: agent.sub });
      expect(scheduled.data.reason).to.equal('Customer asked by phone');
    });

    it('refunds within the limit; above an agent limit only a lead may', async () => {
      const strict = world.supportActions({ agentRefundLimits: { NOK: 1000 }, agentMaxGoodwillDays: 31 });
      const big = await refusal(
        strict.refund(story.sub, { transactionId: story.transactionId, amount: nok(1500) }, meta(agent, 'x')),
      );
      expect(big.code).to.equal('support_lead_required');
      const done = await strict.refund(
        story.sub,
        { transactionId: story.transactionId },
        meta(lead, 'Full refund approved'),
      );
      expect(done.amount).to.deep.equal(nok(2900));
      const refund = await reasonOf(`payment-${story.transactionId}`, 'RefundIssued');
      expect(refund.data.issuer).to.deep.equal({ kind: 'support', id: lead.sub });
      expect(refund.reason).to.equal('Full refund approved');
    });

    it('locks sign-in as an agent; only a lead unlocks', async () => {
      await world.actions.lockSignIn(story.sub, { until: null }, meta(agent, 'Suspected account takeover'));
      const locked = await reasonOf(`user-${story.sub}`, 'SignInLocked');
      expect(locked.data).to.include({ reason: 'Suspected account takeover', until: null });
      expect(locked.actor).to.deep.equal({ kind: 'support', id: agent.sub });
      expect(
        (await refusal(world.actions.unlockSignIn(story.sub, meta(agent, 'Verified by ID')))).code,
      ).to.equal('support_role_required');
      await world.actions.unlockSignIn(story.sub, meta(lead, 'Verified by ID'));
      const unlocked = await reasonOf(`user-${story.sub}`, 'SignInUnlocked');
      expect(unlocked.reason).to.equal('Verified by ID');
      expect(unlocked.actor).to.deep.equal({ kind: 'support', id: lead.sub });
    });

    it('resends a verification code to the unverified email', async () => {
      const users = world.get<UserCommands>(UserCommands);
      await users.addIdentifier(
        story.sub,
        { kind: 'email', value: 'kari@example.com' },
        { actor: { kind: 'user', id: story.sub }, correlationId: 'add' },
      );
      const nothing = await refusal(
        world.actions.resendVerification(story.sub, { kind: 'phone' }, meta(agent, 'x')),
      );
      expect(nothing.code).to.equal('nothing_to_verify');
      world.clock.advance(10 * 60_000);
      const sent = await world.actions.resendVerification(
        story.sub,
        { kind: 'email' },
        meta(agent, 'Customer never got the email'),
      );
      expect(sent.sentTo).to.equal('k***@example.com');
      const res = await fetch(`${world.server.url}/dev/outbox/latest?to=kari%40example.com`);
      expect(res.status).to.equal(200);
      expect(((await res.json()) as { text: string }).text).to.match(/\b\d{6}\b/);
    });

    it('refuses without the role or without a reason, before touching anything', async () => {
      const head = await world.store.headPosition();
      const noRole = await refusal(world.actions.suspendRight(story.sub, story.rightId, meta(auditor, 'x')));
      expect(noRole.kind).to.equal('forbidden');
      expect(noRole.code).to.equal('support_role_required');
      const noReason = await refusal(
        world.actions.suspendRight(story.sub, story.rightId, meta(agent, '   ')),
      );
      expect(noReason.kind).to.equal('invalid');
      expect(noReason.code).to.equal('reason_required');
      expect(noReason.field).to.equal('reason');
      expect(await world.store.headPosition()).to.equal(head);
    });

    it('finds nothing of another account', async () => {
      const other = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
      const err = await refusal(world.actions.suspendRight(other, story.rightId, meta(agent, 'x')));
      expect(err.code).to.equal('right_not_found');
      const tx = await refusal(
        world.actions.refund(other, { transactionId: story.transactionId }, meta(agent, 'x')),
      );
      expect(tx.code).to.equal('transaction_not_found');
    });
  });
});
