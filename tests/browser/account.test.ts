import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ManualClock } from '../../infrastructure/clock.js';
import { launchChromium } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The account page (/account) as a person meets it, in headless Chromium: signing in through
 * Tessera's own sign-in pages with a phone and the code from the development outbox, saving the
 * profile, adding and verifying an email, and deleting the account after a fresh sign-in. Once more
 * with JavaScript disabled, since the pages are plain forms. Every page must load without a console
 * error, which is where Chromium reports whatever the content security policy blocked.
 */
describe('Browser: the account page in headless Chromium', function () {
  this.timeout(20_000);
  let chromium: Browser | null = null;
  let server: TestServer | null = null;
  let clock: ManualClock;

  before(async function () {
    this.timeout(30_000);
    chromium = await launchChromium();
    if (chromium === null) this.skip();
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
  });

  // Every test signs in from 127.0.0.1: start each in a new window of the per-IP code limits.
  beforeEach(() => clock?.advance(3601 * 1000));

  /**
   * A page that records what Chromium reports as an error: console messages of type error (among
   * them every "Refused to …" of the content security policy) and uncaught page errors.
   */
  async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    return { page, errors };
  }

  async function outboxCode(to: string): Promise<string> {
    const res = await fetch(`${server!.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
    expect(res.status).to.equal(200);
    const code = /\b(\d{6})\b/.exec(((await res.json()) as { text: string }).text)?.[1];
    if (code === undefined) throw new Error('No code in the message');
    return code;
  }

  /**
   * On Tessera's sign-in page: types the phone and then the code from the outbox by their labels.
   * The clock first moves past the wait between two codes to one phone.
   */
  async function signIn(page: Page, phone: string, e164: string): Promise<void> {
    clock.advance(61_000);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);
    await page.getByLabel('Phone number or email').fill(phone);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await outboxCode(e164));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Opens /account, signs in, and waits for the account page. */
  async function openAccount(page: Page, phone: string, e164: string): Promise<void> {
    await page.goto(`${server!.url}/account`);
    await signIn(page, phone, e164);
    await page.getByRole('heading', { name: 'Your Tessera account' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/account');
  }

  /** Types a name (and optionally picks a language) in the profile form and saves it. */
  async function saveProfile(page: Page, name: string, locale?: 'en' | 'nb'): Promise<void> {
    await page.getByLabel('Name', { exact: true }).fill(name);
    if (locale !== undefined) await page.getByLabel('Language').selectOption(locale);
    await page.getByRole('button', { name: 'Save' }).click();
  }

  it('signs in, saves the name, adds and verifies an email, and deletes the account after a fresh sign-in', async () => {
    const context = await chromium!.newContext({ locale: 'en-US' });
    try {
      const { page, errors } = await watchedPage(context);
      await openAccount(page, '+47 416 70 001', '+4741670001');
      await page.getByText('Signed in as +4741670001.').waitFor();

      await saveProfile(page, 'Kari Nordmann');
      await page.getByRole('status').filter({ hasText: 'Your profile is saved.' }).waitFor();
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).to.equal('Kari Nordmann');
      await page.getByText('Signed in as Kari Nordmann.').waitFor();
      // The post was answered with a redirect: the address is the page's, not the form's.
      expect(new URL(page.url()).pathname).to.equal('/account');

      const email = 'kari.nordmann@example.com';
      await page.getByLabel('Add an email address').fill(email);
      await page.locator('section#emails').getByRole('button', { name: 'Add' }).click();
      await page.getByRole('heading', { name: 'Enter the code' }).waitFor();
      await page.getByText(`Enter the code we sent to ${email}.`).waitFor();
      await page.getByLabel('Six-digit code').fill(await outboxCode(email));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('status').filter({ hasText: 'Verified.' }).waitFor();
      const emails = page.locator('section#emails li');
      expect(await emails.count()).to.equal(1);
      expect(await emails.first().innerText()).to.match(
        new RegExp(`${email.replace(/\./g, '\\.')}\\s+\\(verified, primary\\)`),
      );

      // Deleting asks for the code again, even within a live session.
      await page.getByRole('link', { name: 'Delete my account…' }).click();
      await signIn(page, '+4741670001', '+4741670001');
      await page.getByRole('heading', { name: 'Delete your account?' }).waitFor();
      expect(new URL(page.url()).pathname).to.equal('/account/delete');

      // Without the tick nothing is deleted: the page asks for it, answered as 422, which Chromium
      // logs as the one expected console error.
      expect(errors, errors.join('\n')).to.deep.equal([]);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByRole('alert').filter({ hasText: 'Tick the box' }).waitFor();
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/status of 422 .*\/account\/delete\)$/);
      errors.length = 0;
      await page.getByLabel('I understand that my account and its data are deleted for good').check();
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByRole('heading', { name: 'Account deleted' }).waitFor();
      await page.getByText('Your account is deleted and you are signed out everywhere.').waitFor();

      // The account page's session is gone: /account asks for a sign-in again.
      await page.getByRole('link', { name: 'Sign in again' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).to.match(/^\/interaction\//);

      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('signs in and saves the profile with JavaScript disabled', async () => {
    const context = await chromium!.newContext({ javaScriptEnabled: false, locale: 'en-US' });
    try {
      const { page, errors } = await watchedPage(context);
      // The national form, read in the default country (NO).
      await openAccount(page, '416 70 002', '+4741670002');
      await saveProfile(page, 'Ola Nordmann', 'nb');
      // The chosen language wins over the browser's: the page answers in Norwegian.
      await page.getByRole('status').filter({ hasText: 'Profilen din er lagret.' }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).to.equal('nb');
      expect(await page.getByLabel('Navn', { exact: true }).inputValue()).to.equal('Ola Nordmann');
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('would notice a blocked resource: a stray style under the pages’ CSP is reported as a console error', async () => {
    // The CSP every Tessera page is sent with, taken from the sign-in page /account leads to.
    const context = await chromium!.newContext({ javaScriptEnabled: false });
    try {
      const { page, errors } = await watchedPage(context);
      const res = await fetch(`${server!.url}/account/signin`, { redirect: 'manual' });
      await res.arrayBuffer();
      const signInPage = await fetch(new URL(res.headers.get('location')!, server!.url));
      await signInPage.arrayBuffer();
      const csp = signInPage.headers.get('content-security-policy');
      expect(csp).to.include("default-src 'none'");
      const canary = `${server!.url}/account/csp-canary`;
      await page.route(canary, (route) =>
        route.fulfill({
          status: 200,
          headers: { 'content-type': 'text/html', 'content-security-policy': csp! },
          body: '<!doctype html><title>Canary</title><style>p{color:red}</style><p>Canary</p>',
        }),
      );
      await page.goto(canary);
      await page.getByText('Canary').waitFor();
      expect(
        errors.some((e) => /inline style violates the following Content Security Policy/.test(e)),
        errors.join('\n'),
      ).to.equal(true);
    } finally {
      await context.close();
    }
  });
});
