import { LINE_ALPHABET_36 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { constraintsFor } from '../src/lines/constraints.js';

describe('line constraints', () => {
  it('reads real fields with their class and synthetic lines with their kind', () => {
    expect(constraintsFor('names', LINE_ALPHABET_36).map((c) => c.name)).toEqual([
      'none',
      'letters',
      'letters+marks',
    ]);
    expect(constraintsFor('names', LINE_ALPHABET_36, ['ANNA']).map((c) => c.name)).toEqual([
      'none',
      'letters',
      'letters+marks',
      'lexicon',
      'letters+lm',
    ]);
    expect(constraintsFor('amounts', LINE_ALPHABET_36).map((c) => c.name)).toEqual(['none', 'digits']);
    const [none, field] = constraintsFor('mixed', LINE_ALPHABET_36);
    expect(none!.name).toBe('none');
    expect(field!.name).toBe('field');
    const chars = (kind: string | undefined) => {
      const cls = field!.optionsFor!(kind).classes;
      return typeof cls === 'object' ? cls.chars : cls;
    };
    expect(chars('name')).toBe("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'");
    expect(chars('word')).toBe(chars('name'));
    expect(chars('amount')).toBe("0123456789 .,-/'");
    expect(chars('date')).toBe(chars('amount'));
    expect(chars('code')).toBeUndefined();
    expect(chars(undefined)).toBeUndefined();
  });
});
