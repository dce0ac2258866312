import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import type { Views } from '../../application/ports/views.js';
import { StaffCommands } from '../../application/staff/staff-commands.js';
import { PORTS } from '../../application/tokens.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { type Story, SupportWorld } from '../application/support/support-world.js';
import { launchChromium } from '../support/chromium.js';

/**
 * The support console (/support) in headless Chromium, as an agent uses it: signing in through
 * Tessera's own sign-in pages with a phone and the code from the development outbox, finding a
 * customer by phone, reading their history, refunding part of a payment with a reason, and seeing
 * the refund in the history with the agent as actor. Every page must load without a console error,
 * which is where Chromium reports whatever the content security policy blocked.
 */
describe('Browser: the support console in headless Chromium', function () {
  this.timeout(60_000);
  const AGENT_PHONE = '+4741290101';
  let chromium: Browser | null = null;
  const world = new SupportWorld();
  let story: Story;

  before(async function () {
    this.timeout(60_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    await world.open();
    story = await world.story('+4741290001');
  });

  after(async () => {
    await chromium?.close();
    if (chromium !== null) await world.close();
  });

  async function outboxCode(to: string): Promise<string> {
    const res = await fetch(`${world.server.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /** Makes the signed-in account a support agent, as an operator would with the CLI. */
  async function makeAgent(phone: string): Promise<string> {
    const container = world.server.server.container;
    const sub = (await container.get(UserQueries).findByIdentifier({ kind: 'phone', value: phone }))!;
    const granted = await container
      .get(StaffCommands)
      .grantRole(
        sub,
        'support-agent',
        { by: 'operator', reason: 'browser test' },
        { actor: { kind: 'system', id: 'test' }, correlationId: 'corr-browser-support' },
      );
    expect(
      await container.get<Views>(PORTS.Views).waitFor(granted.position ?? 0, { timeoutMs: 5000 }),
    ).to.equal(true);
    return sub;
  }

  it('signs an agent in, finds a customer by phone, refunds with a reason, and shows it in the history', async () => {
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const page: Page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));

      // Signing in through Tessera's own pages; the account holds no role yet, so the 403 page
      // (which Chromium logs as the one expected console error).
      world.clock.advance(61_000);
      await page.goto(`${world.server.url}/support`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Phone number or email').fill(AGENT_PHONE);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('6-digit code').fill(await outboxCode(AGENT_PHONE));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'No access' }).waitFor();
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/status of 403 .*\/support\)$/);
      errors.length = 0;

      const agentSub = await makeAgent(AGENT_PHONE);
      await page.goto(`${world.server.url}/support`);
      await page.getByRole('heading', { name: 'Find an account' }).waitFor();
      await page.getByLabel('Phone, email or user id').fill('412 90 001');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('heading', { name: `Account ${story.sub}` }).waitFor();
      expect(new URL(page.url()).pathname).to.equal(`/support/users/${story.sub}`);

      // The history is there, oldest first, with the payment and the earlier refund.
      const history = page.locator('table#timeline tbody tr');
      await history.first().waitFor();
      const before = await history.count();
      expect(await history.first().getAttribute('data-type')).to.equal('UserRegistered');
      await page.locator('table#timeline').getByText('Refunded 20.00 NOK by support').waitFor();

      const refund = page.locator('form#action-refund');
      await refund.getByLabel('Amount (empty: all that is left)').fill('7.50');
      await refund.getByLabel('Reason').fill('Film stopped halfway');
      await refund.getByRole('button', { name: 'Refund' }).click();
      await page.getByRole('status').filter({ hasText: 'The refund was issued.' }).waitFor();
      expect(new URL(page.url()).search).to.equal('?notice=refund');

      expect(await history.count()).to.be.greaterThan(before);
      const last = history.filter({ hasText: 'Refunded 7.50 NOK by support' });
      expect(await last.count()).to.equal(1);
      const cells = await last.locator('td').allInnerTexts();
      expect(cells[3]).to.equal(`support agent ${agentSub} (you)`);
      expect(cells[4]).to.equal('Film stopped halfway');

      // The state now shows the refunded total.
      await page
        .getByLabel('Instant (UTC)')
        .fill(new Date(world.clock.now().getTime() + 1000).toISOString().slice(0, 19));
      await page.getByRole('button', { name: 'Show' }).click();
      await page.locator('table#state-transactions').getByText('27.50 NOK').waitFor();

      // Signing out ends the session.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You are signed out of Tessera.').waitFor();

      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
