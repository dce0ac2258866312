import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { silentLogger } from '../../application/ports/logger.js';
import { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { DevOutbox, type OutboxMessage } from '../../infrastructure/delivery/dev-outbox.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { createDevOutboxRouter } from '../../infrastructure/http/dev-outbox-router.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { securityHeaders } from '../../infrastructure/http/security-headers.js';

describe('GET /dev/outbox', () => {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEphemeralStore;
  let outbox: DevOutbox;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-outbox-http-'));
    clock = new ManualClock('2026-05-01T10:00:00.000Z');
    store = SqliteEphemeralStore.open({ file: join(dir, 'ephemeral.db'), clock, purgeIntervalMs: 0 });
    outbox = new DevOutbox({ store, clock });
    const app = express();
    app.set('query parser', 'simple');
    app.use(correlation(silentLogger));
    app.use(securityHeaders());
    app.use(createDevOutboxRouter({ outbox }));
    app.use(notFound());
    app.use(errorHandler());
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders a readable, escaped HTML list by default', async () => {
    await outbox.sms.send({ to: '+4741234567', text: 'Your Tessera code is 123456' });
    clock.advance(5000);
    await outbox.email.send({
      to: 'kari@example.no',
      subject: 'Hi <b>there</b>',
      text: `<script>alert("x")</script> & 'quoted'`,
    });

    const res = await fetch(`${base}/dev/outbox`, { headers: { accept: 'text/html' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.match(/default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.to.include('unsafe-inline');
    const html = await res.text();
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).to.include(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(html).to.include('<th scope="col">Recipient</th>');
    expect(html).to.include('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quoted&#39;');
    expect(html).to.include('Hi &#60;b&#62;there&#60;/b&#62;');
    expect(html).not.to.include('<script>');
    expect(html).not.to.include('<b>');
    // Newest first: the email row comes before the SMS row.
    expect(html.indexOf('kari@example.no')).to.be.lessThan(html.indexOf('+4741234567'));
    expect(html).to.include('2026-05-01T10:00:05.000Z').and.include('Your Tessera code is 123456');
  });

  it('says so when there are no messages', async () => {
    const html = await (await fetch(`${base}/dev/outbox`)).text();
    expect(html).to.include('No messages yet.');
  });

  it('answers JSON by Accept header or ?format=json', async () => {
    await outbox.sms.send({ to: '+4741234567', text: 'one' });
    clock.advance(1);
    await outbox.sms.send({ to: '+4799999999', text: 'two' });

    const byAccept = await fetch(`${base}/dev/outbox`, { headers: { accept: 'application/json' } });
    expect(byAccept.headers.get('content-type')).to.match(/^application\/json/);
    const body = (await byAccept.json()) as { items: OutboxMessage[] };
    expect(body.items.map((m) => [m.channel, m.to, m.text])).to.deep.equal([
      ['sms', '+4799999999', 'two'],
      ['sms', '+4741234567', 'one'],
    ]);

    const byQuery = await fetch(`${base}/dev/outbox?format=json&limit=1`, {
      headers: { accept: 'text/html' },
    });
    expect(((await byQuery.json()) as { items: OutboxMessage[] }).items.map((m) => m.text)).to.deep.equal([
      'two',
    ]);
  });

  it('refuses a bad limit as a problem naming the parameter', async () => {
    const res = await fetch(`${base}/dev/outbox?limit=0`);
    expect(res.status).to.equal(400);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).to.deep.equal(['query.limit']);
  });

  it('serves the newest message to a recipient at /dev/outbox/latest', async () => {
    await outbox.sms.send({ to: '+4741234567', text: 'old' });
    clock.advance(1);
    await outbox.sms.send({ to: '+4741234567', text: 'new' });

    for (const to of [encodeURIComponent('+4741234567'), '+4741234567']) {
      const res = await fetch(`${base}/dev/outbox/latest?to=${to}`);
      expect(res.status, to).to.equal(200);
      expect(((await res.json()) as OutboxMessage).text).to.equal('new');
    }

    const none = await fetch(`${base}/dev/outbox/latest?to=nobody%40example.com`);
    expect(none.status).to.equal(404);
    expect(((await none.json()) as { code: string }).code).to.equal('no_message');

    const missing = await fetch(`${base}/dev/outbox/latest`);
    expect(missing.status).to.equal(400);
    expect(((await missing.json()) as { errors: { path: string }[] }).errors[0]?.path).to.equal('query.to');
  });

  it('lets a script sign in with the code read from the outbox', async () => {
    const codes = new OneTimeCodes({
      store,
      clock,
      sms: outbox.sms,
      email: outbox.email,
      secret: 'a-development-secret-of-at-least-32-bytes',
    });
    const request = await codes.request(
      { kind: 'phone', value: '+4741234567' },
      { ip: '127.0.0.1', locale: 'nb' },
    );
    if (!request.ok) throw new Error('code not issued');
    const message = (await (
      await fetch(`${base}/dev/outbox/latest?to=%2B4741234567`)
    ).json()) as OutboxMessage;
    const code = /(\d{6})/.exec(message.text)?.[1] ?? '';
    expect(message.text).to.equal(`Din Tessera-kode er ${code}. Den utløper om 10 minutter.`);
    expect(await codes.verify(request.challengeId, code, { ip: '127.0.0.1' })).to.deep.equal({
      ok: true,
      identifier: { kind: 'phone', value: '+4741234567' },
    });
  });
});
