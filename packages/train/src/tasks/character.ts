import { pixelLookupTable } from '@hcr/core';
import { buildModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type AugmentScratch, augmentSample, augmentScratch, sampleRng } from '../augment.js';
import { caseTwinTargets } from '../case-targets.js';
import type { EvalResult, InitMessage, ShardJob, SharedSplit } from '../protocol.js';
import { NO_PREDICTIONS, type ReplicaTask, type ShardComputation } from './task.js';

const PIXELS = 28 * 28;

/** One 28x28 character -> the label space's classes (36, 47 or 62): augmented batches, label-smoothed (logit-adjusted) cross-entropy. */
export class CharacterTask implements ReplicaTask {
  private readonly scratch: AugmentScratch = augmentScratch();
  private readonly lut: Float32Array;
  private readonly logitBias?: tf.Tensor1D;

  constructor(private readonly init: InitMessage) {
    this.lut = pixelLookupTable(init.normalisation);
    if (init.logitBias.some((b) => b !== 0)) this.logitBias = tf.tensor1d(init.logitBias, 'float32');
  }

  buildModel(): tfl.LayersModel {
    return buildModel(this.init.model, {
      seed: this.init.modelSeed,
      dropout: this.init.dropout,
      classes: this.init.classes,
    });
  }

  private split(name: string): SharedSplit {
    const data = this.init.splits[name];
    if (!data) throw new Error(`split '${name}' was not shared with the workers`);
    return data as SharedSplit;
  }

  private gatherAugmented(samples: Uint32Array, position: number, epoch: number): Float32Array {
    const train = this.split('train');
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

  shard(job: ShardJob, epoch: number): ShardComputation {
    const train = this.split('train');
    const n = job.samples.length;
    const yData = new Int32Array(n);
    for (let j = 0; j < n; j++) yData[j] = train.labels[job.samples[j]!]!;
    const x = tf.tensor4d(this.gatherAugmented(job.samples, job.position, epoch), [n, 28, 28, 1]);
    const share = this.init.caseTwinShare ?? 0;
    const y =
      share > 0 && this.init.caseTwins
        ? tf.tensor2d(caseTwinTargets(yData, this.init.classes, this.init.caseTwins, share), [
            n,
            this.init.classes,
          ])
        : tf.oneHot(tf.tensor1d(yData, 'int32'), this.init.classes);
    let predT: tf.Tensor | undefined;
    return {
      x,
      loss: (logits) => {
        // Kept past variableGrads' own scope; disposed in stats().
        predT = tf.keep(tf.argMax(logits, 1));
        // Logit adjustment shifts the loss only: predictions (and the saved model) use the raw logits.
        const lossLogits = this.logitBias ? tf.add(logits, this.logitBias) : logits;
        const loss = tf.losses.softmaxCrossEntropy(
          y,
          lossLogits,
          undefined,
          this.init.labelSmoothing,
        ) as tf.Scalar;
        return loss;
      },
      stats: (meanLoss) => {
        const pred = predT!.dataSync();
        predT!.dispose();
        let correct = 0;
        for (let j = 0; j < n; j++) if (pred[j] === yData[j]) correct++;
        return { lossSum: meanLoss * n, correct, count: n };
      },
    };
  }

  evaluate(
    logitsModel: tfl.LayersModel,
    name: string,
    start: number,
    end: number,
    batchSize: number,
  ): EvalResult {
    const data = this.split(name);
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
        const logits = logitsModel.apply(tf.tensor4d(x, [n, 28, 28, 1]), { training: false }) as tf.Tensor2D;
        const loss = tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.tensor1d(y, 'int32'), this.init.classes),
          logits,
          undefined,
          0,
          tf.Reduction.SUM,
        );
        lossSum += loss.dataSync()[0]!;
        pred.set(tf.argMax(logits, 1).dataSync(), b - start);
        predDigits.set(tf.argMax(tf.slice(logits, [0, 0], [n, 10]), 1).dataSync(), b - start);
        const letters = tf.argMax(tf.slice(logits, [0, 10], [n, this.init.classes - 10]), 1);
        predLetters.set(tf.add(letters, tf.scalar(10, 'int32')).dataSync(), b - start);
      });
    }
    return { ...NO_PREDICTIONS(), pred, predDigits, predLetters, lossSum };
  }
}
