import { isApiRequest, sendError } from '../http.js';
import type { Metrics } from '../metrics.js';
import type { HcrFastify, Lifecycle } from '../types.js';

/**
 * Request hooks: refuse new /v1/ work while shutting down, close connections after their response then,
 * and one metrics update and log line per request (route, status, ms, the API client, the IP address, and the
 * example a POST /v1/samples kept).
 */
export function registerLifecycle(app: HcrFastify, state: Lifecycle, metrics: Metrics): void {
  // Callback-style hooks: an async hook costs promises on every request, thousands a second under load.
  app.addHook('onRequest', (req, reply, done) => {
    (req as { startedAt?: number }).startedAt = performance.now();
    if (state.closing && isApiRequest(req)) {
      sendError(reply, 503, 'SHUTTING_DOWN', 'The server is shutting down.', 'Retry on another instance.');
      return;
    }
    done();
  });
  // While shutting down, close each connection after its response so the listener can finish closing.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (state.closing) reply.header('connection', 'close');
    // the request's id (the client's x-request-id when it sent one), to find its log line
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    const seconds =
      (performance.now() - ((req as { startedAt?: number }).startedAt ?? performance.now())) / 1000;
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, seconds);
    const code = (req as { errorCode?: string }).errorCode;
    if (code) metrics.errors.inc({ route, code });
    const client = req.apiClient;
    if (client !== undefined) metrics.clientRequests.inc({ client, status: String(reply.statusCode) });
    const line = {
      route,
      status: reply.statusCode,
      ms: +(seconds * 1000).toFixed(2),
      ...(code ? { code } : {}),
      ...(client !== undefined ? { client } : {}),
      ...(req.sample !== undefined ? { sample: req.sample } : {}),
      // the peer's address, or with --trust-proxy the one its proxy forwarded
      ip: req.ip,
    };
    if (reply.statusCode >= 500 && !state.closing) req.log.error(line, 'request failed');
    else if (infoEnabled(req.log)) req.log.info(line, 'request');
    done();
  });
}

/** Whether info lines are written (pino's isLevelEnabled), so a dropped line costs no formatting. */
function infoEnabled(log: unknown): boolean {
  const pino = log as { isLevelEnabled?: (level: string) => boolean };
  return pino.isLevelEnabled ? pino.isLevelEnabled('info') : true;
}
