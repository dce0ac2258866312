import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Browser, formAction, hiddenField } from '../support/browser.js';
import { authorizationRequest, registerConfidentialClient } from '../support/oidc-flow.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Received {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

/**
 * With SMS_GATEWAY_URL / EMAIL_GATEWAY_URL configured and the outbox off, sign-in codes leave
 * Tessera through the gateways: a local receiver plays the operator's gateway.
 */
describe('Message delivery through the configured HTTP gateways', function () {
  this.timeout(30_000);
  let gateway: Server;
  let server: TestServer;
  const received: Received[] = [];

  before(async () => {
    gateway = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          authorization: req.headers.authorization,
          body: JSON.parse(text) as Record<string, unknown>,
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    server = await startTestServer({
      env: {
        DEV_OUTBOX: 'false',
        SMS_GATEWAY_URL: `${base}/sms`,
        SMS_GATEWAY_TOKEN: 'sms-gateway-token-123',
        EMAIL_GATEWAY_URL: `${base}/email`,
        EMAIL_GATEWAY_TOKEN: 'email-gateway-token-123',
      },
    });
  });
  after(async () => {
    await server.close();
    await new Promise<void>((r) => gateway.close(() => r()));
  });

  async function submitIdentifier(identifier: string) {
    const provider = await server.request('POST', '/admin/v1/providers', { body: { name: 'Gateway Media' } });
    const client = await registerConfidentialClient(server, provider.body.id, {
      name: 'Gateway app',
      redirectUris: ['http://127.0.0.1/cb'],
      scopes: ['openid', 'phone', 'email'],
    });
    const request = await authorizationRequest(client.rp, 'http://127.0.0.1/cb', { scope: 'openid phone' });
    const browser = new Browser(server.url);
    const page = await browser.get(request.url);
    return browser.post(formAction(page.body, '/identifier'), {
      csrf: hiddenField(page.body, 'csrf'),
      identifier,
    });
  }

  it('sends the SMS code to the SMS gateway with its bearer token, and keeps no outbox', async () => {
    const codePage = await submitIdentifier('+47 412 34 777');
    expect(codePage.status, codePage.body).to.equal(200);
    const sms = received.find((r) => r.path === '/sms');
    expect(sms?.authorization).to.equal('Bearer sms-gateway-token-123');
    expect(sms?.body.to).to.equal('+4741234777');
    expect(String(sms?.body.text)).to.match(/\b\d{6}\b/);
    expect((await fetch(`${server.url}/dev/outbox`)).status).to.equal(404);
  });

  it('sends the email code to the email gateway', async () => {
    const codePage = await submitIdentifier('kari@example.com');
    expect(codePage.status, codePage.body).to.equal(200);
    const mail = received.find((r) => r.path === '/email');
    expect(mail?.authorization).to.equal('Bearer email-gateway-token-123');
    expect(mail?.body).to.include({ to: 'kari@example.com' });
    expect(String(mail?.body.text)).to.match(/\b\d{6}\b/);
  });
});
