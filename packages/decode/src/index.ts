export { benchDecode, type DecodeBenchRow, syntheticProbs } from './bench.js';
export { bestPath } from './bestpath.js';
export { classMask, parseCharacterClass } from './classes.js';
export { decodeCtc, decodeCtcEnsemble, memberProbs, validateDecodeOptions } from './decode.js';
export {
  type CharLanguageModel,
  type CharLanguageModelOptions,
  createCharLanguageModel,
} from './language-model.js';
export { createLexicon, type Lexicon } from './lexicon.js';
export {
  DEFAULT_BEAM,
  DEFAULT_LM_WEIGHT,
  DEFAULT_MIN_SYMBOL_PROB,
  DEFAULT_TOP_K,
  MAX_BEAM,
  MAX_TOP_K,
} from './options.js';
export { type CompiledPattern, compilePattern } from './pattern.js';
export { MAX_PATTERN_LENGTH, MAX_REPEAT } from './pattern-parse.js';
export type {
  CharacterClass,
  DecodeOptions,
  ReadAlternative,
  ReadCharacter,
  ReadResult,
  SymbolAutomaton,
} from './types.js';
