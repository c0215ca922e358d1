import type { ConstraintReport, LineExample, LinesReport } from '../src/lines/report.js';

/** A hand-made reader report (lines.json) of one real names source, for rendering the page without a model. */

const scores = { count: 1, truthChars: 11, edits: 1, cer: 0.09, cerInterval: [0, 0.2] as [number, number] };
const rate = {
  exact: 0,
  exactRate: 0,
  exactInterval: [0, 0.8] as [number, number],
  fullMatch: 0,
  fullMatchRate: 0,
};

export const handConstraint = (name: ConstraintReport['name']): ConstraintReport => ({
  name,
  description: name,
  ...scores,
  ...rate,
  perLength: [{ label: '11-12', lo: 11, hi: 12, ...scores, ...rate }],
  meanConfidence: 0.9,
  unsatisfied: 0,
  agreement: null,
  confusions: [{ truth: 'B', read: 'D', count: 1 }],
  coverage: [{ coverage: 1, kept: 1, exactRate: 0, threshold: 0.9 }],
  atMinConfidence: [{ minConfidence: 0.5, accepted: 1, acceptedShare: 1, exactRate: 0 }],
});

/** The report of source `names-x` read under none and letters (the headline), its one error example `example`. */
export function handLinesReport(dir: string, example: LineExample): LinesReport {
  return {
    formatVersion: 1,
    task: 'line',
    model: {
      id: 'r',
      dir: 'r',
      architecture: 'reader',
      commit: 'c',
      createdAt: 't',
      alphabetId: 'hcr36-line',
      symbols: 43,
      trainingConfig: {},
      trainingMetrics: {},
    },
    decoding: { beam: 8, batchSize: 32, lexicon: { source: 'faker', locales: ['fr'], words: 1 } },
    limit: null,
    runtime: 'onnx',
    runtimes: [{ runtime: 'onnx', description: 'onnx' }],
    sources: [
      {
        name: 'names-x',
        kind: 'real',
        field: 'names',
        dir,
        count: 1,
        failed: { count: 0, byCode: {}, lines: [] },
        tooNarrow: { count: 0, ids: [] },
        lexiconCoverage: null,
        headline: 'letters',
        constraints: [handConstraint('none'), handConstraint('letters')],
        perKind: null,
        caseConfusion: null,
        examples: { mostConfident: [example], worst: [] },
        picture: 'lines-names-x.png',
        samplesPicture: 'reads-names-x.png',
        samples: [],
      },
    ],
    skipped: [],
    anchors: [],
    targets: [],
    pictures: {},
    timing: { sources: [] },
  };
}
