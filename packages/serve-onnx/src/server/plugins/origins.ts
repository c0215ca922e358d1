import { isIP } from 'node:net';
import cors from '@fastify/cors';
import { HcrError } from '@hcr/core';
import { isApiRequest, sendError } from '../http.js';
import type { HcrFastify } from '../types.js';

/** Which browsers' requests the server answers, beyond its own page's. */
export interface OriginPolicy {
  /**
   * Host names (the Host header, without its port) answered besides IP addresses and `localhost`; `'any'`
   * answers every name. A name outside the list is 403 HOST_NOT_ALLOWED: a web page that makes its own name
   * point at this machine (DNS rebinding) cannot reach a server on 127.0.0.1 by it.
   */
  allowedHosts: readonly string[] | 'any';
  /**
   * Web origins (`https://app.example.com`) whose pages may call /v1/ from a browser: their requests are answered
   * with CORS headers. `'*'`: every origin. Other pages' requests to /v1/ (a browser marks them
   * `Sec-Fetch-Site: cross-site` or `same-site`) are 403 CROSS_ORIGIN_REFUSED, so a page on another site cannot
   * make a visitor's browser spend this server's CPU.
   */
  corsOrigins: readonly string[] | '*';
}

/** The policy for an address: on a loopback address only IPs and localhost are answered, anywhere else any name. */
export function defaultOriginPolicy(listenHost: string): OriginPolicy {
  return { allowedHosts: isLoopback(listenHost) ? [] : 'any', corsOrigins: [] };
}

/**
 * Refuses a policy that cannot mean what was asked: a host name with a port, a scheme or a space; an origin that is
 * not `http(s)://host[:port]` (a path or a trailing slash would never equal a browser's Origin header).
 */
export function checkOriginPolicy(policy: Partial<OriginPolicy>): void {
  const { allowedHosts, corsOrigins } = policy;
  if (Array.isArray(allowedHosts))
    for (const h of allowedHosts)
      if (typeof h !== 'string' || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(h))
        throw new HcrError('BAD_OPTIONS', `Allowed host ${JSON.stringify(h)} is not a host name.`, {
          hint: "Give names as the Host header carries them, without a port or scheme (e.g. hcr.example.com), or 'any'.",
        });
  if (allowedHosts !== undefined && allowedHosts !== 'any' && !Array.isArray(allowedHosts))
    throw new HcrError('BAD_OPTIONS', `allowedHosts is ${JSON.stringify(allowedHosts)}.`, {
      hint: "Pass a list of host names, or 'any'.",
    });
  if (Array.isArray(corsOrigins))
    for (const o of corsOrigins) {
      let origin = '';
      try {
        const url = new URL(o);
        if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
      } catch {}
      if (origin !== o)
        throw new HcrError('BAD_OPTIONS', `CORS origin ${JSON.stringify(o)} is not an origin.`, {
          hint: `An origin is a scheme, host and port only, as browsers send it: e.g. https://app.example.com or http://localhost:3000${origin ? ` (here ${origin})` : ''}; or '*' for any.`,
        });
    }
  if (corsOrigins !== undefined && corsOrigins !== '*' && !Array.isArray(corsOrigins))
    throw new HcrError('BAD_OPTIONS', `corsOrigins is ${JSON.stringify(corsOrigins)}.`, {
      hint: "Pass a list of origins, or '*'.",
    });
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // an IPv4-mapped IPv6 address of 127/8 (::ffff:127.0.0.1) is loopback too
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host name of a Host header: `[::1]:8080` -> `::1`, `Example.com:80` -> `example.com`. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  // A bare IPv6 address has several colons and no port.
  return (h.match(/:/g)?.length ?? 0) > 1 ? h : h.replace(/:\d*$/, '');
}

function hostAllowed(name: string, allowed: readonly string[] | 'any'): boolean {
  if (allowed === 'any' || isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((a) => a.toLowerCase() === name);
}

export async function registerOrigins(app: HcrFastify, policy: OriginPolicy): Promise<void> {
  const { allowedHosts, corsOrigins } = policy;
  const listed = (origin: string | undefined) =>
    corsOrigins === '*' || (origin !== undefined && corsOrigins.includes(origin));
  // Callback-style, like the lifecycle hooks: no promise per request.
  app.addHook('onRequest', (req, reply, done) => {
    const host = req.headers.host;
    if (allowedHosts !== 'any' && (host === undefined || !hostAllowed(hostName(host), allowedHosts))) {
      sendError(
        reply,
        403,
        'HOST_NOT_ALLOWED',
        `This server answers requests for its address, localhost or an IP address, not for '${host ?? ''}' (a web page pointing its own name at this machine would reach it so).`,
        `If you reach it by that name (a proxy in front of it, a name in /etc/hosts), start hcr serve with --allowed-hosts ${host ? hostName(host) : '<name>'} (or allowedHosts in startServer).`,
      );
      return;
    }
    const site = req.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && isApiRequest(req) && !listed(req.headers.origin)) {
      const origin = req.headers.origin ?? 'another site';
      sendError(
        reply,
        403,
        'CROSS_ORIGIN_REFUSED',
        `A page of ${origin} sent this request; the API answers its own page and the origins it was started with --cors.`,
        `To let that page call the API, start hcr serve with --cors ${req.headers.origin ?? '<origin>'} (or corsOrigins in startServer).`,
      );
      return;
    }
    done();
  });
  // After the checks above (hooks run in the order added): a refused request gets no CORS answer either.
  if (corsOrigins === '*' || corsOrigins.length > 0)
    await app.register(cors, {
      origin: corsOrigins === '*' ? '*' : [...corsOrigins],
      methods: ['GET', 'POST'],
      // what a page reading the answers needs: the request id to find its log line, when to retry a 503
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
}
