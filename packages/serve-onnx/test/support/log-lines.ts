import { Writable } from 'node:stream';
import pino from 'pino';

/** A logger at `info` whose JSON lines land in `lines`, parsed, for a test to read what the server logged. */
export function capturedLog(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}
