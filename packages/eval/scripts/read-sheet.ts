/**
 * A picture of real fields and what the reader read from them (the README's "what hcr reads" figure):
 * for each real dev set, a seeded sample of crops, each shown as the original scan beside its truth and the
 * reader's answer under the field's character class (names: letters, amounts: digits), green when exact.
 *
 *   pnpm --filter @hcr/eval read-sheet [run] [out.png] [perSet]
 *   (default: reader-pipeline, docs/reader-real-fields.png, 8)
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createRng, shuffleInPlace } from '@hcr/core';
import { decodeCtc } from '@hcr/decode';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import {
  constraintsFor,
  DEV_SETS,
  type DevSetName,
  findDevSet,
  loadDevSet,
  onnxLineRuntime,
  readerAlphabet,
  readLines,
  resolveModelRun,
  scoringText,
} from '../src/index.js';

const [runArg = 'reader-pipeline', outArg = 'docs/reader-real-fields.png', perSetArg = '8'] =
  process.argv.slice(2);
const root = resolve(import.meta.dirname, '../../..');
const run = await resolveModelRun(runArg, resolve(root, 'artifacts/model'));
const alphabet = readerAlphabet(run);
const runtime = await onnxLineRuntime(run);
const perSet = Number(perSetArg);

interface Row {
  file: string;
  truth: string;
  read: string;
  confidence: number;
  constraint: string;
}
const rows: Row[] = [];
for (const name of Object.keys(DEV_SETS) as DevSetName[]) {
  const { dir } = findDevSet(name);
  if (!dir) throw new Error(`${name} not found: set HCR_DATA_DIR (e.g. ../shared/data)`);
  const set = await loadDevSet(dir, name, DEV_SETS[name].field);
  const pick = shuffleInPlace(
    set.lines.map((_, i) => i),
    createRng(7),
  ).slice(0, perSet);
  const lines = pick.map((i) => set.lines[i]!);
  const out = await readLines(runtime, lines, {
    normalisation: run.metadata.inputNormalisation,
    symbols: alphabet.size,
  });
  const constraint = constraintsFor(set.field, alphabet)[1]!;
  lines.forEach((line, k) => {
    const r = decodeCtc(out.probs[k]!, out.probs[k]!.length / alphabet.size, alphabet, {
      ...constraint.options,
      beam: 8,
    });
    rows.push({
      file: line.file!,
      truth: line.truth,
      read: r.text,
      confidence: r.confidence,
      constraint: constraint.name,
    });
  });
}

const rowH = 58;
const width = 900;
const canvas = createCanvas(width, 40 + rows.length * rowH);
const ctx = canvas.getContext('2d');
ctx.fillStyle = '#fff';
ctx.fillRect(0, 0, canvas.width, canvas.height);
ctx.fillStyle = '#222';
ctx.font = 'bold 16px DejaVu Sans, sans-serif';
ctx.fillText(`Real fields (never trained on) and what ${run.metadata.id} read`, 10, 26);
for (const [i, row] of rows.entries()) {
  const y = 40 + i * rowH;
  const img = await loadImage(row.file);
  const scale = Math.min(420 / img.width, (rowH - 8) / img.height);
  ctx.drawImage(img, 10, y + 4, img.width * scale, img.height * scale);
  const exact = scoringText(row.truth, alphabet) === scoringText(row.read, alphabet);
  ctx.font = '15px DejaVu Sans Mono, monospace';
  ctx.fillStyle = '#555';
  ctx.fillText(`truth ${row.truth}`, 450, y + 22);
  ctx.fillStyle = exact ? '#137333' : '#c5221f';
  ctx.fillText(`read  ${row.read || '(nothing)'}`, 450, y + 44);
  ctx.fillStyle = '#777';
  ctx.font = '12px DejaVu Sans, sans-serif';
  ctx.fillText(`${row.constraint}, confidence ${(row.confidence * 100).toFixed(1)}%`, 680, y + 44);
}
await writeFile(resolve(root, outArg), canvas.toBuffer('image/png'));
process.stdout.write(`wrote ${outArg}: ${rows.length} fields\n`);
