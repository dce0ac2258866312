import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { EventStore } from '../../application/ports/event-store.js';
import type { Views } from '../../application/ports/views.js';
import { StaffCommands } from '../../application/staff/staff-commands.js';
import type { StaffRole } from '../../application/staff/staff-directory.js';
import { PORTS } from '../../application/tokens.js';
import { UserCommands } from '../../application/user/user-commands.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { agent as storyAgent, FILM, type Story, SupportWorld } from '../application/support/support-world.js';
import { Browser, hiddenField, type Visit } from '../support/browser.js';
import { latestCode, signInWithPhone } from '../support/oidc-flow.js';

/**
 * The support console (/support) through the real server: staff sign in through Tessera's own
 * provider with a phone code, get their roles from the real StaffCommands, and use every form of
 * the page with the browser's cookies. The customer's history is the support world's story (a
 * sign-in with consent, a right, a subscription, a card payment and a partial refund by support).
 */
describe('HTTP: support console (/support)', function () {
  this.timeout(60_000);
  const world = new SupportWorld();
  let story: Story;
  let agent: Staff;
  let lead: Staff;

  interface Staff {
    readonly sub: string;
    readonly browser: Browser;
    readonly phone: string;
  }

  const container = () => world.server.server.container;
  const store = () => container().get<EventStore>(PORTS.EventStore);
  const views = () => container().get<Views>(PORTS.Views);
  const ctx = () => ({
    actor: { kind: 'system' as const, id: 'test' },
    correlationId: `corr-${randomUUID()}`,
  });

  /** Signs a browser in at /support with a phone; grants `roles` once the account exists. */
  async function signInStaff(phone: string, roles: StaffRole[], headers: Record<string, string> = {}) {
    world.clock.advance(61_000);
    const browser = new Browser(world.server.url, headers);
    const start = await browser.get('/support');
    expect(new URL(start.url).pathname).to.match(/^\/interaction\//);
    const landed = await signInWithPhone(world.server, browser, start, phone);
    expect(new URL(landed.url).pathname).to.equal('/support');
    expect(landed.status, 'an account without a role').to.equal(403);
    const sub = (await container().get(UserQueries).findByIdentifier({ kind: 'phone', value: phone }))!;
    for (const role of roles) {
      const granted = await container()
        .get(StaffCommands)
        .grantRole(sub, role, { by: 'operator', reason: 'console test' }, ctx());
      expect(await views().waitFor(granted.position ?? 0, { timeoutMs: 5000 })).to.equal(true);
    }
    return { sub, browser, phone };
  }

  const userPath = (query = '') => `/support/users/${story.sub}${query}`;

  /** Posts one action form of the account page with the page's CSRF token. */
  const act = (staff: Staff, page: Visit, action: string, fields: Record<string, string>) =>
    staff.browser.post(`/support/users/${story.sub}/actions/${action}`, {
      csrf: hiddenField(page.body, 'csrf'),
      ...fields,
    });

  /** The history rows of a page: type, and the row's text without tags. */
  const rows = (page: Visit) =>
    [...page.body.matchAll(/<tr data-position="(\d+)" data-type="([A-Za-z]+)">(.*?)<\/tr>/g)].map((m) => ({
      position: Number(m[1]),
      type: m[2]!,
      text: m[3]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '),
    }));

  const local = (iso: string) => iso.slice(0, 19);

  /** The address of the history link marked `rel` (first, prev, next, last), unescaped. */
  const linkOf = (page: Visit, rel: string) =>
    new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(page.body)![1]!.replace(/&#38;/g, '&');

  const eventsOf = async (streamId: string) => store().readStream(streamId);

  before(async () => {
    await world.open();
    story = await world.story('+4741270001');
    agent = await signInStaff('+4741270101', ['support-agent']);
    lead = await signInStaff('+4741270102', ['support-lead']);
  });
  after(() => world.close());

  it('shows the search page with a strict content security policy and a sign-out button', async () => {
    const page = await agent.browser.get('/support');
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Find an account');
    expect(page.body).to.include('<label for="q">Phone, email or user id</label>');
    expect(page.body).to.include('action="/support/signout"');
    expect(page.body).to.include(`Signed in as ${agent.sub} (support-agent)`);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.not.include('script-src');
    expect(page.headers.get('cache-control')).to.equal('no-store');
  });

  it('finds an account by phone (national form) and by sub; says when none matches or the input is no identifier', async () => {
    const byPhone = await agent.browser.get(`/support/search?q=${encodeURIComponent('412 70 001')}`);
    expect(byPhone.status, byPhone.body).to.equal(200);
    expect(new URL(byPhone.url).pathname).to.equal(userPath());
    expect(byPhone.body).to.include('+4741270001');
    const bySub = await agent.browser.get(`/support/search?q=${story.sub}`);
    expect(new URL(bySub.url).pathname).to.equal(userPath());

    const none = await agent.browser.get('/support/search?q=nobody%40example.com');
    expect(none.status).to.equal(404);
    expect(none.body).to.include('No account matches.');
    const garbage = await agent.browser.get('/support/search?q=call%20me');
    expect(garbage.status).to.equal(400);
    expect(garbage.body).to.include('This is not a phone number, an email address or a user id.');
    const unknownSub = await agent.browser.get(`/support/users/${randomUUID()}`);
    expect(unknownSub.status).to.equal(404);
  });

  it('shows the summary and the whole history oldest first, in words, with actors and reasons', async () => {
    const page = await agent.browser.get(userPath());
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Not locked');
    const history = rows(page);
    const types = history.map((r) => r.type);
    for (const type of [
      'SignedIn',
      'ConsentGranted',
      'RightGranted',
      'SubscriptionStarted',
      'PaymentCaptured',
    ]) {
      expect(types).to.include(type);
    }
    const positions = history.map((r) => r.position);
    expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
    expect(types.indexOf('SignedIn')).to.be.below(types.indexOf('RightGranted'));
    expect(types.indexOf('RightGranted')).to.be.below(types.indexOf('PaymentCaptured'));
    const refund = history.find((r) => r.type === 'RefundIssued')!;
    expect(refund.text).to.include('Refunded 20.00 NOK by support');
    expect(refund.text).to.include(`support agent ${storyAgent.sub}`);
    expect(refund.text).to.include('Film would not play');
    expect(history.find((r) => r.type === 'SignedIn')!.text).to.include('the user');
  });

  it('filters the history by kind and by period, and refuses a period it cannot read', async () => {
    const payments = rows(await agent.browser.get(userPath('?kind=payment')));
    expect(payments.length).to.be.greaterThan(0);
    expect(payments.map((r) => r.type)).to.include('RefundIssued');
    expect(payments.map((r) => r.type)).to.not.include('SignedIn');
    expect(payments.every((r) => / Payments /.test(` ${r.text} `))).to.equal(true);

    const both = rows(await agent.browser.get(userPath('?kind=payment&kind=sign-in')));
    expect(both.map((r) => r.type)).to.include.members(['SignedIn', 'RefundIssued']);

    const period = await agent.browser.get(
      userPath(`?from=${local(story.paidAt)}&to=${local(story.refundedAt)}`),
    );
    const types = rows(period).map((r) => r.type);
    expect(types).to.include('PaymentCaptured');
    expect(types).to.not.include('RefundIssued');
    expect(types).to.not.include('SignedIn');
    // The form shows the period as it was read.
    expect(period.body).to.include(`name="from" value="${local(story.paidAt)}"`);

    const bad = await agent.browser.get(userPath('?from=yesterday'));
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include('Enter the time as 2026-03-01');
  });

  it('shows the state as of an instant, rebuilt from the history', async () => {
    const refundedAt = Date.parse(story.refundedAt);
    const txRow = (page: Visit) =>
      /<table id="state-transactions">.*?<\/table>/s.exec(page.body)?.[0].replace(/<[^>]+>/g, ' ') ?? '';
    const justBefore = await agent.browser.get(userPath(`?at=${new Date(refundedAt - 1000).toISOString()}`));
    expect(justBefore.status).to.equal(200);
    expect(txRow(justBefore)).to.match(/captured\s+49\.00 NOK\s+49\.00 NOK\s+0\.00 NOK/);
    const after = await agent.browser.get(userPath(`?at=${story.refundedAt}`));
    expect(txRow(after)).to.match(/partially_refunded\s+49\.00 NOK\s+49\.00 NOK\s+20\.00 NOK/);
    expect(after.body).to.include('<table id="state-rights">');
    expect(after.body).to.include(FILM.sku);
    expect(after.body).to.include('<table id="state-subscriptions">');
    expect(after.body).to.include('<h3>Payment methods</h3>');

    const early = await agent.browser.get(userPath('?at=2000-01-01'));
    expect(/<table id="state-account">.*?<\/table>/s.exec(early.body)?.[0]).to.include('unregistered');
    const bad = await agent.browser.get(userPath('?at=soon'));
    expect(bad.status).to.equal(400);
  });

  it('refunds part of a payment with a reason, as the agent, and shows it in the history', async () => {
    const page = await agent.browser.get(userPath());
    const done = await act(agent, page, 'refund', {
      transactionId: story.transactionId,
      amount: '5.00',
      reason: 'Stream kept buffering',
      key: randomUUID(),
    });
    expect(done.status, done.body).to.equal(200);
    expect(new URL(done.url).search).to.equal('?notice=refund');
    expect(done.body).to.include('The refund was issued.');
    const last = rows(done)
      .filter((r) => r.type === 'RefundIssued')
      .at(-1)!;
    expect(last.text).to.include('Refunded 5.00 NOK by support');
    expect(last.text).to.include(`support agent ${agent.sub} (you)`);
    expect(last.text).to.include('Stream kept buffering');
    const event = (await eventsOf(`payment-${story.transactionId}`)).at(-1)!;
    expect(event.type).to.equal('RefundIssued');
    expect(event.metadata.actor).to.deep.equal({ kind: 'support', id: agent.sub });
    expect(event.metadata.reason).to.equal('Stream kept buffering');
  });

  it('refuses an action without a reason, a bad amount and a target of another account, on the page', async () => {
    const page = await agent.browser.get(userPath());
    const before = (await eventsOf(`payment-${story.transactionId}`)).length;
    for (const reason of ['', '   ']) {
      const refused = await act(agent, page, 'refund', { transactionId: story.transactionId, reason });
      expect(refused.status).to.equal(422);
      expect(refused.body).to.include('Give a reason: say why you are doing this.');
      expect(refused.body).to.include('<h2>History</h2>');
    }
    const badAmount = await act(agent, page, 'refund', {
      transactionId: story.transactionId,
      amount: 'lots',
      reason: 'r',
    });
    expect(badAmount.status).to.equal(422);
    expect(badAmount.body).to.include('Enter the amount in NOK');
    const tooMuch = await act(agent, page, 'refund', {
      transactionId: story.transactionId,
      amount: '100.00',
      reason: 'r',
    });
    expect(tooMuch.status).to.be.oneOf([409, 422]);
    const foreign = await act(agent, page, 'refund', { transactionId: randomUUID(), reason: 'r' });
    expect(foreign.status).to.equal(404);
    expect(foreign.body).to.include('That is not on this account.');
    expect((await eventsOf(`payment-${story.transactionId}`)).length).to.equal(before);
  });

  it('grants a goodwill right, extends, suspends and reactivates a right, and cancels a subscription', async () => {
    let page = await agent.browser.get(userPath());
    const tooLong = await act(agent, page, 'grant-right', {
      providerId: world.acme.providerId,
      sku: FILM.sku,
      days: '90',
      reason: 'Long outage',
    });
    expect(tooLong.status).to.equal(403);
    expect(tooLong.body).to.include('This needs a support lead.');

    page = await act(agent, page, 'grant-right', {
      providerId: world.acme.providerId,
      sku: FILM.sku,
      days: '7',
      reason: 'Outage last weekend',
    });
    expect(page.body).to.include('The goodwill right was granted.');
    const granted = rows(page)
      .filter((r) => r.type === 'RightGranted')
      .at(-1)!;
    expect(granted.text).to.include('as goodwill at Acme');
    expect(granted.text).to.include('Outage last weekend');

    page = await act(agent, page, 'extend-right', {
      rightId: story.rightId,
      days: '3',
      reason: 'Late delivery',
    });
    expect(page.body).to.include('The right was extended.');
    expect(rows(page).at(-1)).to.include({ type: 'RightExtended' });

    page = await act(agent, page, 'suspend-right', { rightId: story.rightId, reason: 'Chargeback opened' });
    expect(page.body).to.include('The right was suspended.');
    expect(page.body).to.include('id="action-reactivate-right" action=');
    page = await act(agent, page, 'reactivate-right', {
      rightId: story.rightId,
      reason: 'Chargeback withdrawn',
    });
    expect(page.body).to.include('The right was reactivated.');
    const rightEvents = (await eventsOf(`right-${story.rightId}`)).map((e) => e.type);
    expect(rightEvents.slice(-3)).to.deep.equal(['RightExtended', 'RightSuspended', 'RightReactivated']);

    page = await act(agent, page, 'cancel-subscription', {
      subscriptionId: story.subscriptionId,
      when: 'period-end',
      reason: 'Customer moved abroad',
    });
    expect(page.body).to.include('The subscription was canceled.');
    const last = (await eventsOf(`subscription-${story.subscriptionId}`)).at(-1)!;
    expect(last.type).to.equal('SubscriptionCancellationScheduled');
    expect(last.metadata.actor).to.deep.equal({ kind: 'support', id: agent.sub });
  });

  it('lets an agent lock sign-in but only a lead unlock it', async () => {
    let page = await agent.browser.get(userPath());
    page = await act(agent, page, 'lock-sign-in', { until: '', reason: 'Account takeover suspected' });
    expect(page.body).to.include('Sign-in is locked.');
    expect(page.body).to.include('Locked until unlocked (Account takeover suspected)');
    // An agent is not offered unlocking, and is refused when posting it anyway.
    expect(page.body).to.not.include('id="action-unlock-sign-in"');
    const refused = await act(agent, page, 'unlock-sign-in', { reason: 'Customer verified' });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include('This needs a support lead.');

    let leadPage = await lead.browser.get(userPath());
    expect(leadPage.body).to.include('id="action-unlock-sign-in" action=');
    leadPage = await act(lead, leadPage, 'unlock-sign-in', { reason: 'Customer verified by video call' });
    expect(leadPage.body).to.include('Sign-in is unlocked.');
    expect(leadPage.body).to.include('Not locked');
    const unlocked = rows(leadPage)
      .filter((r) => r.type === 'SignInUnlocked')
      .at(-1)!;
    expect(unlocked.text).to.include(`support agent ${lead.sub} (you)`);
  });

  it('resends a verification code to an unverified email; refuses when there is none', async () => {
    await container()
      .get(UserCommands)
      .addIdentifier(story.sub, { kind: 'email', value: 'kari.console@example.com' }, ctx());
    const page = await agent.browser.get(userPath());
    const none = await act(agent, page, 'resend-verification', { kind: 'phone', reason: 'Asked by phone' });
    expect(none.status).to.equal(409);
    expect(none.body).to.include('The account has nothing unverified of that kind.');
    const sent = await act(agent, page, 'resend-verification', {
      kind: 'email',
      reason: 'Code never arrived',
    });
    expect(sent.status, sent.body).to.equal(200);
    expect(sent.body).to.include('A new verification code was sent.');
    expect(await latestCode(world.server, 'kari.console@example.com')).to.match(/^\d{6}$/);
  });

  it('refuses posts without the session’s CSRF token, changing nothing', async () => {
    const before = (await eventsOf(`user-${story.sub}`)).length;
    for (const csrf of [undefined, 'forged-token']) {
      const refused = await agent.browser.post(`/support/users/${story.sub}/actions/lock-sign-in`, {
        ...(csrf === undefined ? {} : { csrf }),
        reason: 'Forged',
      });
      expect(refused.status).to.equal(403);
    }
    expect((await eventsOf(`user-${story.sub}`)).length).to.equal(before);
  });

  it('gives accounts without a support role the 403 page, auditors included', async () => {
    const nobody = await signInStaff('+4741270103', []);
    const again = await nobody.browser.get(userPath());
    expect(again.status).to.equal(403);
    expect(again.body).to.include('No access');
    expect(again.body).to.not.include('+4741270001');
    const auditor = await signInStaff('+4741270104', ['auditor']);
    const refused = await auditor.browser.get('/support');
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include('the support-agent role or the support-lead role');
  });

  it('speaks Norwegian to a browser that asks for it', async () => {
    const staff = await signInStaff('+4741270105', ['support-agent'], {
      'accept-language': 'nb-NO,nb;q=0.9',
    });
    const page = await staff.browser.get(userPath());
    expect(page.body).to.include('<html lang="nb"');
    expect(page.body).to.include('Historikk');
    expect(page.body).to.include('Refunder en betaling');
  });

  it('pages through a long history: newest page first, then older and oldest', async () => {
    const users = container().get(UserCommands);
    for (let i = 0; i < 60; i++) await users.updateProfile(story.sub, { name: `Kari ${i}` }, ctx());
    await world.caughtUp();
    const newest = await agent.browser.get(userPath('?kind=account'));
    const newestRows = rows(newest);
    const total = Number(/Entries \d+–\d+ of (\d+)/.exec(newest.body)![1]);
    expect(total).to.be.greaterThan(60);
    // Pages are counted from the oldest entry: the newest holds what is left after full pages.
    const onNewest = total - 50 * Math.floor((total - 1) / 50);
    expect(newestRows).to.have.length(onNewest);
    expect(newest.body).to.include(`Entries ${total - onNewest + 1}–${total} of ${total}`);
    expect(newest.body).to.not.include('rel="next"');
    expect(newestRows.at(-1)!.type).to.equal('ProfileChanged');
    const older = linkOf(newest, 'prev');
    const olderPage = await agent.browser.get(older);
    const olderRows = rows(olderPage);
    expect(olderRows).to.have.length(50);
    expect(olderRows.at(-1)!.position).to.be.below(newestRows[0]!.position);
    expect(olderRows.every((r) => r.text.includes('Account'))).to.equal(true);
    const oldest = linkOf(newest, 'first');
    expect(rows(await agent.browser.get(oldest))[0]!.type).to.equal('UserRegistered');
    const newer = linkOf(olderPage, 'next');
    const back = rows(await agent.browser.get(newer));
    expect(back.map((r) => r.position)).to.deep.equal(newestRows.map((r) => r.position));
  });

  it('signs out of Tessera with the sign-out button', async () => {
    const staff = await signInStaff('+4741270106', ['support-agent']);
    const page = await staff.browser.get('/support');
    const out = await staff.browser.post('/support/signout', { csrf: hiddenField(page.body, 'csrf') });
    expect(out.status).to.equal(200);
    expect(out.body).to.include('You are signed out of Tessera.');
    const again = await staff.browser.get('/support');
    expect(new URL(again.url).pathname).to.match(/^\/interaction\//);
  });
});
