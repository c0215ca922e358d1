/**
 * What the synthetic line target asks: the character model given every glyph of the synthetic test lines cut
 * perfectly (the 28x28 images the lines were drawn from: no clutter, no neighbours, marks and spaces counted
 * right for free), beside what the reader read from the rendered lines (its `hcr eval` report). A line is
 * "right" when every one of its glyphs is; "field" restricts each glyph to its line's field class (digits for
 * amounts, numbers and dates; letters for names and words; all 36 for codes and mixed lines).
 *
 *   pnpm bench glyph-oracle [--lines artifacts/data/lines] [--model pipeline] [--report reader-pipeline]
 *
 * Needs the raw glyph files (HCR_DATA_DIR or ../shared/data) and the character model's model.onnx.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GLYPH_PIXELS,
  GLYPH_SIDE,
  lineText,
  loadGlyphBank,
  locateGlyphFiles,
  openLineDataset,
} from '@hcr/data';
import { normaliseCharacter } from '@hcr/image';
import { constraintsFor, onnxPredictor, predictAll, resolveModelRun } from '../src/index.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const linesDir = resolve(ROOT, arg('lines', 'artifacts/data/lines'));
const run = await resolveModelRun(arg('model', 'pipeline'), join(ROOT, 'artifacts/model'));
const reportFile = join(ROOT, 'artifacts/reports', arg('report', 'reader-pipeline'), 'lines.json');
const dataDir = process.env.HCR_DATA_DIR ?? join(ROOT, '../shared/data');

const dataset = await openLineDataset(linesDir);
const test = await dataset.loadSplit('test');
const bank = await loadGlyphBank((await locateGlyphFiles({ dataDir })).files);

// every glyph of every test line, in line order, with its character and the line's kind
const glyphs: { ch: string; line: number }[] = [];
const ids: number[] = [];
for (let i = 0; i < test.count; i++) {
  const text = [...lineText(test, i, dataset.alphabet)];
  for (const [k, ch] of text.entries()) {
    const g = test.glyphIds[test.labelOffsets[i]! + k]!;
    if (g < 0) continue;
    glyphs.push({ ch: ch.toUpperCase(), line: i });
    ids.push(g);
  }
}
// as the character model saw its training images: canonical normalisation when its shards had it
const canonical = run.metadata.characterNormalisation === 'canonical';
const pixels = new Uint8Array(ids.length * GLYPH_PIXELS);
ids.forEach((g, k) => {
  const glyph = bank.images.subarray(g * GLYPH_PIXELS, (g + 1) * GLYPH_PIXELS);
  const at = pixels.subarray(k * GLYPH_PIXELS, (k + 1) * GLYPH_PIXELS);
  if (canonical) normaliseCharacter(glyph, GLYPH_SIDE, GLYPH_SIDE, undefined, at);
  else at.set(glyph);
});

const names = run.metadata.classNames;
const C = names.length;
const predictor = await onnxPredictor(run);
const probs = await predictAll(
  predictor,
  { pixels, count: ids.length, imageShape: [GLYPH_SIDE, GLYPH_SIDE, 1] },
  run.metadata.inputNormalisation,
  C,
);
await predictor.dispose();

// each kind's field class, as `hcr eval` reads the synthetic lines (its `field` constraint): a glyph may only be
// read as a character of that class (marks and spaces are no glyphs); codes and mixed lines take all 36
const field = constraintsFor('mixed', dataset.alphabet).find((c) => c.name === 'field')!;
const all = () => true;
const fieldClass = new Map<string, (c: string) => boolean>();
const allowedFor = (kind: string) => {
  let keep = fieldClass.get(kind);
  if (!keep) {
    const cls = field.optionsFor?.(kind).classes;
    const chars = cls && typeof cls === 'object' && 'chars' in cls ? new Set(cls.chars) : undefined;
    keep = chars ? (c: string) => chars.has(c) : all;
    fieldClass.set(kind, keep);
  }
  return keep;
};
const argmax = (row: Float32Array, keep: (c: string) => boolean) => {
  let best = -1;
  for (let c = 0; c < C; c++) if (keep(names[c]!) && (best < 0 || row[c]! > row[best]!)) best = c;
  return names[best]!;
};

type Tally = {
  lines: number;
  linesRight: number;
  linesRightField: number;
  glyphs: number;
  right: number;
  rightField: number;
};
const tally = () => ({ lines: 0, linesRight: 0, linesRightField: 0, glyphs: 0, right: 0, rightField: 0 });
const total: Tally = tally();
const perKind = new Map<string, Tally>();
const lineOk = new Uint8Array(test.count).fill(1);
const lineOkField = new Uint8Array(test.count).fill(1);
glyphs.forEach(({ ch, line }, k) => {
  const kind = dataset.manifest.kinds[test.kinds[line]!]!;
  const row = probs.subarray(k * C, (k + 1) * C);
  const ok = argmax(row, all) === ch;
  const okField = argmax(row, allowedFor(kind)) === ch;
  for (const t of [total, perKind.get(kind) ?? perKind.set(kind, tally()).get(kind)!]) {
    t.glyphs++;
    t.right += ok ? 1 : 0;
    t.rightField += okField ? 1 : 0;
  }
  if (!ok) lineOk[line] = 0;
  if (!okField) lineOkField[line] = 0;
});
for (let i = 0; i < test.count; i++) {
  const kind = dataset.manifest.kinds[test.kinds[i]!]!;
  for (const t of [total, perKind.get(kind) ?? perKind.set(kind, tally()).get(kind)!]) {
    t.lines++;
    t.linesRight += lineOk[i]!;
    t.linesRightField += lineOkField[i]!;
  }
}

// the reader's figures on the same lines, from its report (exact match: none overall and per kind, field overall)
interface Constraint {
  name: string;
  exactRate: number;
  cer: number;
}
interface Source {
  name: string;
  dir: string;
  count: number;
  constraints: Constraint[];
  perKind?: Record<string, { exactRate: number }>;
}
let reader: Source | undefined;
try {
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as { sources: Source[] };
  const s = report.sources.find((x) => x.name === 'synthetic-test');
  if (s && resolve(s.dir) === linesDir && s.count === test.count) reader = s;
  else console.log(`(${reportFile} read other synthetic lines: reader column left out)`);
} catch {
  console.log(`(no reader report at ${reportFile}: reader column left out; run hcr eval first)`);
}

const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`.padStart(7);
const readerExact = (constraint: string) => {
  const c = reader?.constraints.find((x) => x.name === constraint);
  return c ? `${(100 * c.exactRate).toFixed(1)}%`.padStart(7) : '      -';
};
console.log(
  `synthetic test lines ${linesDir} (${test.count} lines, ${glyphs.length} glyphs); character model ${run.id} (${predictor.description}); load ${loadavg()[0]!.toFixed(2)}`,
);
console.log(
  'kind      lines   glyphs right (36 / field)   lines all right (36 / field)   reader exact (none / field)',
);
const row = (name: string, t: Tally, none: string, field: string) =>
  console.log(
    `${name.padEnd(8)} ${String(t.lines).padStart(6)}   ${pct(t.right, t.glyphs)} / ${pct(t.rightField, t.glyphs)}          ${pct(t.linesRight, t.lines)} / ${pct(t.linesRightField, t.lines)}             ${none} / ${field}`,
  );
row('all', total, readerExact('none'), readerExact('field'));
for (const [kind, t] of [...perKind].sort((a, b) => b[1].lines - a[1].lines)) {
  const r = reader?.perKind?.[kind];
  row(kind, t, r ? `${(100 * r.exactRate).toFixed(1)}%`.padStart(7) : '      -', '      -');
}
