import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import { HcrError } from '@hcr/core';
import { isApiRequest } from '../http.js';
import type { HcrFastify } from '../types.js';

/** At most `max` /v1/ requests per client in each window of `windowMs` (429 RATE_LIMITED beyond). */
export interface RateLimit {
  max: number;
  windowMs: number;
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

/** A limit that can be kept: a whole number of requests from 1, a window from 1 ms to a day. Returns it. */
export function checkRateLimit(limit: RateLimit): RateLimit {
  const { max, windowMs } = limit;
  if (!Number.isInteger(max) || max < 1)
    throw new HcrError(
      'BAD_OPTIONS',
      `The rate limit's max is ${max}, not a whole number of requests from 1.`,
      {
        hint: `Allow at least one request per window (${EXAMPLE}).`,
      },
    );
  if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > 86_400_000)
    throw new HcrError(
      'BAD_OPTIONS',
      `The rate limit's window is ${windowMs} ms: from 1 ms to a day, please.`,
      {
        hint: `Pick a second, a minute or an hour (${EXAMPLE}).`,
      },
    );
  return limit;
}

/** `120/min` (also `5/s`, `2000/h`, `10/30s`) as a RateLimit, for `hcr serve --rate-limit`. */
export function parseRateLimit(text: string): RateLimit {
  const m = text.trim().match(/^(\d+)\s*\/\s*(\d*)\s*(s|min|h)$/);
  if (!m)
    throw new HcrError('BAD_OPTIONS', `--rate-limit ${text} is not <requests>/<period>.`, {
      hint: `Write it as requests per s, min or h: ${EXAMPLE}.`,
    });
  return checkRateLimit({ max: Number(m[1]), windowMs: Number(m[2] || 1) * PERIODS[m[3]!]! });
}

/**
 * Counts each client's /v1/ requests (a client is its API token's name, else its IP address; the IPv6 ones by
 * /64) in fixed windows, and answers 429 RATE_LIMITED with Retry-After once a client has spent its window's
 * requests; every /v1/ answer says how many are left (`x-ratelimit-limit`, `-remaining`, `-reset`). So one client,
 * however eager, leaves the server's CPU to the others. The page, probes, /metrics and CORS preflights are not
 * counted. Registered after the token guard, so a request refused for its token costs its client nothing (and
 * counts against no one).
 */
export async function registerRateLimit(app: HcrFastify, limit: RateLimit): Promise<void> {
  const { max, windowMs } = checkRateLimit(limit);
  const per = windowText(windowMs);
  await app.register(fastifyRateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    // clients remembered at once (least recently seen forgotten first): more than a server has in a window
    cache: 10_000,
    allowList: (req) => !isApiRequest(req) || req.method === 'OPTIONS',
    keyGenerator: (req) =>
      req.apiClient !== undefined ? `client ${req.apiClient}` : `ip ${normalizeIP(req.ip)}`,
    errorResponseBuilder: (req, context) =>
      new HcrError(
        'RATE_LIMITED',
        `${req.apiClient !== undefined ? `Client ${req.apiClient}` : 'This address'} has used the ${context.max} request${context.max === 1 ? '' : 's'} it may send per ${per}.`,
        {
          hint: `Retry in ${context.after} (the Retry-After header says when), or send several images per request: the limit counts requests.`,
        },
      ),
  });
}
