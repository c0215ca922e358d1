import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Node's HTTP server options that bound slow clients. `requestTimeout` covers headers and body (Node answers
 * 408 and closes the socket when it expires; the prediction itself is bounded by `timeoutMs`), the headers
 * get the same budget, kept-alive connections close after `idleTimeoutMs` without a request, and a socket
 * silent for longer than any answer can take is dropped.
 */
export function slowClientTimeouts(limits: {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  timeoutMs: number;
}) {
  const request = limits.requestTimeoutMs;
  return {
    requestTimeout: request,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionTimeout: limits.timeoutMs + Math.max(request, limits.idleTimeoutMs) + 5_000,
    http: {
      requestTimeout: request,
      headersTimeout: request,
      // Node looks for expired requests on this period (30 s by default, which would stretch a 10 s limit).
      connectionsCheckingInterval:
        request > 0 ? Math.min(1_000, Math.max(50, Math.floor(request / 4))) : 30_000,
    },
  };
}

/**
 * Errors Node raises before a request reaches a route (a timeout, malformed HTTP, oversized headers),
 * answered in the service's error shape on a closing connection.
 */
export function clientErrorHandler(requestTimeoutMs: number) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message, hint] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'REQUEST_TIMEOUT',
            `The request (headers and body) did not arrive within ${requestTimeoutMs} ms.`,
            'Send the whole image at once; for slow links start hcr serve with a larger --request-timeout-ms.',
          ]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large.', 'Send fewer or shorter headers.']
          : [400, 'BAD_REQUEST', `Malformed HTTP request (${err.code ?? err.message}).`, undefined];
    const body = JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } });
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    socket.destroy();
  };
}
