import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { verifyWebhookSignature } from '../../application/feed/webhook-signature.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { type ProviderBackend, registerProviderBackend } from '../support/provider-backend.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
};

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * The change feed end to end on the real server: rights changes reach their provider through the
 * event queue (lease, ack, redelivery) and through signed webhooks, and never reach another provider.
 */
describe('HTTP: change feed for rights', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clock: ManualClock;
  let acme: ProviderBackend;
  let beta: ProviderBackend;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  async function next(p: ProviderBackend, body: Record<string, unknown> = {}) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await p.call('POST', '/v1/events/next', body);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      if (res.body.messages.length > 0 || Date.now() > deadline)
        return res.body.messages as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startTestServer({ clock });
    acme = await registerProviderBackend(server, 'Acme', [FILM]);
    beta = await registerProviderBackend(server, 'Beta', [FILM]);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tessera`;
  });
  after(async () => {
    await server.close();
    await new Promise((r) => receiver.close(r));
  });

  it('queues each change for its provider only; a lease not acknowledged is delivered again', async () => {
    const sub = randomUUID();
    const granted = await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h' });
    await acme.call('POST', `/v1/users/${sub}/rights/${granted.body.rightId}/suspend`, {});

    const first = await next(acme, { max: 10, leaseSeconds: 30 });
    const mine = first.filter((m) => m.subject.rightId === granted.body.rightId);
    expect(mine.map((m) => m.type)).to.deep.equal(['right.granted', 'right.suspended']);
    expect(mine[0]!.subject).to.deep.equal({ sub, rightId: granted.body.rightId });
    expect(mine[0]!.data).to.deep.include({ sku: 'film-48h', providerId: acme.providerId });

    // Beta hears nothing of Acme's rights.
    const betaMessages = await beta.call('POST', '/v1/events/next', {});
    expect(betaMessages.body.messages).to.deep.equal([]);

    // Acknowledge the first; leave the second leased, and let its lease run out.
    const ack = await acme.call('POST', `/v1/events/${mine[0]!.id}/ack`, { leaseId: mine[0]!.leaseId });
    expect(ack.status).to.be.oneOf([200, 204]);
    expect((await acme.call('POST', '/v1/events/next', {})).body.messages).to.deep.equal([]);
    clock.advance(31_000);
    const again = await next(acme);
    expect(again.map((m) => m.id)).to.include(mine[1]!.id);
    expect(again.find((m) => m.id === mine[1]!.id)!.deliveryCount).to.equal(2);
    // The old lease can no longer acknowledge it; the new one can.
    const stale = await acme.call('POST', `/v1/events/${mine[1]!.id}/ack`, { leaseId: mine[1]!.leaseId });
    expect(stale.status).to.equal(409);
    const fresh = again.find((m) => m.id === mine[1]!.id)!;
    expect(
      (await acme.call('POST', `/v1/events/${fresh.id}/ack`, { leaseId: fresh.leaseId })).status,
    ).to.be.oneOf([200, 204]);
    // Beta cannot acknowledge Acme's messages.
    expect(
      (await beta.call('POST', `/v1/events/${fresh.id}/ack`, { leaseId: fresh.leaseId })).status,
    ).to.equal(404);
  });

  it('posts signed webhooks for later changes to the provider’s registered endpoint', async () => {
    const registered = await server.request('PUT', `/admin/v1/providers/${acme.providerId}/webhook`, {
      body: { url: receiverUrl },
    });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    const secret = registered.body.secret as string;
    expect(secret).to.match(/^whsec_/);

    const sub = randomUUID();
    const granted = await acme.call('POST', `/v1/users/${sub}/rights`, { sku: 'film-48h' });
    const deadline = Date.now() + 5000;
    while (!received.some((r) => r.body.includes(granted.body.rightId)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const delivery = received.find((r) => r.body.includes(granted.body.rightId));
    expect(delivery, 'a webhook for the grant').to.not.equal(undefined);
    const signature = String(delivery!.headers['tessera-signature']);
    const check = verifyWebhookSignature(
      signature,
      delivery!.body,
      secret,
      Math.floor(clock.now().getTime() / 1000),
    );
    expect(check.ok, JSON.stringify(check)).to.equal(true);
    expect(
      verifyWebhookSignature(
        signature,
        delivery!.body.replace('film', 'flim'),
        secret,
        Math.floor(clock.now().getTime() / 1000),
      ).ok,
    ).to.equal(false);
    const message = JSON.parse(delivery!.body) as { type: string; subject: Record<string, string> };
    expect(message.type).to.equal('right.granted');
    expect(message.subject).to.deep.equal({ sub, rightId: granted.body.rightId });

    const log = await server.request('GET', `/admin/v1/providers/${acme.providerId}/webhook/deliveries`);
    expect(log.status).to.equal(200);
    expect(JSON.stringify(log.body)).to.include(granted.body.rightId);
  });

  it('refuses the queue to tokens without events.read and bad input', async () => {
    const noScope = await acme.call('POST', '/v1/events/next', {}, 'id.user.right.read');
    expect(noScope.status).to.equal(403);
    const bad = await acme.call('POST', '/v1/events/next', { max: 0 });
    expect(bad.status).to.equal(422);
    expect(bad.body.errors[0].path).to.equal('body.max');
    const badUrl = await server.request('PUT', `/admin/v1/providers/${acme.providerId}/webhook`, {
      body: { url: 'ftp://example.com/hook' },
    });
    expect(badUrl.status).to.equal(422);
  });
});
