import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { z } from 'zod';
import type { TesseraApp } from '../../infrastructure/http/app.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { securityHeaders } from '../../infrastructure/http/security-headers.js';
import { ProductResource, ProviderResource, pageOf } from '../../infrastructure/http/openapi/catalog-api.js';
import { ClientResource } from '../../infrastructure/http/openapi/clients-api.js';
import {
  AccessExplanationResource,
  AccessResource,
  EntitlementsResource,
  RightResource,
} from '../../infrastructure/http/openapi/rights-api.js';
import { SubscriptionResource } from '../../infrastructure/http/openapi/subscriptions-api.js';
import { ProblemSchema } from '../../infrastructure/http/openapi/components.js';
import { listServedRoutes } from '../../infrastructure/http/openapi/express-routes.js';
import type { OpenApiDocument } from '../../infrastructure/http/openapi/generate.js';
import { buildTesseraOpenApi, createOpenApiRouter } from '../../infrastructure/http/openapi/index.js';
import { checkOpenApiDocument } from '../../infrastructure/http/openapi/check.js';
import { TOKENS } from '../../infrastructure/tokens.js';
import { createLogger } from '../../infrastructure/logger.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { planBody, rentalBody } from '../support/catalog-api.js';
import { registerProviderBackend } from '../support/provider-backend.js';

const API_PREFIXES = ['/v1/', '/admin/v1/'];

function documented(document: OpenApiDocument): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) out.add(`${method.toUpperCase()} ${path}`);
  }
  return out;
}

/** The problem codes an operation documents for a status. */
function documentedCodes(document: OpenApiDocument, method: string, path: string, status: number): unknown[] {
  const content = document.paths[path]?.[method]?.responses[String(status)]?.content ?? {};
  const schema = content['application/problem+json']?.schema as
    { allOf?: { properties?: { code?: { enum?: unknown[] } } }[] } | undefined;
  return schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

describe('OpenAPI: the document against the real app', function () {
  this.timeout(30_000);
  let t: TestServer;
  let document: OpenApiDocument;

  before(async () => {
    t = await startTestServer();
    document = buildTesseraOpenApi({ version: '0.0.0-test', issuer: t.url });
  });
  after(async () => {
    await t?.close();
  });

  it('documents every /v1 and /admin/v1 route the app serves, and no route it does not serve', () => {
    const { app } = t.server.container.get<TesseraApp>(TOKENS.HttpApp);
    const served = new Set(
      listServedRoutes(app)
        .filter((r) => API_PREFIXES.some((prefix) => r.path.startsWith(prefix)))
        .map((r) => `${r.method.toUpperCase()} ${r.path}`),
    );
    expect(served.size, 'the walk found the API routes').to.be.greaterThan(20);
    const docs = documented(document);
    const missing = [...served].filter((route) => !docs.has(route));
    const stale = [...docs].filter((route) => !served.has(route));
    expect(
      missing,
      'routes without an OpenAPI description: add them to a *-api.ts list in infrastructure/http/openapi/ ' +
        'and to TESSERA_API_ROUTES',
    ).to.deep.equal([]);
    expect(stale, 'documented routes the app does not serve').to.deep.equal([]);
  });

  it('is structurally valid OpenAPI 3.1', () => {
    expect(document.openapi).to.equal('3.1.0');
    expect(checkOpenApiDocument(document)).to.deep.equal([]);
    const ids = Object.values(document.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(new Set(ids).size).to.equal(ids.length);
    expect(
      (document.components.securitySchemes.tesseraOidc as { openIdConnectUrl: string }).openIdConnectUrl,
    ).to.equal(`${t.url}/.well-known/openid-configuration`);
  });

  it('describes what the admin API really answers (resources, pages and problems)', async () => {
    const provider = await t.request('POST', '/admin/v1/providers', { body: { name: 'Docs Check AS' } });
    expect(provider.status).to.equal(201);
    ProviderResource.strict().parse(provider.body);
    const providerId = (provider.body as { id: string }).id;

    const product = await t.request('POST', `/admin/v1/providers/${providerId}/products`, { body: planBody });
    expect(product.status).to.equal(201);
    ProductResource.strict().parse(product.body);

    const products = await t.request('GET', `/admin/v1/providers/${providerId}/products?limit=10`);
    pageOf(ProductResource.strict()).parse(products.body);

    const client = await t.request('POST', `/admin/v1/providers/${providerId}/clients`, {
      body: {
        clientType: 'confidential',
        name: 'Backend',
        scopes: ['id.user.read'],
        grantTypes: ['client_credentials'],
      },
    });
    expect(client.status).to.equal(201);
    ClientResource.extend({ clientSecret: ClientResource.shape.name }).strict().parse(client.body);

    const invalid = await t.request('POST', '/admin/v1/providers', { body: { name: '' } });
    const body = ProblemSchema.parse(invalid.body) as z.infer<typeof ProblemSchema>;
    expect(documentedCodes(document, 'post', '/admin/v1/providers', invalid.status)).to.include(body.code);
    expect(body.errors?.[0]?.path).to.equal('body.name');

    const unknown = await t.request('GET', '/admin/v1/products/01900000-0000-7000-8000-000000000000');
    const notFoundBody = ProblemSchema.parse(unknown.body);
    expect(documentedCodes(document, 'get', '/admin/v1/products/{productId}', unknown.status)).to.include(
      notFoundBody.code,
    );

    const noToken = await t.request('GET', '/v1/users/me', { token: null });
    const unauthorized = ProblemSchema.parse(noToken.body);
    expect(documentedCodes(document, 'get', '/v1/users/me', noToken.status)).to.include(unauthorized.code);
  });

  it('describes what the rights and subscriptions API really answers', async () => {
    const backend = await registerProviderBackend(t, 'Docs Rights AS', [rentalBody, planBody]);
    const sub = '01900000-0000-7000-8000-00000000d0c5';
    const granted = await backend.call('POST', `/v1/users/${sub}/rights`, { sku: rentalBody.sku });
    expect(granted.status, JSON.stringify(granted.body)).to.equal(201);
    const right = RightResource.strict().parse(granted.body);
    const base = `/v1/users/${sub}`;

    RightResource.strict().parse((await backend.call('GET', `${base}/rights/${right.rightId}`)).body);
    AccessResource.strict().parse((await backend.call('GET', `${base}/access?sku=${rentalBody.sku}`)).body);
    const explained = await backend.call('GET', `${base}/access/explain?sku=${rentalBody.sku}`);
    AccessExplanationResource.strict().parse(explained.body);
    EntitlementsResource.strict().parse((await backend.call('GET', `${base}/entitlements`)).body);

    const started = await backend.call('POST', `${base}/subscriptions`, { sku: planBody.sku });
    expect(started.status, JSON.stringify(started.body)).to.equal(201);
    SubscriptionResource.strict().parse(started.body);

    const missing = await backend.call('GET', `${base}/rights/no-such-right`);
    const problem = ProblemSchema.parse(missing.body);
    expect(documentedCodes(document, 'get', '/v1/users/{sub}/rights/{rightId}', missing.status)).to.include(
      problem.code,
    );
    const terminated = await backend.call('POST', `${base}/rights/${right.rightId}/terminate`, {});
    expect(terminated.status).to.equal(200);
    const again = await backend.call('POST', `${base}/rights/${right.rightId}/terminate`, {});
    expect(
      documentedCodes(document, 'post', '/v1/users/{sub}/rights/{rightId}/terminate', again.status),
    ).to.include(ProblemSchema.parse(again.body).code);
  });
});

describe('OpenAPI: /openapi.json and /docs over HTTP', () => {
  let server: Server;
  let base: string;
  let document: OpenApiDocument;

  before(async () => {
    document = buildTesseraOpenApi({ version: '1.2.3' });
    const app = express();
    app.use(correlation(createLogger('silent')));
    app.use(securityHeaders());
    app.use(createOpenApiRouter({ document, maxAgeSeconds: 120 }));
    app.use(notFound());
    app.use(errorHandler());
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the document as cacheable JSON with the users routes and their scopes', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    expect(res.headers.get('cache-control')).to.equal('public, max-age=120');
    const served = (await res.json()) as OpenApiDocument;
    expect(served.openapi).to.equal('3.1.0');
    expect(served.info.version).to.equal('1.2.3');

    const bySub = served.paths['/v1/users/{sub}']?.get;
    expect(bySub?.security).to.deep.equal([{ tesseraOidc: ['id.user.read'] }]);
    expect(bySub?.parameters?.map((p) => [p.in, p.name])).to.deep.include(['path', 'sub']);
    expect(bySub?.parameters?.map((p) => p.name)).to.include('minPosition');
    expect(Object.keys(bySub?.responses ?? {})).to.include.members(['200', '400', '401', '403', '404']);

    const me = served.paths['/v1/users/me']?.get;
    expect(me?.security).to.deep.include({ tesseraOidc: ['openid', 'profile'] });
    const patch = served.paths['/v1/users/me']?.patch;
    expect(patch?.security).to.deep.equal([{ tesseraOidc: ['id.user.write'] }]);
    expect(patch?.requestBody?.content['application/json']?.schema).to.include({
      additionalProperties: false,
    });
    expect(served.paths['/v1/users/me/phones/{phone}/primary']?.post?.operationId).to.equal(
      'makeMyPhonePrimary',
    );

    const etag = res.headers.get('etag');
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(`${base}/openapi.json`, { headers: { 'If-None-Match': etag! } });
    expect(again.status).to.equal(304);
  });

  it('renders the docs page: a heading per tag, an anchor per operation, and no script', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    const html = await res.text();
    for (const tag of document.tags) {
      expect(html).to.include(`<h2>${tag.name}</h2>`);
    }
    for (const item of Object.values(document.paths)) {
      for (const op of Object.values(item)) {
        expect(html).to.include(`id="op-${op.operationId.toLowerCase()}"`);
      }
    }
    expect(html).to.include('<code>/v1/users/{sub}</code>');
    expect(html).to.include('<code>id.user.read</code>');
    expect(html).to.include('give a new name, a new locale, or both');
    expect(html).to.not.match(/<script/i);
    expect(html).to.not.match(/\son[a-z]+=/i);

    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.not.match(/script-src|unsafe-inline/);
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(csp).to.include(`'sha256-${hash}'`);
  });
});
