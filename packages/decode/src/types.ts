import type { CharacterClass } from '@hcr/core';
import type { CharLanguageModel } from './language-model.js';

/** A restriction of the characters a read may contain (spaces and marks only when listed in `chars`). */
export type { CharacterClass };

/**
 * A finite automaton over alphabet output indices that a beam prefix follows. `next` returns -1 when the
 * symbol is not allowed from `state`; `minRemaining` is the fewest symbols still needed to reach acceptance.
 */
export interface SymbolAutomaton {
  /** Alphabet id and size it was built for (checked by decodeCtc). */
  readonly alphabetId: string;
  readonly alphabetSize: number;
  readonly start: number;
  next(state: number, symbol: number): number;
  accepts(state: number): boolean;
  minRemaining(state: number): number;
}

export interface DecodeOptions {
  /** Beam width 1..64; 1 = best path (greedy). Default 8. */
  beam?: number;
  /** How many distinct texts `alternatives` holds, 1..20 (at most `beam` of them, `beam` per member for an ensemble). Default 5. */
  topK?: number;
  /** Restrict the characters (see CharacterClass). */
  classes?: CharacterClass;
  /**
   * Under `classes`, a forbidden character's probability goes to its allowed digit/letter twin (O -> 0 in
   * a digits field, 5 -> S in a letters field) instead of being dropped. Default true.
   */
  foldTwins?: boolean;
  /** The whole text must match this pattern (see README for the syntax). */
  pattern?: string | SymbolAutomaton;
  /** The text must be a word of the lexicon or words of it separated by single spaces. */
  lexicon?: SymbolAutomaton;
  /**
   * Soft context: the beam's texts are ranked by log p(text | image) + languageModelWeight * log p_LM(text)
   * (n-best rescoring; `confidence` stays p(text | image)). See createCharLanguageModel.
   */
  languageModel?: CharLanguageModel;
  /** Weight of the language model's log-probability, 0..5. Default 0.5. */
  languageModelWeight?: number;
  /**
   * Symbols whose (class-renormalised) probability at a frame is below this are never tried there. Default 0:
   * every symbol is tried, so a pattern or lexicon can force a character the reader gave almost nothing
   * (symbols too weak to enter the beam are skipped anyway). A value such as 1e-5 is a little faster.
   */
  minSymbolProb?: number;
}

export interface ReadCharacter {
  char: string;
  /** The highest probability the character has at a frame where the best alignment emits it. */
  confidence: number;
  /** First frame of the character in the best alignment. */
  start: number;
  /** One past its last frame. */
  end: number;
}

export interface ReadAlternative {
  text: string;
  confidence: number;
}

export interface ReadResult {
  text: string;
  /** p(text | frames), summed over all CTC alignments (conditioned on the character class when given). */
  confidence: number;
  characters: ReadCharacter[];
  /** Distinct texts, best first as ranked (with a language model, by image + weight x LM); the first is `text`. */
  alternatives: ReadAlternative[];
  /**
   * True when the search (retried at the widest beam) found no text satisfying the pattern/lexicon: `text` is ''
   * and `confidence` 0. See the README's Result section for what it does and does not prove.
   */
  constraintUnsatisfied: boolean;
}
