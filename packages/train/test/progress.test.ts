import { describe, expect, it } from 'vitest';
import { type ProgressTick, progressReporter } from '../src/progress.js';

// A non-TTY stream: the reporter writes plain lines (logs, CI) through `log`.
const plainStream = { isTTY: false } as NodeJS.WriteStream;

function lastLine(unit?: string): string {
  const lines: string[] = [];
  const r = progressReporter(plainStream, (l) => lines.push(l), 0);
  r.start(0, 2, 10, 0);
  const tick: ProgressTick = {
    epoch: 0,
    epochs: 2,
    step: 10,
    steps: 10,
    loss: 0.5,
    acc: 0.25,
    imagesPerS: 123.4,
    etaS: 65,
    ...(unit && { unit }),
  };
  r.tick(tick);
  return lines[lines.length - 1];
}

describe('progressReporter (plain lines)', () => {
  it('names what a line reader trains on: lines per second, not images', () => {
    expect(lastLine('lines')).toBe('epoch 1/2 step 10/10 loss 0.5000 acc 0.2500 123 lines/s ETA 1m05s');
  });
  it('says img/s for the character trainer (no unit given)', () => {
    expect(lastLine()).toContain('123 img/s');
  });
});
