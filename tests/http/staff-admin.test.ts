import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { newId } from '../../application/kernel/ids.js';
import { adminAuth } from '../../infrastructure/http/admin-auth.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { checkOpenApiDocument } from '../../infrastructure/http/openapi/check.js';
import { listServedRoutes } from '../../infrastructure/http/openapi/express-routes.js';
import { buildTesseraOpenApi } from '../../infrastructure/http/openapi/index.js';
import { STAFF_API, StaffResource } from '../../infrastructure/http/openapi/staff-api.js';
import { rememberMount } from '../../infrastructure/http/observe.js';
import { createReadAfterWrite } from '../../infrastructure/http/read-after-write.js';
import { createStaffRouter } from '../../infrastructure/http/staff-router.js';
import { createLogger } from '../../infrastructure/logger.js';
import { openStaffWorld, type StaffWorld } from '../support/staff-fixture.js';

const ADMIN_TOKEN = 'test-admin-token-with-enough-entropy';

describe('admin API: /admin/v1/staff', function () {
  this.timeout(30_000);
  let w: StaffWorld;
  let app: express.Express;
  let server: Server;
  let base: string;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    auth: string | null = ADMIN_TOKEN,
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const response = await fetch(`${base}/admin/v1${path}`, {
      method,
      headers: {
        ...(auth !== null ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
  }

  before(async () => {
    w = await openStaffWorld();
    app = express();
    app.use(correlation(createLogger('silent')));
    app.use(
      '/admin/v1',
      rememberMount(),
      adminAuth(ADMIN_TOKEN),
      express.json(),
      createStaffRouter({
        commands: w.commands,
        queries: w.queries,
        users: w.userQueries,
        views: w.runner,
        awaitMinPosition: createReadAfterWrite({
          views: w.runner,
          headPosition: () => w.store.headPosition(),
          timeoutMs: 5000,
        }),
        writeVisibleTimeoutMs: 5000,
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await w?.close();
  });

  it('makes an account staff by phone, then grants and revokes roles and provider access', async () => {
    const sub = await w.newUser('+4741800001');
    const acme = await w.newProvider('Acme');
    const created = await call('POST', '/staff', {
      phone: '+47 418 00 001',
      roles: ['support-agent'],
      providerIds: [acme],
      reason: 'joins support',
    });
    expect(created.status, JSON.stringify(created.json)).to.equal(201);
    expect(created.headers.get('location')).to.equal(`/admin/v1/staff/${sub}`);
    expect(created.headers.get('tessera-position')).to.match(/^\d+$/);
    expect(StaffResource.parse(created.json)).to.deep.include({
      sub,
      roles: ['support-agent'],
      providerIds: [acme],
    });

    const role = await call('POST', `/staff/${sub}/roles`, { role: 'support-lead', reason: 'promoted' });
    expect(role.status).to.equal(200);
    expect(role.json.roles).to.deep.equal(['support-agent', 'support-lead']);

    const revoked = await call(
      'DELETE',
      `/staff/${sub}/roles/support-agent?reason=${encodeURIComponent('now lead')}`,
    );
    expect(revoked.status).to.equal(200);
    expect(revoked.json.roles).to.deep.equal(['support-lead']);

    const beta = await w.newProvider('Beta');
    expect(
      (await call('POST', `/staff/${sub}/providers`, { providerId: beta, reason: 'Beta too' })).json
        .providerIds,
    ).to.deep.equal([acme, beta]);
    const noAcme = await call('DELETE', `/staff/${sub}/providers/${acme}?reason=ended`);
    expect(noAcme.json.providerIds).to.deep.equal([beta]);

    const one = await call('GET', `/staff/${sub}`);
    expect(one.status).to.equal(200);
    expect(one.json).to.deep.include({ sub, roles: ['support-lead'], providerIds: [beta] });
    const events = await w.store.readStream(`staff-${sub}`);
    expect(events.every((e) => (e.data as { by: string }).by === 'operator')).to.equal(true);
    expect(events.map((e) => (e.data as { reason: string }).reason)).to.deep.equal([
      'joins support',
      'joins support',
      'promoted',
      'now lead',
      'Beta too',
      'ended',
    ]);
  });

  it('answers 200 when the account is staff already, and lists staff with pages', async () => {
    const sub = await w.newUser('+4741800002');
    await w.users.registerWithIdentifier(
      { kind: 'email', value: 'ola@example.com' },
      { actor: { kind: 'system', id: 't' }, correlationId: 'c' },
    );
    expect((await call('POST', '/staff', { sub, roles: ['auditor'], reason: 'audit' })).status).to.equal(201);
    expect((await call('POST', '/staff', { sub, roles: ['auditor'], reason: 'audit' })).status).to.equal(200);
    expect(
      (await call('POST', '/staff', { email: 'OLA@example.com', roles: ['auditor'], reason: 'audit' }))
        .status,
    ).to.equal(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/staff?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).to.equal(200);
      expect(page.json.items).to.have.length.at.most(1);
      seen.push(...(page.json.items as { sub: string }[]).map((m) => m.sub));
      cursor = page.json.nextCursor as string | null;
    } while (cursor);
    expect(seen).to.include(sub);
    expect(seen.length).to.be.at.least(3);
  });

  it('refuses bad input with problem+json and field paths', async () => {
    const sub = await w.newUser('+4741800003');
    const noReason = await call('POST', `/staff/${sub}/roles`, { role: 'auditor' });
    expect(noReason.status).to.equal(422);
    expect(noReason.headers.get('content-type')).to.include('application/problem+json');
    expect(noReason.json.errors).to.deep.include({
      path: 'body.reason',
      message: 'Invalid input: expected string, received undefined',
    });

    const badRole = await call('POST', `/staff/${sub}/roles`, { role: 'root', reason: 'x' });
    expect(badRole.status).to.equal(422);
    expect((badRole.json.errors as { path: string }[]).map((e) => e.path)).to.deep.equal(['body.role']);

    const twoNames = await call('POST', '/staff', {
      sub,
      phone: '+4741800003',
      roles: ['auditor'],
      reason: 'x',
    });
    expect(twoNames.status).to.equal(422);
    const nothing = await call('POST', '/staff', { sub, reason: 'x' });
    expect((nothing.json.errors as { path: string }[]).map((e) => e.path)).to.deep.equal(['body.roles']);
    const extra = await call('POST', `/staff/${sub}/roles`, { role: 'auditor', reason: 'x', by: 'me' });
    expect(extra.status).to.equal(422);

    const revokeNoReason = await call('DELETE', `/staff/${sub}/roles/auditor`);
    expect(revokeNoReason.status).to.equal(400);
    expect((revokeNoReason.json.errors as { path: string }[])[0]!.path).to.equal('query.reason');
    expect((await call('GET', '/staff/not-a-sub')).status).to.equal(400);
    expect((await call('DELETE', `/staff/${sub}/roles/root?reason=x`)).status).to.equal(400);
  });

  it('maps refusals: unknown account or provider 404, not held 409, not staff 404', async () => {
    const sub = await w.newUser('+4741800004');
    expect(
      (await call('POST', `/staff/${newId()}/roles`, { role: 'auditor', reason: 'x' })).json.code,
    ).to.equal('user_not_found');
    const unknownPhone = await call('POST', '/staff', {
      phone: '+4741899999',
      roles: ['auditor'],
      reason: 'x',
    });
    expect(unknownPhone.status).to.equal(404);
    expect(unknownPhone.json.code).to.equal('user_not_found');
    const noProvider = await call('POST', `/staff/${sub}/providers`, { providerId: newId(), reason: 'x' });
    expect([noProvider.status, noProvider.json.code]).to.deep.equal([404, 'provider_not_found']);
    const notHeld = await call('DELETE', `/staff/${sub}/roles/auditor?reason=x`);
    expect([notHeld.status, notHeld.json.code]).to.deep.equal([409, 'role_not_held']);
    const notStaff = await call('GET', `/staff/${sub}`);
    expect([notStaff.status, notStaff.json.code]).to.deep.equal([404, 'staff_not_found']);
  });

  it('requires the admin token', async () => {
    const none = await call('GET', '/staff', undefined, null);
    expect(none.status).to.equal(401);
    expect(none.headers.get('content-type')).to.include('application/problem+json');
    const wrong = await call('POST', '/staff', { sub: newId(), roles: ['auditor'], reason: 'x' }, 'wrong');
    expect([wrong.status, wrong.json.code]).to.deep.equal([401, 'invalid_token']);
  });

  it('documents exactly the routes it serves, in a valid OpenAPI document', () => {
    const served = listServedRoutes(app)
      .filter((r) => r.path.startsWith('/admin/v1/'))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .sort();
    const documented = STAFF_API.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(served).to.deep.equal(documented);
    const document = buildTesseraOpenApi({ version: '0.0.0-test', routes: STAFF_API });
    expect(checkOpenApiDocument(document)).to.deep.equal([]);
  });
});
