import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { userResourceResponder } from '../../infrastructure/http/admin-writes.js';

/**
 * How the user-scoped /v1 resources (rights, subscriptions) answer a write: the resource once the
 * projections show it, else 202 with its id, position and location; a repeated key is marked.
 */
describe('HTTP: answers to writes of user-scoped resources', () => {
  let server: Server;
  let base: string;
  let visible = true;
  const loaded: Array<[string, string]> = [];

  before(async () => {
    const answer = userResourceResponder({
      views: { waitFor: async () => visible },
      timeoutMs: 10,
      projections: ['rights'],
      collection: 'rights',
      idField: 'rightId',
      load: async (providerId, id) => {
        loaded.push([providerId, id]);
        return { rightId: id, state: 'ACTIVE' };
      },
    });
    const app = express();
    app.post('/create/:dedup', async (req, res) => {
      await answer(
        res,
        'provider-a',
        { id: 'right-1', sub: 'user-1' },
        { position: 42, deduplicated: req.params.dedup === 'yes' },
        201,
      );
    });
    app.post('/change', async (_req, res) => {
      await answer(res, 'provider-a', { id: 'right-1', sub: 'user-1' }, { position: null });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a create with the resource as readers see it, its location and position', async () => {
    visible = true;
    const res = await fetch(`${base}/create/no`, { method: 'POST' });
    expect(res.status).to.equal(201);
    expect(res.headers.get('location')).to.equal('/v1/users/user-1/rights/right-1');
    expect(res.headers.get('tessera-position')).to.equal('42');
    expect(res.headers.get('idempotent-replayed')).to.equal(null);
    expect(await res.json()).to.deep.equal({ rightId: 'right-1', state: 'ACTIVE' });
    expect(loaded.at(-1)).to.deep.equal(['provider-a', 'right-1']);
  });

  it('answers 202 with the id and position while the projections lag, and marks a repeated key', async () => {
    visible = false;
    const before = loaded.length;
    const res = await fetch(`${base}/create/yes`, { method: 'POST' });
    expect(res.status).to.equal(202);
    expect(res.headers.get('location')).to.equal('/v1/users/user-1/rights/right-1');
    expect(res.headers.get('idempotent-replayed')).to.equal('true');
    expect(await res.json()).to.deep.equal({ rightId: 'right-1', position: 42 });
    expect(loaded.length).to.equal(before);
  });

  it('answers a change that wrote nothing with the resource at once (200)', async () => {
    visible = false;
    const res = await fetch(`${base}/change`, { method: 'POST' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('tessera-position')).to.equal(null);
    expect(await res.json()).to.deep.equal({ rightId: 'right-1', state: 'ACTIVE' });
  });
});
