import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type { ApiScope } from './plugins/api-token.js';

/** The Fastify instance every route and plugin module registers on (pino logger, node:http server). */
export type HcrFastify = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;

/** Whether the server is shutting down; hooks and /readyz read it, `shutdown()` sets it. */
export interface Lifecycle {
  closing: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API client whose token the request carried (plugins/api-token.ts); unset on a server without tokens. */
    apiClient?: string;
    /** What that client's token may do (plugins/api-token.ts). */
    apiScopes?: readonly ApiScope[];
    /** The example POST /v1/samples kept (its path in labels.tsv), for the request's log line. */
    sample?: string;
  }
  interface FastifyContextConfig {
    /** How to send a valid body to this route: the hint of its schema errors (plugins/validation.ts). */
    bodyHint?: string;
  }
}
