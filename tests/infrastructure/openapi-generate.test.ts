import { expect } from 'chai';
import express from 'express';
import { z } from 'zod';
import { checkOpenApiDocument } from '../../infrastructure/http/openapi/check.js';
import { listServedRoutes } from '../../infrastructure/http/openapi/express-routes.js';
import { generateOpenApi } from '../../infrastructure/http/openapi/generate.js';
import { SchemaConversionError } from '../../infrastructure/http/openapi/json-schema.js';
import { ADMIN, json, problem, type RouteDoc, scopes } from '../../infrastructure/http/openapi/registry.js';

const Thing = z.object({ id: z.uuid() });

function route(overrides: Partial<RouteDoc>): RouteDoc {
  return {
    method: 'get',
    path: '/v1/things/{id}',
    operationId: 'getThing',
    summary: 'A thing',
    tags: ['Things'],
    security: scopes('things.read', ['openid', 'things']),
    params: z.object({ id: z.uuid() }),
    responses: { 200: json('The thing.', Thing), 404: problem('No such thing.', 'thing_not_found') },
    ...overrides,
  };
}

const generate = (...routes: RouteDoc[]) => generateOpenApi({ version: '1', routes });

describe('OpenAPI generator', () => {
  it('turns scopes into OR-ed security requirements and adds the standard problems', () => {
    const op = generate(route({ readAfterWrite: true })).paths['/v1/things/{id}']!.get!;
    expect(op.security).to.deep.equal([
      { tesseraOidc: ['things.read'] },
      { tesseraOidc: ['openid', 'things'] },
    ]);
    expect(Object.keys(op.responses)).to.deep.equal(['200', '400', '401', '403', '404', '503']);
    expect(op.parameters?.map((p) => `${p.in}:${p.name}:${p.required}`)).to.deep.equal([
      'path:id:true',
      'query:minPosition:false',
    ]);
    const codes = (
      op.responses['503']!.content!['application/problem+json']!.schema as {
        allOf: { properties: { code: { enum: string[] } } }[];
      }
    ).allOf[1]!.properties.code.enum;
    expect(codes).to.have.members(['oidc_starting', 'position_not_reached']);
  });

  it('describes request bodies as input (before transforms) and responses as output', () => {
    const doc = generate(
      route({
        method: 'post',
        path: '/v1/things',
        operationId: 'addThing',
        security: ADMIN,
        params: undefined,
        query: z.object({
          limit: z.string().regex(/^\d+$/).transform(Number).pipe(z.int().max(9)).optional(),
        }),
        body: z.strictObject({ name: z.string().min(1) }).refine((b) => b.name !== 'x', 'must not be x'),
        responses: { 201: json('Added.', z.object({ count: z.string().transform(Number).pipe(z.int()) })) },
      }),
    );
    const op = doc.paths['/v1/things']!.post!;
    expect(op.parameters?.[0]?.schema).to.deep.equal({ type: 'string', pattern: '^\\d+$' });
    const body = op.requestBody!.content['application/json']!.schema;
    expect(body).to.include({ additionalProperties: false });
    expect(String(body.description)).to.include('must not be x');
    expect(op.responses['201']!.content!['application/json']!.schema).to.deep.include({
      properties: {
        count: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
      },
    });
    expect(op.responses).to.include.keys('401', '415', '422');
  });

  it('fails loudly, naming the route, on schemas JSON Schema cannot represent', () => {
    expect(() => generate(route({ responses: { 200: json('Bad.', z.object({ at: z.date() })) } }))).to.throw(
      SchemaConversionError,
      /GET \/v1\/things\/\{id\} response 200/,
    );
    const transformed = z.object({ n: z.string().transform(Number) });
    expect(() => generate(route({ responses: { 200: json('Bad.', transformed) } }))).to.throw(
      SchemaConversionError,
    );
    expect(() => generate(route({ method: 'post', body: z.object({ big: z.bigint() }) }))).to.throw(
      /request body/,
    );
  });

  it('refuses path parameters without a schema, duplicate operationIds and duplicate routes', () => {
    expect(() => generate(route({ params: z.object({ other: z.string() }) }))).to.throw(/path names \{id\}/);
    expect(() => generate(route({ params: z.object({ id: z.string().optional() }) }))).to.throw(
      /must not be optional/,
    );
    expect(() => generate(route({}), route({ path: '/v1/other/{id}' }))).to.throw(/operationId "getThing"/);
    expect(() => generate(route({}), route({ operationId: 'again' }))).to.throw(/described twice/);
  });

  it('hoists schemas registered with an id into components and points the refs there', () => {
    const Money = z.object({ amount: z.int(), currency: z.string() }).meta({ id: 'OpenApiTestMoney' });
    const doc = generate(route({ responses: { 200: json('Priced.', z.object({ a: Money, b: Money })) } }));
    expect(doc.components.schemas).to.have.property('OpenApiTestMoney');
    expect(JSON.stringify(doc.paths)).to.include('"#/components/schemas/OpenApiTestMoney"');
    expect(checkOpenApiDocument(doc)).to.deep.equal([]);
  });
});

describe('OpenAPI structural check', () => {
  const valid = () => JSON.parse(JSON.stringify(generate(route({})))) as Record<string, never>;

  it('passes a generated document', () => {
    expect(checkOpenApiDocument(valid())).to.deep.equal([]);
  });

  it('finds a wrong version, a dangling $ref, an undeclared path parameter and an unknown scheme', () => {
    const doc = valid() as unknown as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters: unknown[]; security: unknown[]; responses: object }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    doc.openapi = '3.0.3';
    delete doc.components.schemas.Problem;
    const op = doc.paths['/v1/things/{id}']!.get!;
    op.parameters = [];
    op.security = [{ nobody: [] }];
    const problems = checkOpenApiDocument(doc);
    expect(problems.join('\n')).to.match(/not "3\.1\.0"/);
    expect(problems.join('\n')).to.match(/\$ref "#\/components\/schemas\/Problem" .* does not resolve/);
    expect(problems.join('\n')).to.match(/path parameter \{id\} is not declared/);
    expect(problems.join('\n')).to.match(/unknown security scheme "nobody"/);
  });
});

describe('listServedRoutes', () => {
  it('lists routes through mounted routers in OpenAPI path form', () => {
    const app = express();
    const inner = express.Router();
    inner.get('/things/:id', (_req, res) => void res.end());
    inner.delete('/things/:id', (_req, res) => void res.end());
    app.use('/v1', (_req, _res, next) => next(), inner);
    app.post('/top', (_req, res) => void res.end());
    expect(listServedRoutes(app)).to.have.deep.members([
      { method: 'get', path: '/v1/things/{id}' },
      { method: 'delete', path: '/v1/things/{id}' },
      { method: 'post', path: '/top' },
    ]);
  });
});
