import { createRng, encodeLineText, HcrError, LINE_ALPHABET_36, type LineAlphabet } from '@hcr/core';
import { decodeCtc } from './decode.js';
import { createLexicon } from './lexicon.js';
import { shown } from './options.js';
import { compilePattern } from './pattern.js';
import type { DecodeOptions } from './types.js';

/** Deterministic pseudo-random numbers in [0, 1): @hcr/core's stream, started at state `seed`. */
function rng(seed: number): () => number {
  return createRng(0, seed >>> 0).next;
}

const TWINS: Record<string, string> = {
  O: '0',
  '0': 'O',
  I: '1',
  '1': 'I',
  S: '5',
  '5': 'S',
  Z: '2',
  '2': 'Z',
  B: '8',
  '8': 'B',
};

/**
 * Reader-like output for `text` over `frames` frames: each character peaks for 1-3 frames (sometimes with
 * its look-alike close behind), blanks in between dominate, every other symbol keeps a little noise.
 */
export function syntheticProbs(
  text: string,
  frames: number,
  seed: number,
  alphabet = LINE_ALPHABET_36,
): Float32Array {
  const rand = rng(seed);
  const C = alphabet.size;
  const labels = encodeLineText(text, alphabet);
  const logits = new Float32Array(frames * C);
  for (let i = 0; i < logits.length; i++) logits[i] = rand() * 2;
  for (let t = 0; t < frames; t++) logits[t * C] = 9; // blank frames
  const slot = frames / (labels.length + 1);
  labels.forEach((k, i) => {
    const centre = Math.floor(slot * (i + 0.5 + rand() * 0.5));
    const width = 1 + Math.floor(rand() * 3);
    const twin = TWINS[alphabet.symbols[k]];
    for (let t = centre; t < Math.min(frames, centre + width); t++) {
      logits[t * C + k] = 8 + rand() * 3;
      logits[t * C] = 4 + rand() * 2;
      if (twin && rand() < 0.5) logits[t * C + alphabet.symbols.indexOf(twin)] = 7 + rand() * 3;
    }
  });
  const probs = new Float32Array(frames * C);
  for (let t = 0; t < frames; t++) {
    let z = 0;
    for (let k = 0; k < C; k++) z += probs[t * C + k] = Math.exp(logits[t * C + k]);
    for (let k = 0; k < C; k++) probs[t * C + k] /= z;
  }
  return probs;
}

export interface DecodeBenchRow {
  name: string;
  decodesPerSecond: number;
  msPerDecode: number;
}

/** Decodes per CPU second (process CPU time: other work on a shared machine inflates wall time). */
function time(
  name: string,
  lines: Float32Array[],
  frames: number,
  alphabet: LineAlphabet,
  opts: DecodeOptions,
  ms: number,
): DecodeBenchRow {
  for (const p of lines) decodeCtc(p, frames, alphabet, opts); // warm-up
  let n = 0;
  const c0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const p of lines) decodeCtc(p, frames, alphabet, opts);
    n += lines.length;
    const c = process.cpuUsage(c0);
    elapsed = (c.user + c.system) / 1000;
  }
  return { name, decodesPerSecond: (n * 1000) / elapsed, msPerDecode: elapsed / n };
}

/**
 * Decodes per second of 100-frame lines of the 43-symbol alphabet (synthetic reader-like outputs of names,
 * amounts and codes): best path, beam 8, beam 32, a pattern, and a 10,000-word lexicon. Prints a table
 * unless `print` is false; `msPerCase` is the time spent on each row.
 */
export function benchDecode(opts: { msPerCase?: number; print?: boolean } = {}): DecodeBenchRow[] {
  const ms = opts.msPerCase ?? 1000;
  // NaN, 0 or a negative time ran no decode and printed NaN decodes per second for every row
  if (typeof ms !== 'number' || !(ms > 0 && ms < Number.POSITIVE_INFINITY))
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `msPerCase must be a number of milliseconds above 0, got ${shown(ms)}.`,
      { hint: 'Pass e.g. 1000 (the default): `bench/decode.ts 1000`.' },
    );
  const A = LINE_ALPHABET_36;
  const frames = 100;
  const rand = rng(42);
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const word = () =>
    Array.from({ length: 3 + Math.floor(rand() * 8) }, () => letters[Math.floor(rand() * 26)]).join('');
  const vocabulary = Array.from({ length: 10_000 }, word);
  const names = Array.from(
    { length: 16 },
    () => `${vocabulary[Math.floor(rand() * 1e4)]} ${vocabulary[Math.floor(rand() * 1e4)]}`,
  );
  const amounts = Array.from({ length: 16 }, () => {
    const n = Math.floor(rand() * 1e6);
    return `${n.toLocaleString('en-US')}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`;
  });
  const codes = Array.from(
    { length: 16 },
    () =>
      `${letters[Math.floor(rand() * 26)]}${letters[Math.floor(rand() * 26)]}${Math.floor(rand() * 90 + 10)} ${Math.floor(rand() * 10)}${letters[Math.floor(rand() * 26)]}${letters[Math.floor(rand() * 26)]}`,
  );
  const mixed = [...names, ...amounts, ...codes].map((t, i) => syntheticProbs(t, frames, i, A));
  const nameLines = names.map((t, i) => syntheticProbs(t, frames, 100 + i, A));
  const amountLines = amounts.map((t, i) => syntheticProbs(t, frames, 200 + i, A));

  const t0 = performance.now();
  const lexicon = createLexicon(vocabulary, A);
  const lexiconMs = performance.now() - t0;
  const pattern = compilePattern('\\d{1,3}(,\\d{3})*\\.\\d{2}', A);

  const rows = [
    time('best path', mixed, frames, A, { beam: 1 }, ms),
    time('beam 8', mixed, frames, A, { beam: 8 }, ms),
    time('beam 32', mixed, frames, A, { beam: 32 }, ms),
    time('beam 8, digits', amountLines, frames, A, { beam: 8, classes: 'digits' }, ms),
    time('beam 8, pattern (amount)', amountLines, frames, A, { beam: 8, pattern }, ms),
    time('beam 32, pattern (amount)', amountLines, frames, A, { beam: 32, pattern }, ms),
    time('beam 8, lexicon 10k', nameLines, frames, A, { beam: 8, lexicon }, ms),
    time('beam 32, lexicon 10k', nameLines, frames, A, { beam: 32, lexicon }, ms),
  ];
  if (opts.print ?? true) {
    console.log(
      `@hcr/decode: ${frames}-frame lines, ${A.size} symbols (lexicon of 10,000 words built in ${lexiconMs.toFixed(0)} ms)`,
    );
    for (const r of rows)
      console.log(
        `${r.name.padEnd(28)} ${r.decodesPerSecond.toFixed(0).padStart(8)} decodes/CPU-s  ${r.msPerDecode.toFixed(3)} ms`,
      );
  }
  return rows;
}
