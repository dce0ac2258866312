import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics and readiness endpoints need to know about each projection. */
export interface ProjectionHealth {
  readonly name: string;
  /** e.g. 'starting', 'catching_up', 'live', 'rebuilding', 'failed'. */
  readonly state: string;
  /** Global position the projection has applied up to. */
  readonly position: number;
  /** Events in the log the projection has not applied yet. */
  readonly lag: number;
}

/** The projection runner, as far as health and metrics are concerned. */
export interface ProjectionHealthSource {
  status(): Promise<readonly ProjectionHealth[]>;
}

export interface HttpMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/**
 * One Prometheus registry per app (not the global one), so several servers in one process (tests)
 * do not collide. Projection gauges are read from the runner at scrape time.
 */
export function createMetrics(projections: ProjectionHealthSource): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // Both gauges read the same status; fetch it once per scrape.
  let pending: Promise<readonly ProjectionHealth[]> | null = null;
  const health = () => {
    pending ??= projections.status().finally(() => {
      setImmediate(() => (pending = null));
    });
    return pending;
  };

  new Gauge({
    name: 'tessera_projection_lag_events',
    help: 'Events in the log that a projection has not applied yet.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await health()) this.set({ projection: p.name }, p.lag);
    },
  });
  new Gauge({
    name: 'tessera_projection_position',
    help: 'Global log position a projection has applied up to.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await health()) this.set({ projection: p.name }, p.position);
    },
  });
  return { registry, requestDuration };
}
