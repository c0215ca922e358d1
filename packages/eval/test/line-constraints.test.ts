import { type HcrError, knownLineAlphabet, LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { constraintsFor } from '../src/lines/constraints.js';
import { namesLexicon } from '../src/lines/lexicon.js';
import { readerAlphabet } from '../src/lines/readers.js';
import type { ModelRun } from '../src/model-files.js';

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

describe('a case-sensitive reader (hcr62-line)', () => {
  const a62 = lineAlphabet(LABEL_SPACE_62);

  it('gets each name of the lexicon as written and in capitals (forms are written in capitals)', () => {
    const merged = namesLexicon(LINE_ALPHABET_36);
    const cased = namesLexicon(a62);
    expect(merged).toContain('MARTIN');
    expect(merged.some((w) => w !== w.toUpperCase())).toBe(false);
    expect(cased).toContain('Martin');
    expect(cased).toContain('MARTIN');
    expect(new Set(cased.map((w) => w.toUpperCase()))).toEqual(new Set(merged));
  });

  it('is recognised from its metadata; an alphabet this hcr does not know is a clear error', () => {
    const run = (alphabetId: string, symbols: readonly string[]) =>
      ({
        dir: '/runs/r',
        metadata: { task: 'line', reader: { alphabetId, symbols, height: 32, stride: 4, minWidth: 16 } },
      }) as unknown as ModelRun;
    expect(readerAlphabet(run('hcr62-line', a62.symbols))).toBe(knownLineAlphabet('hcr62-line'));
    expect(readerAlphabet(run('hcr36-line', LINE_ALPHABET_36.symbols))).toBe(LINE_ALPHABET_36);
    const err = (() => {
      try {
        readerAlphabet(run('hcr62-line', [...a62.symbols, 'ß']));
      } catch (e) {
        return e as HcrError;
      }
    })();
    expect(err?.code).toBe('ALPHABET_UNKNOWN');
    expect(err?.message).toContain('70 symbols');
    expect(err?.hint).toContain('hcr62-line');
  });
});
