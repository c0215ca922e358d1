import type { LineAlphabet } from '@hcr/core';
import { createCharLanguageModel, createLexicon, type DecodeOptions } from '@hcr/decode';
import type { LineField } from './sources.js';

/** How a source is decoded: with no constraint, the field's character class, or a lexicon. */
export interface LineConstraint {
  /**
   * `none`, `letters` (the letters class alone, as Tesseract's A-Z whitelist), `letters+marks` (letters,
   * space, hyphen, apostrophe), `digits`, `lexicon`, `letters+lm` (letters and marks, ranked with a character
   * trigram model of the names lexicon), or `field` (each synthetic line read with its kind's class).
   */
  name: 'none' | 'letters' | 'letters+marks' | 'digits' | 'lexicon' | 'letters+lm' | 'field';
  /** One line for the report, e.g. `A-Z, space, hyphen, apostrophe`. */
  description: string;
  /** decodeCtc options (the beam width is added by the caller). */
  options: Omit<DecodeOptions, 'beam'>;
  /** Per-line options by the line's generator kind, overriding `options` (the `field` constraint). */
  optionsFor?: (kind: string | undefined) => Omit<DecodeOptions, 'beam'>;
}

/**
 * A constraint's name as headings and picture titles show it: `none` (the JSON name, an API) reads as "no
 * constraint", never as "no errors"; the others as they are.
 */
export function constraintTitle(name: string): string {
  return name === 'none' ? 'no constraint' : name;
}

/** Digits and the marks numbers, amounts and dates are written with. */
const NUMBER_CHARACTERS = "0123456789 .,-/'";

/** Letters of the alphabet plus the marks names carry (space, hyphen, apostrophe). */
export function nameCharacters(alphabet: LineAlphabet): string {
  const letters = alphabet.symbols.filter((s) => s.length === 1 && s.toUpperCase() !== s.toLowerCase());
  return `${letters.join('')} -'`;
}

/**
 * The constraints a field is read under: names unconstrained, as letters (the field's class: the headline,
 * comparable with Tesseract's A-Z whitelist), as letters + space, hyphen, apostrophe (every character the
 * forms' names hold), and with the names lexicon (when given); amounts unconstrained and as digits; mixed
 * synthetic lines unconstrained only.
 *
 * Letters alone cannot read the 5% of the forms' names that hold a space or a hyphen, yet they read more
 * names exactly than letters with marks: the reader puts a space between widely spaced capitals more often
 * than a name has one (the lines-v4 reader: 21 spaces inserted; 13 of 466 names hold a space).
 */
export function constraintsFor(
  field: LineField,
  alphabet: LineAlphabet,
  namesLexicon?: readonly string[],
): LineConstraint[] {
  const none: LineConstraint = { name: 'none', description: 'no constraint', options: {} };
  if (field === 'names') {
    const list: LineConstraint[] = [
      none,
      { name: 'letters', description: 'letters', options: { classes: 'letters' } },
      {
        name: 'letters+marks',
        description: 'letters, space, hyphen, apostrophe',
        options: { classes: { chars: nameCharacters(alphabet) } },
      },
    ];
    if (namesLexicon?.length) {
      list.push({
        name: 'lexicon',
        description: `names lexicon (${namesLexicon.length} words; a word or words joined by spaces or hyphens)`,
        options: { lexicon: createLexicon(namesLexicon, alphabet) },
      });
      // soft context from the same list: likely spellings win near ties, unseen names still read
      list.push({
        name: 'letters+lm',
        description: `letters, space, hyphen, apostrophe; ranked with a character trigram model of the names lexicon (weight 0.5)`,
        options: {
          classes: { chars: nameCharacters(alphabet) },
          languageModel: createCharLanguageModel(namesLexicon, alphabet),
        },
      });
    }
    return list;
  }
  if (field === 'amounts')
    return [none, { name: 'digits', description: 'digits 0-9', options: { classes: 'digits' } }];
  // Synthetic lines know their kind, as a form knows its field: read each with its field's characters.
  const names = { classes: { chars: nameCharacters(alphabet) } };
  const numbers = { classes: { chars: NUMBER_CHARACTERS } };
  const byKind: Record<string, Omit<DecodeOptions, 'beam'>> = {
    name: names,
    word: names,
    number: numbers,
    amount: numbers,
    date: numbers,
  };
  return [
    none,
    {
      name: 'field',
      description: `the line's field: letters, space, - and ' for names and words; digits and ${NUMBER_CHARACTERS.slice(10)} for numbers, amounts and dates; none for codes and mixed lines`,
      options: {},
      optionsFor: (kind) => (kind !== undefined ? (byKind[kind] ?? {}) : {}),
    },
  ];
}
