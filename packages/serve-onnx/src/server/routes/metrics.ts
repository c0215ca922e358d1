import type { Metrics } from '../metrics.js';
import type { HcrFastify } from '../types.js';

/** GET /metrics: Prometheus text, with the queue gauge read at scrape time. */
export function registerMetricsRoute(app: HcrFastify, metrics: Metrics, queued: () => number): void {
  app.get('/metrics', async (_req, reply) => {
    metrics.queue.set(queued());
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
