import type { Express } from 'express';

/** A route as Express serves it, in OpenAPI path form (`/v1/users/{sub}`). */
export interface ServedRoute {
  readonly method: string;
  readonly path: string;
}

interface LayerLike {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly LayerLike[] };
}

/** `/users/:sub` → `/users/{sub}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function walk(stack: readonly LayerLike[], prefix: string, out: ServedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        if (typeof path !== 'string') continue;
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push({ method, path: toOpenApiPath(prefix + path) });
        }
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      walk(layer.handle.stack, prefix + mount, out);
    }
  }
}

/**
 * Every route registered on an Express 5 app, through mounted routers, by reading the router
 * stacks. Regular-expression routes and mounts are skipped: Tessera registers none under its APIs.
 */
export function listServedRoutes(app: Express): ServedRoute[] {
  const out: ServedRoute[] = [];
  const root = (app as unknown as { router?: { stack?: readonly LayerLike[] } }).router;
  walk(root?.stack ?? [], '', out);
  return out;
}
