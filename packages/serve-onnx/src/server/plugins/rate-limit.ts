import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import { HcrError } from '@hcr/core';
import { isApiRequest } from '../http.js';
import type { HcrFastify } from '../types.js';

/** At most `max` /v1/ requests per client in each window of `windowMs` (429 RATE_LIMITED beyond). */
export interface RateLimit {
  max: number;
  windowMs: number;
  /** Limits of their own for API clients, by name (a batch scanner may need more than a phone). */
  clients?: Readonly<Record<string, { max: number; windowMs: number }>>;
}

const PERIODS: Record<string, number> = { s: 1_000, min: 60_000, h: 3_600_000 };
const EXAMPLE = 'e.g. 120/min, 5/s or 2000/h';

/** A window in words: `minute`, `10 seconds`. */
function windowText(ms: number): string {
  for (const [unit, size] of [
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1_000],
  ] as const)
    if (ms % size === 0) return ms === size ? unit : `${ms / size} ${unit}s`;
  return `${ms} ms`;
}

/**
 * A limit that can be kept: a whole number of requests from 1, a window from 1 ms to a day, for everyone and for
 * each client named. Returns it.
 */
export function checkRateLimit(limit: RateLimit): RateLimit {
  checkOne(limit, 'rate limit');
  for (const [name, own] of Object.entries(limit.clients ?? {}))
    checkOne(own, `rate limit of client ${name}`);
  return limit;
}

function checkOne({ max, windowMs }: { max: number; windowMs: number }, what: string): void {
  if (!Number.isInteger(max) || max < 1)
    throw new HcrError('BAD_OPTIONS', `The ${what}'s max is ${max}, not a whole number of requests from 1.`, {
      hint: `Allow at least one request per window (${EXAMPLE}).`,
    });
  if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > 86_400_000)
    throw new HcrError('BAD_OPTIONS', `The ${what}'s window is ${windowMs} ms: from 1 ms to a day, please.`, {
      hint: `Pick a second, a minute or an hour (${EXAMPLE}).`,
    });
}

/**
 * Refuses a limit that names a client not among `clients` (the token file's names; undefined without tokens): a
 * misspelt name would leave the client under the default limit without a word, so the start is refused instead.
 */
export function checkRateLimitClients(limit: RateLimit, clients: readonly string[] | undefined): void {
  const named = Object.keys(limit.clients ?? {});
  if (named.length === 0) return;
  if (clients === undefined)
    throw new HcrError(
      'BAD_OPTIONS',
      `The rate limit names clients (${named.join(', ')}), and the server has no API tokens.`,
      {
        hint: 'Clients are the names in --api-token-file; without tokens the limit counts by IP address: give one limit only.',
      },
    );
  const unknown = named.filter((n) => !clients.includes(n));
  if (unknown.length)
    throw new HcrError(
      'BAD_OPTIONS',
      `The rate limit names ${unknown.length === 1 ? 'a client' : 'clients'} the API tokens do not have: ${unknown.join(', ')}.`,
      { hint: `The token file's clients are ${clients.join(', ')} (hcr token list).` },
    );
}

/**
 * `120/min` (also `5/s`, `2000/h`, `10/30s`) as a RateLimit, for `hcr serve --rate-limit`; after it, limits of
 * their own for named clients: `120/min,scanner=1000/min,phone=10/min`.
 */
export function parseRateLimit(text: string): RateLimit {
  const [first = '', ...rest] = text.split(',');
  const limit: RateLimit = parseOne(first, text);
  const clients = new Map<string, { max: number; windowMs: number }>();
  for (const entry of rest) {
    const m = entry.trim().match(/^([^=\s]+)\s*=\s*(.*)$/);
    if (!m)
      throw new HcrError(
        'BAD_OPTIONS',
        `--rate-limit ${text}: '${entry.trim()}' is not <client>=<requests>/<period>.`,
        {
          hint: `After everyone's limit, give clients limits of their own: 120/min,scanner=1000/min.`,
        },
      );
    if (clients.has(m[1]!))
      throw new HcrError('BAD_OPTIONS', `--rate-limit ${text} names client ${m[1]} twice.`, {
        hint: 'Give each client one limit.',
      });
    clients.set(m[1]!, parseOne(m[2]!, text));
  }
  return checkRateLimit(clients.size ? { ...limit, clients: Object.fromEntries(clients) } : limit);
}

function parseOne(part: string, text: string): { max: number; windowMs: number } {
  const m = part.trim().match(/^(\d+)\s*\/\s*(\d*)\s*(s|min|h)$/);
  if (!m)
    throw new HcrError(
      'BAD_OPTIONS',
      `--rate-limit ${text} is not <requests>/<period>${text.includes(',') ? '[,<client>=<requests>/<period>...]' : ''}.`,
      {
        hint: `Write it as requests per s, min or h: ${EXAMPLE}; then, if need be, clients' own: 120/min,scanner=1000/min.`,
      },
    );
  return { max: Number(m[1]), windowMs: Number(m[2] || 1) * PERIODS[m[3]!]! };
}

/**
 * Counts each client's /v1/ requests (a client is its API token's name, else its IP address; the IPv6 ones by
 * /64) in fixed windows, and answers 429 RATE_LIMITED with Retry-After once a client has spent its window's
 * requests; every /v1/ answer says how many are left (`x-ratelimit-limit`, `-remaining`, `-reset`). So one client,
 * however eager, leaves the server's CPU to the others. A client the limit names gets its own max and window. The
 * page, probes, /metrics and CORS preflights are not counted. Registered after the token guard, so a request
 * refused for its token costs its client nothing (and counts against no one).
 */
export async function registerRateLimit(app: HcrFastify, limit: RateLimit): Promise<void> {
  const { max, windowMs, clients = {} } = checkRateLimit(limit);
  const own = (req: { apiClient?: string }) =>
    (req.apiClient !== undefined && Object.hasOwn(clients, req.apiClient) && clients[req.apiClient]) || {
      max,
      windowMs,
    };
  // functions only when some client has its own limit: the plugin awaits them on every request
  const perClient = Object.keys(clients).length > 0;
  await app.register(fastifyRateLimit, {
    global: true,
    max: perClient ? async (req) => own(req).max : max,
    timeWindow: perClient ? async (req) => own(req).windowMs : windowMs,
    // clients remembered at once (least recently seen forgotten first): more than a server has in a window
    cache: 10_000,
    allowList: (req) => !isApiRequest(req) || req.method === 'OPTIONS',
    keyGenerator: (req) =>
      req.apiClient !== undefined ? `client ${req.apiClient}` : `ip ${normalizeIP(req.ip)}`,
    errorResponseBuilder: (req, context) =>
      new HcrError(
        'RATE_LIMITED',
        `${req.apiClient !== undefined ? `Client ${req.apiClient}` : 'This address'} has used the ${context.max} request${context.max === 1 ? '' : 's'} it may send per ${windowText(own(req).windowMs)}.`,
        {
          hint: `Retry in ${context.after} (the Retry-After header says when), or send several images per request: the limit counts requests.`,
        },
      ),
  });
}
