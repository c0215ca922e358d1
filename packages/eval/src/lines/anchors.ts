import type { LineSourceReport, LinesReport } from './report.js';
import { DEV_SETS, type LineField } from './sources.js';

/**
 * Figures our line reader is compared with in the report: the Tesseract anchor measured on these kinds of
 * images (../shared/data/README.md: 300 of each source, Tesseract 5.3 `--psm 7`, LSTM English), and the
 * acceptance targets for the quick reader (the report's "target" column).
 */
export interface LineAnchor {
  source: string;
  /** The constraint of ours it sits beside. */
  constraint: string;
  what: string;
  /** null: not published. */
  exactRate: number | null;
  cer: number | null;
}

export const TESSERACT_ANCHORS: readonly LineAnchor[] = Object.freeze([
  {
    source: 'handwritten-names-dev',
    constraint: 'none',
    what: 'Tesseract 5.3 --psm 7',
    exactRate: 0.193,
    cer: 0.72,
  },
  {
    source: 'handwritten-names-dev',
    constraint: 'letters',
    what: 'Tesseract 5.3 --psm 7, A-Z whitelist',
    exactRate: 0.177,
    cer: 0.56,
  },
  {
    source: 'handwritten-amounts-dev',
    constraint: 'none',
    what: 'Tesseract 5.3 --psm 7',
    exactRate: 0.043,
    cer: 0.76,
  },
  {
    source: 'handwritten-amounts-dev',
    constraint: 'digits',
    what: 'Tesseract 5.3 --psm 7, digit whitelist',
    exactRate: null,
    cer: 0.71,
  },
]);

/** The acceptance figures for the quick reader (the report's "target" column): exact match at least, CER at most. */
export interface LineTarget {
  source: string;
  constraint: string;
  minExactRate: number;
  maxCer: number;
}

export const LINE_TARGETS: readonly LineTarget[] = Object.freeze([
  { source: 'synthetic-test', constraint: 'none', minExactRate: 0.9, maxCer: 0.03 },
  { source: 'handwritten-names-dev', constraint: 'letters', minExactRate: 0.7, maxCer: 0.08 },
  { source: 'handwritten-amounts-dev', constraint: 'digits', minExactRate: 0.8, maxCer: 0.05 },
]);

/**
 * The sources a figure about `source` applies to: a dev set's figure to every real set of its field (a
 * held-out part of the same forms read with --real), other sources' to themselves; `source` itself when none
 * was read (the report still shows the figure, without ours beside it).
 */
function sourcesFor(source: string, sources: readonly LineSourceReport[]): (LineSourceReport | undefined)[] {
  const field = (DEV_SETS as Record<string, { field: LineField } | undefined>)[source]?.field;
  const matching = sources.filter((s) =>
    field ? s.kind === 'real' && s.field === field : s.name === source,
  );
  return matching.length ? matching : [undefined];
}

/** Each acceptance target with the figure this report measured for it, and whether it is met. */
export function targetsOf(sources: readonly LineSourceReport[]): LinesReport['targets'] {
  return LINE_TARGETS.flatMap((t) =>
    sourcesFor(t.source, sources).map((s) => {
      const c = s?.constraints.find((x) => x.name === t.constraint);
      return {
        ...t,
        source: s?.name ?? t.source,
        exactRate: c ? c.exactRate : null,
        cer: c ? c.cer : null,
        met: c ? c.exactRate >= t.minExactRate && c.cer <= t.maxCer : null,
      };
    }),
  );
}

/** The Tesseract figures, each beside every source it applies to. */
export function anchorsOf(sources: readonly LineSourceReport[]): LineAnchor[] {
  return TESSERACT_ANCHORS.flatMap((a) =>
    sourcesFor(a.source, sources).map((s) => ({ ...a, source: s?.name ?? a.source })),
  );
}
