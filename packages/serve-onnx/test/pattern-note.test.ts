import { LABEL_SPACE_36, LABEL_SPACE_47, LABEL_SPACE_62, lineAlphabet } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { patternCaseNote } from '../src/reader/pattern-note.js';

describe('patternCaseNote (hcr read --pattern, POST /v1/read): the note on letters the reader writes as capitals', () => {
  it('a 47-class reader names the letters whose case it merges (they matched their capitals without a word)', () => {
    const a47 = lineAlphabet(LABEL_SPACE_47);
    expect(patternCaseNote('[a-z]+', 'r47', a47)).toBe(
      'r47 (hcr47-line) merges the case of c i j k l m o p s u v w x y z: in the pattern they match their capitals, and the answers write them as capitals.',
    );
    expect(patternCaseNote('[A-Z][a-z]{2} (mouse|cat)', 'r47', a47)).toMatch(
      /merges the case of c i j k l m o p s u v w x y z:/,
    );
    expect(patternCaseNote('Mouse', 'r47', a47)).toMatch(/merges the case of o s u:/);
    // letters it has in both cases, capitals, digits and escapes need no note
    for (const p of ['[a-b]+', 'bad', 'hen', '[A-Z]+', '[0-9]+\\d\\s?', 'ABC'])
      expect(patternCaseNote(p, 'r47', a47)).toBeUndefined();
  });

  it('a 36-class reader notes any lower-case letter, a 62-class one none', () => {
    expect(patternCaseNote('[A-Z][a-z]*', 'r36', lineAlphabet(LABEL_SPACE_36))).toMatch(
      /^r36 reads case-merged text \(capitals\)/,
    );
    expect(patternCaseNote('[A-Z0-9]*\\d', 'r36', lineAlphabet(LABEL_SPACE_36))).toBeUndefined();
    expect(patternCaseNote('[a-z]+', 'r62', lineAlphabet(LABEL_SPACE_62))).toBeUndefined();
  });
});
