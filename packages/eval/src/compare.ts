import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { HcrError, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '@hcr/core';
import { esc, pct } from './html.js';
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
  support: number;
  f1: [number, number];
  precision: [number, number];
  recall: [number, number];
  deltaF1: number;
  deltaPrecision: number;
  deltaRecall: number;
}

export interface CompareReport {
  formatVersion: 1;
  a: { id: string; architecture: string; runtime: string; manifestSha256: string };
  b: { id: string; architecture: string; runtime: string; manifestSha256: string };
  /** Both reports scored the same images (same data manifest and no sampling difference). */
  sameData: boolean;
  /** Why they did not (dataset, `--sample`, image counts), for people; empty when `sameData`. */
  dataDifferences: string[];
  headline: MetricDelta[];
  perClass: ClassDelta[];
  /** Largest F1 gains and losses, b relative to a. */
  mostImproved: string[];
  mostRegressed: string[];
  confusions: { pair: string; a: number; b: number; delta: number }[];
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The report `ref` names, and the name of the folder holding it (what `hcr eval` named the report). */
async function loadReport(ref: string, outDir: string): Promise<{ report: EvalReport; name: string }> {
  const candidates = [resolve(ref), join(resolve(ref), 'eval.json'), join(outDir, ref, 'eval.json')];
  // a line reader's report (lines.json) has no per-class scores to compare
  for (const dir of [resolve(ref), join(outDir, ref)])
    if (ref.endsWith('lines.json') ? await isFile(resolve(ref)) : await isFile(join(dir, 'lines.json')))
      throw new HcrError(
        'COMPARE_UNSUPPORTED',
        `'${ref}' is a line reader's report (lines.json); --compare covers character reports (eval.json) only.`,
        {
          hint: "Open the two readers' index.html pages side by side, or compare two character runs: `hcr eval --compare <runA> <runB>`.",
        },
      );
  for (const c of candidates) {
    if (!c.endsWith('.json') || !(await isFile(c))) continue;
    const r = JSON.parse(await readFile(c, 'utf8')) as EvalReport;
    if (r.formatVersion !== 1 || !Array.isArray(r.perClass))
      throw new HcrError('REPORT_INVALID', `${c} is not an hcr eval.json.`, {
        hint: 'Pass a run id with a report, a report directory, or its eval.json.',
      });
    return { report: r, name: basename(dirname(c)) };
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

function delta(metric: string, a: number, b: number): MetricDelta {
  return { metric, a, b, delta: round6(b - a) };
}

/** Per-class and headline differences between two eval reports (b minus a). */
export function diffReports(a: EvalReport, b: EvalReport): CompareReport {
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
  const confusions = [...pairs.keys()]
    .map((pair) => ({ pair, a: totalIn(a, pair), b: totalIn(b, pair) }))
    .map((c) => ({ ...c, delta: c.b - c.a }))
    .sort((x, y) => Math.max(y.a, y.b) - Math.max(x.a, x.b) || x.pair.localeCompare(y.pair));
  const differences = dataDifferences(a, b);
  return {
    formatVersion: 1,
    a: {
      id: a.model.id,
      architecture: a.model.architecture,
      runtime: a.runtime,
      manifestSha256: a.data.manifestSha256,
    },
    b: {
      id: b.model.id,
      architecture: b.model.architecture,
      runtime: b.runtime,
      manifestSha256: b.data.manifestSha256,
    },
    sameData: differences.length === 0,
    dataDifferences: differences,
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
  };
}

const signed = (x: number, digits = 2) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(digits)}`;
const tone = (x: number, higherIsBetter = true) => (x === 0 ? '' : x > 0 === higherIsBetter ? 'good' : 'bad');

export function renderCompareHtml(c: CompareReport): string {
  const rows = c.headline
    .map((h) => {
      const lowerBetter = h.metric === 'ECE' || h.metric.startsWith('twin');
      return `<tr><td>${esc(h.metric)}</td><td>${pct(h.a)}</td><td>${pct(h.b)}</td><td class="${tone(h.delta, !lowerBetter)}">${signed(
        h.delta,
      )} pts</td></tr>`;
    })
    .join('');
  const classRows = c.perClass
    .map(
      (k) =>
        `<tr><td>${esc(k.class)}</td><td>${k.support}</td><td>${k.f1[0].toFixed(4)}</td><td>${k.f1[1].toFixed(4)}</td><td class="${tone(
          k.deltaF1,
        )}">${signed(k.deltaF1)}</td><td class="${tone(k.deltaPrecision)}">${signed(k.deltaPrecision)}</td><td class="${tone(
          k.deltaRecall,
        )}">${signed(k.deltaRecall)}</td></tr>`,
    )
    .join('');
  const confRows = c.confusions
    .map(
      (p) =>
        `<tr><td>${esc(p.pair)}</td><td>${p.a}</td><td>${p.b}</td><td class="${tone(p.delta, false)}">${p.delta > 0 ? '+' : ''}${p.delta}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hcr compare: ${esc(c.a.id)} vs ${esc(c.b.id)}</title>
<style>body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:900px;color:#222;padding:0 16px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}.good{color:#1a7f37;font-weight:bold}.bad{color:#c0392b;font-weight:bold}</style></head>
<body><h1>${esc(c.a.id)} (A) vs ${esc(c.b.id)} (B)</h1>
<p>A: ${esc(c.a.architecture)} on ${esc(c.a.runtime)}; B: ${esc(c.b.architecture)} on ${esc(c.b.runtime)}. Deltas are B minus A, in percentage points. ${
    c.sameData
      ? 'Both scored the same images.'
      : `<b class="bad">The two reports scored different images (${esc(c.dataDifferences.join('; '))}); deltas are not like for like.</b>`
  }</p>
<h2>Headline</h2><table id="headline"><tr><th>metric</th><th>A</th><th>B</th><th>delta</th></tr>${rows}</table>
<p>Most improved classes (F1): ${esc(c.mostImproved.join(', ') || 'none')}; most regressed: ${esc(c.mostRegressed.join(', ') || 'none')}.</p>
<h2>Per class</h2><table id="per-class"><tr><th>class</th><th>support</th><th>F1 A</th><th>F1 B</th><th>delta F1</th><th>delta precision</th><th>delta recall</th></tr>${classRows}</table>
<h2>Top confusions</h2><table id="confusions"><tr><th>pair</th><th>errors A</th><th>errors B</th><th>delta</th></tr>${confRows}</table>
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
  const compare = diffReports(a.report, b.report);
  // named by the reports, not the model ids: two reports of one model (copies, samples) compare too
  const dir = join(outDir, `compare-${safe(a.name)}-vs-${safe(b.name)}`);
  if (
    !opts.force &&
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
      await writeFileAtomic(join(tmp, 'index.html'), renderCompareHtml(compare));
    },
    { replace: Boolean(opts.force) },
  );
  return { compare, dir };
}

/** A run id as one path segment. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
