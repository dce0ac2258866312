/**
 * The dashboard's static files: Chart.js (from its package) and the page's own script and
 * stylesheet. Each is read once and served from memory under a name carrying its content hash, so it
 * can be cached for a year and a new version is a new URL.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';
import type { DashboardAssets } from './dashboard-views.js';

export const DASHBOARD_ASSETS_PATH = '/dashboard/assets';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Chart.js's browser build (the package exports no subpath to it, so it is found next to its main file). */
function chartJsFile(): string {
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
}

export interface LoadedAssets {
  /** URLs of the files, for the page. */
  readonly urls: DashboardAssets;
  /** Serves GET /dashboard/assets/<name>; anything else goes on. */
  readonly handler: RequestHandler;
}

export function loadDashboardAssets(): LoadedAssets {
  const byName = new Map<string, Asset>();
  const add = (file: string, stem: string, ext: string, type: string): string => {
    const body = readFileSync(file);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const name = `${stem}.${hash}.${ext}`;
    byName.set(name, { body, type });
    return `${DASHBOARD_ASSETS_PATH}/${name}`;
  };
  const urls: DashboardAssets = {
    chartJs: add(chartJsFile(), 'chart', 'js', 'text/javascript; charset=utf-8'),
    script: add(join(here, 'assets', 'dashboard.js'), 'dashboard', 'js', 'text/javascript; charset=utf-8'),
    style: add(join(here, 'assets', 'dashboard.css'), 'dashboard', 'css', 'text/css; charset=utf-8'),
  };
  const handler: RequestHandler = (req, res, next) => {
    const prefix = `${DASHBOARD_ASSETS_PATH}/`;
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!req.path.startsWith(prefix)) return next();
    const asset = byName.get(req.path.slice(prefix.length));
    if (!asset) return next();
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Type', asset.type);
    res.send(asset.body);
  };
  return { urls, handler };
}
