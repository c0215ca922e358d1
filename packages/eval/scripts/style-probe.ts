/**
 * Style probe: how much does a model's answer depend on the edge profile of the strokes?
 * Runs the test and extra splits through an ONNX model as they are, blurred, and sharpened, and prints
 * accuracy per source. A model that learnt characters barely moves; one that learnt "crisp edges = MNIST
 * digit, soft edges = EMNIST letter" swings by tens of points (see packages/train/README.md).
 *
 *   pnpm --filter @hcr/eval style-probe artifacts/model/<run>/model.onnx [artifacts/data/shards]
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_INPUT_NORMALISATION, NUM_CLASSES, sourceId } from '@hcr/core';
import { openDataset, type SplitData } from '@hcr/data';
import { blur3x3 } from '@hcr/train';
import * as ort from 'onnxruntime-node';

const cwd = process.env.INIT_CWD ?? process.cwd();
const [modelArg, dataArg = 'artifacts/data/shards'] = process.argv.slice(2);
if (!modelArg) {
  console.error('usage: style-probe <model.onnx> [prepared dataset dir]');
  process.exit(2);
}
const S = 28;
const N = S * S;
type Transform = (p: Float32Array) => void; // in place, one image, ink 0..1

const blur3: Transform = (p) => {
  blur3x3(p.slice(), p);
  const max = p.reduce((m, v) => Math.max(m, v), 0);
  if (max > 0) for (let i = 0; i < N; i++) p[i] = p[i]! / max;
};
const sharpen: Transform = (p) => {
  for (let i = 0; i < N; i++) p[i] = 1 / (1 + Math.exp(-12 * (p[i]! - 0.45)));
};
const variants: [string, Transform | undefined][] = [
  ['none', undefined],
  ['3x3 blur', blur3],
  ['sharpen (sigmoid k=12, t=0.45)', sharpen],
];

const modelPath = resolve(cwd, modelArg);
if (!existsSync(modelPath)) {
  console.error(
    `No ONNX model at ${modelPath}. Export one first: pnpm hcr export onnx artifacts/model/<run> -o artifacts/model/<run>/model.onnx`,
  );
  process.exit(2);
}
const ds = await openDataset(resolve(cwd, dataArg));
const session = await ort.InferenceSession.create(modelPath);
const [input] = session.inputNames;
const [output] = session.outputNames;
const { mean, std } = DEFAULT_INPUT_NORMALISATION;

async function logits(data: SplitData, transform?: Transform): Promise<Float32Array> {
  const out = new Float32Array(data.count * NUM_CLASSES);
  const batch = 1024;
  const img = new Float32Array(N);
  for (let start = 0; start < data.count; start += batch) {
    const n = Math.min(batch, data.count - start);
    const x = new Float32Array(n * N);
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < N; k++) img[k] = data.pixels[(start + j) * N + k]! / 255;
      transform?.(img);
      for (let k = 0; k < N; k++) x[j * N + k] = (img[k]! - mean) / std;
    }
    const r = await session.run({ [input!]: new ort.Tensor('float32', x, [n, S, S, 1]) });
    out.set(r[output!]!.data as Float32Array, start * NUM_CLASSES);
  }
  return out;
}

function accuracy(data: SplitData, scores: Float32Array, source: number, classes?: [number, number]): string {
  const [lo, hi] = classes ?? [0, NUM_CLASSES];
  let ok = 0;
  let n = 0;
  for (let i = 0; i < data.count; i++) {
    if (data.sources[i] !== source) continue;
    let best = lo;
    for (let c = lo; c < hi; c++)
      if (scores[i * NUM_CLASSES + c]! > scores[i * NUM_CLASSES + best]!) best = c;
    n++;
    if (best === data.labels[i]) ok++;
  }
  return n ? `${((100 * ok) / n).toFixed(2)}%` : '-';
}

const test = await ds.loadSplit('test');
const extra = await ds.loadSplit('extra');
const [mnist, letters, digits] = [
  sourceId('mnist'),
  sourceId('emnist-letters-repack'),
  sourceId('emnist-digits-repack'),
];
console.log('| input change | MNIST | letters | EMNIST digits 36-way | digits-only |\n|---|---|---|---|---|');
for (const [name, transform] of variants) {
  const t = await logits(test, transform);
  const e = await logits(extra, transform);
  console.log(
    `| ${name} | ${accuracy(test, t, mnist)} | ${accuracy(test, t, letters)} | ${accuracy(extra, e, digits)} | ${accuracy(extra, e, digits, [0, 10])} |`,
  );
}
