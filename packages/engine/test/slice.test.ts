import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastKernelNames } from '../src/index.js';
import { setup } from './helpers.js';

beforeAll(setup);

/** Values (any dtype) of what `fn` returns on `backend`, as plain arrays. */
async function valuesOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }));
  tf.dispose(list);
  return res;
}

const DTYPES = ['float32', 'int32', 'bool'] as const;
const tensorOf = (shape: number[], dtype: (typeof DTYPES)[number]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => i * 1.25 - 3);
  if (dtype === 'bool')
    return tf.tensor(
      values.map((_, i) => (i * 7) % 3 === 0),
      shape,
      'bool',
    );
  return tf.tensor(dtype === 'int32' ? values.map(Math.round) : values, shape, dtype);
};

describe('Slice, Unpack and SplitV read their input in place', () => {
  it('are registered', () => {
    for (const k of ['Slice', 'Unpack', 'SplitV']) expect(fastKernelNames).toContain(k);
  });

  const slices: Array<[number[], number[], number[]]> = [
    [[7], [2], [3]],
    [
      [4, 5],
      [1, 0],
      [2, 5],
    ], // whole rows: one run
    [
      [4, 5],
      [0, 2],
      [4, 2],
    ], // a column band
    [
      [3, 4, 6],
      [1, 1, 2],
      [2, -1, 3],
    ],
    [
      [3, 4, 6],
      [0, 2, 0],
      [3, 1, 6],
    ], // one step of a sequence, as an LSTM reads it
    [
      [2, 3, 4, 5],
      [1, 0, 1, 0],
      [1, 3, 2, 5],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 1, 2],
      [2, 2, 3, 3],
    ],
    [
      [3, 0, 2],
      [0, 0, 0],
      [2, 0, 2],
    ], // empty
  ];
  for (const dtype of DTYPES)
    it.each(slices)(
      `slice of %j at %j size %j matches cpu exactly (${dtype})`,
      async (shape, begin, size) => {
        const f = () => tf.slice(tensorOf(shape, dtype), begin, size);
        expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
      },
    );

  it('slices a scalar-sized box and a whole tensor', async () => {
    for (const f of [
      () => tf.slice(tensorOf([2, 3], 'float32'), [1, 2], [1, 1]),
      () => tf.slice(tensorOf([2, 3, 4], 'float32'), [0, 0, 0], [-1, -1, -1]),
    ])
      expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
  });

  for (const dtype of DTYPES)
    it(`unstack along every axis matches cpu exactly (${dtype})`, async () => {
      for (let axis = -3; axis < 3; axis++) {
        const f = () => tf.unstack(tensorOf([3, 4, 5], dtype), axis);
        expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
      }
    });

  it('split into equal parts and into given sizes matches cpu exactly', async () => {
    const cases: Array<[number[], number | number[], number]> = [
      [[4, 6], 3, 1],
      [[4, 6], [1, -1, 2], 1],
      [[6, 2, 3], [2, 4], 0],
      [[2, 3, 8], 4, -1],
    ];
    for (const [shape, splits, axis] of cases) {
      const f = () => tf.split(tensorOf(shape, 'float32'), splits, axis);
      expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
    }
  });

  it('still slices strings (the stock kernel)', async () => {
    await tf.setBackend('wasm');
    const s = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
    const out = tf.slice(s, [1, 0], [1, 2]);
    expect(out.arraySync()).toEqual([['c', 'd']]);
    tf.dispose([s, out]);
  });
});

describe('Reverse copies runs in place', () => {
  it('is registered', () => {
    expect(fastKernelNames).toContain('Reverse');
  });

  const reverses: Array<[number[], number | number[]]> = [
    [[7], 0],
    [[4, 5], 0],
    [[4, 5], 1], // the innermost axis: runs of one element
    [
      [4, 5],
      [0, 1],
    ],
    [[3, 4, 6], 1], // a sequence, as a Bidirectional layer reverses it
    [[3, 4, 6], -2],
    [[3, 1, 6], 1], // a reversed axis of one element changes nothing
    [
      [2, 3, 4, 5],
      [0, 2],
    ],
    [
      [2, 3, 4, 5],
      [1, 3],
    ],
    [[2, 3, 4, 5], []],
    [[3, 0, 2], 0], // empty
  ];
  for (const dtype of DTYPES)
    it.each(reverses)(`reverse of %j along %j matches cpu exactly (${dtype})`, async (shape, dims) => {
      const f = () => tf.reverse(tensorOf(shape, dtype), dims);
      expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
    });

  it('reverses a scalar', async () => {
    const f = () => tf.reverse(tf.scalar(2.5), []);
    expect(await valuesOn('wasm', f)).toEqual(await valuesOn('cpu', f));
  });
});
