import { expect } from 'chai';
import type { ApiResponse, TestServer } from './test-server.js';

/** Shared fixtures and assertions for end-to-end tests of the admin catalog API. */

export const rentalBody = {
  sku: 'film-rental-48h',
  name: 'Film rental, 48 hours',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'PT48H',
};

export const planBody = {
  sku: 'premium-monthly',
  name: 'Premium',
  kind: 'subscription',
  price: { amount: 12900, currency: 'NOK' },
  vatRate: 2500,
  period: 'P1M',
  trial: 'P14D',
};

/** A well-formed UUID v7 that no resource has. */
export const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

export interface ProblemJson {
  status: number;
  code: string;
  type: string;
  title: string;
  detail: string;
  instance: string;
  correlationId?: string;
  errors?: Array<{ path: string; message: string }>;
}

/** Asserts an RFC 9457 problem response with Tessera's stable type URI for `code`. */
export function expectProblem(res: ApiResponse, status: number, code: string): ProblemJson {
  const body = res.body as ProblemJson;
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(body).to.include({
    status,
    code,
    type: `https://tessera.dev/problems/${code.replaceAll('_', '-')}`,
  });
  expect(body.title).to.be.a('string').and.not.equal('');
  expect(body.detail).to.be.a('string').and.not.equal('');
  expect(body.instance).to.be.a('string').and.match(/^\//);
  return body;
}

/** Registers a provider through the API and returns its id. */
export async function createProvider(t: TestServer, name = 'Acme Streaming'): Promise<string> {
  const res = await t.request('POST', '/admin/v1/providers', { body: { name } });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return (res.body as { id: string }).id;
}
