import { expect } from 'chai';
import { type AgreementWorld, DAY, methodId, sub } from '../application/agreement/agreement-world.js';
import { AgreementApp, CANCEL, OK } from './agreement-app.js';

const OTHER_SUB = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
const EXPIRED_EN = 'This agreement was not confirmed in time and can no longer be confirmed.';
const EXPIRED_NB = 'Denne avtalen ble ikke bekreftet i tide og kan ikke lenger bekreftes.';

/**
 * The confirmation deadline and who may cancel, through the interfaces providers and users use: the
 * provider API answers `confirmBy` and, once canceled, who did it and why; on the hosted page only
 * the user an agreement names can cancel it (anyone else's Cancel just goes back to the shop), and
 * after the deadline the page says the time ran out and confirms nothing, even before the scheduler
 * has canceled the agreement.
 */
describe('Charging agreements: confirmation deadline and cancel rights over HTTP', function () {
  this.timeout(60_000);
  let app: AgreementApp;
  let w: AgreementWorld;

  before(async () => {
    app = await AgreementApp.open('2026-01-31T10:00:00.000Z');
    w = app.w;
    await w.useCard('4242 4242 4242 4242');
  });
  after(() => app.close());

  const valid = { sku: 'monthly', successRedirect: OK, cancelRedirect: CANCEL };

  async function propose(extra: Record<string, unknown> = {}): Promise<string> {
    const created = await app.api('POST', '/v1/agreements', { ...valid, ...extra });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.agreementId as string;
  }

  const read = async (id: string) => {
    await w.caughtUp();
    const res = await app.api('GET', `/v1/agreements/${id}`);
    expect(res.status).to.equal(200);
    return res.body;
  };

  it('answers confirmBy, and after the deadline who canceled it and that the deadline did', async () => {
    const now = w.clock.now().getTime();
    const created = await app.api('POST', '/v1/agreements', valid);
    expect(created.status).to.equal(201);
    const confirmBy = new Date(now + DAY).toISOString();
    expect(created.body).to.deep.include({
      status: 'pending',
      confirmBy,
      canceledBy: null,
      cancelReason: null,
    });
    const id = created.body.agreementId as string;

    w.clock.set(confirmBy);
    await w.tick();
    expect(await read(id)).to.deep.include({
      status: 'canceled',
      confirmBy,
      canceledBy: { kind: 'system', id: 'confirmation-deadline' },
      cancelReason: 'expired',
      endedAt: confirmBy,
    });
    const listed = await app.api('GET', '/v1/agreements?status=canceled');
    expect(listed.body.items.find((a: { agreementId: string }) => a.agreementId === id)).to.deep.include({
      cancelReason: 'expired',
    });

    // The provider withdrawing one is told apart from the deadline.
    const other = await propose();
    const stopped = await app.api('POST', `/v1/agreements/${other}/stop`);
    expect(stopped.status).to.equal(200);
    expect(stopped.body).to.deep.include({
      status: 'canceled',
      canceledBy: { kind: 'provider', id: 'client-a' },
      cancelReason: null,
    });
  });

  it('another user’s Cancel on an agreement naming nobody changes nothing and goes back to the shop', async () => {
    const id = await propose();
    const stranger = app.browser(OTHER_SUB);
    const page = await stranger.get(`/pay/agreements/${id}`);
    expect(page.status, page.body).to.equal(200);
    const left = await app.submit(stranger, page, '/cancel');
    expect(left.leftTo).to.equal(CANCEL);
    expect(await read(id)).to.deep.include({ status: 'pending', canceledBy: null, endedAt: null });

    // The link still works for the user it was meant for.
    const payer = app.browser(sub);
    const done = await app.submit(payer, await payer.get(`/pay/agreements/${id}`), '/confirm', { methodId });
    expect(done.leftTo).to.equal(`${OK}?agreementId=${id}`);
    expect(await read(id)).to.deep.include({ status: 'active', sub, paidThrough: 1 });
  });

  it('the named user’s Cancel cancels the agreement', async () => {
    const id = await propose({ sub });
    const b = app.browser(sub);
    const canceled = await app.submit(b, await b.get(`/pay/agreements/${id}`), '/cancel');
    expect(canceled.leftTo).to.equal(CANCEL);
    expect(await read(id)).to.deep.include({
      status: 'canceled',
      canceledBy: { kind: 'user', id: sub },
      cancelReason: null,
    });
  });

  it('after the deadline shows that the time ran out and refuses a confirm, charging nothing', async () => {
    const id = await propose({ sub });
    const { confirmBy } = await read(id);
    const b = app.browser(sub);
    const before = await b.get(`/pay/agreements/${id}`);
    expect(before.body).to.include('id="saved-methods"');

    // The deadline passed; the scheduler has not run yet.
    w.clock.set(confirmBy);
    const page = await b.get(`/pay/agreements/${id}`);
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Time to confirm ran out').and.include(EXPIRED_EN);
    expect(page.body).to.not.include('id="saved-methods"').and.not.include('/confirm');
    expect((await app.browser(sub, 'nb').get(`/pay/agreements/${id}`)).body).to.include(EXPIRED_NB);

    // A confirmation posted from the page opened in time is refused.
    const late = await app.submit(b, before, '/confirm', { methodId });
    expect(late.status, late.body).to.equal(409);
    expect(late.body).to.include(EXPIRED_EN);
    expect(await w.transaction(w.providerA, id, 1)).to.equal(null);
    expect((await read(id)).status).to.equal('pending');

    // Once the scheduler canceled it, the page says the same; Cancel just goes back to the shop.
    await w.tick();
    expect(await read(id)).to.deep.include({ status: 'canceled', cancelReason: 'expired' });
    expect((await b.get(`/pay/agreements/${id}`)).body).to.include(EXPIRED_EN);
    expect((await app.submit(b, before, '/cancel')).leftTo).to.equal(CANCEL);
    expect(await read(id)).to.deep.include({
      canceledBy: { kind: 'system', id: 'confirmation-deadline' },
    });
    expect(await w.transaction(w.providerA, id, 1)).to.equal(null);
  });
});
