import type { LineReader } from '../../reader/line-reader.js';
import type { Recognizer } from '../../recognizer.js';
import type { HcrFastify, Lifecycle } from '../types.js';

/** GET /healthz (the process is up) and GET /readyz (it takes work; 503 while shutting down). */
export function registerHealthRoutes(
  app: HcrFastify,
  deps: { recognizer: Recognizer; reader?: LineReader; state: Lifecycle },
): void {
  app.get('/healthz', { schema: { tags: ['service'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));
  const ready = {
    tags: ['service'],
    summary: 'The models are loaded and the server takes work (503 while shutting down)',
  };
  app.get('/readyz', { schema: ready }, async (_req, reply) =>
    deps.state.closing
      ? reply.code(503).send({ status: 'shutting down' })
      : { status: 'ready', model: deps.recognizer.info.id, reader: deps.reader?.info.id ?? null },
  );
}
