import { LINE_HEIGHT } from '@hcr/model';
import { card, esc, figure, intervalHtml, kv, pct, STYLE, scrolling, VIEWPORT } from '../html.js';
import { linePng } from './charts.js';
import { constraintTitle } from './constraints.js';
import { hasCaseExact } from './metrics.js';
import { shownOriginal } from './original.js';
import type {
  ConstraintReport,
  LineExample,
  LineSourceReport,
  LinesReport,
  ReaderModelSection,
} from './report.js';
import type { LineItem, LineSet } from './sources.js';

/** A sha256 as shown: its first 16 digits, the whole in the title (lines.json has it whole). */
const shortHash = (h: string | null | undefined) =>
  h ? `<code title="${esc(h)}">${esc(h.slice(0, 16))}</code>` : '-';

/** The readers of an ensemble, one row each: where it was read from, its run uid and the hashes of its files. */
function ensembleMembers(members: readonly ReaderModelSection[]): string {
  const packed = members.length > 1 && members.every((m) => m.dir === members[0]!.dir);
  const rows = members
    .map(
      (m) =>
        `<tr><td><code>${esc(m.id)}</code></td><td>${m.uid ? `<code>${esc(m.uid)}</code>` : '-'}</td><td>${shortHash(
          m.weightsSha256,
        )}</td><td>${shortHash(m.onnxSha256)}</td><td>${esc(m.commit?.slice(0, 12) ?? '-')}</td><td>${esc(
          m.createdAt ?? '-',
        )}</td><td><code>${esc(m.dir)}</code></td></tr>`,
    )
    .join('');
  return `${packed ? `<p>The readers are packed in one file, <code>${esc(members[0]!.dir)}</code>.</p>` : ''}${scrolling(`<table id="ensemble"><thead><tr><th>reader</th><th>run uid</th><th>weights sha256</th><th>ONNX sha256</th><th>commit</th><th>created</th><th>read from</th></tr></thead><tbody>${rows}</tbody></table>`)}`;
}

const LINE_STYLE = `
td.t{text-align:left;font-family:"DejaVu Sans Mono",monospace;white-space:pre}
td.t .sp{background:#e3e8ee}
td.msg{text-align:left;max-width:420px}
#results td:first-child,table.examples td:not(.img):not(.t),#ensemble td{white-space:nowrap}
img.line{height:32px;border:1px solid #ccc;margin:0;image-rendering:pixelated;max-width:none}
img.orig{max-height:56px;max-width:360px;border:1px solid #ccc;margin:0}
@media (max-width:600px){table.examples img.orig,table.examples img.line{max-width:35vw;height:auto}}
.no-image,.nothing-read{color:#555;font-style:italic}
td.img{text-align:left} .anchor td{color:#555;font-style:italic} .miss{color:#c0392b;font-weight:bold}
`;

const cerText = (x: number) => `${(x * 100).toFixed(2)}%`;
/** A confidence: 3 decimals, or 2 significant digits when tiny (an untrained reader). */
const conf = (x: number) => (x === 0 || x >= 0.001 ? x.toFixed(3) : x.toExponential(1));

/**
 * A truth or a read in a table cell (`td.t`: monospace, never wrapped inside a word): every space is marked
 * (`.sp`, a tinted box), so a real space is told from the gap between letters and double spaces show.
 */
const textCell = (text: string) => esc(text).replace(/ /g, '<span class="sp"> </span>');

/** The image's alt text: what it shows, its file (or line id) and the truth written in it. */
const altText = (what: string, name: string, truth: string) => `${what} of ${name}, truth "${truth}"`;

/** The original image of a real line or failed read (`file`, at `page` of a PDF or TIFF), when it has one. */
async function originalImg(
  source: { id: string; truth: string; file?: string; page?: number } | undefined,
): Promise<string> {
  if (!source?.file) return '';
  const shown = await shownOriginal(source.file, source.page);
  // a file that is missing or cannot be decoded: said in words, not a broken image
  return shown
    ? `<img class="orig" alt="${esc(altText('original', source.id, source.truth))}" src="data:image/${shown.format};base64,${shown.bytes.toString('base64')}">`
    : '<span class="no-image">(cannot be displayed)</span>';
}

function lineImg(line: LineItem | undefined): string {
  if (!line) return '';
  const png = linePng(line.pixels, line.width, LINE_HEIGHT);
  return `<img class="line" alt="${esc(altText('reader input', line.id, line.truth))}" src="data:image/png;base64,${png.toString('base64')}">`;
}

function agreementCell(c: ConstraintReport): string {
  if (!c.agreement) return '<td>-</td>';
  const cls = c.agreement.disagreements === 0 ? 'good' : 'bad';
  return `<td class="${cls}">${c.agreement.disagreements} / ${c.agreement.lines}</td>`;
}

/** The main table: one row per source x constraint, Tesseract's figures beside ours, targets marked. */
function resultsTable(r: LinesReport): string {
  const rows: string[] = [];
  const cased = hasCaseExact(r.sources);
  const casedCell = (c: ConstraintReport) =>
    cased ? `<td>${c.caseExactRate === undefined ? '-' : pct(c.caseExactRate)}</td>` : '';
  for (const s of r.sources) {
    for (const c of s.constraints) {
      const target = r.targets.find((t) => t.source === s.name && t.constraint === c.name);
      const anchor = r.anchors.find((a) => a.source === s.name && a.constraint === c.name);
      const miss = (bad: boolean) => (target && bad ? ' class="miss"' : '');
      rows.push(
        `<tr data-source="${esc(s.name)}" data-constraint="${esc(c.name)}"><td>${esc(s.name)}</td><td>${esc(c.name)}</td><td>${c.count}</td><td${miss(
          target ? c.cer > target.maxCer : false,
        )}>${cerText(c.cer)}${intervalHtml(c.cerInterval)}</td><td${miss(target ? c.exactRate < target.minExactRate : false)}>${pct(c.exactRate)}${intervalHtml(c.exactInterval)}</td>${casedCell(c)}<td>${pct(
          c.fullMatchRate,
        )}</td><td>${conf(c.meanConfidence)}</td>${agreementCell(c)}<td>${
          target ? `exact &ge; ${pct(target.minExactRate, 0)}, CER &le; ${pct(target.maxCer, 0)}` : ''
        }</td><td>${anchor ? `${anchor.exactRate === null ? 'n/a' : pct(anchor.exactRate, 1)} / ${anchor.cer === null ? 'n/a' : pct(anchor.cer, 0)}` : ''}</td></tr>`,
      );
    }
  }
  return `<div class="scroll"><table id="results"><thead><tr><th>source</th><th>constraint</th><th>lines</th><th>CER</th><th>exact</th>${cased ? '<th>case-exact</th>' : ''}<th>full-string match</th><th>mean confidence</th><th>tfjs/onnx disagreements</th><th>target</th><th>Tesseract 5.3: exact / CER</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table></div>`;
}

/** The acceptance targets in words, for the results section: which figure each is, and the bar it sets. */
function targetsText(r: LinesReport): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  // the targets of the sources read (a source not evaluated has no figure: it is listed under "Not evaluated")
  for (const t of r.targets.filter((x) => x.cer !== null)) {
    const key = `${t.source} ${t.constraint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push(
      `${esc(t.source)} read with ${esc(constraintTitle(t.constraint))}: exact match at least ${pct(t.minExactRate, 0)} and CER at most ${pct(t.maxCer, 0)}`,
    );
  }
  return parts.length
    ? ` The target column holds the acceptance figures set for the reader: ${parts.join('; ')}; a missed figure is in red.`
    : '';
}

const shown = (ch: string) => (ch === '' ? '∅' : ch === ' ' ? '␣' : ch);

/** Most frequent character errors per constraint: `truth -> read  count`. */
function confusionTable(s: LineSourceReport): string {
  const rows = Math.max(0, ...s.constraints.map((c) => c.confusions.length));
  if (rows === 0) return '';
  const head = s.constraints.map((c) => `<th>${esc(c.name)}</th><th>n</th>`).join('');
  const body = Array.from({ length: rows }, (_, i) => {
    const cells = s.constraints
      .map((c) => {
        const x = c.confusions[i];
        return x
          ? `<td class="t">${esc(shown(x.truth))} → ${esc(shown(x.read))}</td><td>${x.count}</td>`
          : '<td></td><td></td>';
      })
      .join('');
    return `<tr><td>${i + 1}</td>${cells}</tr>`;
  }).join('');
  return `<h3>Most frequent character errors</h3><p>truth → read in scoring form; ∅ is a missing or an extra character, ␣ a space.</p>${scrolling(
    `<table class="confusions" data-source="${esc(s.name)}"><thead><tr><th>#</th>${head}</tr></thead><tbody>${body}</tbody></table>`,
  )}`;
}

/** Exact match when only the most confident reads are kept, per constraint. */
function coverageTable(s: LineSourceReport): string {
  const levels = s.constraints[0]?.coverage.map((p) => p.coverage) ?? [];
  if (levels.length === 0) return '';
  const head = levels.map((c) => `<th>top ${pct(c, 0)}</th>`).join('');
  const body = s.constraints
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td>${c.coverage
          .map(
            (p) =>
              `<td title="confidence >= ${p.threshold}">${pct(p.exactRate, 1)}<br><small>&ge; ${conf(p.threshold)}</small></td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<h3>Exact match of the most confident reads</h3><p>Reads sorted by confidence; each column keeps the most confident share (the confidence it stops at below): what refusing low-confidence reads gains.</p>${scrolling(
    `<table class="coverage" data-source="${esc(s.name)}"><thead><tr><th>constraint</th>${head}</tr></thead><tbody>${body}</tbody></table>`,
  )}`;
}

/** What min_confidence would accept, per constraint: the share of reads kept and the exact match among them. */
function minConfidenceTable(s: LineSourceReport): string {
  const levels = s.constraints[0]?.atMinConfidence.map((p) => p.minConfidence) ?? [];
  if (levels.length === 0) return '';
  const head = levels.map((t) => `<th>min_confidence ${t}</th>`).join('');
  const body = s.constraints
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td>${c.atMinConfidence
          .map(
            (p) => `<td>${pct(p.exactRate, 1)}<br><small>of ${pct(p.acceptedShare, 0)} accepted</small></td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<h3>Accepted at min_confidence</h3><p>What <code>hcr read --min-confidence</code> and <code>POST /v1/read?min_confidence=</code> would do: the share of reads accepted, and the exact match among them (the rest are sent to a person).</p>${scrolling(
    `<table class="min-confidence" data-source="${esc(s.name)}"><thead><tr><th>constraint</th>${head}</tr></thead><tbody>${body}</tbody></table>`,
  )}`;
}

function lengthTable(s: LineSourceReport): string {
  const labels = [...new Set(s.constraints.flatMap((c) => c.perLength.map((b) => b.label)))];
  const los = new Map(s.constraints.flatMap((c) => c.perLength.map((b) => [b.label, b.lo] as const)));
  labels.sort((a, b) => los.get(a)! - los.get(b)!);
  const head = s.constraints
    .map((c) => `<th>${esc(c.name)}: CER</th><th>${esc(c.name)}: exact</th>`)
    .join('');
  const body = labels
    .map((label) => {
      const count = s.constraints[0]!.perLength.find((b) => b.label === label)?.count ?? 0;
      const cells = s.constraints
        .map((c) => {
          const b = c.perLength.find((x) => x.label === label);
          return b ? `<td>${cerText(b.cer)}</td><td>${pct(b.exactRate)}</td>` : '<td></td><td></td>';
        })
        .join('');
      return `<tr><td>${esc(label)}</td><td>${count}</td>${cells}</tr>`;
    })
    .join('');
  return scrolling(
    `<table class="per-length" data-source="${esc(s.name)}"><thead><tr><th>truth length</th><th>lines</th>${head}</tr></thead><tbody>${body}</tbody></table>`,
  );
}

async function exampleTable(
  title: string,
  examples: readonly LineExample[],
  s: LineSourceReport,
  set: LineSet | undefined,
): Promise<string> {
  if (examples.length === 0) return `<p>${esc(title)}: none.</p>`;
  const byId = new Map(set?.lines.map((l) => [l.id, l]) ?? []);
  // the headline constraint's read first, next to the truth: what a narrow screen shows before scrolling (there the
  // images shrink to 35% of the screen's width, LINE_STYLE, so a wide line does not push the truth out of sight)
  const names: string[] = s.constraints.map((c) => c.name);
  const constraints = names.includes(s.headline)
    ? [s.headline, ...names.filter((c) => c !== s.headline)]
    : names;
  const rows: string[] = [];
  for (const e of examples) {
    const line = byId.get(e.id);
    const reads = constraints
      .map((c) => {
        const r = e.reads.find((x) => x.constraint === c)!;
        // an empty read (the decoder's best text is no character) said in words: an empty cell looks like a fault
        const read = r.text === '' ? '<span class="nothing-read">(nothing read)</span>' : textCell(r.text);
        return `<td class="t${r.edits ? ' bad' : ' good'}">${read}</td><td>${conf(r.confidence)}</td>`;
      })
      .join('');
    rows.push(
      `<tr class="example"><td class="img">${await originalImg(line)}${line?.file ? '<br>' : ''}${lineImg(line)}<br><small>${esc(
        e.id,
      )}, ${e.width} px</small></td><td class="t">${textCell(e.truth)}</td>${reads}</tr>`,
    );
  }
  const head = constraints.map((c) => `<th>${esc(c)}</th><th>conf.</th>`).join('');
  return `<h4>${esc(title)}</h4><div class="scroll"><table class="examples"><thead><tr><th>image (original, reader input)</th><th>truth</th>${head}</tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table></div>`;
}

async function failedTable(s: LineSourceReport, set: LineSet | undefined): Promise<string> {
  if (s.failed.count === 0) return '';
  const failed = new Map(set?.failed.map((f) => [f.id, f]) ?? []);
  const rows: string[] = [];
  for (const f of s.failed.lines.slice(0, 20))
    rows.push(
      `<tr><td class="img">${await originalImg(failed.get(f.id))}<br><small>${esc(f.id)}</small></td><td class="t">${textCell(
        f.truth,
      )}</td><td>${esc(f.code)}</td><td class="msg">${esc(f.message)}</td></tr>`,
    );
  return `<h4>Failed reads (${s.failed.count}: ${esc(
    Object.entries(s.failed.byCode)
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  )}; scored as empty reads)</h4><div class="scroll"><table class="failed"><thead><tr><th>image</th><th>truth</th><th>code</th><th>message</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table></div>`;
}

/**
 * A real source whose transcriptions hold digits only (labels.tsv writes the amount 13.254,00 as `1325400`):
 * read with no constraint, every separator the writer really wrote is scored as an inserted character, so the
 * digits row is the field's figure. Said where the source is described; scoring is unchanged.
 */
function digitTruthsNote(s: LineSourceReport, set: LineSet | undefined): string {
  if (s.kind !== 'real' || !s.constraints.some((c) => c.name === 'none')) return '';
  const truths = set
    ? [...set.lines.map((l) => l.truth), ...set.failed.map((f) => f.truth)]
    : [...s.examples.mostConfident, ...s.examples.worst].map((e) => e.truth);
  if (truths.length === 0 || !truths.every((t) => /^[0-9]+$/.test(t))) return '';
  const digits = s.constraints.some((c) => c.name === 'digits');
  return `<p class="note digit-truths">This source's transcriptions hold digits only (an amount written 13.254,00 is transcribed <code>1325400</code>), so with no constraint every separator the writer really wrote (a dot, a comma, a space) counts as an inserted character${
    digits ? ": the digits row is the field's figure" : ''
  }.</p>`;
}

async function sourceSection(
  s: LineSourceReport,
  set: LineSet | undefined,
  pictures: Record<string, Buffer>,
): Promise<string> {
  const coverage = s.lexiconCoverage
    ? `<p>The names lexicon accepts ${s.lexiconCoverage.accepted} of the ${s.count} truths (${pct(
        s.lexiconCoverage.share,
        1,
      )}): a lexicon read cannot be right for the others.</p>`
    : '';
  const narrow = s.tooNarrow.count
    ? `<p class="bad">${s.tooNarrow.count} reader inputs are too narrow for their truth (fewer CTC frames than characters, repeats counted): no decoder can read them right${
        s.tooNarrow.ids.length ? ` (e.g. ${esc(s.tooNarrow.ids.slice(0, 5).join(', '))})` : ''
      }.</p>`
    : '';
  const kinds = s.perKind
    ? scrolling(
        `<table class="per-kind"><thead><tr><th>kind</th><th>lines</th><th>CER</th><th>exact</th></tr></thead><tbody>${Object.entries(
          s.perKind,
        )
          .map(
            ([k, v]) =>
              `<tr><td>${esc(k)}</td><td>${v.count}</td><td>${cerText(v.cer)}</td><td>${pct(v.exactRate)}</td></tr>`,
          )
          .join('')}</tbody></table>`,
      )
    : '';
  const cases = s.caseConfusion;
  const caseNote = cases
    ? `<p class="case">Case, no constraint (${cases.lines} lines read at the truth's length): ${
        cases.lower.count
          ? `lower case read as capitals ${pct(cases.lower.rate, 1)} (${cases.lower.otherCase} of ${cases.lower.count})`
          : 'no lower case in the truths'
      }; capitals read as lower case ${pct(cases.upper.rate, 1)} (${cases.upper.otherCase} of ${cases.upper.count})${
        cases.letters.length
          ? `. Most often in the other case: ${esc(
              cases.letters
                .slice(0, 8)
                .map((l) => `${l.letter} ${pct(l.rate, 0)}`)
                .join(', '),
            )}`
          : ''
      }.</p>`
    : '';
  return `<section id="source-${esc(s.name)}"><h2>${esc(s.name)}</h2>
<p class="sub">${esc(s.kind)} lines from <code>${esc(s.dir)}</code>, field ${esc(s.field)}; ${s.count} lines${
    s.failed.count ? `, ${s.failed.count} failed reads` : ''
  }. Constraints: ${esc(s.constraints.map((c) => `${c.name} (${c.description})`).join('; '))}.</p>
${digitTruthsNote(s, set)}
${coverage}
${narrow}
${caseNote}
<h3>Per truth length</h3>
${lengthTable(s)}
${kinds}
${figure(
  s.picture,
  pictures[s.picture],
  `${s.name}: exact match and CER per truth length`,
  `Two bar charts of ${s.name} per truth length: exact match on top and CER below, one bar per constraint (${s.constraints
    .map((c) => constraintTitle(c.name))
    .join(', ')}), with the number of lines under each length.`,
)}
${figure(
  s.samplesPicture,
  pictures[s.samplesPicture],
  `${s.name}: random reads (${constraintTitle(s.headline)})`,
  `${s.samples.length} random lines of ${s.name} as scanned, each with what was read under ${constraintTitle(
    s.headline,
  )} and its confidence (green when right, red when wrong) and the truth.`,
)}
${coverageTable(s)}
${minConfidenceTable(s)}
${confusionTable(s)}
<h3>Errors (${esc(constraintTitle(s.headline))})</h3>
${await exampleTable('Most confident errors', s.examples.mostConfident, s, set)}
${
  s.examples.worst.length === 0 && s.examples.mostConfident.length > 0
    ? `<p class="worst-none">Worst errors (highest line CER): all ${s.examples.mostConfident.length} errors are shown above.</p>`
    : await exampleTable('Worst errors (highest line CER)', s.examples.worst, s, set)
}
${await failedTable(s, set)}
</section>`;
}

/**
 * index.html of a line-reader report: the results table with Tesseract and the targets beside our figures,
 * per-length tables and charts, and error examples with the original image, the reader's input, the truth
 * and each constraint's read and confidence. Self-contained (every image a data: URI) and timing-free.
 */
export async function renderLinesHtml(
  r: LinesReport,
  pictures: Record<string, Buffer>,
  sets: readonly LineSet[],
): Promise<string> {
  const cards = r.targets
    .filter((t) => t.cer !== null)
    .map((t) =>
      card(
        `headline-${t.source}`,
        `${pct(t.exactRate!)} / ${cerText(t.cer!)}`,
        `${t.source} (${constraintTitle(t.constraint)}): exact / CER`,
      ),
    )
    .join('');
  const sections: string[] = [];
  for (const s of r.sources)
    sections.push(
      await sourceSection(
        s,
        sets.find((x) => x.name === s.name),
        pictures,
      ),
    );
  const skipped = r.skipped.length
    ? `<p class="bad" id="skipped">Not evaluated: ${r.skipped.map((s) => `${esc(s.source)} (${esc(s.reason)})`).join('; ')}.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${VIEWPORT}
<title>hcr line reader eval: ${esc(r.model.id)}</title><style>${STYLE}${LINE_STYLE}</style></head>
<body>
<h1>Line reader <code id="model-id">${esc(r.model.id)}</code></h1>
<p class="sub">${esc(r.model.architecture)}, alphabet ${esc(r.model.alphabetId)} (${r.model.symbols} outputs); ${esc(
    r.runtimes.map((x) => x.description).join(' and '),
  )}; beam ${r.decoding.beam}${r.limit ? `; <span class="bad">first ${r.limit} lines per source only</span>` : ''}.</p>
<div class="cards" id="headline">${cards}</div>
${skipped}
<h2>Results</h2>
<p>Scoring is case-insensitive and drops characters outside the reader's alphabet from truth and read (<code>filterLineText</code>); the full-string match drops nothing but still ignores case${
    hasCaseExact(r.sources) ? '; case-exact (a case-sensitive reader) also respects case' : ''
  }. CER = summed edit distances / summed truth characters. A failed read (e.g. no ink found) scores as an empty read. Under each CER and exact-match rate, its 95% interval (a bootstrap over the lines for the CER, Wilson's for the rate): where the figure of more lines like these would lie, so another set of such lines may read anywhere inside it (the fewer the lines, the wider: about &plusmn;4 points of exact match for 450 lines). The real dev sets are never trained on.${targetsText(
    r,
  )} Tesseract 5.3 figures (exact match / CER, both in %) are from the shared data's README (<code>../shared/data/README.md</code>: 300 images of each kind, <code>--psm 7</code>), beside the constraint they compare with. Names lexicon: ${esc(
    r.decoding.lexicon.source,
  )} (${esc(r.decoding.lexicon.locales.join(', '))}; ${r.decoding.lexicon.words} words), never the dev labels.</p>
${resultsTable(r)}
${sections.join('\n')}
<h2>Model</h2>
${kv({
  'run id': r.model.id,
  'run uid': r.model.uid ?? '(not recorded)',
  architecture: r.model.architecture,
  commit: r.model.commit,
  created: r.model.createdAt,
  directory: r.model.dir,
  'weights sha256 (weights.bin)': r.model.weightsSha256 ?? '(none)',
  'ONNX sha256': r.model.onnxSha256 ?? '(no ONNX runtime ran)',
  'synthetic lines manifest sha256': r.data?.linesManifestSha256 ?? '(not read)',
  ...Object.fromEntries(
    r.sources.filter((s) => s.labelsSha256).map((s) => [`${s.name} labels.tsv sha256`, s.labelsSha256]),
  ),
})}
${r.model.ensemble ? `<p>Read as one ensemble of ${r.model.ensemble.length} readers (decodeCtcEnsemble: the texts their beams propose, scored by the geometric mean of their likelihoods); the uid, commit and hashes above are the first reader's, as are the configuration and metrics below.</p>${ensembleMembers(r.model.ensemble)}` : ''}
<h3>Training configuration</h3>
${kv(r.model.trainingConfig)}
<h3>Final training metrics</h3>
${kv(r.model.trainingMetrics)}
</body></html>
`;
}
