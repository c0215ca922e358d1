import { learningCurveSeries } from './charts/learning-curves.js';
import type { TrainingMetricsRow } from './model-files.js';
import type { EvalReport } from './report.js';
import { GENERALISATION_SOURCES } from './sources.js';

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

/** A rate's 95% interval under it, on one line: `56.5–60.8%` (nothing for a report written before intervals were). */
export function intervalHtml(i: readonly [number, number] | undefined): string {
  return i
    ? `<br><small class="ci" title="95% interval">${(i[0] * 100).toFixed(1)}&ndash;${pct(i[1], 1)}</small>`
    : '';
}

/** Every report page's viewport line (phones render at device width instead of a zoomed-out desktop page). */
export const VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">';

/**
 * A recorded number as a person reads it: integers as they are, seconds (a key ending in `seconds`, `_s` not
 * included: that is a rate) with one decimal, anything else to 4 significant digits (`0.9105`, lr `0.00003`).
 */
export function formatNumber(x: number, key = ''): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  if (/seconds$|_secs?$/i.test(key)) return x.toFixed(1);
  if (Math.abs(x) >= 1000) return x.toFixed(1);
  return String(Number(x.toPrecision(4)));
}

/** A recorded value (a number, or an object holding numbers) with its numbers formatted by `formatNumber`. */
function formatValue(key: string, v: unknown): string {
  if (typeof v === 'number') return formatNumber(v, key);
  if (v !== null && typeof v === 'object')
    return JSON.stringify(v, (k, x) => (typeof x === 'number' ? Number(formatNumber(x, k)) : x));
  return String(v);
}

export const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:24px;margin-bottom:4px} h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-top:0}
.ci{white-space:nowrap;color:#555}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px;max-width:400px}
.card .v{font-size:26px;font-weight:bold} .card .l{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f4f6f8}
td:first-child,th:first-child{text-align:left}
#confusions td:first-child{white-space:nowrap}
table.sortable th{padding:0}
table.sortable th button{font:inherit;font-weight:bold;color:inherit;background:none;border:0;padding:3px 8px;width:100%;text-align:inherit;cursor:pointer}
table.sortable th button:after{content:" \\2195";color:#aaa}
table.sortable th[aria-sort=ascending] button:after{content:" \\25B2";color:#222}
table.sortable th[aria-sort=descending] button:after{content:" \\25BC";color:#222}
table.sortable th button:focus-visible{outline:2px solid #2c7bb6;outline-offset:-2px}
img{max-width:100%;border:1px solid #eee;margin:6px 0}
div.scroll{overflow-x:auto;max-width:100%}
table.kv td:last-child{text-align:left;overflow-wrap:anywhere}
h1,p code{overflow-wrap:anywhere}
figure{margin:12px 0} figcaption{color:#555;font-size:13px}
code{background:#f4f6f8;padding:1px 4px;border-radius:3px}
.bad{color:#c0392b} .good{color:#1a7f37}
`;

/**
 * Sorting of `table.sortable`: each header is a button (keyboard and screen readers reach it), and the sorted
 * column says its order in `aria-sort`.
 */
export const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function(table){
  var heads = table.querySelectorAll('th');
  heads.forEach(function(th, col){
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      heads.forEach(function(h){ h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      rows.sort(function(a, b){
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function(r){ body.appendChild(r); });
    });
  });
});
`;

/**
 * The header row of a sortable table: a button in each th (the sort script answers it), the first column marked
 * as the order the rows start in.
 */
export function sortableHead(labels: readonly string[]): string {
  return `<thead><tr>${labels
    .map(
      (label, i) =>
        `<th${i === 0 ? ' aria-sort="ascending"' : ''}><button type="button">${esc(label)}</button></th>`,
    )
    .join('')}</tr></thead>`;
}

export function card(id: string, value: string, label: string): string {
  return `<div class="card"><div class="v" id="${esc(id)}">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

/**
 * A picture with its caption; `alt` describes what it shows for someone who cannot see it (what is drawn, on what,
 * and what it says), not the caption again.
 */
export function figure(
  name: string | undefined,
  png: Buffer | undefined,
  caption: string,
  alt: string = caption,
): string {
  if (!name || !png) return '';
  // embedded as a data: URI so the page is self-contained; the PNG file next to it is the same picture, linked by
  // its name as one URI segment (a reader's source is named after its folder: `lines-set#2.png` is not a fragment)
  return `<figure><img src="data:image/png;base64,${png.toString('base64')}" alt="${esc(alt)}" data-file="${esc(
    name,
  )}"><figcaption>${esc(caption)} (<a href="${esc(encodeURIComponent(name))}">${esc(name)}</a>)</figcaption></figure>`;
}

/**
 * A table in its sideways-scrolling box (`div.scroll`): on a narrow screen the table scrolls, not the page. Every
 * table of the report pages goes through it.
 */
export const scrolling = (table: string): string => `<div class="scroll">${table}</div>`;

/** Keys and values, one row each; a long value (a hash, a JSON object) wraps inside its cell, left aligned. */
export function kv(obj: Record<string, unknown>): string {
  const rows = Object.entries(obj).map(
    ([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(formatValue(k, v))}</td></tr>`,
  );
  return rows.length ? scrolling(`<table class="kv">${rows.join('')}</table>`) : '<p>(none recorded)</p>';
}

/**
 * The ECE card: the test split's ECE is pooled over its sources, where one source's over-confidence and another's
 * under-confidence cancel, so it can be lower than every source's own; the card says so and gives the range of the
 * per-source ECEs (every source, the generalisation set included; each named in the Calibration section).
 */
function eceCard(r: EvalReport): string {
  const per = Object.values(r.sources)
    .map((s) => s!.ece)
    .sort((a, b) => a - b);
  const range = per.length > 1 ? `; per source ${pct(per[0]!)} to ${pct(per.at(-1)!)}` : '';
  return card(
    'ece',
    pct(r.calibration.ece),
    `expected calibration error, pooled over the test split${range} (pooled, over- and under-confidence cancel)`,
  );
}

/**
 * Each picture's alt text: what it draws and what it says, from the report's own figures (so a screen reader
 * hears the content, not the caption twice). Deterministic, like the rest of the page.
 */
export function pictureAlts(r: EvalReport, training: readonly TrainingMetricsRow[]): Record<string, string> {
  const k = r.classNames.length;
  const n = r.overall.count;
  const top = r.overall.topConfusions[0];
  const scored = r.perClass.filter((c) => c.support > 0);
  const byF1 = [...scored].sort((a, b) => a.f1 - b.f1 || a.class.localeCompare(b.class));
  const byRecall = [...scored].sort((a, b) => a.recall - b.recall || a.class.localeCompare(b.class));
  // the most frequent directed confusions (true -> predicted), as mistakes.png rows them
  const directed: { t: number; p: number; n: number }[] = [];
  r.confusion.forEach((row, t) => {
    row.forEach((count, p) => {
      if (t !== p && count > 0) directed.push({ t, p, n: count });
    });
  });
  directed.sort((x, y) => y.n - x.n || x.t - y.t || x.p - y.p);
  const rows = directed.slice(0, 6);
  const sources = Object.entries(r.sources);
  const last = training.at(-1);
  const series = learningCurveSeries(r.model.trainingConfig);
  const num = (x: number | undefined) => (x === undefined ? 'not recorded' : formatNumber(x));
  return {
    confusion: `Confusion matrix of the ${k} classes on the test split (${n} images): one row per true class, one column per predicted class, each cell's count on a log colour scale; ${pct(
      r.overall.accuracy,
    )} of the images lie on the diagonal (read right)${top ? `, and the most frequent confusion is ${top.pair} (${top.total} errors)` : ''}.`,
    confusionNormalised: `Row-normalised confusion matrix of the ${k} classes on the test split: each row gives, in percent, what the images of one true class were read as, so the diagonal is each class's recall${
      byRecall[0] ? ` (lowest: ${byRecall[0].class}, ${pct(byRecall[0].recall, 1)})` : ''
    }.`,
    mistakes: rows.length
      ? `Test images the model got wrong, one row per frequent confusion, most confident mistake first, each with its prediction and confidence: ${rows
          .map((x) => `true ${r.classNames[x.t]} read as ${r.classNames[x.p]} (${x.n})`)
          .join(', ')}.`
      : 'No test image was read wrong: there are no mistakes to show.',
    predictions: `A grid of ${Math.min(60, n)} random test images, each framed green when read right and red when wrong, with the prediction, its confidence and the true class.`,
    classF1: `Bar chart of the F1 score of each of the ${k} classes on the test split${
      byF1.length
        ? `, from ${byF1[0]!.class} (${byF1[0]!.f1.toFixed(2)}) to ${byF1.at(-1)!.class} (${byF1.at(-1)!.f1.toFixed(2)})`
        : ''
    }; macro-F1 ${r.overall.macroF1.toFixed(4)}.`,
    reliability: `Reliability diagrams, one per source (${sources.map(([name]) => name).join(', ')}): accuracy against confidence in ${r.calibration.bins} confidence bins${
      r.calibration.applied ? " after the model's calibration, the raw model as a grey line" : ''
    }, with how many images fall in each bin under it; expected calibration error ${sources
      .map(([name, g]) => `${name} ${pct(g!.ece)}`)
      .join(', ')}.`,
    learningCurves: `Line charts of loss (left) and accuracy (right) over ${training.length} epochs: blue ${series.train}, orange ${series.validation}; at the last epoch train loss ${num(
      last?.train_loss,
    )} and validation loss ${num(last?.val_loss)}, train accuracy ${num(last?.train_acc)} and validation accuracy ${num(last?.val_acc)}.`,
  };
}

/**
 * What the learning curves compare: the train series is the mean over each epoch's training batches under the
 * training settings (augmentation, label smoothing, logit adjustment, dropout: whichever the run used), validation
 * the model after the epoch on clean images. Said beside the picture, so a train loss above the validation loss is
 * not read as a model that generalises better than it fits.
 */
export function learningCurvesNote(config: Record<string, unknown>): string {
  const { train, validation, settings } = learningCurveSeries(config);
  const why = [
    ...settings.map((x) => x.why),
    "the epoch mean includes the epoch's first batches, before the weights improved",
  ];
  return `<p id="learning-curves-note">The two series are not measured alike. Blue, <b>${esc(train)}</b>: what the optimiser saw while it trained. Orange, <b>${esc(
    validation,
  )}</b>: the model at the end of each epoch. The train loss sits above the validation loss by construction: ${esc(
    why.join('; '),
  )}. That gap is not the model doing better on images it never trained on; compare validation with validation (between epochs or runs), and the test figures above for the model itself.</p>`;
}

/**
 * index.html of a report: headline numbers, every picture (embedded), the sortable per-class table and how
 * the model was trained. Opens offline from disk: no external scripts, styles, fonts or images.
 * Holds no timing, so the same model and data give a byte-identical page.
 */
export function renderIndexHtml(
  r: EvalReport,
  pictures: Record<string, Buffer>,
  training: readonly TrainingMetricsRow[],
): string {
  const alts = pictureAlts(r, training);
  const pic = (key: keyof EvalReport['pictures'] & string, caption: string) =>
    figure(r.pictures[key], r.pictures[key] ? pictures[r.pictures[key]!] : undefined, caption, alts[key]);
  const sourceRows = [
    ...Object.entries(r.sources).map(([name, s]) => ({ name, s: s! })),
    { name: `overall (test split: ${r.overall.sources.join(' + ')})`, s: r.overall },
  ];
  const letters = r.sources[r.data.letterSource as keyof typeof r.sources];
  const mnist = r.sources.mnist;
  const extraName = GENERALISATION_SOURCES.find((s) => r.sources[s]);
  const extra = extraName && r.sources[extraName];

  const k = r.classNames.length;
  const headline = [
    card('acc-overall', pct(r.overall.accuracy), `test accuracy, ${k}-way`),
    mnist ? card('acc-mnist', pct(mnist.ownClassAccuracy), 'MNIST, digits-only argmax (10-class)') : '',
    letters
      ? card(
          'acc-letters',
          pct(letters.ownClassAccuracy),
          `${r.data.letterSource}, letters-only argmax (${k - 10}-class)`,
        )
      : '',
    extra ? card('acc-extra', pct(extra.accuracy), `${extraName} (never trained on), ${k}-way`) : '',
    card('macro-f1', r.overall.macroF1.toFixed(4), 'macro-F1, test split'),
    eceCard(r),
    card('twin-share', pct(r.twins.share, 1), 'of test errors are digit/letter twins'),
  ].join('');

  const sourceTable = `<table id="sources"><thead><tr><th>source</th><th>images</th><th>accuracy (${k}-way)</th><th>top-3</th><th>own-class accuracy</th><th>macro-F1</th><th>ECE</th><th>errors</th><th>twin share of errors</th></tr></thead><tbody>${sourceRows
    .map(
      ({ name, s }) =>
        `<tr><td>${esc(name)}</td><td>${s.count}</td><td>${pct(s.accuracy)}${intervalHtml(s.accuracyInterval)}</td><td>${pct(s.top3Accuracy)}</td><td>${pct(
          s.ownClassAccuracy,
        )} (${esc(s.ownClasses)})</td><td>${s.macroF1.toFixed(4)}</td><td>${pct(s.ece)}</td><td>${s.errors}</td><td>${pct(
          s.twinErrorShare,
          1,
        )}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const classTable = `<table id="per-class" class="sortable">${sortableHead(['class', 'precision', 'recall', 'F1', 'support'])}<tbody>${r.perClass
    .map(
      (c, i) =>
        `<tr><td data-v="${i}">${esc(c.class)}</td><td data-v="${c.precision}">${c.precision.toFixed(4)}</td><td data-v="${
          c.recall
        }">${c.recall.toFixed(4)}</td><td data-v="${c.f1}">${c.f1.toFixed(4)}</td><td data-v="${c.support}">${c.support}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const confusionTable = `<table id="confusions"><thead><tr><th>pair</th><th>a as b</th><th>b as a</th><th>total</th><th>share of errors</th><th>digit/letter twin</th></tr></thead><tbody>${r.overall.topConfusions
    .map(
      (c) =>
        `<tr><td>${esc(c.pair)}</td><td>${c.aAsB}</td><td>${c.bAsA}</td><td>${c.total}</td><td>${pct(c.errorShare, 1)}</td><td>${
          c.twin ? 'yes' : ''
        }</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const agreement = r.agreement
    ? `<h2>Runtimes</h2><p id="agreement" class="${r.agreement.agree ? 'good' : 'bad'}">${esc(r.agreement.runtimes.join(' vs '))}: same prediction on ${pct(
        r.agreement.samePredictionShare,
        3,
      )} of ${r.agreement.images} images; test accuracy differs by ${r.agreement.accuracyDeltaPoints.toFixed(4)} points; largest probability difference ${esc(
        r.agreement.maxAbsProbabilityDiff,
      )}. ${r.agreement.agree ? 'They agree (>= 99.99% and <= 0.01 points).' : 'They DO NOT agree to the required 99.99% / 0.01 points.'}</p>`
    : '';

  const trainingTable = training.length
    ? `<table id="training-epochs"><thead><tr><th>epoch</th><th>train loss (epoch mean)</th><th>train acc (epoch mean)</th><th>val loss (clean)</th><th>val acc (clean)</th><th>lr</th></tr></thead><tbody>${training
        .map(
          (t) =>
            `<tr><td>${t.epoch}</td><td>${t.train_loss?.toFixed(4) ?? ''}</td><td>${t.train_acc !== undefined ? pct(t.train_acc) : ''}</td><td>${
              t.val_loss?.toFixed(4) ?? ''
            }</td><td>${t.val_acc !== undefined ? pct(t.val_acc) : ''}</td><td>${t.lr === undefined ? '' : formatNumber(t.lr)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>The run has no metrics.jsonl, so there are no learning curves.</p>';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${VIEWPORT}
<title>hcr eval: ${esc(r.model.id)}</title><style>${STYLE}</style></head>
<body>
<h1>Evaluation of <code id="model-id">${esc(r.model.id)}</code></h1>
<p class="sub">${esc(r.model.architecture)} model, ${esc(r.runtimes.map((x) => x.description).join(' and '))}; data manifest <code id="manifest">${esc(
    r.data.manifestSha256.slice(0, 16),
  )}</code>${r.data.matchesTraining ? '' : ' <span class="bad">(not the dataset the model was trained on)</span>'}; letters from ${esc(
    r.data.letterSource,
  )}${r.data.sample ? `; <span class="bad">sample of ${r.data.sample} images per split</span>` : ''}.</p>
<div class="cards" id="headline">${headline}</div>

<h2>Per source</h2>
<p>Own-class accuracy restricts the argmax to the source's classes (digits for MNIST and the EMNIST digits sets, letters for EMNIST letters): the number comparable with 10-class and 26-class results. The generalisation set (${extraName ?? 'EMNIST digits'}) is never trained on and is not part of "overall".</p>
${scrolling(sourceTable)}

<h2>Confusions</h2>
<p>${r.twins.errors} of ${r.twins.totalErrors} test errors (${pct(r.twins.share, 1)}) fall between the named digit/letter twins (${esc(
    r.twins.pairs.map(([a, b]) => `${a}/${b}`).join(', '),
  )}; defined once in @hcr/core <code>DIGIT_LETTER_TWINS</code>).</p>
${scrolling(confusionTable)}
${pic('confusion', 'Confusion matrix, counts')}
${pic('confusionNormalised', 'Confusion matrix, row-normalised')}
${pic('mistakes', 'Most confident mistakes of the most frequent confusions')}
${pic('predictions', 'Random test predictions')}

${caseSection(r)}
<h2>Per class</h2>
<p>Sort by a column with its header button (click, or Enter / Space).</p>
${scrolling(classTable)}
${pic('classF1', 'F1 per class')}

<h2>Calibration</h2>
<p>Expected calibration error over ${r.calibration.bins} equal-width confidence bins: ${pct(r.calibration.ece)} pooled over the test split (per source: ${esc(
    Object.entries(r.sources)
      .map(([name, s]) => `${name} ${pct(s!.ece)}`)
      .join(', '),
  )}; pooled, one source's over-confidence and another's under-confidence cancel)${
    r.calibration.applied
      ? `, with the model's calibration (answer-kind temperatures ${esc(
          Object.entries(r.calibration.applied.temperatures)
            .map(([kind, t]) => `${kind} ${t}`)
            .join(', '),
        )}, fitted on ${esc(r.calibration.applied.fittedOn)}); the raw model: ${pct(r.calibration.uncalibrated.ece)} (${esc(
          Object.entries(r.calibration.uncalibrated.sources)
            .map(([s, e]) => `${s} ${pct(e ?? 0)}`)
            .join(', '),
        )})`
      : ' (the model has no calibration: run `hcr calibrate`)'
  }.</p>
${pic('reliability', 'Reliability diagram')}
${agreement}
<h2>How the model was trained</h2>
${kv({
  architecture: r.model.architecture,
  'run id': r.model.id,
  'run uid': r.model.uid ?? '(not recorded)',
  'weights sha256 (weights.bin)': r.model.weightsSha256 ?? '(none)',
  'ONNX sha256': r.model.onnxSha256 ?? '(no ONNX runtime ran)',
  commit: r.model.commit,
  created: r.model.createdAt,
  'training engine': r.model.trainingEngine,
  'trained on data manifest': r.model.trainedOnManifestSha256,
  'character normalisation': r.data.characterNormalisation,
})}
<h3>Training configuration</h3>
${kv(r.model.trainingConfig)}
<h3>Final training metrics</h3>
${kv(r.model.trainingMetrics)}
${pic('learningCurves', 'Learning curves: loss (left) and accuracy (right) per epoch, train in blue, validation in orange')}
${training.length ? learningCurvesNote(r.model.trainingConfig) : ''}
${training.length ? scrolling(trainingTable) : trainingTable}
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}

/** Case-sensitive models: folded accuracies (comparable with smaller label spaces), each case alone, case twins. */
function caseSection(r: EvalReport): string {
  const c = r.caseSensitive;
  if (!c) return '';
  const k = r.classNames.length;
  const sourceNames = [...new Set(c.folded.flatMap((f) => Object.keys(f.sources)))];
  const folded = `<table id="folded"><thead><tr><th>label space</th><th>test split</th>${sourceNames
    .map((n) => `<th>${esc(n)}</th><th>${esc(n)}, own classes</th>`)
    .join('')}</tr></thead><tbody>${c.folded
    .map(
      (f) =>
        `<tr><td>${esc(f.labelSpace)} (${f.classes}-way)</td><td>${pct(f.accuracy)}</td>${sourceNames
          .map((n) => {
            const s = f.sources[n as keyof typeof f.sources];
            return s
              ? `<td>${pct(s.accuracy)}</td><td>${pct(s.ownClassAccuracy)}</td>`
              : '<td></td><td></td>';
          })
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  const groups = `<table id="by-case"><thead><tr><th>true class</th><th>images</th><th>${k}-way</th><th>argmax restricted to that case</th><th>as served (<code>classes=</code> that case)</th><th>case ignored</th><th>right letter, wrong case</th></tr></thead><tbody>${(
    [
      ['lowercase', c.lower],
      ['uppercase', c.upper],
    ] as const
  )
    .map(
      ([name, g]) =>
        `<tr><td>${name}</td><td>${g.count}</td><td>${pct(g.accuracy)}</td><td>${pct(g.restrictedAccuracy)}</td><td>${pct(g.servedAccuracy)}</td><td>${pct(
          g.caseFoldedAccuracy,
        )}</td><td>${g.wrongCaseOnly}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  const twins = `<table id="case-twins" class="sortable">${sortableHead([
    'pair',
    'lowercase images',
    'capital images',
    'lower read as capital',
    'capital read as lower',
    'confusion rate',
    'same shape (EMNIST Balanced merges it)',
  ])}<tbody>${c.caseTwins
    .map(
      (t) =>
        `<tr><td data-v="${esc(t.letter)}">${esc(t.letter.toLowerCase())}/${esc(t.letter)}</td><td data-v="${t.lowerCount}">${t.lowerCount}</td><td data-v="${t.upperCount}">${t.upperCount}</td><td data-v="${t.lowerAsUpper}">${t.lowerAsUpper}</td><td data-v="${t.upperAsLower}">${t.upperAsLower}</td><td data-v="${t.confusionRate}">${pct(
          t.confusionRate,
          1,
        )}</td><td data-v="${t.sameShape ? 1 : 0}">${t.sameShape ? 'yes' : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  return `<h2>Case</h2>
<p>The ${k}-class model's probabilities summed over the classes each narrower label space merges: the 36-way row is comparable with a 36-class model on the same images.</p>
${scrolling(folded)}
<p>Each case alone (test split). "Restricted" allows only that case's letters to answer and leaves the other case's probability out; "as served" is what <code>classes=lowercase</code> / <code>classes=uppercase</code> answer: the letters written alike in both cases (c/C, o/O, s/S, ...) and the digit/letter twins give the allowed letter their probability first, which ranks the confident answers better for a few tenths of a point of best guesses.</p>
${scrolling(groups)}
<h3>Case twins</h3>
<p>${c.caseTwinErrors.errors} of ${c.caseTwinErrors.totalErrors} test errors (${pct(c.caseTwinErrors.share, 1)}) only got the case wrong. A single character has no line to show its size, so letters whose capital has the same shape are read by the prior, not by the shape; beside the digit/letter twins above, these are the limits of one character.</p>
${scrolling(twins)}`;
}
