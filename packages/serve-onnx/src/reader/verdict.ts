/**
 * What to do with a reading, when the caller sets `min_confidence`: accept it, or send it to a person. The
 * string's confidence is p(text | image); on the real dev sets it errs on the low side (names read with
 * their letters class at 0.5-0.7 are right 78% of the time, at 0.9-0.95 96%: packages/serve-onnx README).
 */
export type ReadVerdict = 'accepted' | 'not-confident';

export interface ReadDecision {
  /** The text to act on: `text` when accepted, else null ("no confident answer"). */
  answer: string | null;
  verdict: ReadVerdict;
  /** Why there is no answer (absent when accepted). */
  message?: string;
}

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

/** A reading with its decision under `minConfidence`; unchanged when none was asked for. */
export function judgeReading<T extends { text: string; confidence: number; constraintUnsatisfied?: true }>(
  reading: T,
  minConfidence: number | undefined,
): T & Partial<ReadDecision> {
  if (minConfidence === undefined) return reading;
  // Writing was found but no character read in it: however sure the reader is of that, there is no text to act on.
  const empty = reading.text === '';
  const accepted = !reading.constraintUnsatisfied && !empty && reading.confidence >= minConfidence;
  if (accepted) return { ...reading, answer: reading.text, verdict: 'accepted' };
  const message = reading.constraintUnsatisfied
    ? 'No confident answer: no text satisfies the constraints asked for.'
    : empty
      ? 'No answer: no character was read in the writing found (a mark, a stroke or something that is not text).'
      : `No confident answer: the best reading ${JSON.stringify(reading.text)} has a probability of ${pct(reading.confidence)}, below min_confidence ${minConfidence}.`;
  return { ...reading, answer: null, verdict: 'not-confident', message };
}

/** A page's reading judged line by line, and as a whole by its confidence (that every line is right). */
export function judgePage<
  L extends { text: string; confidence: number; constraintUnsatisfied?: true },
  P extends { text: string; confidence: number; lines: L[] },
>(page: P, minConfidence: number | undefined): P & Partial<ReadDecision> {
  if (minConfidence === undefined) return page;
  const lines = page.lines.map((l) => judgeReading(l, minConfidence));
  if (page.lines.every((l) => l.text === '')) {
    const message = 'No answer: no character was read in the writing found.';
    return { ...page, lines, answer: null, verdict: 'not-confident', message };
  }
  if (page.confidence >= minConfidence) return { ...page, lines, answer: page.text, verdict: 'accepted' };
  const message = `No confident answer: the probability that every line is read right is ${pct(page.confidence)}, below min_confidence ${minConfidence}.`;
  return { ...page, lines, answer: null, verdict: 'not-confident', message };
}
