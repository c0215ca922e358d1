import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { HcrError, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '@hcr/core';
import { esc, pct, scrolling, VIEWPORT } from './html.js';
import { round6 } from './metrics.js';
import { DEFAULT_REPORTS_DIR, type EvalReport, listReports } from './report.js';

export interface CompareOptions {
  /** Run ids with a report under `outDir`, report directories, or eval.json paths. */
  a: string;
  b: string;
  outDir?: string;
  force?: boolean;
}

export interface MetricDelta {
  metric: string;
  a: number;
  b: number;
  /** b - a */
  delta: number;
}

export interface ClassDelta {
  class: string;
  /** A's test images of the class. */
  support: number;
  /** B's (differs from `support` when the two reports scored different images). */
  supportB: number;
  f1: [number, number];
  precision: [number, number];
  recall: [number, number];
  deltaF1: number;
  deltaPrecision: number;
  deltaRecall: number;
}

/** One side of a comparison. */
export interface CompareSide {
  id: string;
  /**
   * What the page and `hcr eval --compare` call it: the model id, or, when both reports are of the same model id,
   * the report's folder path (relative to the working directory when inside it), so the two can be told apart.
   */
  name: string;
  /** The report folder (null when the reports were given as objects, `diffReports` without `dirs`). */
  dir: string | null;
  architecture: string;
  runtime: string;
  manifestSha256: string;
  /** Images of the test split (the confusions' denominator). */
  testImages: number;
  /** The report's eval.json formatVersion. */
  formatVersion: number;
  /** How its confidences were calibrated (`calibration.applied.method`), `none` for a raw model. */
  calibration: string;
  /** The raw (uncalibrated) model's ECE on the test split, when the report records it. */
  uncalibratedEce: number | null;
  /** The run's uid and the weights evaluated, when the report records them (reports made before: null). */
  uid: string | null;
  weightsSha256: string | null;
}

export interface CompareReport {
  formatVersion: 1;
  a: CompareSide;
  b: CompareSide;
  /** Both reports scored the same images (same data manifest and no sampling difference). */
  sameData: boolean;
  /** Why they did not (dataset, `--sample`, image counts), for people; empty when `sameData`. */
  dataDifferences: string[];
  /**
   * Why some figures were not measured alike although the images may be the same: another eval.json formatVersion,
   * or another calibration method (the ECE delta is then partly the calibration, not the model). Empty when none.
   */
  measurementDifferences: string[];
  headline: MetricDelta[];
  perClass: ClassDelta[];
  /** Largest F1 gains and losses, b relative to a. */
  mostImproved: string[];
  mostRegressed: string[];
  /**
   * Errors between each pair (both directions, test split): counts, and per 1,000 test images of each report
   * (`aPer1000`, `bPer1000`, `deltaPer1000` = b - a): the rates are what the page compares when the two reports
   * scored different numbers of images (`ratesCompared`).
   */
  confusions: {
    pair: string;
    a: number;
    b: number;
    delta: number;
    aPer1000: number;
    bPer1000: number;
    deltaPer1000: number;
  }[];
  /** The two test splits differ in size, so confusions are compared per 1,000 images, not as counts. */
  ratesCompared: boolean;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The report `ref` names, and the name of the folder holding it (what `hcr eval` named the report). */
async function loadReport(
  ref: string,
  outDir: string,
): Promise<{ report: EvalReport; name: string; dir: string }> {
  const candidates = [resolve(ref), join(resolve(ref), 'eval.json'), join(outDir, ref, 'eval.json')];
  // a line reader's report (lines.json) compares with another reader's (compareReaderReports), not with this one
  for (const dir of [resolve(ref), join(outDir, ref)])
    if (ref.endsWith('lines.json') ? await isFile(resolve(ref)) : await isFile(join(dir, 'lines.json')))
      throw new HcrError(
        'COMPARE_UNSUPPORTED',
        `'${ref}' is a line reader's report (lines.json), the other a character model's: --compare takes two of one kind.`,
        {
          hint: 'Compare two reader reports (`hcr eval --compare <readerA> <readerB>`) or two character reports.',
        },
      );
  for (const c of candidates) {
    if (!c.endsWith('.json') || !(await isFile(c))) continue;
    const r = JSON.parse(await readFile(c, 'utf8')) as EvalReport;
    // any formatVersion with the figures compared: a version difference is reported (measurementDifferences)
    if (
      !Number.isInteger(r.formatVersion) ||
      r.formatVersion < 1 ||
      !Array.isArray(r.perClass) ||
      !r.overall ||
      !r.calibration
    )
      throw new HcrError('REPORT_INVALID', `${c} is not an hcr eval.json.`, {
        hint: 'Pass a run id with a report, a report directory, or its eval.json.',
      });
    return { report: r, name: basename(dirname(c)), dir: dirname(c) };
  }
  const known = await listReports(outDir);
  throw new HcrError(
    'RUN_UNKNOWN',
    `No eval report for '${ref}' (looked for ${candidates.slice(1).join(', ')}).`,
    {
      hint: `Evaluate it first (\`pnpm hcr eval ${ref}\`)${known.length ? `; reports that exist: ${known.join(', ')}` : ''}.`,
    },
  );
}

/**
 * What makes two reports' images differ, from what eval.json records: the dataset (manifest sha256), `--sample`
 * (the sample's seed is fixed, so the same size on the same dataset is the same images) and the counts per split.
 */
export function dataDifferences(a: EvalReport, b: EvalReport): string[] {
  const out: string[] = [];
  if (a.data.manifestSha256 !== b.data.manifestSha256)
    out.push(
      `dataset ${a.data.dir} (manifest ${a.data.manifestSha256.slice(0, 12)}) vs ${b.data.dir} (manifest ${b.data.manifestSha256.slice(0, 12)})`,
    );
  const sample = (n: number | null) => (n === null ? 'every image' : `--sample ${n}`);
  if (a.data.sample !== b.data.sample) out.push(`${sample(a.data.sample)} vs ${sample(b.data.sample)}`);
  const counts = (r: EvalReport) =>
    Object.entries(r.data.splits)
      .map(([split, n]) => `${split} ${n}`)
      .join(', ');
  if (out.length === 0 && (counts(a) !== counts(b) || a.overall.count !== b.overall.count))
    out.push(`images ${counts(a)} vs ${counts(b)}`);
  return out;
}

/** A report's calibration method; a report without `calibration.applied` (made before calibration) is raw. */
const calibrationOf = (r: EvalReport): string => r.calibration.applied?.method ?? 'none';

/**
 * What makes two reports' figures not measured alike beyond their images: the eval.json formatVersion (a field may
 * have changed meaning) and the calibration method (ECE and the reliability of calibrated confidences are not
 * comparable with a raw model's: the ECE delta would be the calibration, not the model).
 */
export function measurementDifferences(a: EvalReport, b: EvalReport): string[] {
  const out: string[] = [];
  if (a.formatVersion !== b.formatVersion)
    out.push(
      `eval.json formatVersion ${a.formatVersion} vs ${b.formatVersion}: a figure may not mean the same in both; evaluate both with the same hcr`,
    );
  const [ca, cb] = [calibrationOf(a), calibrationOf(b)];
  if (ca !== cb) {
    const raw = (r: EvalReport) =>
      r.calibration.uncalibrated?.ece === undefined ? null : pct(r.calibration.uncalibrated.ece);
    const [ra, rb] = [raw(a), raw(b)];
    out.push(
      `calibration ${ca} vs ${cb}: the ECE delta is largely the calibration, not a better or worse model${
        ra && rb ? ` (the raw models' ECE: A ${ra}, B ${rb})` : ''
      }`,
    );
  }
  return out;
}

function delta(metric: string, a: number, b: number): MetricDelta {
  return { metric, a, b, delta: round6(b - a) };
}

/** A report folder as shown: relative to the working directory when inside it, else absolute. */
function shownDir(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}

/**
 * Per-class and headline differences between two eval reports (b minus a). `dirs`: the report folders, which name
 * the two sides when both reports are of the same model id.
 */
export function diffReports(a: EvalReport, b: EvalReport, dirs?: { a: string; b: string }): CompareReport {
  if (a.classNames.join('\u0000') !== b.classNames.join('\u0000'))
    throw new HcrError(
      'COMPARE_LABEL_SPACES',
      `The two reports answer different classes: ${a.model.id} ${a.labelSpace ?? `${a.classNames.length} classes`}, ${b.model.id} ${b.labelSpace ?? `${b.classNames.length} classes`}; their per-class figures and confusions cannot be set side by side.`,
      {
        hint: 'Compare reports of one label space. A 47- or 62-class report gives its figures folded to 36 classes in its own page (Case section), beside the 36-class figures.',
      },
    );
  const headline: MetricDelta[] = [
    delta('overall accuracy', a.overall.accuracy, b.overall.accuracy),
    delta('overall top-3 accuracy', a.overall.top3Accuracy, b.overall.top3Accuracy),
    delta('overall own-class accuracy', a.overall.ownClassAccuracy, b.overall.ownClassAccuracy),
    delta('overall macro-F1', a.overall.macroF1, b.overall.macroF1),
    delta('ECE', a.calibration.ece, b.calibration.ece),
    delta('twin share of errors', a.twins.share, b.twins.share),
  ];
  for (const [name, sa] of Object.entries(a.sources)) {
    const sb = b.sources[name as keyof typeof b.sources];
    if (!sa || !sb) continue;
    headline.push(delta(`${name} accuracy`, sa.accuracy, sb.accuracy));
    headline.push(delta(`${name} own-class accuracy`, sa.ownClassAccuracy, sb.ownClassAccuracy));
  }
  const perClass: ClassDelta[] = a.perClass.map((ca, i) => {
    const cb = b.perClass[i]!;
    return {
      class: ca.class,
      support: ca.support,
      supportB: cb.support,
      f1: [ca.f1, cb.f1],
      precision: [ca.precision, cb.precision],
      recall: [ca.recall, cb.recall],
      deltaF1: round6(cb.f1 - ca.f1),
      deltaPrecision: round6(cb.precision - ca.precision),
      deltaRecall: round6(cb.recall - ca.recall),
    };
  });
  const byDelta = [...perClass].sort((x, y) => y.deltaF1 - x.deltaF1 || x.class.localeCompare(y.class));
  const pairs = new Map<string, { a: number; b: number }>();
  for (const c of a.overall.topConfusions) pairs.set(c.pair, { a: c.total, b: 0 });
  for (const c of b.overall.topConfusions) pairs.set(c.pair, { a: pairs.get(c.pair)?.a ?? 0, b: c.total });
  // fill the totals a pair has in the other report's full confusion matrix
  const totalIn = (r: EvalReport, pair: string) => {
    const [x, y] = pair.split('<->').map((n) => r.classNames.indexOf(n));
    return r.confusion[x!]![y!]! + r.confusion[y!]![x!]!;
  };
  const per1000 = (n: number, r: EvalReport) =>
    r.overall.count > 0 ? round6((n * 1000) / r.overall.count) : 0;
  const ratesCompared = a.overall.count !== b.overall.count;
  const confusions = [...pairs.keys()]
    .map((pair) => ({ pair, a: totalIn(a, pair), b: totalIn(b, pair) }))
    .map((c) => {
      const [aPer1000, bPer1000] = [per1000(c.a, a), per1000(c.b, b)];
      return { ...c, delta: c.b - c.a, aPer1000, bPer1000, deltaPer1000: round6(bPer1000 - aPer1000) };
    })
    .sort((x, y) =>
      ratesCompared
        ? Math.max(y.aPer1000, y.bPer1000) - Math.max(x.aPer1000, x.bPer1000) || x.pair.localeCompare(y.pair)
        : Math.max(y.a, y.b) - Math.max(x.a, x.b) || x.pair.localeCompare(y.pair),
    );
  const differences = dataDifferences(a, b);
  const sameId = a.model.id === b.model.id;
  const side = (r: EvalReport, dir: string | undefined): CompareSide => ({
    id: r.model.id,
    name: sameId && dir ? shownDir(dir) : r.model.id,
    dir: dir ?? null,
    architecture: r.model.architecture,
    runtime: r.runtime,
    manifestSha256: r.data.manifestSha256,
    testImages: r.overall.count,
    formatVersion: r.formatVersion,
    calibration: calibrationOf(r),
    uncalibratedEce: r.calibration.uncalibrated?.ece ?? null,
    uid: r.model.uid ?? null,
    weightsSha256: r.model.weightsSha256 ?? null,
  });
  return {
    formatVersion: 1,
    a: side(a, dirs?.a),
    b: side(b, dirs?.b),
    sameData: differences.length === 0,
    dataDifferences: differences,
    measurementDifferences: measurementDifferences(a, b),
    headline,
    perClass,
    mostImproved: byDelta
      .filter((c) => c.deltaF1 > 0)
      .slice(0, 5)
      .map((c) => c.class),
    mostRegressed: byDelta
      .filter((c) => c.deltaF1 < 0)
      .reverse()
      .slice(0, 5)
      .map((c) => c.class),
    confusions,
    ratesCompared,
  };
}

/** A rate as signed percentage points (`+1.23`). */
const signedPoints = (x: number, digits = 2) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(digits)}`;
/** A value on a 0-1 scale kept as such (F1, precision, recall: `+0.0123`), as the report shows them. */
const signedFraction = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(4)}`;
const signedNumber = (x: number, digits: number) => `${x > 0 ? '+' : ''}${x.toFixed(digits)}`;
const tone = (x: number, higherIsBetter = true) => (x === 0 ? '' : x > 0 === higherIsBetter ? 'good' : 'bad');
/** Macro-F1 reads as on the report (0.8936), every other headline metric as a percentage. */
const isFraction = (metric: string) => metric.endsWith('macro-F1');

/**
 * The line `hcr eval --compare A B` prints: A first, then B, as the page does; the delta is B minus A. Both named
 * as on the page (their folder paths when they are reports of the same model id).
 */
export function compareSummary(c: CompareReport, dir: string): string {
  const acc = c.headline[0]!;
  return (
    `${c.a.name} (A) vs ${c.b.name} (B): overall accuracy ${pct(acc.a)} vs ${pct(acc.b)} ` +
    `(B minus A: ${signedPoints(acc.delta)} points); F1 most improved in B ${c.mostImproved.join(', ') || 'none'}, ` +
    `most regressed ${c.mostRegressed.join(', ') || 'none'}.\nComparison: ${join(dir, 'index.html')}`
  );
}

export function renderCompareHtml(c: CompareReport): string {
  const rows = c.headline
    .map((h) => {
      const lowerBetter = h.metric === 'ECE' || h.metric.startsWith('twin');
      // an ECE of two calibrations is not the model's change: no good/bad colour, and said beside it
      const notAlike = h.metric === 'ECE' && c.a.calibration !== c.b.calibration;
      const [va, vb, d] = isFraction(h.metric)
        ? [h.a.toFixed(4), h.b.toFixed(4), signedFraction(h.delta)]
        : [pct(h.a), pct(h.b), `${signedPoints(h.delta)} pts`];
      return notAlike
        ? `<tr><td>${esc(h.metric)} <small class="bad">(calibration ${esc(c.a.calibration)} vs ${esc(c.b.calibration)}: not like for like)</small></td><td>${va}</td><td>${vb}</td><td>${d}</td></tr>`
        : `<tr><td>${esc(h.metric)}</td><td>${va}</td><td>${vb}</td><td class="${tone(h.delta, !lowerBetter)}">${d}</td></tr>`;
    })
    .join('');
  // one support column when both reports scored the same images of every class, else A's and B's
  const bothSupports = c.perClass.some((k) => k.support !== k.supportB);
  const supportHead = bothSupports ? '<th>support A</th><th>support B</th>' : '<th>support</th>';
  const classRows = c.perClass
    .map(
      (k) =>
        `<tr><td>${esc(k.class)}</td><td>${k.support}</td>${bothSupports ? `<td>${k.supportB}</td>` : ''}<td>${k.f1[0].toFixed(
          4,
        )}</td><td>${k.f1[1].toFixed(4)}</td><td class="${tone(k.deltaF1)}">${signedFraction(k.deltaF1)}</td><td class="${tone(
          k.deltaPrecision,
        )}">${signedFraction(k.deltaPrecision)}</td><td class="${tone(k.deltaRecall)}">${signedFraction(k.deltaRecall)}</td></tr>`,
    )
    .join('');
  const confRows = c.confusions
    .map((p) =>
      c.ratesCompared
        ? `<tr><td>${esc(p.pair)}</td><td>${p.aPer1000.toFixed(2)} <small>(${p.a})</small></td><td>${p.bPer1000.toFixed(
            2,
          )} <small>(${p.b})</small></td><td class="${tone(p.deltaPer1000, false)}">${signedNumber(p.deltaPer1000, 2)}</td></tr>`
        : `<tr><td>${esc(p.pair)}</td><td>${p.a}</td><td>${p.b}</td><td class="${tone(p.delta, false)}">${signedNumber(p.delta, 0)}</td></tr>`,
    )
    .join('');
  const confusionHead = c.ratesCompared
    ? '<th>errors per 1,000 images, A (count)</th><th>errors per 1,000 images, B (count)</th><th>delta per 1,000 images</th>'
    : '<th>errors A</th><th>errors B</th><th>delta</th>';
  const confusionText = c.ratesCompared
    ? `Errors between each pair (both directions) on the test split. A scored ${c.a.testImages} test images and B ${c.b.testImages}, so the pairs are compared as errors per 1,000 test images of each report (the counts in brackets); the delta is B minus A per 1,000 images.`
    : `Errors between each pair (both directions) on the test split, as counts: both scored ${c.a.testImages} test images. The delta is B minus A.`;
  const sameNames = c.a.id === c.b.id && c.a.name !== c.a.id;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${VIEWPORT}<title>hcr compare: ${esc(c.a.name)} (A) vs ${esc(c.b.name)} (B)</title>
<style>body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:900px;color:#222;padding:0 16px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}.good{color:#1a7f37;font-weight:bold}.bad{color:#c0392b;font-weight:bold}
h1{overflow-wrap:anywhere}div.scroll{overflow-x:auto;max-width:100%}</style></head>
<body><h1>${esc(c.a.name)} (A) vs ${esc(c.b.name)} (B)</h1>
<p>${sameNames ? `Both reports are of the model <code>${esc(c.a.id)}</code>, so they are named by their folders. ` : ''}A: ${esc(c.a.architecture)} on ${esc(c.a.runtime)}; B: ${esc(c.b.architecture)} on ${esc(c.b.runtime)}. Deltas are B minus A: percentage points for accuracies, ECE and shares; F1, precision and recall stay on their 0-1 scale, as on the reports. ${
    c.sameData
      ? 'Both scored the same images.'
      : `<b class="bad">The two reports scored different images (${esc(c.dataDifferences.join('; '))}); deltas are not like for like.</b>`
  }${
    c.measurementDifferences.length
      ? ` <b class="bad" id="measurement-differences">The two reports were not measured alike: ${esc(c.measurementDifferences.join('; '))}.</b>`
      : ''
  }</p>
<h2>Headline</h2>${scrolling(`<table id="headline"><tr><th>metric</th><th>A</th><th>B</th><th>delta (B minus A)</th></tr>${rows}</table>`)}
<p>Most improved classes (F1): ${esc(c.mostImproved.join(', ') || 'none')}; most regressed: ${esc(c.mostRegressed.join(', ') || 'none')}.</p>
<h2>Per class</h2>${bothSupports ? '<p>The two reports scored different numbers of images of some classes: both supports are shown.</p>' : ''}${scrolling(`<table id="per-class"><tr><th>class</th>${supportHead}<th>F1 A</th><th>F1 B</th><th>delta F1</th><th>delta precision</th><th>delta recall</th></tr>${classRows}</table>`)}
<h2>Top confusions</h2><p id="confusions-note">${confusionText}</p>${scrolling(`<table id="confusions"><tr><th>pair</th>${confusionHead}</tr>${confRows}</table>`)}
</body></html>
`;
}

/**
 * `hcr eval --compare A B`: writes compare.json + index.html to `<outDir>/compare-<A>-vs-<B>/`, A and B the names of
 * the report folders.
 */
export async function compareReports(opts: CompareOptions): Promise<{ compare: CompareReport; dir: string }> {
  const outDir = resolve(opts.outDir ?? DEFAULT_REPORTS_DIR);
  const [a, b] = [await loadReport(opts.a, outDir), await loadReport(opts.b, outDir)];
  await refuseSameReport([opts.a, a.dir], [opts.b, b.dir]);
  const compare = diffReports(a.report, b.report, { a: a.dir, b: b.dir });
  // named by the reports, not the model ids: two reports of one model (copies, samples) compare too
  const dir = comparisonDir(outDir, a.name, b.name);
  await writeComparison(dir, compare, renderCompareHtml(compare), opts.force);
  return { compare, dir };
}

/**
 * `--compare A A`: both names lead to one report folder (symlinks resolved), whose comparison with itself would be a
 * page of zero deltas that looks like two runs agreeing. COMPARE_SAME, before anything is written. Two copies of a
 * report in different folders (`latest` and its run) still compare.
 */
export async function refuseSameReport(
  [refA, dirA]: readonly [string, string],
  [refB, dirB]: readonly [string, string],
): Promise<void> {
  const real = (d: string) => realpath(d).catch(() => resolve(d));
  const dir = await real(dirA);
  if (dir !== (await real(dirB))) return;
  throw new HcrError(
    'COMPARE_SAME',
    `${refA === refB ? `'${refA}' is given twice` : `'${refA}' and '${refB}' are the same report`} (${dir}): --compare takes two different reports.`,
    {
      hint: 'Name the report of another run, or evaluate the model again into another folder (`hcr eval <run> --out <dir>`, or --report <name> for a reader) and compare with that.',
    },
  );
}

/** `<outDir>/compare-<A>-vs-<B>`: a comparison's folder, named by the two reports' folders. */
export function comparisonDir(outDir: string, a: string, b: string): string {
  return join(outDir, `compare-${safe(a)}-vs-${safe(b)}`);
}

/** Writes compare.json and index.html into `dir` in one step; replaces an existing comparison only with `force`. */
export async function writeComparison(
  dir: string,
  compare: unknown,
  html: string,
  force = false,
): Promise<void> {
  if (
    !force &&
    (await stat(dir).then(
      () => true,
      () => false,
    ))
  )
    throw new HcrError('REPORT_EXISTS', `A comparison already exists: ${dir}.`, {
      hint: 'Pass --force to replace it.',
    });
  await writeDirAtomic(
    dir,
    async (tmp) => {
      await writeJsonAtomic(join(tmp, 'compare.json'), compare);
      await writeFileAtomic(join(tmp, 'index.html'), html);
    },
    { replace: force },
  );
}

/** A run id as one path segment. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
