import { describe, expect, it } from 'vitest';
import { betterEpoch } from '../src/loop.js';

describe('the best epoch', () => {
  it('is the highest validation score; on a tie, the lower validation loss; the first epoch is always best so far', () => {
    const best = { valAcc: 0.455, valLoss: 3.93 };
    expect(betterEpoch(0.3, 9, undefined)).toBe(true);
    expect(betterEpoch(0.46, 5, best)).toBe(true);
    expect(betterEpoch(0.45, 1, best)).toBe(false);
    // The same exact-match rate, reached with a lower loss: the later, better-trained weights.
    expect(betterEpoch(0.455, 3.5, best)).toBe(true);
    expect(betterEpoch(0.455, 3.93, best)).toBe(false);
    expect(betterEpoch(0.455, 4.1, best)).toBe(false);
  });
});
