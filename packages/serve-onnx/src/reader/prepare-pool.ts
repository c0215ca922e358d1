import type { LineLimits, PreparedTextLine, TextLinesOptions } from '@hcr/image/decode';
import { PreparePool } from '../workers/pool.js';

/** Line preparation (decoding + preprocessLine) on the shared preparation pool's worker threads. */
export function prepareLineInPool(
  pool: PreparePool,
  bytes: Uint8Array,
  limits: Partial<LineLimits> = {},
  signal?: AbortSignal,
): Promise<PreparedTextLine> {
  return pool.run<PreparedTextLine>({ kind: 'line', bytes, limits }, signal);
}

export { PreparePool };

/** The lines of a page (prepareTextLines) on the pool's worker threads. */
export async function prepareTextLinesInPool(
  pool: PreparePool,
  bytes: Uint8Array,
  limits: Partial<LineLimits> & TextLinesOptions = {},
  signal?: AbortSignal,
): Promise<PreparedTextLine[]> {
  const { pixels, lines } = await pool.run<{ pixels: Uint8Array; lines: Omit<PreparedTextLine, 'pixels'>[] }>(
    { kind: 'text-lines', bytes, limits },
    signal,
  );
  let at = 0;
  return lines.map((l) => {
    const n = l.width * l.height;
    at += n;
    return { ...l, pixels: pixels.subarray(at - n, at) };
  });
}
