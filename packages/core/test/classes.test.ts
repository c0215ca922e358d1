import {
  allowedSymbolIndices,
  CHARACTER_CLASS_CHOICES,
  characterClassIndices,
  LABEL_SPACE_36,
  lineAlphabet,
  parseClassOption,
} from '@hcr/core';
import { describe, expect, it } from 'vitest';

const M36 = { name: 'this model', symbols: LABEL_SPACE_36.classes };
const DIGITS = '0123456789'.split('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const LOWER = 'abcdefghijklmnopqrstuvwxyz'.split('');
/** A 62-class, case-sensitive label space (EMNIST ByClass order). */
const M62 = { name: 'this model', symbols: [...DIGITS, ...UPPER, ...LOWER] };
/** EMNIST Balanced: 47 classes, 15 lower-case letters merged into their capitals. */
const M47 = { name: 'this model', symbols: [...DIGITS, ...UPPER, ...'abdefghnqrt'.split('')] };

const chars = (idx: number[] | undefined, owner: { symbols: readonly string[] }) =>
  idx?.map((i) => owner.symbols[i]).join('');

describe('character classes', () => {
  it('parses names, chars: sets and all', () => {
    expect(parseClassOption(undefined)).toBeUndefined();
    expect(parseClassOption('')).toBeUndefined();
    expect(parseClassOption('all')).toBeUndefined();
    expect(parseClassOption('Digits')).toBe('digits');
    expect(parseClassOption(' lowercase ')).toBe('lowercase');
    expect(parseClassOption('chars:0-9 ')).toEqual({ chars: '0-9 ' });
    // unambiguous legacy form: a bare list of digits
    expect(parseClassOption('13579')).toEqual({ chars: '13579' });
  });

  it('reads the chars: prefix in any case, as the names are, and names a value that is no text', () => {
    // it was refused with the hint to write chars:Chars:12
    expect(parseClassOption('Chars:12')).toEqual({ chars: '12' });
    expect(parseClassOption(' CHARS:aB')).toEqual({ chars: 'aB' });
    for (const bad of [5, ['digits', 'letters']] as unknown as string[])
      expect(() => parseClassOption(bad)).toThrow(
        expect.objectContaining({ code: 'CLASSES_INVALID', message: expect.stringMatching(/must be text/) }),
      );
  });

  it('refuses unknown names and ambiguous bare lists, listing the choices', () => {
    for (const bad of ['digitz', 'vowels', 'ABC', '4A', '$', 'chars:'])
      expect(() => parseClassOption(bad), bad).toThrow(expect.objectContaining({ code: 'CLASSES_INVALID' }));
    expect(() => parseClassOption('digitz')).toThrow(/Unknown character class 'digitz'/);
    try {
      parseClassOption('digitz');
    } catch (e) {
      expect((e as Error).message).toContain(CHARACTER_CLASS_CHOICES);
    }
    expect(() => parseClassOption('ABC')).toThrow(/write chars:ABC/);
  });

  it('resolves named sets against a 36-class case-merged model', () => {
    expect(chars(allowedSymbolIndices('digits', M36), M36)).toBe('0123456789');
    expect(chars(allowedSymbolIndices('letters', M36), M36)).toBe(UPPER.join(''));
    expect(chars(allowedSymbolIndices('uppercase', M36), M36)).toBe(UPPER.join(''));
    expect(allowedSymbolIndices('alnum', M36)).toHaveLength(36);
    expect(allowedSymbolIndices('all', M36)).toBeUndefined();
    // merged case: chars:o means O
    expect(chars(allowedSymbolIndices('chars:01o', M36), M36)).toBe('01O');
  });

  it('refuses lowercase on a case-merged model, naming its classes', () => {
    expect(() => allowedSymbolIndices('lowercase', M36)).toThrow(
      /This model has no lowercase characters: its classes are "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".*use letters or uppercase/,
    );
    expect(() => allowedSymbolIndices('chars:0#', M36)).toThrow(/'#' in chars:0# is not in this model/);
  });

  it('works for 62- and 47-class label spaces', () => {
    expect(chars(allowedSymbolIndices('lowercase', M62), M62)).toBe(LOWER.join(''));
    expect(chars(allowedSymbolIndices('uppercase', M62), M62)).toBe(UPPER.join(''));
    expect(allowedSymbolIndices('letters', M62)).toHaveLength(52);
    expect(allowedSymbolIndices('alnum', M62)).toHaveLength(62);
    expect(chars(allowedSymbolIndices('chars:aA', M62), M62)).toBe('Aa');
    // the 15 merged capitals stand for their lowercase too: a lowercase o is answered O, not forced to a..t
    expect(chars(allowedSymbolIndices('lowercase', M47), M47)).toBe('CIJKLMOPSUVWXYZabdefghnqrt');
    expect(chars(allowedSymbolIndices('uppercase', M47), M47)).toBe(UPPER.join(''));
    // c is merged into C in the balanced space
    expect(chars(allowedSymbolIndices('chars:ca', M47), M47)).toBe('Ca');
  });

  it('keeps marks out of named sets for a reader alphabet', () => {
    const a = lineAlphabet();
    const owner = { name: `the alphabet ${a.id}`, symbols: a.symbols };
    expect(characterClassIndices('alnum', owner)).toHaveLength(36);
    expect(chars(characterClassIndices({ chars: '0.,' }, owner), owner)).toBe('0.,');
  });

  it('a library caller passing an HTTP spelling is told the class to pass, not offered that spelling', () => {
    for (const spelt of ['all', 'chars:0123']) {
      let hint = '';
      try {
        characterClassIndices(spelt as never, M36);
      } catch (e) {
        hint = (e as { hint?: string }).hint ?? '';
      }
      expect(hint).toMatch(
        /^Pass one of 'digits', 'letters', 'alnum', 'uppercase', 'lowercase' or \{ chars:/,
      );
      expect(hint).toMatch(/parseClassOption turns/);
    }
  });
});
