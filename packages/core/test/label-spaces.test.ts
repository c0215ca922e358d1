import {
  availableCharacterClasses,
  CASE_MERGED_IN_BALANCED,
  CASE_TWINS,
  canonicalLineText,
  classIndex,
  classKind,
  decodeLineLabels,
  emnistByClassToClass,
  encodeLineText,
  foldMap,
  HcrError,
  isCaseSensitive,
  isCaseTwinPair,
  isTwinPair,
  knownLineAlphabet,
  LABEL_SPACE_36,
  LABEL_SPACE_47,
  LABEL_SPACE_62,
  LABEL_SPACES,
  LINE_ALPHABET_36,
  LINE_ALPHABETS,
  labelSpace,
  lineAlphabet,
} from '@hcr/core';
import { describe, expect, it } from 'vitest';

describe('label spaces 36, 47, 62', () => {
  it('share the first 36 classes (0-9, A-Z) so 36-class shards mean the same everywhere', () => {
    for (const s of LABEL_SPACES) expect(s.classes.slice(0, 36)).toEqual(LABEL_SPACE_36.classes);
    expect(LABEL_SPACE_36.classes.join('')).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });
  it('62 is EMNIST ByClass order; 47 is EMNIST Balanced order', () => {
    expect(LABEL_SPACE_62.classes.join('')).toBe(
      '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    );
    expect(LABEL_SPACE_47.classes.length).toBe(47);
    expect(LABEL_SPACE_47.classes.slice(36).join('')).toBe('abdefghnqrt');
    expect(CASE_MERGED_IN_BALANCED.join('')).toBe('cijklmopsuvwxyz');
    for (let k = 0; k < 62; k++) expect(emnistByClassToClass(k)).toBe(k);
    expect(() => emnistByClassToClass(62)).toThrow(/outside 0..61/);
  });
  it('resolves --labels values and ids; an unknown value lists the choices', () => {
    expect(labelSpace('36')).toBe(LABEL_SPACE_36);
    expect(labelSpace(47)).toBe(LABEL_SPACE_47);
    expect(labelSpace('hcr62')).toBe(LABEL_SPACE_62);
    expect(() => labelSpace('52')).toThrow(HcrError);
    expect(() => labelSpace('52')).toThrow(/Unknown label space "52".*36 .*47 .*62 /);
  });
  it('classIndex: merged case answers with the capital, 36-class behaviour unchanged', () => {
    expect(classIndex('a')).toBe(10);
    expect(classIndex('a', LABEL_SPACE_36)).toBe(10);
    expect(classIndex('a', LABEL_SPACE_62)).toBe(36);
    expect(classIndex('A', LABEL_SPACE_62)).toBe(10);
    expect(classIndex('z', LABEL_SPACE_62)).toBe(61);
    expect(classIndex('a', LABEL_SPACE_47)).toBe(36);
    expect(classIndex('c', LABEL_SPACE_47)).toBe(classIndex('C', LABEL_SPACE_47));
    expect(classIndex('t', LABEL_SPACE_47)).toBe(46);
    expect(() => classIndex('?', LABEL_SPACE_62)).toThrow(/not a class of hcr62/);
  });
  it('folds 62 -> 47 -> 36, and 62 -> 36 directly is the same map', () => {
    const f62to47 = foldMap(LABEL_SPACE_62, LABEL_SPACE_47);
    const f47to36 = foldMap(LABEL_SPACE_47, LABEL_SPACE_36);
    const f62to36 = foldMap(LABEL_SPACE_62, LABEL_SPACE_36);
    for (let k = 0; k < 62; k++) expect(f47to36[f62to47[k]!]).toBe(f62to36[k]);
    const name = (s: typeof LABEL_SPACE_62, m: Uint8Array, c: string) =>
      s.classes[m[classIndex(c, LABEL_SPACE_62)]!];
    expect(name(LABEL_SPACE_47, f62to47, 'o')).toBe('O');
    expect(name(LABEL_SPACE_47, f62to47, 'e')).toBe('e');
    expect(name(LABEL_SPACE_36, f62to36, 'e')).toBe('E');
    expect(name(LABEL_SPACE_36, f62to36, '7')).toBe('7');
    expect([...foldMap(LABEL_SPACE_36, LABEL_SPACE_36)]).toEqual([...Array(36).keys()]);
    expect(() => foldMap(LABEL_SPACE_36, LABEL_SPACE_62)).toThrow(/wider hcr62/);
  });
  it('knows case kinds, case twins and digit/letter twins in every space', () => {
    expect(isCaseSensitive(LABEL_SPACE_36)).toBe(false);
    expect(isCaseSensitive(LABEL_SPACE_62)).toBe(true);
    expect(classKind(classIndex('a', LABEL_SPACE_62), LABEL_SPACE_62)).toBe('lower');
    expect(classKind(classIndex('A', LABEL_SPACE_62), LABEL_SPACE_62)).toBe('upper');
    expect(classKind(classIndex('C', LABEL_SPACE_47), LABEL_SPACE_47)).toBe('letter');
    expect(classKind(classIndex('A'), LABEL_SPACE_36)).toBe('letter');
    expect(classKind(3, LABEL_SPACE_62)).toBe('digit');
    expect(CASE_TWINS).toHaveLength(26);
    const s = LABEL_SPACE_62;
    expect(isCaseTwinPair(classIndex('o', s), classIndex('O', s), s)).toBe(true);
    expect(isCaseTwinPair(classIndex('o', s), classIndex('0', s), s)).toBe(false);
    expect(isTwinPair(classIndex('l', s), classIndex('1', s), s)).toBe(true);
    expect(isTwinPair(classIndex('o', s), classIndex('0', s), s)).toBe(true);
    expect(isTwinPair(classIndex('a', s), classIndex('b', s), s)).toBe(false);
  });
  it('the line alphabet of hcr62 is case-sensitive; hcr47 folds the merged lowercase letters', () => {
    const a62 = lineAlphabet(LABEL_SPACE_62);
    expect(a62.id).toBe('hcr62-line');
    expect(a62.size).toBe(1 + 62 + 6);
    expect(a62.caseMerged).toBe(false);
    const enc = encodeLineText('Ab 3c', a62);
    expect(decodeLineLabels(enc, a62)).toBe('Ab 3c');
    expect(enc[0]).not.toBe(encodeLineText('a', a62)[0]);
    const a47 = lineAlphabet(LABEL_SPACE_47);
    expect(canonicalLineText('cab', a47)).toBe('Cab');
    expect(decodeLineLabels(encodeLineText('cab', a47), a47)).toBe('Cab');
    expect(canonicalLineText('ab', lineAlphabet(LABEL_SPACE_36))).toBe('AB');
  });
  it('knows the line alphabet a manifest or metadata names, and refuses a symbol list that differs', () => {
    expect(LINE_ALPHABETS.map((a) => a.id)).toEqual(['hcr36-line', 'hcr47-line', 'hcr62-line']);
    expect(knownLineAlphabet('hcr36-line', LINE_ALPHABET_36.symbols)).toBe(LINE_ALPHABET_36);
    const a62 = knownLineAlphabet('hcr62-line', lineAlphabet(LABEL_SPACE_62).symbols);
    expect(a62?.size).toBe(69);
    expect(a62?.caseMerged).toBe(false);
    expect(knownLineAlphabet('hcr62-line')).toBe(a62);
    // one object per label space, whoever asks: lineAlphabet(space) is the alphabet LINE_ALPHABETS holds
    expect(lineAlphabet(LABEL_SPACE_62)).toBe(a62);
    expect(lineAlphabet(LABEL_SPACE_36)).toBe(LINE_ALPHABET_36);
    expect(lineAlphabet()).toBe(LINE_ALPHABET_36);
    // the same id with one symbol changed, or a symbol missing, is not the alphabet the id names
    const altered = [...LINE_ALPHABET_36.symbols];
    altered[11] = 'a';
    expect(knownLineAlphabet('hcr36-line', altered)).toBeUndefined();
    expect(knownLineAlphabet('hcr36-line', LINE_ALPHABET_36.symbols.slice(0, -1))).toBeUndefined();
    expect(knownLineAlphabet('hcr99-line')).toBeUndefined();
  });
});

describe('character classes a label space offers', () => {
  it('offers lowercase only for case-sensitive spaces', () => {
    const own = (s: typeof LABEL_SPACE_36) =>
      availableCharacterClasses({ name: 'this model', symbols: s.classes });
    expect(own(LABEL_SPACE_36)).toEqual(['digits', 'letters', 'alnum', 'uppercase']);
    expect(own(LABEL_SPACE_62)).toEqual(['digits', 'letters', 'alnum', 'uppercase', 'lowercase']);
    expect(own(LABEL_SPACE_47)).toEqual(['digits', 'letters', 'alnum', 'uppercase', 'lowercase']);
  });
});
