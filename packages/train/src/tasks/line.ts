import { pixelLookupTable } from '@hcr/core';
import { groupByWidth } from '@hcr/image';
import { buildReader, LINE_MIN_WIDTH, readerFrames } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type CtcStats, ctcLoss, ctcScores } from '../ctc.js';
import type { EvalResult, InitMessage, ShardJob, SharedLineSplit } from '../protocol.js';
import { NO_PREDICTIONS, type ReplicaTask, type ShardComputation } from './task.js';

/** A batch of lines right-padded with background to the widest one (docs/string-reader.md). */
export interface LineBatch {
  x: Float32Array;
  n: number;
  height: number;
  width: number;
  labels: Uint8Array[];
  frames: number[];
}

/**
 * Gathers lines into one padded NHWC batch, `width` wide (default: the widest line rounded up to a multiple of
 * 4, one CTC frame).
 */
export function gatherLines(
  split: SharedLineSplit,
  indices: ArrayLike<number>,
  lut: Float32Array,
  width?: number,
): LineBatch {
  const n = indices.length;
  const H = split.height;
  let maxW = LINE_MIN_WIDTH;
  for (let j = 0; j < n; j++) maxW = Math.max(maxW, split.widths[indices[j]!]!);
  if (width !== undefined && width < maxW)
    throw new RangeError(`gatherLines: width ${width} < widest line ${maxW}`);
  const W = width ?? Math.ceil(maxW / 4) * 4;
  const x = new Float32Array(n * H * W).fill(lut[0]!);
  const labels: Uint8Array[] = [];
  const frames: number[] = [];
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    const w = split.widths[i]!;
    const src = split.pixelOffsets[i]!;
    for (let r = 0; r < H; r++) {
      const row = src + r * w;
      const dst = (j * H + r) * W;
      for (let c = 0; c < w; c++) x[dst + c] = lut[split.pixels[row + c]!]!;
    }
    labels.push(split.labels.subarray(split.labelOffsets[i]!, split.labelOffsets[i + 1]!));
    frames.push(readerFrames(Math.max(w, LINE_MIN_WIDTH)));
  }
  return { x, n, height: H, width: W, labels, frames };
}

/** A text line -> its string: padded batches of lines, CTC loss, greedy decoding for the metrics. */
export class LineTask implements ReplicaTask {
  private readonly lut: Float32Array;

  constructor(private readonly init: InitMessage) {
    this.lut = pixelLookupTable(init.normalisation);
  }

  buildModel(): tfl.LayersModel {
    return buildReader({
      seed: this.init.modelSeed,
      dropout: this.init.dropout,
      classes: this.init.classes,
      context: this.init.context,
    });
  }

  private split(name: string): SharedLineSplit {
    const data = this.init.splits[name];
    if (!data) throw new Error(`split '${name}' was not shared with the workers`);
    return data as SharedLineSplit;
  }

  shard(job: ShardJob): ShardComputation {
    const b = gatherLines(this.split('train'), job.samples, this.lut);
    const x = tf.tensor4d(b.x, [b.n, b.height, b.width, 1]);
    const stats: CtcStats = { lossSum: 0, exact: 0, skipped: 0 };
    return {
      x,
      loss: (logits) => ctcLoss(logits, b, stats),
      stats: () => ({ lossSum: stats.lossSum, correct: stats.exact, count: b.n - stats.skipped }),
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
    const decoded: number[][] = new Array(end - start);
    let lossSum = 0;
    // Read as eval and serving read (@hcr/image's width buckets): each line padded to its bucket, so a
    // line's reading never depends on the other lines of its batch, and no batch pays for one long line.
    const widths = Array.from({ length: end - start }, (_, j) => data.widths[start + j]!);
    for (const { members, width } of groupByWidth(widths, Math.max(1, Math.min(batchSize, 64)))) {
      const b = gatherLines(
        data,
        members.map((m) => start + m),
        this.lut,
        width,
      );
      tf.tidy(() => {
        const logits = logitsModel.apply(tf.tensor4d(b.x, [b.n, b.height, b.width, 1]), {
          training: false,
        }) as tf.Tensor;
        const scores = ctcScores(logits, b);
        lossSum += scores.lossSum;
        scores.decoded.forEach((d, k) => {
          decoded[members[k]!] = d;
        });
      });
    }
    return { ...NO_PREDICTIONS(), decoded, lossSum };
  }
}
