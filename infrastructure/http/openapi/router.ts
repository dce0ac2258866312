import { createHash } from 'node:crypto';
import { Router } from 'express';
import { sendPage } from '../pages/render.js';
import { renderDocsBody } from './docs-page.js';
import type { OpenApiDocument } from './generate.js';

export interface OpenApiRouterOptions {
  readonly document: OpenApiDocument;
  /** How long clients and proxies may cache /openapi.json (default 300 s). */
  readonly maxAgeSeconds?: number;
}

/**
 * Serves the API description: `GET /openapi.json` (the OpenAPI 3.1 document, cacheable, with an
 * ETag, readable cross-origin so that API tools can load it) and `GET /docs` (the browsable
 * reference, plain HTML under the pages' script-free CSP). The document is fixed for the life of the
 * process, so both bodies are built once.
 */
export function createOpenApiRouter(options: OpenApiRouterOptions): Router {
  const json = JSON.stringify(options.document);
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
  const maxAge = options.maxAgeSeconds ?? 300;
  const docsBody = renderDocsBody(options.document);
  const router = Router();

  router.get('/openapi.json', (req, res) => {
    res.setHeader('Cache-Control', `public, max-age=${maxAge}`);
    res.setHeader('ETag', etag);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    const match = req.get('If-None-Match');
    if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(json);
  });

  router.get('/docs', (_req, res) => {
    sendPage(res, 200, { locale: 'en', title: 'API reference', body: docsBody, wide: true });
  });

  return router;
}
