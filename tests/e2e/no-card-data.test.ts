import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { UserQueries } from '../../application/user/user-queries.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import { signInWithPhone } from '../support/oidc-flow.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { FILM, filmTransaction } from '../support/film.js';

/** The test cards typed in below: success, two declines, a challenge, and one added on the account page. */
const CARDS = [
  '4242424242424242',
  '4000000000000002',
  '4000000000009995',
  '4000002760003184',
  '5555555555554444',
];
/** An unusual security code, so finding it means it was kept (not a coincidence of other digits). */
const CVC = '987';

/** The number as people type it: whole, in groups of four with spaces, or with dashes. */
function spellings(pan: string): string[] {
  const groups = pan.match(/.{1,4}/g)!;
  return [pan, groups.join(' '), groups.join('-'), groups.join('+'), groups.join('%20')];
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Card data never enters Tessera: after card payments on the hosted page (a success, two declines,
 * a challenge) and a card added on the account page, with logging at its most verbose, neither the
 * data directory (event store, read models, vault, ephemeral store, their WAL files) nor the log
 * holds a card number, in any spelling, or the security code next to a card field.
 */
describe('E2E: no card number or security code is kept anywhere', function () {
  this.timeout(90_000);
  const PHONE = '+4741900001';
  const log: string[] = [];
  let server: TestServer;
  let acme: ProviderBackend;
  let payer: Browser;
  let closed = false;

  const submit = (page: Visit, action: string, fields: Record<string, string> = {}) =>
    payer.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });

  /** Types `number` into the processor's form, reached from a page's form posting to `action`. */
  async function typeCard(page: Visit, action: string, number: string, fields: Record<string, string> = {}) {
    const form = await submit(page, action, fields);
    expect(new URL(form.url).pathname, form.body).to.equal('/sandbox/card/checkout');
    return payer.post('/sandbox/card/tokens', {
      number: number.match(/.{1,4}/g)!.join(' '),
      expiry: '12/30',
      cvc: CVC,
      return_url: hiddenField(form.body, 'return_url'),
      state: hiddenField(form.body, 'state'),
      locale: 'en',
    });
  }

  async function paymentLink(sub: string): Promise<string> {
    const created = await acme.call('POST', '/v1/transactions', filmTransaction(sub));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.links.payment as string;
  }

  before(async () => {
    server = await startTestServer({
      env: { LOG_LEVEL: 'trace' },
      logDestination: { write: (line: string) => void log.push(line) },
    });
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
  });
  after(async () => {
    if (closed) rmSync(server.dataDir, { recursive: true, force: true });
    else await server.close();
  });

  it('after card payments and a card saved on the account page, no file or log line holds card data', async () => {
    payer = new Browser(server.url);
    const account = await signInWithPhone(server, payer, await payer.get('/account'), PHONE);
    expect(account.status, account.body).to.equal(200);

    // The account page adds a Mastercard through the processor's form.
    const added = await typeCard(account, '/account/payment-methods/new-card', CARDS[4]!);
    expect(added.status, added.body).to.equal(200);
    expect(added.body).to.include('Mastercard ending in 4444');

    // Payments on the hosted page: two declines, a challenge, then a success that is saved.
    const owner = (await server.server.container
      .get(UserQueries)
      .findByIdentifier({ kind: 'phone', value: PHONE }))!;
    expect(owner).to.be.a('string');
    for (const number of [CARDS[1]!, CARDS[2]!]) {
      const page = await payer.get(await paymentLink(owner));
      const declined = await typeCard(page, '/new-card', number, { save: '1' });
      expect(declined.status).to.equal(402);
    }
    const challengePage = await payer.get(await paymentLink(owner));
    const challenge = await typeCard(challengePage, '/new-card', CARDS[3]!);
    expect(new URL(challenge.url).pathname).to.match(/^\/sandbox\/card\/challenge\//);
    const action = /<form method="post" action="([^"]+)"/.exec(challenge.body)![1]!;
    await payer.post(new URL(action, challenge.url).pathname, {
      secret: hiddenField(challenge.body, 'secret'),
      locale: 'en',
      decision: 'approve',
    });
    const paid = await typeCard(await payer.get(await paymentLink(owner)), '/new-card', CARDS[0]!, {
      save: '1',
    });
    expect(paid.leftTo ?? paid.body).to.include('https://shop.example/ok');

    // Closed first, so every write (and the SQLite WAL files) is on disk when the files are read.
    const dataDir = server.dataDir;
    await server.server.close();
    closed = true;
    const texts = [
      { where: 'log', text: log.join('') },
      ...filesUnder(dataDir).map((file) => ({ where: file, text: readFileSync(file).toString('latin1') })),
    ];
    expect(texts.length).to.be.greaterThan(3);
    expect(log.length, 'the log was written').to.be.greaterThan(20);
    for (const { where, text } of texts) {
      for (const pan of CARDS) {
        for (const spelling of spellings(pan)) {
          expect(text.includes(spelling), `${spelling} in ${where}`).to.equal(false);
        }
      }
      // A field holding a security code, as JSON, a form or a log would name it. (Not the bare
      // letters: random ids and tokens in the binary files contain any three letters by chance.)
      expect(
        /(^|[^A-Za-z0-9_-])(cvc|cvv)2?["']?\s*[:=]/i.test(text),
        `a security-code field in ${where}`,
      ).to.equal(false);
      expect(/security[ _-]code/i.test(text), `a security-code field in ${where}`).to.equal(false);
      expect(text.includes(`=${CVC}`) || text.includes(`"${CVC}"`), `the security code in ${where}`).to.equal(
        false,
      );
    }
    // Only what a token may show: the last four digits and the brand.
    expect(texts.some(({ text }) => text.includes('4444'))).to.equal(true);
  });
});
