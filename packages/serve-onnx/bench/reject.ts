/**
 * How well the recogniser refuses what is not one character, and what that costs on real ones.
 * Negatives: generateNegatives of @hcr/data (noise, blank paper, handwritten words and multi-character
 * crops built from test-split glyphs, printed text), deterministic for --seed. Positives: random test-split
 * and EMNIST-digits characters rendered as phone-photo-like JPEGs (the product path), and every test image
 * as 28x28 pixels. Prints the false-accept rate at the default min_confidence and the accuracy kept.
 *
 *   pnpm bench reject [--model file.onnx] [--seed 1] [--per-kind 200] [--photos 1000] [--json]
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hcr/core';
import { generateNegatives, NEGATIVE_KINDS, openDataset } from '@hcr/data';
import sharp from 'sharp';
import { createRecognizer, DEFAULT_MIN_CONFIDENCE, type Prediction, type Recognizer } from '../src/index.js';
import { asPhoto } from './photo-accuracy.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const THRESHOLDS = [0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** The prediction at min_confidence 0 (so one run serves every threshold) and its truth. */
interface Scored {
  group: string;
  label: number;
  p: Prediction;
}

async function judge(rec: Recognizer, bytes: Uint8Array): Promise<Prediction> {
  const prepared = await rec.prepare(bytes);
  return rec.rank(await rec.infer([prepared.pixels]), 0, { minConfidence: 0, prepared, topK: 1 });
}

/** Accepted at threshold t: one character by its layout and confident enough. */
const accepted = (p: Prediction, t: number) => p.verdict === 'accepted' && p.confidence >= t;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function main() {
  const model = resolve(ROOT, arg('model', 'artifacts/model/pipeline/model.onnx'));
  const seed = Number(arg('seed', '1'));
  const perKind = Number(arg('per-kind', '200'));
  const photos = Number(arg('photos', '1000'));
  if (![seed, perKind, photos].every((n) => Number.isInteger(n) && n >= 0)) {
    process.stderr.write('--seed, --per-kind and --photos take whole numbers >= 0 (e.g. --seed 2).\n');
    process.exit(1);
  }
  const json = process.argv.includes('--json');
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const rec = await createRecognizer({ model });
  const ds = await openDataset(resolve(ROOT, arg('data', 'artifacts/data/shards')));
  const test = await ds.loadSplit('test');
  const extra = await ds.loadSplit('extra');
  const scored: Scored[] = [];

  const negatives = generateNegatives(seed, perKind, {
    pixels: test.pixels,
    labels: test.labels,
    count: test.count,
    classNames: rec.info.classNames,
  });
  for (const g of negatives) {
    const png = await sharp(Buffer.from(g.grey), { raw: { width: g.width, height: g.height, channels: 1 } })
      .png()
      .toBuffer();
    scored.push({ group: `negative:${g.kind}`, label: -1, p: await judge(rec, png) });
  }
  const rng = createRng(seed + 1000);
  for (const [name, d, n] of [
    ['test', test, photos],
    ['extra', extra, Math.round(photos / 2)],
  ] as const)
    for (let k = 0; k < n; k++) {
      const i = rng.int(d.count);
      const jpg = await asPhoto(d.pixels.subarray(i * 784, (i + 1) * 784), rng);
      scored.push({ group: `photo:${name}`, label: d.labels[i]!, p: await judge(rec, jpg) });
    }
  // every test image as 28x28 pixels: the confidence threshold alone (arrays skip the layout checks)
  const probs = await rec.infer(
    Array.from({ length: test.count }, (_, i) => test.pixels.subarray(i * 784, (i + 1) * 784)),
  );
  const pixels: Scored[] = Array.from({ length: test.count }, (_, i) => ({
    group: 'pixels:test',
    label: test.labels[i]!,
    p: rec.rank(probs, i, { minConfidence: 0, topK: 1 }),
  }));
  await rec.close();

  const negativesAll = scored.filter((s) => s.label < 0);
  const falseAccept = (t: number, rows = negativesAll) =>
    rows.filter((s) => accepted(s.p, t)).length / rows.length;
  const kept = (rows: Scored[], t: number) => {
    const acc = rows.filter((s) => accepted(s.p, t));
    const right = acc.filter((s) => s.p.classIndex === s.label).length;
    return {
      images: rows.length,
      accuracyAll: rows.filter((s) => s.p.classIndex === s.label).length / rows.length,
      accepted: acc.length / rows.length,
      accuracyOnAccepted: acc.length ? right / acc.length : 0,
      rightAnswersKept: right / rows.length,
    };
  };
  const positives = scored.filter((s) => s.label >= 0);
  const sweep = THRESHOLDS.map((t) => ({
    minConfidence: t,
    falseAcceptRate: falseAccept(t),
    photos: kept(positives, t),
    pixels: kept(pixels, t),
  }));
  const t = DEFAULT_MIN_CONFIDENCE;
  const verdicts: Record<string, Record<string, number>> = {};
  for (const s of negativesAll) {
    const kind = s.group.split(':')[1]!;
    const v = accepted(s.p, t) ? 'accepted' : s.p.verdict === 'accepted' ? 'not-confident' : s.p.verdict;
    verdicts[kind] ??= {};
    verdicts[kind]![v] = (verdicts[kind]![v] ?? 0) + 1;
  }
  const result = {
    model: rec.info.id,
    calibrated: Boolean(rec.info.calibration),
    seed,
    negatives: negativesAll.length,
    defaultMinConfidence: t,
    falseAcceptRate: falseAccept(t),
    falseAcceptByKind: Object.fromEntries(
      NEGATIVE_KINDS.map((k) => [
        k,
        falseAccept(
          t,
          negativesAll.filter((s) => s.group === `negative:${k}`),
        ),
      ]),
    ),
    verdicts,
    photos: { all: kept(positives, 0), atDefault: kept(positives, t) },
    pixels: { all: kept(pixels, 0), atDefault: kept(pixels, t) },
    sweep,
    seconds: (performance.now() - t0) / 1000,
    loadAverage: [load0, loadavg()[0]!],
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`model ${result.model} (${result.calibrated ? 'calibrated' : 'NOT calibrated'}), negatives seed ${seed}`);
  w(`negatives: ${negativesAll.length} (${NEGATIVE_KINDS.map((k) => `${k} ${perKind}`).join(', ')})`);
  w(
    `false-accept rate at the default min_confidence ${t}: ${pct(result.falseAcceptRate)} (${Math.round(result.falseAcceptRate * negativesAll.length)}/${negativesAll.length})`,
  );
  for (const k of NEGATIVE_KINDS)
    w(
      `  ${k.padEnd(16)} ${pct(result.falseAcceptByKind[k]!).padStart(6)} accepted; ${Object.entries(
        verdicts[k] ?? {},
      )
        .map(([v, n]) => `${v} ${n}`)
        .join(', ')}`,
    );
  const line = (name: string, r: ReturnType<typeof kept>, all: ReturnType<typeof kept>) =>
    w(
      `${name}: ${r.images} images, accuracy ${pct(all.accuracyAll)} answering every one; at ${t}: ${pct(r.accepted)} answered, ${pct(r.accuracyOnAccepted)} of answers right, right answers kept ${pct(r.rightAnswersKept)} (accuracy lost ${((all.accuracyAll - r.rightAnswersKept) * 100).toFixed(1)} points)`,
    );
  line(
    `real characters as photos (test ${photos} + EMNIST digits ${Math.round(photos / 2)})`,
    result.photos.atDefault,
    result.photos.all,
  );
  line('test split as 28x28 pixels', result.pixels.atDefault, result.pixels.all);
  w(
    'min_confidence  false accepts  photos: answered / right of answered / right kept  pixels: answered / right kept',
  );
  for (const r of sweep)
    w(
      `${String(r.minConfidence).padEnd(15)} ${pct(r.falseAcceptRate).padStart(13)}  ${pct(r.photos.accepted).padStart(8)} / ${pct(r.photos.accuracyOnAccepted)} / ${pct(r.photos.rightAnswersKept)}   ${pct(r.pixels.accepted).padStart(8)} / ${pct(r.pixels.rightAnswersKept)}`,
    );
  w(
    `${result.seconds.toFixed(0)} s, load average ${result.loadAverage.map((l) => l.toFixed(1)).join(' -> ')}`,
  );
}

await main();
