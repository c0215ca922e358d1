import { LINE_HEIGHT } from '@hcr/model';
import { card, esc, figure, kv, pct, STYLE } from '../html.js';
import { linePng } from './charts.js';
import { hasCaseExact } from './metrics.js';
import { shownOriginal } from './original.js';
import type { ConstraintReport, LineExample, LineSourceReport, LinesReport } from './report.js';
import type { LineItem, LineSet } from './sources.js';

/** The readers of an ensemble: their run directories, or the one file they are packed in. */
function ensembleMembers(members: readonly { id: string; dir: string }[]): string {
  if (members.length > 1 && members.every((m) => m.dir === members[0]!.dir))
    return `${members.map((m) => `<code>${esc(m.id)}</code>`).join(', ')}, packed in one file, <code>${esc(members[0]!.dir)}</code>`;
  return members.map((m) => `<code>${esc(m.dir)}</code>`).join(', ');
}

const LINE_STYLE = `
td.t{text-align:left;font-family:"DejaVu Sans Mono",monospace;white-space:pre-wrap;word-break:break-all;max-width:260px}
img.line{height:32px;border:1px solid #ccc;margin:0;image-rendering:pixelated;max-width:none}
img.orig{max-height:56px;max-width:360px;border:1px solid #ccc;margin:0}
td.img{text-align:left} .anchor td{color:#555;font-style:italic} .miss{color:#c0392b;font-weight:bold}
`;

const cerText = (x: number) => `${(x * 100).toFixed(2)}%`;
/** A confidence: 3 decimals, or 2 significant digits when tiny (an untrained reader). */
const conf = (x: number) => (x === 0 || x >= 0.001 ? x.toFixed(3) : x.toExponential(1));

/** The original image of a real line or failed read (`file`, at `page` of a PDF or TIFF), when it has one. */
async function originalImg(source: { file?: string; page?: number } | undefined): Promise<string> {
  const shown = source?.file ? await shownOriginal(source.file, source.page) : null;
  return shown
    ? `<img class="orig" alt="original" src="data:image/${shown.format};base64,${shown.bytes.toString('base64')}">`
    : '';
}

function lineImg(line: LineItem | undefined): string {
  if (!line) return '';
  const png = linePng(line.pixels, line.width, LINE_HEIGHT);
  return `<img class="line" alt="reader input" src="data:image/png;base64,${png.toString('base64')}">`;
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
        )}>${cerText(c.cer)}</td><td${miss(target ? c.exactRate < target.minExactRate : false)}>${pct(c.exactRate)}</td>${casedCell(c)}<td>${pct(
          c.fullMatchRate,
        )}</td><td>${conf(c.meanConfidence)}</td>${agreementCell(c)}<td>${
          target ? `exact &ge; ${pct(target.minExactRate, 0)}, CER &le; ${pct(target.maxCer, 0)}` : ''
        }</td><td>${anchor ? `${anchor.exactRate === null ? 'n/a' : pct(anchor.exactRate, 1)} / ${anchor.cer?.toFixed(2) ?? 'n/a'}` : ''}</td></tr>`,
      );
    }
  }
  return `<table id="results"><thead><tr><th>source</th><th>constraint</th><th>lines</th><th>CER</th><th>exact</th>${cased ? '<th>case-exact</th>' : ''}<th>full-string match</th><th>mean confidence</th><th>tfjs/onnx disagreements</th><th>issue 12 target</th><th>Tesseract 5.3: exact / CER</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table>`;
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
  return `<h3>Most frequent character errors</h3><p>truth → read in scoring form; ∅ is a missing or an extra character, ␣ a space.</p><table class="confusions" data-source="${esc(
    s.name,
  )}"><thead><tr><th>#</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
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
  return `<h3>Exact match of the most confident reads</h3><p>Reads sorted by confidence; each column keeps the most confident share (the confidence it stops at below): what refusing low-confidence reads gains.</p><table class="coverage" data-source="${esc(
    s.name,
  )}"><thead><tr><th>constraint</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
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
  return `<h3>Accepted at min_confidence</h3><p>What <code>hcr read --min-confidence</code> and <code>POST /v1/read?min_confidence=</code> would do: the share of reads accepted, and the exact match among them (the rest are sent to a person).</p><table class="min-confidence" data-source="${esc(
    s.name,
  )}"><thead><tr><th>constraint</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
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
  return `<table class="per-length" data-source="${esc(s.name)}"><thead><tr><th>truth length</th><th>lines</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

async function exampleTable(
  title: string,
  examples: readonly LineExample[],
  s: LineSourceReport,
  set: LineSet | undefined,
): Promise<string> {
  if (examples.length === 0) return `<p>${esc(title)}: none.</p>`;
  const byId = new Map(set?.lines.map((l) => [l.id, l]) ?? []);
  const constraints = s.constraints.map((c) => c.name);
  const rows: string[] = [];
  for (const e of examples) {
    const line = byId.get(e.id);
    const reads = constraints
      .map((c) => {
        const r = e.reads.find((x) => x.constraint === c)!;
        return `<td class="t${r.edits ? ' bad' : ' good'}">${esc(r.text)}</td><td>${conf(r.confidence)}</td>`;
      })
      .join('');
    rows.push(
      `<tr class="example"><td class="img">${await originalImg(line)}${line?.file ? '<br>' : ''}${lineImg(line)}<br><small>${esc(
        e.id,
      )}, ${e.width} px</small></td><td class="t">${esc(e.truth)}</td>${reads}</tr>`,
    );
  }
  const head = constraints.map((c) => `<th>${esc(c)}</th><th>conf.</th>`).join('');
  return `<h4>${esc(title)}</h4><table class="examples"><thead><tr><th>image (original, reader input)</th><th>truth</th>${head}</tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table>`;
}

async function failedTable(s: LineSourceReport, set: LineSet | undefined): Promise<string> {
  if (s.failed.count === 0) return '';
  const failed = new Map(set?.failed.map((f) => [f.id, f]) ?? []);
  const rows: string[] = [];
  for (const f of s.failed.lines.slice(0, 20))
    rows.push(
      `<tr><td class="img">${await originalImg(failed.get(f.id))}<br><small>${esc(f.id)}</small></td><td class="t">${esc(
        f.truth,
      )}</td><td>${esc(f.code)}</td><td class="t">${esc(f.message)}</td></tr>`,
    );
  return `<h4>Failed reads (${s.failed.count}: ${esc(
    Object.entries(s.failed.byCode)
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  )}; scored as empty reads)</h4><table class="failed"><thead><tr><th>image</th><th>truth</th><th>code</th><th>message</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table>`;
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
    ? `<table class="per-kind"><thead><tr><th>kind</th><th>lines</th><th>CER</th><th>exact</th></tr></thead><tbody>${Object.entries(
        s.perKind,
      )
        .map(
          ([k, v]) =>
            `<tr><td>${esc(k)}</td><td>${v.count}</td><td>${cerText(v.cer)}</td><td>${pct(v.exactRate)}</td></tr>`,
        )
        .join('')}</tbody></table>`
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
${coverage}
${narrow}
${caseNote}
<h3>Per truth length</h3>
${lengthTable(s)}
${kinds}
${figure(s.picture, pictures[s.picture], `${s.name}: exact match and CER per truth length`)}
${figure(s.samplesPicture, pictures[s.samplesPicture], `${s.name}: random reads (${s.headline})`)}
${coverageTable(s)}
${minConfidenceTable(s)}
${confusionTable(s)}
<h3>Errors (${esc(s.headline)})</h3>
${await exampleTable('Most confident errors', s.examples.mostConfident, s, set)}
${await exampleTable('Worst errors (highest line CER)', s.examples.worst, s, set)}
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
        `${pct(t.exactRate!, 1)} / ${cerText(t.cer!)}`,
        `${t.source} (${t.constraint}): exact / CER`,
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
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>hcr line reader eval: ${esc(r.model.id)}</title><style>${STYLE}${LINE_STYLE}</style></head>
<body>
<h1>Line reader <code id="model-id">${esc(r.model.id)}</code></h1>
<p class="sub">${esc(r.model.architecture)}, alphabet ${esc(r.model.alphabetId)} (${r.model.symbols} outputs); ${esc(
    r.runtimes.map((x) => x.description).join(' and '),
  )}; beam ${r.decoding.beam}${r.limit ? `; <span class="bad">first ${r.limit} lines per source only</span>` : ''}.</p>
<div class="cards" id="headline">${cards}</div>
${skipped}
<h2>Results</h2>
<p>Scoring is case-insensitive and drops characters outside the reader's alphabet from truth and read (<code>filterLineText</code>); the full-string match drops nothing${
    hasCaseExact(r.sources) ? '; case-exact (a case-sensitive reader) also respects case' : ''
  }. CER = summed edit distances / summed truth characters. A failed read (e.g. no ink found) scores as an empty read. The real dev sets are never trained on. Tesseract figures: ../shared/data/README.md (300 images of each kind, <code>--psm 7</code>), beside the constraint they compare with. Names lexicon: ${esc(
    r.decoding.lexicon.source,
  )} (${esc(r.decoding.lexicon.locales.join(', '))}; ${r.decoding.lexicon.words} words), never the dev labels.</p>
${resultsTable(r)}
${sections.join('\n')}
<h2>Model</h2>
${kv({ 'run id': r.model.id, architecture: r.model.architecture, commit: r.model.commit, created: r.model.createdAt, directory: r.model.dir })}
${r.model.ensemble ? `<p>Read as one ensemble of ${r.model.ensemble.length} readers (decodeCtcEnsemble: the texts their beams propose, scored by the geometric mean of their likelihoods): ${ensembleMembers(r.model.ensemble)}. The configuration and metrics below are the first reader's.</p>` : ''}
<h3>Training configuration</h3>
${kv(r.model.trainingConfig)}
<h3>Final training metrics</h3>
${kv(r.model.trainingMetrics)}
</body></html>
`;
}
