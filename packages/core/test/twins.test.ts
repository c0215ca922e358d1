import { describe, expect, it } from 'vitest';
import { foldedProbabilities, LABEL_SPACE_62 } from '../src/index.js';

describe('foldedProbabilities', () => {
  it('keeps a bounded number of filters per class list (a client chooses chars:<set>)', () => {
    let worked = 0; // times the twin targets of a (class list, filter) were worked out
    const names = new Proxy([...LABEL_SPACE_62.classes], {
      get(target, key, receiver) {
        if (key === 'map') worked++;
        return Reflect.get(target, key, receiver);
      },
    });
    const probs = new Float64Array(62).fill(1 / 62);
    const digits = [...Array(10).keys()];
    const first = foldedProbabilities(probs, names, digits);
    expect(worked).toBe(1);
    foldedProbabilities(probs, names, digits);
    expect(worked).toBe(1); // the same filter again: worked out once
    // 1000 distinct sets, as a client sending classes=chars:<set> could: not all kept for ever
    for (let i = 0; i < 1000; i++)
      foldedProbabilities(probs, names, [10 + (i % 52), i % 10, 10 + ((i * 7) % 52)]);
    const before = worked;
    expect(foldedProbabilities(probs, names, digits)).toEqual(first); // the same answer, worked out again
    expect(worked).toBe(before + 1);
  });

  it('keeps the filters in use while others come and go (the least recently used goes)', () => {
    let worked = 0;
    const names = new Proxy([...LABEL_SPACE_62.classes], {
      get(target, key, receiver) {
        if (key === 'map') worked++;
        return Reflect.get(target, key, receiver);
      },
    });
    const probs = new Float64Array(62).fill(1 / 62);
    const digits = [...Array(10).keys()];
    foldedProbabilities(probs, names, digits);
    let again = 0;
    for (let i = 0; i < 1000; i++) {
      foldedProbabilities(probs, names, [10 + (i % 52), i % 10, 10 + ((i * 7) % 52)]);
      const w = worked;
      foldedProbabilities(probs, names, digits); // used all along: never worked out again
      again += worked - w;
    }
    expect(again).toBe(0);
  });
});

describe('foldedProbabilities: arguments', () => {
  it('refuses a row of another length and allowed indices outside the class list', () => {
    const names = ['0', 'O', 'D'];
    expect(() => foldedProbabilities([0.5, 0.5], names, [0])).toThrow(/2 probabilities for 3 classes/);
    expect(() => foldedProbabilities([0.2, 0.3, 0.5], names, [5])).toThrow(/allowed class 5 is not an index/);
    expect(() => foldedProbabilities([0.2, 0.3, 0.5], names, [Number.NaN])).toThrow(RangeError);
    expect(Array.from(foldedProbabilities([0.2, 0.3, 0.5], names, [0]))).toEqual([1, 0, 0]);
  });
});
