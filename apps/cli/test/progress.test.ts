import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countProgress } from '../src/progress.js';

/** A stream like a log file's or CI's (no TTY), collecting what is written. */
function logStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('countProgress (hcr read / predict over many images)', () => {
  it('writes plain lines to a log, at most one per interval, with the count and the rate', () => {
    const log = logStream();
    const p = countProgress(40, 'images', { rowsOnScreen: false, stream: log.stream, everyS: 0 });
    p.add(32);
    p.add(8);
    p.stop();
    const lines = log.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^read 32 of 40 images \([0-9.]+\/s\)$/);
    expect(lines[1]).toMatch(/^read 40 of 40 images/);
    const quiet = logStream();
    const slow = countProgress(40, 'images', { rowsOnScreen: false, stream: quiet.stream, everyS: 3600 });
    slow.add(40);
    expect(quiet.text()).toBe(''); // a run shorter than the interval prints nothing
  });

  it('stays silent when the rows show the progress themselves, or for one image', () => {
    const log = logStream();
    countProgress(40, 'images', { rowsOnScreen: true, stream: log.stream, everyS: 0 }).add(40);
    countProgress(1, 'images', { rowsOnScreen: false, stream: log.stream, everyS: 0 }).add(1);
    expect(log.text()).toBe('');
  });
});
