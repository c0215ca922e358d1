import type { ModelMetadata } from '@hcr/core';
import { NUM_CLASSES } from '@hcr/core';
import { buildModel, logitsModel, saveModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type AugmentScratch, augmentSample, augmentScratch, sampleRng } from './augment.js';
import type { EvalResult, InitMessage, ShardJob, ShardResult, WorkerState } from './protocol.js';

const PIXELS = 28 * 28;

/**
 * One model replica and its AdamW state, living in a worker thread. Every replica starts from the same
 * seeded weights and applies the same averaged gradients, so replicas stay bit-identical without
 * broadcasting weights. The optimizer runs in plain JS on flat Float32Arrays: exact, cheap to checkpoint.
 */
export class Replica {
  private readonly model: tfl.LayersModel;
  private readonly logits: tfl.LayersModel;
  private readonly trainVars: tf.Variable[];
  private readonly stateVars: tf.Variable[];
  private readonly decayMask: Uint8Array;
  readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly scratch: AugmentScratch = augmentScratch();
  private readonly lut = new Float32Array(256);
  private readonly logitBias?: tf.Tensor1D;

  constructor(private readonly init: InitMessage) {
    this.model = buildModel(init.model, { seed: init.modelSeed, dropout: init.dropout });
    this.logits = logitsModel(this.model);
    this.trainVars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.stateVars = this.model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
    const n = this.trainVars.reduce((s, v) => s + v.size, 0);
    this.params = new Float32Array(n);
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.decayMask = new Uint8Array(n);
    let off = 0;
    for (const [i, v] of this.trainVars.entries()) {
      this.params.set(v.dataSync() as Float32Array, off);
      // Decoupled weight decay on kernels only, never on biases or batch-norm scale/shift.
      if (/kernel/.test(this.model.trainableWeights[i]!.originalName))
        this.decayMask.fill(1, off, off + v.size);
      off += v.size;
    }
    if (init.logitBias.some((b) => b !== 0)) this.logitBias = tf.tensor1d(init.logitBias, 'float32');
    const { mean, std } = init.normalisation;
    for (let p = 0; p < 256; p++) this.lut[p] = (p / 255 - mean) / std;
  }

  get paramCount(): number {
    return this.params.length;
  }

  get stateCount(): number {
    return this.stateVars.reduce((s, v) => s + v.size, 0);
  }

  private readState(): Float32Array {
    const out = new Float32Array(this.stateCount);
    let off = 0;
    for (const v of this.stateVars) {
      out.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
    return out;
  }

  private writeVars(vars: tf.Variable[], flat: Float32Array): void {
    let off = 0;
    for (const v of vars) {
      const t = tf.tensor(flat.subarray(off, off + v.size), v.shape, 'float32');
      v.assign(t);
      t.dispose();
      off += v.size;
    }
  }

  /** Seeds every dropout layer from (data seed, step, shard): the same masks on every worker and on resume. */
  private seedDropout(step: number, shard: number): void {
    let k = 0;
    for (const layer of this.model.layers) {
      if (layer.getClassName() === 'Dropout') {
        (layer as unknown as { seed: number }).seed =
          ((this.init.dataSeed * 7919 + step) * 16 + shard) * 8 + k++;
      }
    }
  }

  private gatherAugmented(samples: Uint32Array, position: number, epoch: number): Float32Array {
    const train = this.init.splits.train!;
    const x = new Float32Array(samples.length * PIXELS);
    const aug = this.init.augment;
    const { mean, std } = this.init.normalisation;
    for (let j = 0; j < samples.length; j++) {
      const src = samples[j]! * PIXELS;
      if (aug.enabled) {
        const rng = sampleRng(this.init.dataSeed, epoch, position + j);
        augmentSample(train.pixels, src, x, j * PIXELS, rng, aug, mean, std, this.scratch);
      } else {
        for (let k = 0; k < PIXELS; k++) x[j * PIXELS + k] = this.lut[train.pixels[src + k]!]!;
      }
    }
    return x;
  }

  /** Loss and gradients of one shard (mean over its samples), plus the batch-norm state it produced. */
  computeShard(job: ShardJob, epoch: number, step: number, restoreState: boolean): ShardResult {
    const train = this.init.splits.train!;
    const n = job.samples.length;
    const xData = this.gatherAugmented(job.samples, job.position, epoch);
    const yData = new Int32Array(n);
    for (let j = 0; j < n; j++) yData[j] = train.labels[job.samples[j]!]!;
    const before = restoreState ? this.readState() : undefined;
    this.seedDropout(step, job.index);
    const grads = new Float32Array(this.params.length);
    let lossSum = 0;
    let correct = 0;
    tf.tidy(() => {
      const x = tf.tensor4d(xData, [n, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(yData, 'int32'), NUM_CLASSES);
      let predT: tf.Tensor | undefined;
      const { value, grads: g } = tf.variableGrads(() => {
        const logits = this.logits.apply(x, { training: true }) as tf.Tensor;
        // Kept past variableGrads' own scope; disposed below.
        predT = tf.keep(tf.argMax(logits, 1));
        // Logit adjustment shifts the loss only: predictions (and the saved model) use the raw logits.
        const lossLogits = this.logitBias ? tf.add(logits, this.logitBias) : logits;
        return tf.losses.softmaxCrossEntropy(y, lossLogits, undefined, this.init.labelSmoothing) as tf.Scalar;
      }, this.trainVars);
      lossSum = (value.dataSync()[0] ?? Number.NaN) * n;
      const pred = predT!.dataSync();
      predT!.dispose();
      for (let j = 0; j < n; j++) if (pred[j] === yData[j]) correct++;
      let off = 0;
      for (const v of this.trainVars) {
        grads.set(g[v.name]!.dataSync() as Float32Array, off);
        off += v.size;
      }
    });
    const state = this.readState();
    if (before) this.writeVars(this.stateVars, before);
    return { index: job.index, grads, state, lossSum, correct, count: n };
  }

  /** AdamW with bias correction; decoupled decay on kernels. Same arithmetic on every replica. */
  apply(grads: Float32Array, state: Float32Array, lr: number, t: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.init;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const p = this.params;
    const m = this.m;
    const v = this.v;
    const mask = this.decayMask;
    const decay = lr * weightDecay;
    for (let i = 0; i < p.length; i++) {
      const g = grads[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * g;
      const vi = beta2 * v[i]! + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      let w = p[i]!;
      if (mask[i]) w -= decay * w;
      p[i] = w - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
    }
    this.writeVars(this.trainVars, p);
    if (state.length) this.writeVars(this.stateVars, state);
  }

  getState(): WorkerState {
    return { params: this.params.slice(), state: this.readState(), m: this.m.slice(), v: this.v.slice() };
  }

  setState(s: WorkerState): void {
    this.params.set(s.params);
    this.m.set(s.m);
    this.v.set(s.v);
    this.writeVars(this.trainVars, this.params);
    if (s.state.length) this.writeVars(this.stateVars, s.state);
  }

  evaluate(split: string, start: number, end: number, batchSize: number): EvalResult {
    const data = this.init.splits[split];
    if (!data) throw new Error(`split '${split}' was not shared with the workers`);
    const count = end - start;
    const pred = new Uint8Array(count);
    const predDigits = new Uint8Array(count);
    const predLetters = new Uint8Array(count);
    let lossSum = 0;
    for (let b = start; b < end; b += batchSize) {
      const n = Math.min(batchSize, end - b);
      const x = new Float32Array(n * PIXELS);
      for (let k = 0; k < n * PIXELS; k++) x[k] = this.lut[data.pixels[b * PIXELS + k]!]!;
      const y = Int32Array.from(data.labels.subarray(b, b + n));
      tf.tidy(() => {
        const logits = this.logits.apply(tf.tensor4d(x, [n, 28, 28, 1]), { training: false }) as tf.Tensor2D;
        const loss = tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.tensor1d(y, 'int32'), NUM_CLASSES),
          logits,
          undefined,
          0,
          tf.Reduction.SUM,
        );
        lossSum += loss.dataSync()[0]!;
        pred.set(tf.argMax(logits, 1).dataSync(), b - start);
        predDigits.set(tf.argMax(tf.slice(logits, [0, 0], [n, 10]), 1).dataSync(), b - start);
        const letters = tf.argMax(tf.slice(logits, [0, 10], [n, NUM_CLASSES - 10]), 1);
        predLetters.set(tf.add(letters, tf.scalar(10, 'int32')).dataSync(), b - start);
      });
    }
    return { pred, predDigits, predLetters, lossSum };
  }

  async save(dir: string, metadata?: ModelMetadata): Promise<void> {
    await saveModel(this.model, dir, metadata);
  }
}
