import {
  DEFAULT_INPUT_NORMALISATION,
  LABEL_SPACE_62,
  LINE_ALPHABET_36,
  lineAlphabet,
  readerDifference,
} from '@hcr/core';
import { describe, expect, it } from 'vitest';

const reader = (alphabet = LINE_ALPHABET_36) => ({
  alphabetId: alphabet.id,
  symbols: [...alphabet.symbols],
  height: 32,
  stride: 4,
  minWidth: 16,
});
const base = { reader: reader(), normalisation: DEFAULT_INPUT_NORMALISATION };

describe('readerDifference (the readers of an ensemble must read alike)', () => {
  it('finds none between readers trained alike', () => {
    expect(
      readerDifference(base, { reader: reader(), normalisation: { mean: 0.5, std: 0.5 } }),
    ).toBeUndefined();
  });

  it('names what differs, with both values', () => {
    const cases: [Partial<typeof base.reader> | undefined, object | undefined, object][] = [
      [
        reader(lineAlphabet(LABEL_SPACE_62)),
        undefined,
        { what: 'alphabet', a: 'hcr36-line', b: 'hcr62-line' },
      ],
      [{ height: 28 }, undefined, { what: 'line height', a: '32', b: '28' }],
      [{ stride: 2 }, undefined, { what: 'frame stride', a: '4', b: '2' }],
      [{ minWidth: 8 }, undefined, { what: 'narrowest width', a: '16', b: '8' }],
      [
        undefined,
        { mean: 0, std: 1 },
        { what: 'input normalisation', a: '{"mean":0.5,"std":0.5}', b: '{"mean":0,"std":1}' },
      ],
    ];
    for (const [r, n, expected] of cases) {
      const other = {
        reader: { ...base.reader, ...r },
        normalisation: (n as typeof DEFAULT_INPUT_NORMALISATION) ?? DEFAULT_INPUT_NORMALISATION,
      };
      expect(readerDifference(base, other)).toEqual(expected);
    }
  });
});
