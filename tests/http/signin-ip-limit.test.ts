import { expect } from 'chai';
import { Browser, formAction, hiddenField } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * SIGNIN_CODES_PER_IP_PER_HOUR: how many one-time codes one client address may ask for in an hour,
 * across phone numbers, as people signing in see it.
 */
describe('HTTP: one-time codes per client address (SIGNIN_CODES_PER_IP_PER_HOUR)', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: { SIGNIN_CODES_PER_IP_PER_HOUR: '2' } });
  });
  after(async () => {
    await server?.close();
  });

  /** Asks for a code for `phone` from a fresh browser (its own session), as the sign-in page does. */
  async function askForCode(phone: string) {
    const browser = new Browser(server.url);
    const page = await browser.get('/account');
    expect(page.status, page.body).to.equal(200);
    return browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier: phone,
    });
  }

  it('sends the configured number of codes to one address, then asks it to wait', async () => {
    expect((await askForCode('+4741700001')).status).to.equal(200);
    expect((await askForCode('+4741700002')).status).to.equal(200);
    const refused = await askForCode('+4741700003');
    expect(refused.status, refused.body).to.equal(429);
    expect(refused.body).to.include('Try again in');
    const outbox = await fetch(`${server.url}/dev/outbox/latest?to=${encodeURIComponent('+4741700003')}`);
    expect(outbox.status).to.equal(404);
  });
});
