import { isIP } from 'node:net';
import { HcrError } from '@hcr/core';

/** Which proxies' X-Forwarded-* headers are believed (fastify's `trustProxy`). */
export type TrustProxy = boolean | string | readonly string[];

// the names proxy-addr (fastify's) gives address ranges
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or range: `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`, or one of RANGE_NAMES. */
function isProxyAddress(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [ip, prefix, ...rest] = entry.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Refuses a trustProxy fastify would throw on once the models are loaded: an address or CIDR range that is not
 * one. Returns it as fastify takes it (true, false, or the list of addresses).
 */
export function checkTrustProxy(trust: TrustProxy): boolean | string[] {
  if (typeof trust === 'boolean') return trust;
  const entries = (typeof trust === 'string' ? trust.split(',') : [...trust]).map((e) => e.trim());
  const bad = entries.find((e) => !isProxyAddress(e));
  if (bad !== undefined || entries.length === 0)
    throw new HcrError(
      'BAD_OPTIONS',
      `${bad === undefined ? 'No proxy address is given' : `'${bad}' is not an IP address or CIDR range`} in the trusted proxies.`,
      {
        hint: 'List your proxies, comma-separated: addresses (10.0.0.5, ::1), ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal.',
      },
    );
  return entries;
}
