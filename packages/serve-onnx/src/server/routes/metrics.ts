import type { Metrics } from '../metrics.js';
import type { HcrFastify } from '../types.js';

/** GET /metrics: Prometheus text, with the queue gauge read at scrape time. */
export function registerMetricsRoute(app: HcrFastify, metrics: Metrics, queued: () => number): void {
  const schema = { tags: ['service'], summary: 'Prometheus metrics (text exposition format)' };
  app.get('/metrics', { schema }, async (_req, reply) => {
    metrics.queue.set(queued());
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
