import { HcrError, type LineAlphabet, parseClassOption } from '@hcr/core';
import {
  type CharacterClass,
  type CharLanguageModel,
  type CompiledPattern,
  compilePattern,
  createCharLanguageModel,
  createLexicon,
  DEFAULT_BEAM,
  DEFAULT_TOP_K,
  type DecodeOptions,
  MAX_BEAM,
  MAX_TOP_K,
  parseCharacterClass,
  type SymbolAutomaton,
} from '@hcr/decode';
import { readMinConfidence } from '../classes.js';

export { DEFAULT_BEAM, DEFAULT_TOP_K, MAX_BEAM, MAX_TOP_K };

/** What a caller may ask of one read (HTTP query/JSON fields, CLI flags, library options). */
export interface ReadOptions {
  /** `digits`, `letters`, `alnum`, `uppercase`, `lowercase` or `chars:<set>` (e.g. `chars:0123456789.,`). */
  classes?: string;
  /** The whole text must match this pattern, e.g. `[A-Z]{2}[0-9]{4}` or `[0-9.,]+`. */
  pattern?: string;
  /** Name of a word list given to `createLineReader({ lexicons })`: the text must be words of it. */
  lexicon?: string;
  /**
   * Name of a word list given to `createLineReader({ lexicons })`, as soft context: the beam's texts are
   * ranked with a character trigram model of its words (likely spellings win near ties; other words still read).
   */
  lm?: string;
  /** How many alternative texts to return (1..MAX_TOP_K; default 5). */
  topK?: number;
  /** Beam width (1 = best path; 1..MAX_BEAM; default 8). */
  beam?: number;
  /**
   * 0..1: give each reading a verdict, `accepted` when its confidence reaches this (its `answer` is the text)
   * or `not-confident` (`answer` null: a read to send to a person). Absent: no verdict.
   */
  minConfidence?: number;
}

/** Named word lists compiled once at start: name -> automaton (`lexicon`) and the words (for `lm`). */
export type Lexicons = ReadonlyMap<string, { automaton: SymbolAutomaton; words: readonly string[] }>;

/**
 * Checks `createLineReader({ lexicons })` without compiling it: an object of lists with simple names, each an
 * array of strings with at least one non-blank word. Returns each list's words, trimmed.
 */
export function checkLexiconLists(lists: Record<string, readonly string[]>): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  if (typeof lists !== 'object' || lists === null || Array.isArray(lists))
    throw new HcrError(
      'LEXICON_INVALID',
      `lexicons must be an object of named word lists, got ${Array.isArray(lists) ? 'an array' : typeof lists === 'string' ? 'a string' : String(lists)}.`,
      {
        hint: "Pass e.g. lexicons: { surnames: ['MARTIN', 'DUPONT'] } (or loadLexicons(['surnames=surnames.txt'])).",
      },
    );
  for (const [name, words] of Object.entries(lists)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new HcrError('LEXICON_INVALID', `The lexicon name '${name}' is not a simple name.`, {
        hint: 'Use letters, digits, _ . or - (e.g. --lexicon surnames=surnames.txt).',
      });
    const bad = Array.isArray(words) ? words.findIndex((w) => typeof w !== 'string') : 0;
    if (bad !== -1)
      throw new HcrError(
        'LEXICON_INVALID',
        Array.isArray(words)
          ? `The lexicon '${name}' holds ${String(words[bad])} at index ${bad}, not a word (a string).`
          : `The lexicon '${name}' is ${typeof words === 'string' ? 'a string' : typeof words === 'object' && words !== null ? 'an object' : String(words)}, not an array of words.`,
        {
          hint: `Pass an array of strings, one word per entry: lexicons: { ${name}: ['MARTIN', 'DUPONT'] }.`,
        },
      );
    const list = words.map((w) => w.trim()).filter((w) => w.length > 0);
    if (list.length === 0)
      throw new HcrError('LEXICON_EMPTY', `The lexicon '${name}' has no words.`, {
        hint: 'Give a word list with one word per line.',
      });
    out.set(name, list);
  }
  return out;
}

/** One checked list's automaton; LEXICON_EMPTY naming the list when none of its words can be written in `alphabet`. */
function compileLexicon(name: string, list: readonly string[], alphabet: LineAlphabet): SymbolAutomaton {
  try {
    return createLexicon(list, alphabet);
  } catch (e) {
    if (!(e instanceof HcrError) || e.code !== 'LEXICON_EMPTY') throw e;
    throw new HcrError(
      'LEXICON_EMPTY',
      `None of the ${list.length} entries of the lexicon '${name}' can be written in the reader's alphabet (${alphabet.symbols.slice(1).join('')}).`,
      { hint: 'Give a word list in the characters the reader knows, one word per line.', cause: e },
    );
  }
}

/** Compiles `createLineReader({ lexicons })`: every list non-empty, names simple, some words in the alphabet. */
export function compileLexicons(lists: Record<string, readonly string[]>, alphabet: LineAlphabet): Lexicons {
  const out = new Map<string, { automaton: SymbolAutomaton; words: readonly string[] }>();
  for (const [name, words] of checkLexiconLists(lists))
    out.set(name, { automaton: compileLexicon(name, words, alphabet), words });
  return out;
}

/**
 * `compileLexicons` where another thread compiled the lists already (a line reader's own thread): checked, each
 * automaton built here only when this thread first needs it (a 275,000-word list: ~3 s and ~24 MiB).
 */
export function lazyLexicons(lists: Record<string, readonly string[]>, alphabet: LineAlphabet): Lexicons {
  const out = new Map<string, { automaton: SymbolAutomaton; words: readonly string[] }>();
  for (const [name, words] of checkLexiconLists(lists)) {
    let automaton: SymbolAutomaton | undefined;
    out.set(name, {
      get automaton() {
        automaton ??= compileLexicon(name, words, alphabet);
        return automaton;
      },
      words,
    });
  }
  return out;
}

/** Every option `read` knows: anything else (`beem`, `top_k`) was ignored in silence. */
const READ_OPTION_KEYS = ['classes', 'pattern', 'lexicon', 'lm', 'topK', 'beam', 'minConfidence'] as const;

function checkReadOptionKeys(o: unknown): void {
  const bad = (problem: string) =>
    new HcrError('BAD_OPTIONS', problem, {
      hint: `Pass an object with some of ${READ_OPTION_KEYS.join(', ')} (see ReadOptions), or leave it out.`,
    });
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw bad(
      `Read options must be an object, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}.`,
    );
  for (const key of Object.keys(o))
    if (!(READ_OPTION_KEYS as readonly string[]).includes(key)) throw bad(`Unknown read option '${key}'.`);
}

function checkInt(name: string, v: number | undefined, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new HcrError(
      name === 'topK' ? 'BAD_TOP_K' : 'BAD_BEAM',
      `${name === 'topK' ? 'top_k' : 'beam'}=${v} is not an integer between 1 and ${max}.`,
      {
        hint:
          name === 'topK'
            ? `Ask for 1 to ${MAX_TOP_K} alternatives (default ${DEFAULT_TOP_K}).`
            : `Use a beam of 1 (best path) to ${MAX_BEAM} (default ${DEFAULT_BEAM}).`,
      },
    );
  return v;
}

/**
 * Validates and compiles read options into decodeCtc options: every bad value is an HcrError naming
 * it and the fix (before any image is decoded). Patterns and classes are cached per reader.
 */
/**
 * Compiled patterns kept per reader, by the bytes of their transition tables (states x alphabet x 4): the largest a
 * pattern may compile to is about 1.1 MB (4,000 states of 69 symbols), so 256 of them sent one after another by a
 * client would have held 280 MB.
 */
const PATTERN_CACHE_BYTES = 32 * 1024 * 1024;
/** Patterns refused, kept so one sent again is refused at once (a hostile one costs ~0.2 s of CPU to refuse). */
const REFUSED_PATTERNS = 64;
/** Entries of each small cache (classes, language models; patterns also by PATTERN_CACHE_BYTES). */
const CACHE_ENTRIES = 256;

export class ReadOptionsCompiler {
  private readonly patterns = new Map<string, CompiledPattern>();
  private patternBytes = 0;
  private readonly refused = new Map<string, unknown>();
  private readonly classes = new Map<string, CharacterClass>();
  private readonly languageModels = new Map<string, CharLanguageModel>();

  constructor(
    private readonly alphabet: LineAlphabet,
    private readonly lexicons: Lexicons,
    private readonly patternCacheBytes = PATTERN_CACHE_BYTES,
  ) {}

  compile(o: ReadOptions = {}): DecodeOptions {
    return this.options(o, true);
  }

  /**
   * Validates like `compile` (the same errors) without building word lists' automata or language models: for a
   * caller whose decoding runs in another thread, which compiles its own.
   */
  check(o: ReadOptions = {}): void {
    this.options(o, false);
  }

  private options(o: ReadOptions, build: boolean): DecodeOptions {
    checkReadOptionKeys(o);
    const topK = checkInt('topK', o.topK, MAX_TOP_K, DEFAULT_TOP_K);
    const beam = checkInt('beam', o.beam, MAX_BEAM, DEFAULT_BEAM);
    readMinConfidence(o.minConfidence); // BAD_MIN_CONFIDENCE before any image is read
    const out: DecodeOptions = { topK, beam };
    // `all` in any spelling (ALL, ' all') restricts nothing, as parseClassOption of @hcr/core and the
    // character model have it; it was refused as "restricts nothing" unless written exactly `all`
    if (
      o.classes !== undefined &&
      !(typeof o.classes === 'string' && parseClassOption(o.classes) === undefined)
    )
      out.classes = this.cached(this.classes, o.classes, () =>
        parseCharacterClass(o.classes!, this.alphabet),
      );
    if (o.pattern !== undefined && o.pattern !== '') out.pattern = this.pattern(o.pattern);
    if (o.lexicon !== undefined && o.lexicon !== '') {
      const list = this.wordList('lexicon', o.lexicon);
      if (build) out.lexicon = list.automaton;
    }
    if (o.lm !== undefined && o.lm !== '') {
      const { words } = this.wordList('lm', o.lm);
      // built on first use: a list loaded only as a lexicon never pays for its model
      if (build)
        out.languageModel = this.cached(this.languageModels, o.lm, () =>
          createCharLanguageModel(words, this.alphabet),
        );
    }
    return out;
  }

  /** A loaded word list by name, or UNKNOWN_LEXICON naming the loaded ones and how to load it. */
  private wordList(option: 'lexicon' | 'lm', name: string) {
    const list = this.lexicons.get(name);
    if (list) return list;
    const names = [...this.lexicons.keys()];
    throw new HcrError(
      'UNKNOWN_LEXICON',
      `${option}=${name}: there is no word list named '${name}' (${names.length ? `loaded: ${names.join(', ')}` : 'none is loaded'}).`,
      {
        hint: names.length
          ? `Use one of ${names.join(', ')}, or load it at start: hcr serve --lexicon ${name}=words.txt.`
          : `Load one at start: hcr serve --lexicon ${name}=words.txt (one word per line).`,
      },
    );
  }

  /** A compiled pattern, from the cache (bounded by count and bytes) when it came before; refusals kept too. */
  private pattern(src: string): CompiledPattern {
    const refusal = this.refused.get(src);
    if (refusal !== undefined) throw refusal;
    const hit = this.patterns.get(src);
    if (hit) return hit;
    let compiled: CompiledPattern;
    try {
      compiled = compilePattern(src, this.alphabet);
    } catch (e) {
      if (this.refused.size >= REFUSED_PATTERNS) this.refused.delete(this.refused.keys().next().value!);
      this.refused.set(src, e);
      throw e;
    }
    const bytes = tableBytes(compiled);
    while (
      this.patterns.size > 0 &&
      (this.patterns.size >= CACHE_ENTRIES || this.patternBytes + bytes > this.patternCacheBytes)
    ) {
      const [oldest, dropped] = this.patterns.entries().next().value!;
      this.patterns.delete(oldest);
      this.patternBytes -= tableBytes(dropped);
    }
    this.patterns.set(src, compiled);
    this.patternBytes += bytes;
    return compiled;
  }

  /** Bytes held by the compiled patterns cached now. */
  get cachedPatternBytes(): number {
    return this.patternBytes;
  }

  /** Small per-reader caches: the same few field patterns come again and again. */
  private cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
    let v = cache.get(key);
    if (v === undefined) {
      v = make();
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(key, v);
    }
    return v;
  }
}

/** The transition table a compiled pattern holds: one 4-byte entry per state and symbol. */
function tableBytes(p: CompiledPattern): number {
  return p.states * p.alphabetSize * 4;
}
