/**
 * Trains the small test model committed as test/fixtures/hcr-mlp.onnx, so the package's recognition tests
 * (photos, the drawing page, the CLI) run in CI from a clean clone without shards or a trained model.
 *
 *   pnpm hcr data prepare            # shards in artifacts/data/shards
 *   node --conditions=source --import tsx packages/serve-onnx/test/support/train-fixture-model.ts
 *
 * A 784-128-36 MLP trained with Adam on a class-balanced sample of the canonical training shards, with
 * +-2 px shift augmentation. Deterministic (seeded). Not the product model: that comes from @hcr/train.
 */
import { resolve } from 'node:path';
import { createRng, LABEL_SPACE_36, writeFileAtomic } from '@hcr/core';
import { openDataset } from '@hcr/data';
import { denseOnnxModel } from './dense-onnx.js';

const SHARDS = resolve(process.env.HCR_SHARDS ?? 'artifacts/data/shards');
const OUT = resolve(process.env.OUT ?? 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
const PER_CLASS = Number(process.env.PER_CLASS ?? 2000);
const EPOCHS = Number(process.env.EPOCHS ?? 8);
const H = 128;
const C = 36;
const D = 784;
const BATCH = 64;

const rng = createRng(7);
const ds = await openDataset(SHARDS);
const train = await ds.loadSplit('train');
const test = await ds.loadSplit('test');

// Class-balanced sample of the training split.
const byClass: number[][] = Array.from({ length: C }, () => []);
for (let i = 0; i < train.count; i++) byClass[train.labels[i]!]!.push(i);
const picked: number[] = [];
for (const list of byClass) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  picked.push(...list.slice(0, PER_CLASS));
}

const he = (fanIn: number, n: number) =>
  Float32Array.from({ length: n }, () => rng.normal() * Math.sqrt(2 / fanIn));
// Trained on u = p/255 (sparse); folded into x = (u - 0.5)/0.5 at export.
const W1 = he(D, D * H);
const b1 = new Float32Array(H);
const W2 = he(H, H * C);
const b2 = new Float32Array(C);
const params = [W1, b1, W2, b2];
const m = params.map((p) => new Float32Array(p.length));
const v = params.map((p) => new Float32Array(p.length));
const grads = params.map((p) => new Float32Array(p.length));
let step = 0;

function shifted(pixels: Uint8Array, idx: number, dx: number, dy: number, out: Float32Array) {
  out.fill(0);
  const base = idx * D;
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= 28) continue;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      if (sx < 0 || sx >= 28) continue;
      out[y * 28 + x] = pixels[base + sy * 28 + sx]! / 255;
    }
  }
}

const X = new Float32Array(BATCH * D);
const A1 = new Float32Array(BATCH * H);
const P = new Float32Array(BATCH * C);
const G1 = new Float32Array(BATCH * H);

function forward(n: number) {
  for (let b = 0; b < n; b++) {
    const a = A1.subarray(b * H, (b + 1) * H);
    a.set(b1);
    for (let k = 0; k < D; k++) {
      const xk = X[b * D + k]!;
      if (xk === 0) continue;
      const row = k * H;
      for (let j = 0; j < H; j++) a[j] += xk * W1[row + j]!;
    }
    for (let j = 0; j < H; j++) if (a[j]! < 0) a[j] = 0;
    const p = P.subarray(b * C, (b + 1) * C);
    p.set(b2);
    for (let j = 0; j < H; j++) {
      const aj = a[j]!;
      if (aj === 0) continue;
      for (let c = 0; c < C; c++) p[c] += aj * W2[j * C + c]!;
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, p[c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) {
      p[c] = Math.exp(p[c]! - max);
      sum += p[c]!;
    }
    for (let c = 0; c < C; c++) p[c] /= sum;
  }
}

function trainStep(labels: number[], lr: number) {
  const n = labels.length;
  forward(n);
  for (const g of grads) g.fill(0);
  const [gW1, gb1, gW2, gb2] = grads as [Float32Array, Float32Array, Float32Array, Float32Array];
  for (let b = 0; b < n; b++) {
    const p = P.subarray(b * C, (b + 1) * C);
    p[labels[b]!] -= 1; // dL/dlogits of softmax cross-entropy
    const a = A1.subarray(b * H, (b + 1) * H);
    const g1 = G1.subarray(b * H, (b + 1) * H);
    for (let j = 0; j < H; j++) {
      const aj = a[j]!;
      let acc = 0;
      for (let c = 0; c < C; c++) {
        acc += p[c]! * W2[j * C + c]!;
        if (aj !== 0) gW2[j * C + c] += aj * p[c]!;
      }
      g1[j] = aj > 0 ? acc : 0;
    }
    for (let c = 0; c < C; c++) gb2[c] += p[c]!;
    for (let j = 0; j < H; j++) gb1[j] += g1[j]!;
    for (let k = 0; k < D; k++) {
      const xk = X[b * D + k]!;
      if (xk === 0) continue;
      const row = k * H;
      for (let j = 0; j < H; j++) gW1[row + j] += xk * g1[j]!;
    }
  }
  step++;
  const b1c = 1 - 0.9 ** step;
  const b2c = 1 - 0.999 ** step;
  params.forEach((w, i) => {
    const g = grads[i]!;
    const mi = m[i]!;
    const vi = v[i]!;
    for (let k = 0; k < w.length; k++) {
      const gk = g[k]! / n;
      mi[k] = 0.9 * mi[k]! + 0.1 * gk;
      vi[k] = 0.999 * vi[k]! + 0.001 * gk * gk;
      w[k] -= (lr * (mi[k]! / b1c)) / (Math.sqrt(vi[k]! / b2c) + 1e-8);
    }
  });
}

function accuracy(): number {
  let correct = 0;
  for (let start = 0; start < test.count; start += BATCH) {
    const n = Math.min(BATCH, test.count - start);
    for (let b = 0; b < n; b++) shifted(test.pixels, start + b, 0, 0, X.subarray(b * D, (b + 1) * D));
    forward(n);
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (P[b * C + c]! > P[b * C + best]!) best = c;
      if (best === test.labels[start + b]) correct++;
    }
  }
  return correct / test.count;
}

const t0 = performance.now();
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  for (let i = picked.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const lr = 0.002 * 0.7 ** epoch;
  for (let start = 0; start + BATCH <= picked.length; start += BATCH) {
    const labels: number[] = [];
    for (let b = 0; b < BATCH; b++) {
      const idx = picked[start + b]!;
      shifted(train.pixels, idx, rng.int(5) - 2, rng.int(5) - 2, X.subarray(b * D, (b + 1) * D));
      labels.push(train.labels[idx]!);
    }
    trainStep(labels, lr);
  }
  console.log(
    `epoch ${epoch + 1}: test accuracy ${(accuracy() * 100).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

// Fold u = (x + 1) / 2 into the first layer: W1x = W1/2, b1x = b1 + colsum(W1)/2.
const W1x = W1.map((w) => w / 2);
const b1x = Float32Array.from(b1, (b, j) => {
  let s = 0;
  for (let k = 0; k < D; k++) s += W1[k * H + j]!;
  return b + s / 2;
});
const acc = accuracy();
await writeFileAtomic(
  OUT,
  denseOnnxModel({
    modelId: `fixture-mlp-${H}-acc${(acc * 100).toFixed(1)}`,
    classNames: [...LABEL_SPACE_36.classes],
    mean: 0.5,
    std: 0.5,
    layers: [
      { weights: W1x, bias: b1x, inputs: D, units: H },
      { weights: W2, bias: b2, inputs: H, units: C },
    ],
  }),
);
console.log(`wrote ${OUT} (test accuracy ${(acc * 100).toFixed(2)}%, ${ds.manifestSha256.slice(0, 12)})`);
