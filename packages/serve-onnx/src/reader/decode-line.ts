/**
 * One line's reader outputs -> its reading: the decoding the line reader does on its calling thread and, with
 * `inferenceThread`, in onnxruntime's worker thread (so a server's HTTP thread does not run the beam search).
 */
import type { LineAlphabet } from '@hcr/core';
import { type DecodeOptions, decodeCtcEnsemble, memberProbs } from '@hcr/decode';
import { compileLexicons, type ReadOptions, ReadOptionsCompiler } from './read-options.js';

/** What decoding gives of one line: its text, confidences and alternatives (LineReading without placement). */
export interface DecodedLine {
  text: string;
  /** p(text | image) over all CTC alignments (under the constraints asked for). */
  confidence: number;
  characters: { char: string; confidence: number }[];
  /** Distinct texts, best first (the first is `text`). */
  alternatives: { text: string; confidence: number }[];
  /** Present (true) when no text satisfies the pattern, lexicon or class: `text` is '' and `confidence` 0. */
  constraintUnsatisfied?: true;
}

/** `probs`: the frames of `readers` readers one after another, each [frames, alphabet.size] row-major. */
export function decodeLine(
  probs: Float32Array,
  readers: number,
  alphabet: LineAlphabet,
  compiled: DecodeOptions,
): DecodedLine {
  const perMember = memberProbs(probs, readers);
  const r = decodeCtcEnsemble(perMember, perMember[0]!.length / alphabet.size, alphabet, compiled);
  return {
    text: r.text,
    confidence: r.confidence,
    characters: r.characters.map((c) => ({ char: c.char, confidence: c.confidence })),
    alternatives: r.alternatives.map((a) => ({ text: a.text, confidence: a.confidence })),
    ...(r.constraintUnsatisfied ? { constraintUnsatisfied: true as const } : {}),
  };
}

/** What a decoder away from the line reader (in its worker thread) needs: all plain data, sent once. */
export interface LineDecoderData {
  alphabet: LineAlphabet;
  /** Readers in all (a packed ensemble file holds several). */
  readers: number;
  /** The word lists given to `createLineReader({ lexicons })`, compiled where the decoder is. */
  lexicons: Record<string, readonly string[]>;
}

/**
 * Decodes lines under read options it compiles itself (cached, as the line reader's own compiler does). The word
 * lists are compiled here, at once: a big one takes seconds, which a thread pays while it starts, not in the
 * first request it decodes. Bad lists throw compileLexicons' errors.
 */
export function createLineDecoder(
  data: LineDecoderData,
): (probs: readonly Float32Array[], options: ReadOptions) => DecodedLine[] {
  const compiler = new ReadOptionsCompiler(data.alphabet, compileLexicons(data.lexicons, data.alphabet));
  return (probs, options) => {
    const compiled = compiler.compile(options);
    return probs.map((p) => decodeLine(p, data.readers, data.alphabet, compiled));
  };
}
