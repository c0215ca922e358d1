import type { Metrics } from '../metrics.js';
import type { HcrFastify } from '../types.js';

/** GET /metrics: Prometheus text, with the queue gauges read at scrape time. */
export function registerMetricsRoute(
  app: HcrFastify,
  metrics: Metrics,
  queued: () => number,
  preparing: () => { characters: number; reader: number },
): void {
  const schema = { tags: ['service'], summary: 'Prometheus metrics (text exposition format)' };
  app.get('/metrics', { schema }, async (_req, reply) => {
    metrics.queue.set(queued());
    for (const [model, n] of Object.entries(preparing())) metrics.preparing.set({ model }, n);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
