import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-layers';
import { type BuildOptions, checkBuildOptions } from './builders.js';

/** Height of every line the reader sees; width is free (a symbolic dimension in tfjs and ONNX). */
export const LINE_HEIGHT = 32;
/** Input columns per output time step: the reader emits one CTC frame per 4 pixels of width. */
export const LINE_STRIDE = 4;
/** Narrowest input the reader accepts (one 3x3 context step on each side). */
export const LINE_MIN_WIDTH = 16;

/** Residual 1x5 context blocks after the height collapse. */
const CONTEXT_BLOCKS = 4;
/** Units per direction of the `bilstm` context. */
const LSTM_UNITS = 128;

/**
 * How frames see their neighbours: `conv`, four residual 1x5 convolutions (about two characters either way; a
 * line reads the same alone or padded in a batch), or `bilstm`, one bidirectional LSTM over the whole line
 * (the classic CRNN: trains 1.4x slower here, and what it reads depends a little on the batch's padding).
 */
export const READER_CONTEXTS = Object.freeze(['conv', 'bilstm'] as const);
export type ReaderContext = (typeof READER_CONTEXTS)[number];

export interface ReaderBuildOptions extends BuildOptions {
  /** Outputs per time step: the line alphabet's size, blank included. */
  classes: number;
  /** The context over the line (default `conv`). */
  context?: ReaderContext;
}

/**
 * `reader`: a CTC line reader. A convolutional trunk, then a context along the line: residual convolutions
 * (the default: fully convolutional, exported with the same Conv/BatchNorm/Relu/MaxPool ops as the character
 * models) or one bidirectional LSTM (`context: 'bilstm'`, the classic CRNN).
 *
 *   [32, W, 1] -> conv 3x3 (16) pool 2x2 -> conv (32) pool 2x2          [8, W/4]
 *              -> conv (64) pool 2x1 -> conv (96) pool 2x1              [2, W/4]
 *              -> conv 2x1 valid (128): height collapsed                 [1, W/4, 128]
 *              -> four residual 1x5 convs along the width (context of ~2 characters each side),
 *                 or with `context: 'bilstm'` a bidirectional LSTM (128 a side) over the whole line
 *              -> 1x1 conv to the alphabet, softmax                      [1, W/4, classes]
 *
 * Every conv but the last has batch norm and ReLU; output frame t looks at input columns around 4t+2.
 */
export function buildReader(opts: ReaderBuildOptions): tf.LayersModel {
  checkBuildOptions('reader', opts);
  const { seed = 1, dropout = 0.2, classes, context = 'conv' } = opts;
  if (classes === undefined)
    throw new HcrError('MODEL_OPTION_INVALID', 'reader: classes is missing.', {
      hint: 'Pass the line alphabet size, blank included: buildReader({ classes: alphabet.size }).',
    });
  if (!READER_CONTEXTS.includes(context))
    throw new HcrError('MODEL_OPTION_INVALID', `reader: unknown context ${JSON.stringify(context)}.`, {
      hint: `Use one of: ${READER_CONTEXTS.join(', ')} (default conv).`,
    });
  let n = 0;
  const he = () => tf.initializers.heNormal({ seed: seed * 1000 + n });
  const input = tf.input({ shape: [LINE_HEIGHT, null, 1], name: 'image' });
  const conv = (
    x: tf.SymbolicTensor,
    filters: number,
    kernelSize: [number, number],
    padding: 'same' | 'valid' = 'same',
  ): tf.SymbolicTensor => {
    n++;
    let y = tf.layers
      .conv2d({ filters, kernelSize, padding, useBias: false, kernelInitializer: he(), name: `conv${n}` })
      .apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ momentum: 0.9, name: `bn${n}` }).apply(y) as tf.SymbolicTensor;
    return tf.layers.activation({ activation: 'relu', name: `relu${n}` }).apply(y) as tf.SymbolicTensor;
  };
  let p = 0;
  const pool = (x: tf.SymbolicTensor, size: [number, number]) =>
    tf.layers
      .maxPooling2d({ poolSize: size, strides: size, name: `pool${++p}` })
      .apply(x) as tf.SymbolicTensor;

  let x = conv(input, 16, [3, 3]);
  x = pool(x, [2, 2]); // 16 x W/2
  x = conv(x, 32, [3, 3]);
  x = pool(x, [2, 2]); // 8 x W/4
  x = conv(x, 64, [3, 3]);
  x = pool(x, [2, 1]); // 4 x W/4
  x = conv(x, 96, [3, 3]);
  x = pool(x, [2, 1]); // 2 x W/4
  x = conv(x, 128, [2, 1], 'valid'); // 1 x W/4
  // Context along the line: residual 1x5 blocks, each widening the view by two frames (8 px) a side, so a
  // frame sees about two characters either way: enough to tell 0 from O inside a number or a word.
  if (context === 'bilstm') x = bilstmContext(x, seed);
  else
    for (let b = 1; b <= CONTEXT_BLOCKS; b++)
      x = tf.layers.add({ name: `context${b}` }).apply([x, conv(x, 128, [1, 5])]) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropout, name: 'drop1', seed }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters: classes,
      kernelSize: 1,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 999 }),
      name: 'logits',
    })
    .apply(x) as tf.SymbolicTensor;
  const probs = tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs, name: 'reader' });
}

/** [N, 1, T, 128] -> a bidirectional LSTM along T -> [N, 1, T, 2 x LSTM_UNITS]. */
function bilstmContext(x: tf.SymbolicTensor, seed: number): tf.SymbolicTensor {
  let y = tf.layers.reshape({ targetShape: [-1, 128], name: 'sequence' }).apply(x) as tf.SymbolicTensor;
  y = tf.layers
    .bidirectional({
      layer: tf.layers.lstm({
        units: LSTM_UNITS,
        returnSequences: true,
        // Glorot, not tfjs' default orthogonal recurrent initializer, which fails on the wasm backend.
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 501 }),
        recurrentInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 502 }),
      }) as tf.RNN,
      mergeMode: 'concat',
      name: 'bilstm',
    })
    .apply(y) as tf.SymbolicTensor;
  return tf.layers
    .reshape({ targetShape: [1, -1, 2 * LSTM_UNITS], name: 'frames' })
    .apply(y) as tf.SymbolicTensor;
}

/** Number of CTC frames the reader emits for an input `width` pixels wide. */
export function readerFrames(width: number): number {
  return Math.floor(Math.floor(width / 2) / 2);
}
