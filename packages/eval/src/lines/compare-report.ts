import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { parsePageRef } from '@hcr/image/decode';
import { comparisonDir, refuseSameReport, writeComparison } from '../compare.js';
import { esc, pct, scrolling, VIEWPORT } from '../html.js';
import { DEFAULT_REPORTS_DIR } from '../report.js';
import { diffReaderReports, loadReaderReport, type ReaderCompareReport } from './compare.js';
import { shownOriginal } from './original.js';
import { DEV_SETS, type DevSetName, findDevSet } from './sources.js';

/** Changed lines the page lists per source (the JSON holds them all). */
const CHANGED_SHOWN = 200;

/** The reader report folder `ref` names (a folder, its lines.json, or a report name under `outDir`), or null. */
export function readerReportDir(ref: string, outDir = DEFAULT_REPORTS_DIR): string | null {
  if (ref.endsWith('lines.json') && existsSync(resolve(ref))) return dirname(resolve(ref));
  for (const dir of [resolve(ref), join(resolve(outDir), ref)])
    if (existsSync(join(dir, 'lines.json'))) return dir;
  return null;
}

/**
 * `hcr eval --compare A B` of two reader reports: compare.json and index.html in `<outDir>/compare-<A>-vs-<B>/`
 * (or `dir`). A and B are report folders, their lines.json, or report names under `outDir`.
 */
export async function compareReaderReports(opts: {
  a: string;
  b: string;
  outDir?: string;
  /** Where to write (default `<outDir>/compare-<A>-vs-<B>`). */
  dir?: string;
  force?: boolean;
}): Promise<{ compare: ReaderCompareReport; dir: string }> {
  const outDir = resolve(opts.outDir ?? DEFAULT_REPORTS_DIR);
  const [a, b] = [opts.a, opts.b].map((ref) => {
    const dir = readerReportDir(ref, outDir);
    if (!dir)
      throw new HcrError(
        'RUN_UNKNOWN',
        `No reader report for '${ref}' (no lines.json there or under ${outDir}).`,
        {
          hint: `Evaluate the reader first (\`pnpm hcr eval ${ref}\`), or pass the report's folder.`,
        },
      );
    return dir;
  }) as [string, string];
  await refuseSameReport([opts.a, a], [opts.b, b]);
  const compare = diffReaderReports(await loadReaderReport(a), await loadReaderReport(b));
  const dir = opts.dir ?? comparisonDir(outDir, compare.a.name, compare.b.name);
  const originals = await changedOriginals(compare);
  await writeComparison(dir, compare, renderReaderCompareHtml(compare, dir, originals), opts.force);
  return { compare, dir };
}

/** The key of a changed line's image in `changedOriginals`' map. */
const originalKey = (source: string, id: string) => `${source}\n${id}`;

/**
 * The image of each changed real line the page lists, embedded (a data: URI, as the report pages do), so the page
 * can be moved or zipped and does not depend on the directory `hcr eval --compare` ran in: lines.json records a
 * source's folder relative to where that eval ran. The folder is looked for there, then, for a dev set, where
 * eval looks for it; a file found nowhere (or not an image) is said in words instead of a broken image.
 */
async function changedOriginals(c: ReaderCompareReport): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of c.sources) {
    const devDir = s.source in DEV_SETS ? findDevSet(s.source as DevSetName).dir : undefined;
    for (const { id } of s.changed.slice(0, CHANGED_SHOWN)) {
      if (id.startsWith('test#')) continue;
      const ref = parsePageRef(id);
      const files = [resolve(s.dir, ref.file), ...(devDir ? [resolve(devDir, ref.file)] : [])];
      const file = files.find((f) => existsSync(f));
      const shown = file ? await shownOriginal(file, ref.page) : null;
      out.set(
        originalKey(s.source, id),
        shown
          ? `<img src="data:image/${shown.format};base64,${shown.bytes.toString('base64')}" alt="${esc(`original of ${id}`)}">${esc(id)}`
          : `<span class="no-image">(cannot be displayed: ${esc(file ?? files[0]!)} ${file ? 'is not an image' : 'not found'})</span><br>${esc(id)}`,
      );
    }
  }
  return out;
}

const points = (d: number) => `${d > 0 ? '+' : ''}${(d * 100).toFixed(2)}`;
const tone = (d: number, higherBetter = true) => (d === 0 ? '' : d > 0 === higherBetter ? 'good' : 'bad');
const pValue = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

/** The terminal's view: each source's headline constraint, A then B, and the lines fixed and broken. */
export function readerCompareSummary(c: ReaderCompareReport, dir: string): string {
  const width = Math.max(6, ...c.sources.map((s) => s.source.length));
  const rows = c.sources.flatMap((s) => {
    const k = s.constraints.find((x) => x.name === s.headline);
    if (!k) return [];
    const p = k.paired;
    const pairedCells = p
      ? `${String(p.fixed).padStart(6)} ${String(p.broken).padStart(7)} ${pValue(p.pValue).padStart(8)}`
      : `  (${s.note ?? 'not paired'})`;
    return [
      `${s.source.padEnd(width)} ${s.headline.padEnd(10)} ${String(s.lines).padStart(6)} ${`${pct(k.a.exactRate)} / ${pct(k.a.cer)}`.padStart(18)} ${`${pct(k.b.exactRate)} / ${pct(k.b.cer)}`.padStart(18)} ${pairedCells}`,
    ];
  });
  return [
    `${c.a.name} (A) vs ${c.b.name} (B): exact / CER under each source's headline constraint; fixed: wrong in A and right in B; p: exact sign test of fixed against broken (small: these two models read such lines differently; it says nothing of training-run noise)`,
    `${'source'.padEnd(width)} ${'constraint'.padEnd(10)} ${'lines'.padStart(6)} ${'A'.padStart(18)} ${'B'.padStart(18)} ${'fixed'.padStart(6)} ${'broken'.padStart(7)} ${'p'.padStart(8)}`,
    ...rows,
    ...(c.onlyInA.length ? [`only in A: ${c.onlyInA.join(', ')}`] : []),
    ...(c.onlyInB.length ? [`only in B: ${c.onlyInB.join(', ')}`] : []),
    `Comparison: ${join(dir, 'index.html')}`,
  ].join('\n');
}

/**
 * The comparison page: a table per source, then the lines that changed, each real line with its image:
 * `originals` (what `compareReaderReports` passes: each image embedded, keyed by source and line id), or without
 * it a link to the file relative to `pageDir`.
 */
export function renderReaderCompareHtml(
  c: ReaderCompareReport,
  pageDir: string,
  originals?: ReadonlyMap<string, string>,
): string {
  const sections = c.sources
    .map((s) => {
      const rows = s.constraints
        .map((k) => {
          const p = k.paired;
          return `<tr><td>${esc(k.name)}${k.name === s.headline ? ' <small>(headline)</small>' : ''}</td><td>${pct(k.a.exactRate)}</td><td>${pct(k.b.exactRate)}</td><td class="${tone(k.delta.exactRate)}">${points(k.delta.exactRate)}</td><td>${pct(k.a.cer)}</td><td>${pct(k.b.cer)}</td><td class="${tone(k.delta.cer, false)}">${points(k.delta.cer)}</td>${
            p
              ? `<td>${p.fixed}</td><td>${p.broken}</td><td>${p.bothWrong}</td><td>${pValue(p.pValue)}</td>`
              : '<td colspan="4">-</td>'
          }</tr>`;
        })
        .join('');
      // a real line's image is a file under the source's folder; synthetic lines live in shards
      const image = (id: string) => {
        if (id.startsWith('test#')) return esc(id);
        const embedded = originals?.get(originalKey(s.source, id));
        if (embedded) return embedded;
        const file = resolve(s.dir, id);
        const href = isAbsolute(file) ? relative(pageDir, file) : file;
        return `<a href="${esc(href)}"><img src="${esc(href)}" alt="${esc(id)}" loading="lazy"><br>${esc(id)}</a>`;
      };
      const changed = s.changed
        .slice(0, CHANGED_SHOWN)
        .map(
          (l) =>
            `<tr class="${l.change}"><td>${image(l.id)}</td><td>${l.change}</td><td><code>${esc(l.truth)}</code></td><td><code>${esc(l.a.text)}</code> <small>${l.a.confidence.toFixed(2)}</small></td><td><code>${esc(l.b.text)}</code> <small>${l.b.confidence.toFixed(2)}</small></td></tr>`,
        )
        .join('');
      const more =
        s.changed.length > CHANGED_SHOWN
          ? `<p>${s.changed.length - CHANGED_SHOWN} more in compare.json.</p>`
          : '';
      const pairedNote = s.paired
        ? `${s.changed.length} lines changed under ${esc(s.headline)}.`
        : `<b class="bad">Not compared line by line: ${esc(s.note ?? '')}.</b>`;
      return `<h2 id="${esc(s.source)}">${esc(s.source)} <small>(${s.lines} lines)</small></h2>
${scrolling(`<table><tr><th>constraint</th><th>exact A</th><th>exact B</th><th>delta</th><th>CER A</th><th>CER B</th><th>delta</th><th>fixed</th><th>broken</th><th>both wrong</th><th>p</th></tr>${rows}</table>`)}
<p>${pairedNote}</p>${
        changed
          ? scrolling(
              `<table class="changed"><tr><th>line</th><th>change</th><th>truth</th><th>A read (confidence)</th><th>B read</th></tr>${changed}</table>`,
            )
          : ''
      }${more}`;
    })
    .join('\n');
  const only = [
    c.onlyInA.length ? `Read by A only: ${esc(c.onlyInA.join(', '))}.` : '',
    c.onlyInB.length ? `Read by B only: ${esc(c.onlyInB.join(', '))}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${VIEWPORT}<title>hcr compare: ${esc(c.a.name)} (A) vs ${esc(c.b.name)} (B)</title>
<style>body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}table.changed td,table.changed th{text-align:left}
table.changed img{max-height:48px;max-width:360px;display:block}.no-image{color:#555;font-style:italic}
.good{color:#1a7f37;font-weight:bold}.bad{color:#c0392b;font-weight:bold}tr.fixed td:nth-child(2){color:#1a7f37}tr.broken td:nth-child(2){color:#c0392b}
h1{overflow-wrap:anywhere}div.scroll{overflow-x:auto;max-width:100%}</style></head>
<body><h1>${esc(c.a.name)} (A) vs ${esc(c.b.name)} (B)</h1>
<p>A: <code>${esc(c.a.id)}</code> on ${esc(c.a.runtime)}; B: <code>${esc(c.b.id)}</code> on ${esc(c.b.runtime)}. Deltas are B minus A in percentage points. Lines are paired when both reports read the same ones: <i>fixed</i> lines are wrong in A and right in B, <i>broken</i> the other way, and <i>p</i> is the exact sign test of fixed against broken: the chance of a split at least that uneven if A and B read lines like these equally well. A small p says these two models read such lines differently; it does not say that two recipes do: two training seeds of one recipe differ by that much too (names with no constraint: 14 fixed, 32 broken, p = 0.011), so compare recipes over several seeds. ${only}</p>
${sections}
</body></html>
`;
}
