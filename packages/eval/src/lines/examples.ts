import type { LineAlphabet } from '@hcr/core';
import type { ReadResult } from '@hcr/decode';
import type { ReadSample } from './charts.js';
import type { LineConstraint } from './constraints.js';
import { lineEdits, scoringText } from './metrics.js';
import { shownOriginal } from './original.js';
import type { LineExample, LineSourceReport } from './report.js';
import type { LineItem, LineSet } from './sources.js';

/** The lines a report shows: its error examples and a seeded sample of reads. */

/** Error examples shown per source and list (most confident, worst). */
export const EXAMPLES_PER_LIST = 8;
/** Random reads shown per source in `reads-<source>.png`. */
export const SAMPLES_SHOWN = 12;

/** Error examples of the headline constraint: the most confident errors and the worst (highest line CER). */
export function pickExamples(
  set: LineSet,
  constraints: readonly LineConstraint[],
  readsBy: ReadonlyMap<string, ReadResult[]>,
  headline: string,
  alphabet: LineAlphabet,
): LineSourceReport['examples'] {
  const head = readsBy.get(headline)!;
  const errors = set.lines
    .map((line, i) => ({ line, i, read: head[i]! }))
    .filter(({ line, read }) => scoringText(line.truth, alphabet) !== scoringText(read.text, alphabet));
  const example = ({ line, i }: { line: LineItem; i: number }): LineExample => ({
    id: line.id,
    truth: line.truth,
    width: line.width,
    reads: constraints.map((c) => {
      const r = readsBy.get(c.name)![i]!;
      return {
        constraint: c.name,
        text: r.text,
        confidence: Number(r.confidence.toPrecision(4)),
        edits: lineEdits(line.truth, r.text, alphabet),
      };
    }),
  });
  const byConfidence = [...errors].sort((a, b) => b.read.confidence - a.read.confidence || a.i - b.i);
  const mostConfident = byConfidence.slice(0, EXAMPLES_PER_LIST);
  const shown = new Set(mostConfident.map((e) => e.i));
  const rate = (e: (typeof errors)[number]) =>
    lineEdits(e.line.truth, e.read.text, alphabet) / Math.max(1, scoringText(e.line.truth, alphabet).length);
  const worst = errors
    .filter((e) => !shown.has(e.i))
    .sort((a, b) => rate(b) - rate(a) || a.i - b.i)
    .slice(0, EXAMPLES_PER_LIST);
  return { mostConfident: mostConfident.map(example), worst: worst.map(example) };
}

/** The sampled lines, each with its original image (when it has a file), its read and whether that is right. */
export async function readSamples(
  set: LineSet,
  reads: readonly ReadResult[],
  ids: readonly string[],
  alphabet: LineAlphabet,
): Promise<ReadSample[]> {
  const out: ReadSample[] = [];
  for (const id of ids) {
    const i = set.lines.findIndex((l) => l.id === id);
    const line = set.lines[i]!;
    const read = reads[i]!;
    out.push({
      original: line.file ? ((await shownOriginal(line.file, line.page))?.bytes ?? null) : null,
      pixels: line.pixels,
      width: line.width,
      truth: line.truth,
      read: read.text,
      confidence: read.confidence,
      right: scoringText(line.truth, alphabet) === scoringText(read.text, alphabet),
    });
  }
  return out;
}
