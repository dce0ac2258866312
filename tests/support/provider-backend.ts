import { expect } from 'chai';
import type { ApiResponse, TestServer } from './test-server.js';

/**
 * A service provider as the rights and subscriptions tests see it: registered with products and a
 * confidential backend client, calling /v1 with client_credentials tokens.
 */
export interface ProviderBackend {
  readonly providerId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A client_credentials access token with the given scopes. */
  token(scope?: string): Promise<string>;
  /**
   * Calls the API with a fresh token: tests move the clock, and the token store expires tokens on
   * the server's clock.
   */
  call<T = any>(method: string, path: string, body?: unknown, scope?: string): Promise<ApiResponse<T>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const BACKEND_SCOPES =
  'id.user.right.read id.user.right.write id.user.right.use events.read payment.transactions.write';

export async function registerProviderBackend(
  server: TestServer,
  name: string,
  products: ReadonlyArray<Record<string, unknown>>,
): Promise<ProviderBackend> {
  const provider = await server.request('POST', '/admin/v1/providers', { body: { name } });
  expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
  const providerId = provider.body.id as string;
  for (const product of products) {
    const added = await server.request('POST', `/admin/v1/providers/${providerId}/products`, {
      body: product,
    });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
  }
  const client = await server.request('POST', `/admin/v1/providers/${providerId}/clients`, {
    body: {
      clientType: 'confidential',
      name: `${name} backend`,
      grantTypes: ['client_credentials'],
      scopes: BACKEND_SCOPES.split(' '),
    },
  });
  expect(client.status, JSON.stringify(client.body)).to.equal(201);
  const { clientId, clientSecret } = client.body as { clientId: string; clientSecret: string };
  async function token(scope = BACKEND_SCOPES): Promise<string> {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    expect(res.status, JSON.stringify(body)).to.equal(200);
    return body.access_token!;
  }

  return {
    providerId,
    clientId,
    clientSecret,
    token,
    async call(method, path, body, scope) {
      return server.request(method, path, {
        token: await token(scope),
        ...(body === undefined ? {} : { body }),
      });
    },
  };
}
