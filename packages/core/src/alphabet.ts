import { HcrError } from './errors.js';
import { LABEL_SPACE_36, LABEL_SPACES, type LabelSpace } from './labels.js';

/**
 * The alphabet of the string reader: index 0 is the CTC blank, then the character label space's classes in
 * their order, then the space and the marks that real fields carry. Derived from the label space, so a
 * 62-class label space gives a case-sensitive reader without another list to keep in step.
 */
export interface LineAlphabet {
  /** Stable identifier stored in line manifests and reader metadata, e.g. `hcr36-line`. */
  readonly id: string;
  /** The character label space the letters and digits come from. */
  readonly labelSpace: LabelSpace['id'];
  /** Symbols in output-index order; `symbols[0]` is the blank (the empty string). */
  readonly symbols: readonly string[];
  /** Output index of the CTC blank: always 0. */
  readonly blank: 0;
  /** Number of outputs per time step (blank included). */
  readonly size: number;
  /** True when the label space merges case: text is upper-cased before encoding. */
  readonly caseMerged: boolean;
}

/** Space and the marks seen in real fields (names, dates, amounts, codes), in output order. */
export const LINE_MARKS: readonly string[] = Object.freeze([' ', '-', "'", '.', ',', '/']);

/**
 * The reader alphabet of a label space. For the project's label spaces (LABEL_SPACES) it is always the same
 * frozen object (LINE_ALPHABETS), so a dataset, a trainer and a server that ask for hcr62 share one alphabet.
 */
export function lineAlphabet(space: LabelSpace = LABEL_SPACE_36): LineAlphabet {
  const i = LABEL_SPACES.indexOf(space);
  return i >= 0 ? LINE_ALPHABETS[i]! : buildLineAlphabet(space);
}

function buildLineAlphabet(space: LabelSpace): LineAlphabet {
  const symbols = Object.freeze(['', ...space.classes, ...LINE_MARKS]);
  const caseMerged = !space.classes.some((c) => c !== c.toUpperCase());
  return Object.freeze({
    id: `${space.id}-line`,
    labelSpace: space.id,
    symbols,
    blank: 0 as const,
    size: symbols.length,
    caseMerged,
  });
}

/** The reader alphabet of every label space (36, 47, 62), in LABEL_SPACES order. */
export const LINE_ALPHABETS: readonly LineAlphabet[] = Object.freeze(LABEL_SPACES.map(buildLineAlphabet));

/** The reader alphabet of today's 36-class label space: blank, 0-9, A-Z, space, - ' . , / (43 outputs). */
export const LINE_ALPHABET_36: LineAlphabet = lineAlphabet(LABEL_SPACE_36);

/**
 * The alphabet a line manifest or a reader's metadata names, when it is one of LINE_ALPHABETS with exactly
 * these symbols; undefined otherwise (the caller says which file and what to do).
 */
export function knownLineAlphabet(id: string, symbols?: readonly string[]): LineAlphabet | undefined {
  const a = LINE_ALPHABETS.find((x) => x.id === id);
  if (!a || (symbols && (symbols.length !== a.size || symbols.some((s, i) => s !== a.symbols[i]))))
    return undefined;
  return a;
}

const indexCache = new WeakMap<LineAlphabet, Map<string, number>>();
function indexOf(alphabet: LineAlphabet): Map<string, number> {
  let m = indexCache.get(alphabet);
  if (!m) {
    m = new Map(alphabet.symbols.map((s, i) => [s, i] as const).filter(([s]) => s !== ''));
    indexCache.set(alphabet, m);
  }
  return m;
}

/**
 * Text as the alphabet writes it: upper-cased when case is merged (a lowercase letter the alphabet lacks,
 * such as `c` in hcr47, becomes its capital), runs of whitespace as one space, trimmed.
 */
export function canonicalLineText(text: string, alphabet: LineAlphabet = LINE_ALPHABET_36): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (alphabet.caseMerged) return t.toUpperCase();
  const m = indexOf(alphabet);
  let s = '';
  for (const ch of t) s += m.has(ch) || !m.has(ch.toUpperCase()) ? ch : ch.toUpperCase();
  return s;
}

/** Accents removed (É -> E: NFD, combining marks dropped): no reader alphabet has accented letters. */
export function foldAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '');
}

/** True when every character of the (canonical) text is in the alphabet. */
export function isLineText(text: string, alphabet: LineAlphabet = LINE_ALPHABET_36): boolean {
  const m = indexOf(alphabet);
  for (const ch of canonicalLineText(text, alphabet)) if (!m.has(ch)) return false;
  return true;
}

/** Text -> output indices (1..size-1). A character outside the alphabet is an error naming it. */
export function encodeLineText(text: string, alphabet: LineAlphabet = LINE_ALPHABET_36): number[] {
  const m = indexOf(alphabet);
  const out: number[] = [];
  for (const ch of canonicalLineText(text, alphabet)) {
    const i = m.get(ch);
    if (i === undefined)
      throw new HcrError(
        'TEXT_OUTSIDE_ALPHABET',
        `'${ch}' in '${text}' is not in the alphabet ${alphabet.id}.`,
        {
          hint: `Use only ${alphabet.symbols.slice(1).join('')} (or drop the character with filterLineText).`,
        },
      );
    out.push(i);
  }
  return out;
}

/** Output indices -> text; blanks are skipped (already-collapsed label sequences, not raw CTC paths). */
export function decodeLineLabels(
  labels: ArrayLike<number>,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (k === alphabet.blank) continue;
    const sym = alphabet.symbols[k];
    if (sym === undefined)
      throw new RangeError(`label ${k} is outside 0..${alphabet.size - 1} of ${alphabet.id}`);
    s += sym;
  }
  return s;
}

/**
 * Scoring form of a text: canonical, characters outside the alphabet dropped (both truth and prediction go
 * through this before CER and exact match), case folded when `caseInsensitive`.
 */
export function filterLineText(
  text: string,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
  caseInsensitive = true,
): string {
  const m = indexOf(alphabet);
  let t = canonicalLineText(text, alphabet);
  if (caseInsensitive) t = t.toUpperCase();
  let s = '';
  for (const ch of t) if (m.has(ch) || (caseInsensitive && m.has(ch.toLowerCase()))) s += ch;
  return s.replace(/\s+/g, ' ').trim();
}
