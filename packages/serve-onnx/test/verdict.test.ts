import { describe, expect, it } from 'vitest';
import { judgePage, judgeReading } from '../src/reader/verdict.js';

describe('judgeReading', () => {
  it('accepts a reading at or above min_confidence and leaves it alone without one', () => {
    expect(judgeReading({ text: '42', confidence: 0.9 }, 0.8)).toMatchObject({
      answer: '42',
      verdict: 'accepted',
    });
    expect(judgeReading({ text: '42', confidence: 0.5 }, 0.8)).toMatchObject({
      answer: null,
      verdict: 'not-confident',
    });
    expect(judgeReading({ text: '42', confidence: 0.5 }, undefined)).toEqual({ text: '42', confidence: 0.5 });
  });

  it('never accepts an empty reading, however sure the reader is that nothing is written', () => {
    const judged = judgeReading({ text: '', confidence: 0.97 }, 0.5);
    expect(judged).toMatchObject({ answer: null, verdict: 'not-confident' });
    expect(judged.message).toMatch(/no character was read/);
  });

  it('does not accept a page whose lines are all empty', () => {
    const line = { text: '', confidence: 0.95 };
    const page = judgePage({ text: '\n', confidence: 0.9, lines: [line, line] }, 0.5);
    expect(page).toMatchObject({ answer: null, verdict: 'not-confident' });
    expect(page.lines.map((l) => (l as { verdict?: string }).verdict)).toEqual([
      'not-confident',
      'not-confident',
    ]);
    const read = judgePage(
      { text: '\n7', confidence: 0.9, lines: [line, { text: '7', confidence: 0.95 }] },
      0.5,
    );
    expect(read).toMatchObject({ answer: '\n7', verdict: 'accepted' });
  });
});
