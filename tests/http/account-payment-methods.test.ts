import { expect } from 'chai';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';
import {
  answerConsent,
  authorizationRequest,
  redeem,
  registerConfidentialClient,
  type RegisteredClient,
  signInWithPhone,
} from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The "Payment methods" section of the account page, end to end: cards saved through the API by an
 * app the person uses are listed on the page, and its forms make one the default and remove one.
 */
describe('Account page: payment methods', function () {
  this.timeout(60_000);
  const REDIRECT_URI = 'http://127.0.0.1/cb';
  let server: TestServer;
  let shop: RegisteredClient;

  before(async () => {
    server = await startTestServer();
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Shop' } });
    expect(provider.status).to.equal(201);
    shop = await registerConfidentialClient(server, provider.body.id, {
      name: 'Shop app',
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'payment.transactions.write'],
    });
  });
  after(() => server.close());

  /** Tokenises a test card at the sandbox's hosted form; returns the token. */
  async function cardToken(number: string): Promise<string> {
    const res = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number,
        expiry: '11/31',
        cvc: '123',
        return_url: `${server.url}/pay/x/card`,
        state: 's',
      }),
    });
    expect(res.status).to.equal(303);
    return new URL(res.headers.get('location')!).searchParams.get('token')!;
  }

  /** The hidden fields of the form posting to `action` for the method. */
  function formFor(page: Visit, action: string, methodId: string): Record<string, string> {
    const form = page.body
      .split('<form ')
      .find((f) => f.includes(`action="${action}"`) && f.includes(`value="${methodId}"`));
    if (form === undefined) throw new Error(`No ${action} form for ${methodId}`);
    return Object.fromEntries(
      [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
  }

  /** The list item of the section that names `label`. */
  function itemOf(page: Visit, label: string): string {
    const section = /<section id="payment-methods">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? '';
    return section.split('<li>').find((item) => item.includes(label)) ?? '';
  }

  it('lists the saved cards, and its forms make one the default and remove one', async () => {
    const browser = new Browser(server.url);
    const signedIn = await signInWithPhone(server, browser, await browser.get('/account'), '+4741700001');
    expect(new URL(signedIn.url).pathname).to.equal('/account');
    expect(signedIn.body).to.include('<section id="payment-methods">');
    expect(signedIn.body).to.include('No saved payment methods.');

    // The shop's app, in the same browser, saves two cards with the person's token.
    const request = await authorizationRequest(shop.rp, REDIRECT_URI, {
      scope: 'openid payment.transactions.write',
    });
    const tokens = await redeem(
      shop.rp,
      request,
      await answerConsent(browser, await browser.get(request.url), 'allow'),
    );
    const save = async (number: string) => {
      const res = await server.request('POST', '/v1/users/me/payment-methods/cards', {
        token: tokens.access_token,
        body: { token: await cardToken(number) },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.methodId as string;
    };
    const visa = await save('4242 4242 4242 4242');
    const mastercard = await save('5555 5555 5555 4444');

    const page = await browser.get('/account');
    expect(page.status).to.equal(200);
    expect(itemOf(page, 'Visa ending in 4242')).to.include('(expires 11/2031, default)');
    expect(itemOf(page, 'Mastercard ending in 4444')).to.include('(expires 11/2031)</span>');
    expect(() => formFor(page, '/account/payment-methods/default', visa)).to.throw();

    // A post without the session's CSRF token changes nothing.
    const forged = await browser.post(formAction(page.body, '/account/payment-methods/default'), {
      methodId: mastercard,
    });
    expect(forged.status).to.equal(403);

    const defaulted = await browser.post(
      formAction(page.body, '/account/payment-methods/default'),
      formFor(page, '/account/payment-methods/default', mastercard),
    );
    expect(defaulted.status, defaulted.body).to.equal(200);
    expect(defaulted.body).to.include('Your default payment method is changed.');
    expect(itemOf(defaulted, 'Mastercard ending in 4444')).to.include('(expires 11/2031, default)');
    expect(itemOf(defaulted, 'Visa ending in 4242')).to.include('(expires 11/2031)</span>');
    formFor(defaulted, '/account/payment-methods/default', visa);

    const removed = await browser.post(
      formAction(defaulted.body, '/account/payment-methods/remove'),
      formFor(defaulted, '/account/payment-methods/remove', visa),
    );
    expect(removed.status, removed.body).to.equal(200);
    expect(removed.body).to.include('The payment method is removed.');
    expect(removed.body).to.not.include('Visa ending in 4242');
    expect(itemOf(removed, 'Mastercard ending in 4444')).to.include('(expires 11/2031, default)');

    // The API sees the same wallet.
    const listed = await server.request('GET', '/v1/users/me/payment-methods', {
      token: tokens.access_token,
    });
    expect(
      listed.body.items.map((m: { methodId: string; isDefault: boolean }) => [m.methodId, m.isDefault]),
    ).to.deep.equal([[mastercard, true]]);
  });

  it('adds a card through the card provider’s form; the number never reaches Tessera, a replayed return saves nothing', async () => {
    const browser = new Browser(server.url);
    const page = await signInWithPhone(server, browser, await browser.get('/account'), '+4741700003');
    expect(page.body).to.include('Add a card');
    // The page's CSP lets its forms lead on to the card provider's form (reached by a redirect).
    expect(page.headers.get('content-security-policy')).to.match(
      /form-action 'self' http:\/\/127\.0\.0\.1:\d+/,
    );

    // Without the session's CSRF token nothing starts.
    const forged = await browser.post(formAction(page.body, '/account/payment-methods/new-card'), {});
    expect(forged.status).to.equal(403);

    const form = await browser.post(formAction(page.body, '/account/payment-methods/new-card'), {
      csrf: hiddenField(page.body, 'csrf'),
    });
    expect(new URL(form.url).pathname).to.equal('/sandbox/card/checkout');
    const returnUrl = hiddenField(form.body, 'return_url');
    expect(returnUrl).to.equal(`${server.url}/account/payment-methods/card`);
    const state = hiddenField(form.body, 'state');

    // The browser posts the card to the provider, which sends it back with a token.
    const back = await fetch(`${server.url}/sandbox/card/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: '4242 4242 4242 4242',
        expiry: '10/32',
        cvc: '123',
        return_url: returnUrl,
        state,
      }),
    });
    expect(back.status).to.equal(303);
    const location = new URL(back.headers.get('location')!);
    expect(location.pathname).to.equal('/account/payment-methods/card');
    expect(location.search).to.not.include('4242424242424242');

    const saved = await browser.get(location.pathname + location.search);
    expect(saved.status, saved.body).to.equal(200);
    expect(saved.body).to.include('The card is saved.');
    expect(itemOf(saved, 'Visa ending in 4242')).to.include('(expires 10/2032, default)');

    // The same return again (a reload, or someone replaying the URL) saves nothing more.
    const replay = await browser.get(location.pathname + location.search);
    expect(replay.status).to.equal(400);
    expect(replay.body).to.include('The card was not saved.');
    const items = /<section id="payment-methods">([\s\S]*?)<\/section>/.exec(replay.body)?.[1] ?? '';
    expect(items.split('Visa ending in 4242').length - 1).to.equal(1);

    // A return carrying another session's state is refused too.
    const stranger = new Browser(server.url);
    await signInWithPhone(server, stranger, await stranger.get('/account'), '+4741700004');
    const theirs = await stranger.get(location.pathname + location.search);
    expect(theirs.status).to.equal(400);
    expect(theirs.body).to.include('No saved payment methods.');
  });

  it('shows the section in Norwegian', async () => {
    const browser = new Browser(server.url, { 'accept-language': 'nb-NO,nb;q=0.9' });
    const page = await signInWithPhone(server, browser, await browser.get('/account'), '+4741700002');
    expect(page.body).to.include('<h2>Betalingsmåter</h2>');
    expect(page.body).to.include('Ingen lagrede betalingsmåter.');
  });
});
