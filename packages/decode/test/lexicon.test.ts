import { LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import { createLexicon, decodeCtc } from '@hcr/decode';
import { describe, expect, it } from 'vitest';
import { exhaustive, matrix, randomProbs, rng, tinyAlphabet } from './helpers.js';

const A36 = LINE_ALPHABET_36;

/** Frames spelling `text` one character per frame with blanks between, each char leaning as given. */
function spell(chars: Record<string, number>[]): Float32Array {
  const rows: Record<string, number>[] = [];
  for (const c of chars) rows.push(c, { '': 0.95 });
  return matrix(rows, A36);
}

describe('lexicon', () => {
  const lex = createLexicon(['Paris', 'Lyon', 'Jean', 'Pierre', 'jean-luc', "d'Arc"], A36);

  it('upper-cases words for a case-merged alphabet and accepts word sequences', () => {
    expect(lex.words).toBe(6);
    expect(lex.has('PARIS')).toBe(true);
    expect(lex.has('paris')).toBe(true);
    expect(lex.has('JEAN PIERRE')).toBe(true);
    expect(lex.has('JEAN  PIERRE')).toBe(true); // canonicalised like a read: one space
    expect(lex.has('PAR')).toBe(false);
    expect(lex.has('')).toBe(false);
    expect(lex.has('JEAN ')).toBe(true); // trimmed
    expect(lex.has('JEAN?')).toBe(false);
    const noSpace = createLexicon(['AB'], tinyAlphabet(['A', 'B']));
    expect(noSpace.has('AB')).toBe(true);
    expect(noSpace.has('AB?AB')).toBe(false); // an unknown character is not taken for a missing space
  });

  it("accepts a case-sensitive list's words as listed, capitalised and in capitals, and no other case", () => {
    const cased = createLexicon(['Martin', 'dupont', "d'Arc", 'ÉLODIE'], lineAlphabet(LABEL_SPACE_62));
    expect(cased.words).toBe(4); // ÉLODIE is read as ELODIE (accents folded)
    expect(cased.skipped).toBe(0);
    for (const text of [
      'Martin',
      'MARTIN',
      'dupont',
      'Dupont',
      'DUPONT',
      "d'Arc",
      "D'Arc",
      "D'ARC",
      'MARTIN DUPONT',
    ])
      expect(cased.has(text), text).toBe(true);
    for (const text of ['martin', 'mARTIN', 'DuPont', "d'arc", 'Mar'])
      expect(cased.has(text), text).toBe(false);
  });

  it('picks the word over a slightly likelier non-word', () => {
    // LY0N: the O leans to 0
    const p = spell([{ L: 0.9 }, { Y: 0.9 }, { '0': 0.5, O: 0.45 }, { N: 0.9 }]);
    expect(decodeCtc(p, 8, A36).text).toBe('LY0N');
    const r = decodeCtc(p, 8, A36, { lexicon: lex });
    expect(r.text).toBe('LYON');
    expect(r.alternatives.every((a) => lex.has(a.text))).toBe(true);
  });

  it('reads a sequence of words separated by single spaces', () => {
    const p = spell([
      { J: 0.9 },
      { E: 0.6, F: 0.35 },
      { A: 0.9 },
      { N: 0.5, M: 0.45 },
      { ' ': 0.9 },
      { P: 0.9 },
      { A: 0.9 },
      { R: 0.9 },
      { I: 0.45, '1': 0.5 },
      { S: 0.5, '5': 0.45 },
    ]);
    expect(decodeCtc(p, 20, A36).text).toBe('JEAN PAR1S');
    expect(decodeCtc(p, 20, A36, { lexicon: lex, beam: 16 }).text).toBe('JEAN PARIS');
  });

  it('joins words with a hyphen as well as a space (compound names)', () => {
    const lex = createLexicon(['Jean', 'Michel', 'Marie-Claire'], LINE_ALPHABET_36);
    expect(lex.has('JEAN-MICHEL')).toBe(true);
    expect(lex.has('MICHEL JEAN')).toBe(true);
    expect(lex.has('MARIE-CLAIRE')).toBe(true);
    expect(lex.has('JEAN-')).toBe(false);
    expect(lex.has('JEAN--MICHEL')).toBe(false);
    expect(lex.has('MARIE')).toBe(false);
  });
  it('returns nothing, and says so, when no word fits', () => {
    const p = spell([{ X: 0.9 }]);
    expect(decodeCtc(p, 2, A36, { lexicon: lex }).constraintUnsatisfied).toBe(true);
  });

  it('works together with a character class and a pattern', () => {
    const digits = createLexicon(['10', '100', '1000'], A36);
    const p = spell([
      { I: 0.7, '1': 0.25 },
      { O: 0.7, '0': 0.25 },
      { O: 0.7, '0': 0.25 },
    ]);
    expect(decodeCtc(p, 6, A36, { lexicon: digits, classes: 'digits' }).text).toBe('100');
    expect(decodeCtc(p, 6, A36, { lexicon: digits, pattern: '\\d{2}' }).text).toBe('10');
  });

  it('matches brute force restricted to the lexicon on tiny cases', () => {
    const ab = tinyAlphabet(['A', 'B', ' ']);
    const words = ['A', 'AB', 'BA'];
    const tiny = createLexicon(words, ab);
    const inLex = (t: string) => t.split(' ').every((w) => words.includes(w));
    const rand = rng(9);
    for (let trial = 0; trial < 20; trial++) {
      const probs = randomProbs(4, 4, rand, 3);
      const truth = [...exhaustive(probs, 4, ab)].filter(([t]) => inLex(t)).sort((a, b) => b[1] - a[1]);
      const r = decodeCtc(probs, 4, ab, { lexicon: tiny, beam: 64, topK: 20, minSymbolProb: 0 });
      expect(r.alternatives.map((a) => a.text)).toEqual(truth.map(([t]) => t));
      expect(r.confidence).toBeCloseTo(truth[0][1], 6);
    }
  });

  it('skips words outside the alphabet and rejects an empty list', () => {
    const l = createLexicon(['café', 'tea', '', 'caf€', 'caf€'], A36);
    expect([l.words, l.skipped]).toEqual([2, 1]); // café is CAFE; a bad word listed twice counts once
    expect(() => createLexicon([], A36)).toThrow(/no word/);
    expect(() => createLexicon(['€€'], A36)).toThrow(/1 skipped/);
  });

  it('decodes a long line with a 10k-word lexicon quickly enough for a test', () => {
    const rand = rng(1);
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const words = Array.from({ length: 10_000 }, () =>
      Array.from({ length: 3 + Math.floor(rand() * 7) }, () => letters[Math.floor(rand() * 26)]).join(''),
    );
    const big = createLexicon(words, A36);
    const p = randomProbs(100, A36.size, rand, 8);
    const r = decodeCtc(p, 100, A36, { lexicon: big, beam: 32 });
    if (!r.constraintUnsatisfied) expect(big.has(r.text)).toBe(true);
  });
});

describe('lexicon: compound names and entries (audit)', () => {
  it('joins listed words with a hyphen even after a word that also continues with a listed hyphen', () => {
    const lex = createLexicon(['JEAN', 'PAUL', 'MARIE', 'JEAN-MICHEL'], A36);
    for (const text of [
      'JEAN-PAUL',
      'JEAN-MARIE',
      'MARIE-JEAN-PAUL',
      'JEAN-MICHEL',
      'JEAN-MICHEL-PAUL',
      'PAUL JEAN-MARIE',
    ])
      expect(lex.has(text), text).toBe(true);
    for (const text of ['JEAN-', 'JEAN-MI', 'MICHEL', 'JEAN-MICHE', 'JEAN--PAUL'])
      expect(lex.has(text), text).toBe(false);
    // the automaton the beam follows: fewest symbols to a word end from JEAN-M is 5 (MICHEL) or 4 (MARIE)
    let st = lex.start;
    for (const ch of 'JEAN-M') st = lex.next(st, A36.symbols.indexOf(ch));
    expect(lex.minRemaining(st)).toBe(4);
    // decoding JEAN-PAUL reads it, not "JEAN PAUL"
    const rows: Record<string, number>[] = [];
    for (const ch of 'JEAN-PAUL') rows.push({ [ch]: 0.9 }, { '': 0.95 });
    expect(decodeCtc(matrix(rows, A36), rows.length, A36, { lexicon: lex }).text).toBe('JEAN-PAUL');
  });

  it('skips entries that are not strings, counting each distinct bad word once', () => {
    const l = createLexicon([null, undefined, 42, 'A', 'B€', 'B€'] as unknown as string[], A36);
    expect(l.has('NULL')).toBe(false);
    expect(l.has('UNDEFINED')).toBe(false);
    expect([l.words, l.skipped]).toEqual([1, 4]);
  });

  it('on a case-sensitive alphabet matches capitals as a name, each part of a compound capitalised', () => {
    const cased = createLexicon(['DURAND', 'jean-michel', 'Zoë', 'ÉLISE'], lineAlphabet(LABEL_SPACE_62));
    for (const text of [
      'DURAND',
      'Durand',
      'jean-michel',
      'Jean-Michel',
      'JEAN-MICHEL',
      'Zoe',
      'ZOE',
      'ELISE',
      'Elise',
    ])
      expect(cased.has(text), text).toBe(true);
    for (const text of ['durand', 'DuRand', 'Jean-michel', 'zoe']) expect(cased.has(text), text).toBe(false);
    expect(cased.skipped).toBe(0);
  });
});
