import { classIndex, LABEL_SPACE_36, LABEL_SPACE_47, LABEL_SPACE_62 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { caseTwinTargets, sameShapeCaseTwins } from '../src/case-targets.js';
import { resolveTrainConfig } from '../src/config.js';

const at = (c: string) => classIndex(c, LABEL_SPACE_62);

describe('case twin targets', () => {
  it('pairs the 15 same-shape letters with their capitals in hcr62 only', () => {
    const twins = sameShapeCaseTwins(LABEL_SPACE_62);
    expect(twins[at('c')]).toBe(at('C'));
    expect(twins[at('O')]).toBe(at('o'));
    // a/A differ in shape: trained apart; digits have no twin.
    expect(twins[at('a')]).toBe(-1);
    expect(twins[at('0')]).toBe(-1);
    expect([...twins].filter((t) => t >= 0)).toHaveLength(30);
    expect([...sameShapeCaseTwins(LABEL_SPACE_47)].every((t) => t === -1)).toBe(true);
    expect([...sameShapeCaseTwins(LABEL_SPACE_36)].every((t) => t === -1)).toBe(true);
  });

  it('moves the share to the other case for same-shape twins and keeps other labels one-hot', () => {
    const twins = sameShapeCaseTwins(LABEL_SPACE_62);
    const y = caseTwinTargets([at('c'), at('a'), at('S')], 62, twins, 0.3);
    const row = (i: number) => Array.from(y.subarray(i * 62, (i + 1) * 62));
    expect(row(0)[at('c')]).toBeCloseTo(0.7);
    expect(row(0)[at('C')]).toBeCloseTo(0.3);
    expect(row(1)[at('a')]).toBe(1);
    expect(row(1)[at('A')]).toBe(0);
    expect(row(2)[at('s')]).toBeCloseTo(0.3);
    for (let i = 0; i < 3; i++) expect(row(i).reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    // Share 0 is plain one-hot.
    expect(caseTwinTargets([at('c')], 62, twins, 0)[at('C')]).toBe(0);
  });

  it('accepts a share in [0, 0.5] only', () => {
    expect(resolveTrainConfig({ caseTwinShare: 0.5 }).caseTwinShare).toBe(0.5);
    expect(() => resolveTrainConfig({ caseTwinShare: 0.6 })).toThrow(/'caseTwinShare'/);
    expect(() => resolveTrainConfig({ caseTwinShare: -0.1 })).toThrow(/'caseTwinShare'/);
  });
});
