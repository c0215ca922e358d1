import type { LineLimits, PreparedLine } from '@hcr/image/decode';
import { PreparePool } from '../workers/pool.js';

/** Line preparation (decoding + preprocessLine) on the shared preparation pool's worker threads. */
export function prepareLineInPool(
  pool: PreparePool,
  bytes: Uint8Array,
  limits: Partial<LineLimits> = {},
): Promise<PreparedLine> {
  return pool.run<PreparedLine>({ kind: 'line', bytes, limits });
}

export { PreparePool };
