import type { PreparedCharacter } from '@hcr/image';
import type { Prediction, Verdict } from './classes.js';

/**
 * Inputs that are not one character, told apart by the layout of their ink (InkReport.layout of the photo
 * pipeline), whatever the model would answer. Thresholds measured on real characters (test split as
 * photos, real handwriting photos: none of them crosses one) and on a generated negatives set
 * (`pnpm bench reject` measures both).
 */
export const LAYOUT_LIMITS = Object.freeze({
  /** Kept ink over this share of the image: texture or noise (characters as photos: 99th percentile 0.26). */
  maxCoverage: 0.32,
  /** With 3 or more pieces, a largest piece holding less than this share of the ink: scattered noise. */
  minDominance: 0.5,
  /** Character-size pieces in this many separate columns or more: several characters side by side. */
  maxColumns: 1,
});

/** What reads a word or a number, as the several-characters message names it when the caller does not. */
export const LINE_READER_NAME = "a line reader (@hcr/serve-onnx's createLineReader)";

/**
 * Why an input is not one character, or undefined when its ink looks like one. `lineReader` names what the caller
 * offers for a word or a number (`POST /v1/read`, `hcr read`); the message of several characters points there.
 */
export function layoutVerdict(
  prepared: Pick<PreparedCharacter, 'ink' | 'noInk'>,
  lineReader: string = LINE_READER_NAME,
): { verdict: Exclude<Verdict, 'accepted' | 'not-confident'>; message: string } | undefined {
  if (prepared.noInk)
    return {
      verdict: 'no-character',
      message: 'No character found: nothing stands out from the background.',
    };
  const layout = prepared.ink?.layout;
  if (!layout) return undefined; // 28x28 arrays: taken as one clean character
  if (layout.columns > LAYOUT_LIMITS.maxColumns)
    return {
      verdict: 'several-characters',
      message: `Not one character: ${layout.columns} characters side by side (a word or a number); ${lineReader} reads those.`,
    };
  if (
    layout.coverage > LAYOUT_LIMITS.maxCoverage ||
    (layout.pieces >= 3 && layout.dominance < LAYOUT_LIMITS.minDominance)
  )
    return {
      verdict: 'noise',
      message: 'Not a character: the marks look like noise or texture, with no stroke that dominates.',
    };
  return undefined;
}

/** The prediction with the input's layout verdict applied (not one character: no answer). */
export function judgeInput(
  pred: Prediction,
  prepared?: Pick<PreparedCharacter, 'ink' | 'noInk'>,
  lineReader?: string,
): Prediction {
  const v = prepared && layoutVerdict(prepared, lineReader);
  if (!v) return pred;
  if (v.verdict === 'no-character')
    return { label: null, classIndex: null, confidence: 0, topK: [], answer: null, ...v };
  return { ...pred, answer: null, ...v };
}
