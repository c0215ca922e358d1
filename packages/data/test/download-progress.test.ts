import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBarReporter } from '../src/download/index.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
  });
  return { stream: w, text: () => out };
}

describe('progressBarReporter', () => {
  it('prints a plain line per 25% step when not on a TTY', () => {
    const { stream, text } = fakeStream(false);
    const r = progressBarReporter({ stream });
    for (let b = 0; b <= 4_000_000; b += 100_000)
      r.onProgress({
        dataset: 'mnist',
        file: 'a.gz',
        phase: 'download',
        receivedBytes: b,
        totalBytes: 4_000_000,
      });
    r.onProgress({ dataset: 'x', file: 'gzip.zip', phase: 'download', receivedBytes: 120e6 });
    r.onProgress({ dataset: 'x', file: 'm.gz', phase: 'extract', receivedBytes: 10, totalBytes: 10 });
    r.stop();
    expect(text().trim().split('\n')).toEqual([
      'mnist/a.gz: 0% (0 B of 4.0 MB)',
      'mnist/a.gz: 25% (1.0 MB of 4.0 MB)',
      'mnist/a.gz: 50% (2.0 MB of 4.0 MB)',
      'mnist/a.gz: 75% (3.0 MB of 4.0 MB)',
      'mnist/a.gz: 100% (4.0 MB of 4.0 MB)',
      'x/gzip.zip: 120.0 MB',
      'extract x/m.gz: 100% (10 B of 10 B)',
    ]);
  });

  it('draws a cli-progress bar per file on a TTY', () => {
    const { stream, text } = fakeStream(true);
    const r = progressBarReporter({ stream });
    r.onProgress({
      dataset: 'mnist',
      file: 'a.gz',
      phase: 'download',
      receivedBytes: 0,
      totalBytes: 2_000_000,
    });
    r.onProgress({
      dataset: 'mnist',
      file: 'a.gz',
      phase: 'download',
      receivedBytes: 2_000_000,
      totalBytes: 2_000_000,
    });
    r.stop();
    expect(text()).toContain('mnist/a.gz');
    expect(text()).toContain('100%');
    expect(text()).toContain('2.0 MB of 2.0 MB');
  });

  it('log prints a line (a retry, a notice) as is, or above the bars on a TTY, and nothing is lost at stop', () => {
    const plain = fakeStream(false);
    const p = progressBarReporter({ stream: plain.stream });
    p.log('retrying in 2 s (attempt 2 of 4): ...');
    p.stop();
    expect(plain.text()).toBe('retrying in 2 s (attempt 2 of 4): ...\n');

    const tty = fakeStream(true);
    const r = progressBarReporter({ stream: tty.stream });
    r.onProgress({ dataset: 'mnist', file: 'a.gz', phase: 'download', receivedBytes: 0, totalBytes: 10 });
    r.log('retrying in 2 s (attempt 2 of 4): the server stopped sending');
    r.stop();
    expect(tty.text()).toContain('retrying in 2 s (attempt 2 of 4): the server stopped sending\n');
    r.log('after the bars');
    expect(tty.text().endsWith('after the bars\n')).toBe(true);
  });
});
