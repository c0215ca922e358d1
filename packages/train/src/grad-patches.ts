import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

let patched = false;

/**
 * tfjs-core's FusedBatchNorm gradient tiles 1/sqrt(var) to the full [N,H,W,C] activation shape before a
 * multiply that would broadcast anyway; with the stock wasm Tile kernel that tile costs more than the
 * convolutions (measured: 514 of 1793 kernel-ms per hcrnet step). Same math, broadcasting instead of tiling.
 */
export function patchBatchNormGradient(): void {
  if (patched) return;
  patched = true;
  tf.registerGradient({
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved as tf.Tensor[];
      const dyT = dy as tf.Tensor;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      const axes = tf.backend_util.getReductionAxes(mean!.shape, x!.shape);
      const rank1 = mean!.rank === 1;
      const xMinusMean = tf.sub(x!, mean!);
      const dyTimesScale = tf.mul(dyT, scaleValue);
      const rsqrtVar = tf.rsqrt(tf.add(variance!, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(rsqrtVar, rsqrtVar), rsqrtVar), tf.scalar(-0.5));
      const reduce = (t: tf.Tensor) => tf.reshape(rank1 ? tf.sum(t, axes) : t, mean!.shape);
      return {
        x: () => tf.reshape(tf.mul(tf.mul(dyT, rsqrtVar), scaleValue), x!.shape),
        mean: () => reduce(tf.mul(tf.mul(rsqrtVar, tf.scalar(-1)), dyTimesScale)),
        variance: () => reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)),
        scale: () => reduce(tf.mul(dyT, tf.mul(xMinusMean, rsqrtVar))),
        offset: () => reduce(dyT),
      };
    },
  });
}

let convPatched = false;

interface Conv2DLike {
  rank: number;
  bias: unknown;
  dataFormat: string;
  dilationRate: number[];
  strides: [number, number];
  padding: string;
  kernel: { read(): tf.Tensor4D };
  activation: { getClassName(): string } | null;
}

/**
 * tfjs-layers runs every Conv2D through `tf.fused.conv2d`, whose custom gradient computes the gradient
 * with respect to the input eagerly, even where nothing needs it: for the first layer that is a whole
 * Conv2DBackpropInput over the batch of images, thrown away (measured: ~3.5 of ~135 CPU ms of a reader
 * training shard). A bias-free, linear Conv2D (every conv before a batch norm) is computed with `tf.conv2d`
 * instead: the same wasm convolution (the same numbers), whose registered gradient is lazy, so tfjs computes
 * only the gradients that lead to a trained weight.
 */
export function patchConvInputGradient(): void {
  if (convPatched) return;
  convPatched = true;
  const proto = Object.getPrototypeOf(tfl.layers.conv2d({ filters: 1, kernelSize: 1 })) as {
    call(this: Conv2DLike, inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
  };
  const original = proto.call;
  proto.call = function (this: Conv2DLike, inputs, kwargs) {
    const plain =
      this.rank === 2 &&
      this.bias == null &&
      this.dataFormat === 'channelsLast' &&
      this.dilationRate.every((d) => d === 1) &&
      (this.padding === 'same' || this.padding === 'valid') &&
      (this.activation == null || this.activation.getClassName().toLowerCase() === 'linear');
    if (!plain) return original.call(this, inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.conv2d(x as tf.Tensor4D, this.kernel.read(), this.strides, this.padding as 'same' | 'valid');
  };
}
