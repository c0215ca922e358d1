import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { createTextSource } from '../src/lines/text.js';

/** The texts a kind's generator writes, as the line generator asks for them (1 to 18 characters). */
function texts(kind: 'name' | 'amount', n: number): string[] {
  const source = createTextSource();
  const rng = createRng(0, 7);
  return Array.from({ length: n }, () => source.generate(kind, rng, 1, 18));
}

describe('line texts look like the real fields they stand for', () => {
  it('cheque amounts are often round sums: runs of zeros as on real cheques (12% hold 000)', () => {
    const digits = texts('amount', 2000).map((s) => s.replace(/[^0-9]/g, ''));
    const share = digits.filter((d) => d.includes('000')).length / digits.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.25);
    // and the rest stay arbitrary: most amounts are not round
    expect(digits.filter((d) => /[1-9]$/.test(d)).length / digits.length).toBeGreaterThan(0.4);
  });

  it('a name field holds one name part: few lines carry a space', () => {
    const names = texts('name', 2000);
    const spaced = names.filter((s) => s.includes(' ')).length / names.length;
    expect(spaced).toBeLessThan(0.18);
    expect(spaced).toBeGreaterThan(0.02); // "first last" and particles still occur
  });

  it("meets a config's minLength for kinds whose texts run shorter (dates), within maxLength", () => {
    const source = createTextSource();
    const rng = createRng(1, 1);
    for (const [kind, min, max] of [
      ['date', 18, 18],
      ['number', 14, 20],
      ['amount', 12, 20],
    ] as const) {
      const lengths = Array.from({ length: 200 }, () => source.generate(kind, rng, min, max).length);
      expect(Math.min(...lengths), kind).toBeGreaterThanOrEqual(min);
      expect(Math.max(...lengths), kind).toBeLessThanOrEqual(max);
    }
  });
});
