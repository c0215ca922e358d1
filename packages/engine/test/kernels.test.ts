import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastKernelNames } from '../src/index.js';
import { tuning } from '../src/kernels/conv2d_backprop_filter.js';
import { stock, stockConfig, type WasmBackend } from '../src/kernels/util.js';
import { expectClose, on, rand, setup } from './helpers.js';

beforeAll(setup);

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  fh: number;
  fw: number;
  s: [number, number];
  pad: Pad;
}

const readerConvCases: ConvCase[] = [
  { n: 2, h: 8, w: 21, ci: 16, co: 8, fh: 3, fw: 3, s: [1, 1], pad: 'same' },
  { n: 3, h: 2, w: 11, ci: 24, co: 5, fh: 2, fw: 1, s: [1, 1], pad: 'valid' },
  { n: 2, h: 1, w: 13, ci: 16, co: 16, fh: 1, fw: 5, s: [1, 1], pad: 'same' },
  { n: 1, h: 1, w: 3, ci: 16, co: 4, fh: 1, fw: 5, s: [1, 1], pad: 'same' },
  {
    n: 2,
    h: 5,
    w: 9,
    ci: 12,
    co: 3,
    fh: 3,
    fw: 3,
    s: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { n: 2, h: 9, w: 10, ci: 12, co: 3, fh: 3, fw: 3, s: [2, 1], pad: 'same' },
];

function convCases(): ConvCase[] {
  const cases: ConvCase[] = [
    // the seed model's shapes (small batch)
    { n: 2, h: 28, w: 28, ci: 1, co: 32, fh: 3, fw: 3, s: [1, 1], pad: 'same' },
    { n: 2, h: 14, w: 14, ci: 32, co: 64, fh: 3, fw: 3, s: [1, 1], pad: 'same' },
    // the line reader's shapes (wide, short images; many filter rows), scaled down
    ...readerConvCases,
  ];
  let seed = 7;
  const r = (k: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const pads: Pad[] = [
    'same',
    'valid',
    [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  ];
  for (let i = 0; i < 24; i++) {
    const fh = 1 + r(4);
    const fw = 1 + r(4);
    const s: [number, number] = [1 + r(3), 1 + r(2)];
    const h = fh + r(7) + 1;
    const w = fw + r(7) + 1;
    cases.push({ n: 1 + r(3), h, w, ci: 1 + r(4), co: 1 + r(5), fh, fw, s, pad: pads[i % pads.length] });
  }
  return cases;
}

const label = (c: ConvCase) =>
  `x[${c.n},${c.h},${c.w},${c.ci}] f[${c.fh},${c.fw},${c.ci},${c.co}] s${c.s} ${JSON.stringify(c.pad)}`;

describe('fast wasm kernels', () => {
  it('registers the expected kernels', () => {
    for (const k of [
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'BatchMatMul',
      '_FusedMatMul',
      'MaxPoolGrad',
    ]) {
      expect(fastKernelNames).toContain(k);
    }
  });

  it.each(convCases().map((c) => [label(c), c] as const))(
    'Conv2DBackpropInput and Filter match cpu: %s',
    async (_l, c) => {
      const xv = rand(c.n * c.h * c.w * c.ci, 11);
      const fv = rand(c.fh * c.fw * c.ci * c.co, 12);
      // Gradient of sum(conv(x, f) * u) w.r.t. x and f, with u random, exercises both kernels.
      const outShape = tf.tidy(() =>
        tf.conv2d(
          tf.zeros([c.n, c.h, c.w, c.ci]) as tf.Tensor4D,
          tf.zeros([c.fh, c.fw, c.ci, c.co]) as tf.Tensor4D,
          c.s,
          c.pad,
        ),
      ).shape;
      const uv = rand(
        outShape.reduce((a, b) => a * b, 1),
        13,
      );
      const f = () => {
        const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
        const w = tf.tensor4d(fv, [c.fh, c.fw, c.ci, c.co]);
        const u = tf.tensor(uv, outShape);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), u)),
        );
        return g([x, w]);
      };
      const [dxCpu, dwCpu] = await on('cpu', f);
      const [dxWasm, dwWasm] = await on('wasm', f);
      expectClose(dxWasm, dxCpu, 1e-4, 'dx');
      expectClose(dwWasm, dwCpu, 1e-4, 'dw');
    },
  );

  const mm: Array<[number[], number[], boolean, boolean]> = [
    [[7, 13], [13, 5], false, false],
    [[13, 7], [13, 5], true, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [5, 13], true, true],
    [[3, 4, 6], [3, 6, 2], false, false],
    [[3, 6, 4], [3, 2, 6], true, true],
    [[2, 6, 4], [2, 6, 3], true, false],
    [[64, 300], [36, 300], false, true],
    // wide right operand with transposeB: computed as (B.A^T)^T
    [[4, 50], [40, 50], false, true],
    [[50, 4], [40, 50], true, true],
    [[1, 3, 20], [1, 30, 20], false, true],
  ];
  it.each(mm)('BatchMatMul and _FusedMatMul match cpu: a%j b%j tA=%s tB=%s', async (as, bs, ta, tb) => {
    const av = rand(
      as.reduce((p, q) => p * q, 1),
      21,
    );
    const bv = rand(
      bs.reduce((p, q) => p * q, 1),
      22,
    );
    const cols = tb ? bs[bs.length - 2] : bs[bs.length - 1];
    const biasv = rand(cols, 23);
    const f = () => {
      const a = tf.tensor(av, as);
      const b = tf.tensor(bv, bs);
      const plain = tf.matMul(a, b, ta, tb);
      // The stock wasm _FusedMatMul is wrong for batched (rank-3) inputs with a bias, before and
      // after our transpose handling; tfjs-layers only uses it for rank 2, so check rank 2.
      if (as.length !== 2) return [plain];
      const fused = tf.fused.matMul({
        a,
        b,
        transposeA: ta,
        transposeB: tb,
        bias: tf.tensor1d(biasv),
        activation: 'relu',
      });
      return [plain, fused];
    };
    const [pc, fc] = await on('cpu', f);
    const [pw, fw] = await on('wasm', f);
    expectClose(pw, pc, 1e-4, 'matMul');
    if (fc) expectClose(fw, fc, 1e-4, 'fused');
  });

  it.each([
    [[2, 3], [5, 4], false, true],
    [[2, 3], [10, 4], false, true], // wide right operand: the (B.A^T)^T path
    [[3, 2], [5, 4], true, false],
    [[3, 2], [4, 5], true, true],
  ] as Array<[number[], number[], boolean, boolean]>)(
    "BatchMatMul with mismatched shapes names the caller's shapes and flags: a%j b%j tA=%s tB=%s",
    async (as, bs, ta, tb) => {
      await tf.setBackend('wasm');
      const a = tf.ones(as);
      const b = tf.ones(bs);
      expect(() => tf.matMul(a, b, ta, tb)).toThrow(
        `of Tensors with shapes ${as} and ${bs} and transposeA=${ta} and transposeB=${tb} must match`,
      );
      tf.dispose([a, b]);
    },
  );

  const pools: Array<
    [[number, number, number, number], number | [number, number], number | [number, number], 'same' | 'valid']
  > = [
    [[2, 28, 28, 32], 2, 2, 'valid'],
    [[2, 14, 14, 64], 2, 2, 'same'],
    [[3, 7, 9, 3], 2, 2, 'same'],
    [[2, 7, 9, 3], 3, 2, 'same'],
    [[2, 8, 8, 5], 3, 1, 'valid'],
    [[1, 9, 7, 2], [3, 2], [2, 3], 'same'],
    [[2, 10, 10, 4], 2, 3, 'valid'],
    [[2, 9, 11, 8], 2, 2, 'valid'],
    [[1, 6, 6, 6], 2, 2, 'valid'],
  ];
  it.each(pools)('MaxPoolGrad matches cpu (with ties): x%j k=%j s=%j %s', async (shape, k, s, pad) => {
    const n = shape.reduce((p, q) => p * q, 1);
    const xv = rand(n, 31, true);
    const z = tf.zeros(shape) as tf.Tensor4D;
    const pooled = tf.maxPool(z, k, s, pad);
    const outShape: number[] = pooled.shape.slice();
    tf.dispose([z, pooled]);
    const uv = rand(
      outShape.reduce((p, q) => p * q, 1),
      32,
    );
    const f = () => {
      const x = tf.tensor(xv, shape) as tf.Tensor4D;
      const u = tf.tensor(uv, outShape);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), u)))(x);
    };
    const [c] = await on('cpu', f);
    const [w] = await on('wasm', f);
    expectClose(w, c, 1e-5, 'dx');
  });
});

/** Counts calls of the stock XNNPACK kernels our kernels call into (the fast paths) while fn runs. */
async function countStockCalls(names: string[], fn: () => Promise<void>): Promise<number> {
  let calls = 0;
  const restore: Array<() => void> = [];
  for (const name of names) {
    const cfg = stockConfig(name) as { kernelFunc: (...a: unknown[]) => unknown } | undefined;
    if (!cfg) throw new Error(`no stock ${name}`);
    const original = cfg.kernelFunc;
    cfg.kernelFunc = (...a: unknown[]) => {
      calls++;
      return original(...a);
    };
    restore.push(() => {
      cfg.kernelFunc = original;
    });
  }
  try {
    await fn();
  } finally {
    for (const r of restore) r();
  }
  return calls;
}

describe('Conv2DBackpropFilter with rows or columns never read (negative bottom/right pad)', () => {
  // A stride-2 'valid' convolution of an even size never reads the last row and column: the input is cropped
  // and the fast formulations run (they used to fall back to plain loops, ~15x slower).
  const cases: ConvCase[] = [
    { n: 2, h: 28, w: 28, ci: 16, co: 8, fh: 3, fw: 3, s: [2, 2], pad: 'valid' }, // batch-axis convolution
    { n: 2, h: 8, w: 8, ci: 4, co: 5, fh: 3, fw: 3, s: [2, 2], pad: 'valid' }, // few rows: im2col
    { n: 3, h: 10, w: 7, ci: 2, co: 3, fh: 3, fw: 2, s: [2, 1], pad: 'valid' }, // few rows: patch matrix
    { n: 2, h: 10, w: 9, ci: 12, co: 4, fh: 3, fw: 3, s: [2, 1], pad: 'valid' },
    { n: 2, h: 10, w: 13, ci: 8, co: 6, fh: 2, fw: 3, s: [3, 3], pad: 'valid' },
    {
      n: 2,
      h: 9,
      w: 10,
      ci: 9,
      co: 4,
      fh: 3,
      fw: 3,
      s: [2, 2],
      pad: [
        [0, 0],
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  it.each(cases.map((c) => [label(c), c] as const))('runs a fast path and matches cpu: %s', async (_l, c) => {
    const xv = rand(c.n * c.h * c.w * c.ci, 71);
    const attrs = {
      strides: c.s,
      pad: c.pad,
      dataFormat: 'NHWC',
      filterShape: [c.fh, c.fw, c.ci, c.co] as [number, number, number, number],
    };
    const outShape = tf.tidy(() =>
      tf.conv2d(
        tf.zeros([c.n, c.h, c.w, c.ci]) as tf.Tensor4D,
        tf.zeros(attrs.filterShape) as tf.Tensor4D,
        c.s,
        c.pad,
      ),
    ).shape;
    const [, oH, oW] = outShape;
    // the case must leave rows or columns unread
    const [top, left] = Array.isArray(c.pad) ? [c.pad[1][0], c.pad[2][0]] : [0, 0];
    expect((oH! - 1) * c.s[0] + c.fh - top < c.h || (oW! - 1) * c.s[1] + c.fw - left < c.w).toBe(true);
    const dyv = rand(
      outShape.reduce((a, b) => a * b, 1),
      72,
    );
    const f = () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), dy: tf.tensor(dyv, outShape) },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor;
    const [dwCpu] = await on('cpu', f);
    let dwWasm: Float32Array | undefined;
    const calls = await countStockCalls(['Conv2D', 'BatchMatMul'], async () => {
      [dwWasm] = await on('wasm', f);
    });
    expect(calls, 'stock XNNPACK Conv2D / BatchMatMul calls').toBeGreaterThan(0);
    expectClose(dwWasm!, dwCpu!, 1e-5, 'dw');
  });
});

describe('conv2dTranspose with an outputShape that does not match its input', () => {
  // tfjs does not check that x (dy of Conv2DBackpropInput) has the shape a convolution of outputShape would
  // give; the fast kernel then used to read dy with the computed shape (wrong values or NaN). It now leaves
  // such calls to the stock kernel.
  const cases: Array<[number[], number[], number, 'same' | 'valid']> = [
    [[1, 5, 5, 2], [1, 8, 8, 3], 2, 'same'], // dy larger than the computed 4x4
    [[1, 4, 4, 2], [1, 9, 9, 3], 2, 'same'], // dy smaller than the computed 5x5
    [[2, 6, 5, 2], [2, 6, 6, 3], 1, 'valid'],
    [[2, 4, 4, 2], [1, 9, 9, 3], 2, 'valid'], // batch sizes differ
  ];
  it.each(cases)('gives what the stock kernel gives: x%j outputShape %j s=%j %s', async (xs, os, s, pad) => {
    const xv = rand(
      xs.reduce((a, b) => a * b, 1),
      81,
    );
    const fv = rand(3 * 3 * 3 * 2, 82);
    await tf.setBackend('wasm');
    const x = tf.tensor4d(xv, xs as [number, number, number, number]);
    const f = tf.tensor4d(fv, [3, 3, 3, 2]);
    const attrs = { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: os };
    const run = (kernel: 'fast' | 'stock') => {
      const backend = tf.backend() as unknown as WasmBackend;
      const args = { inputs: { dy: x, filter: f }, backend, attrs };
      const out =
        kernel === 'fast'
          ? (
              tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc as unknown as (
                a: object,
              ) => tf.TensorInfo
            )(args)
          : stock('Conv2DBackpropInput', backend)(args as never);
      const t = tf.engine().makeTensorFromTensorInfo(out);
      const r = { shape: t.shape, values: Array.from(t.dataSync()) };
      t.dispose();
      return r;
    };
    expect(run('fast')).toEqual(run('stock'));
    if (xs[1] === 5) {
      // dy larger than computed: the cpu backend agrees with the stock kernel
      const [c] = await on('cpu', () =>
        tf.conv2dTranspose(tf.tensor4d(xv, xs as never), tf.tensor4d(fv, [3, 3, 3, 2]), os as never, s, pad),
      );
      const [w] = await on('wasm', () =>
        tf.conv2dTranspose(tf.tensor4d(xv, xs as never), tf.tensor4d(fv, [3, 3, 3, 2]), os as never, s, pad),
      );
      expectClose(w!, c!, 1e-5, 'dx');
    }
    tf.dispose([x, f]);
  });
});

describe('MaxPoolGrad 2x2 / stride 2 with NaN and infinite inputs', () => {
  // The fast 2x2 path (SIMD for C % 4 == 0, JavaScript otherwise) picks the window's first element that is
  // greater than every earlier one and than -Infinity, as the general path and the cpu backend do: NaN never
  // wins, and a window of only -Infinity (or NaN) passes no gradient.
  const special = [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0, 1, -1];
  it.each([8, 5])('matches cpu: C=%i', async (C) => {
    const shape: [number, number, number, number] = [2, 6, 8, C];
    const n = shape.reduce((p, q) => p * q, 1);
    // Every window (12 per image) and channel gets its own mix: windows of all NaN or all -Infinity,
    // NaN or -Infinity first, then a finite value, +Infinity later, ties.
    const xv = new Float32Array(n);
    let s = 5;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      xv[i] = special[(s >>> 8) % special.length]!;
    }
    for (let d = 0; d < C; d++) {
      for (const [r, c] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        xv[(r * 8 + c) * C + d] = Number.NEGATIVE_INFINITY; // image 0, window (0, 0): all -Infinity
        xv[(r * 8 + 2 + c) * C + d] = Number.NaN; // window (0, 1): all NaN
      }
      xv[(0 * 8 + 4) * C + d] = Number.NaN; // window (0, 2): NaN first, then a finite maximum
      xv[(0 * 8 + 5) * C + d] = -3;
      xv[(1 * 8 + 4) * C + d] = -5;
      xv[(1 * 8 + 5) * C + d] = Number.NaN;
    }
    const outShape = [2, 3, 4, C];
    const uv = rand(2 * 3 * 4 * C, 91);
    const f = () => {
      const x = tf.tensor(xv, shape) as tf.Tensor4D;
      const y = tf.maxPool(x, 2, 2, 'valid');
      return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor(uv, outShape), input: x, output: y }, {
        filterSize: 2,
        strides: 2,
        pad: 'valid',
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    };
    const [c] = await on('cpu', f);
    const [w] = await on('wasm', f);
    expect(Array.from(w!)).toEqual(Array.from(c!));
  });
});

describe('Conv2DBackpropInput with NaN or infinite weights', () => {
  // tfjs adds up only the products that exist; the fast kernel's formulation also multiplies the weights by
  // the zeros of padding and dilation (0 * Infinity = NaN), so such filters take the stock kernel.
  it.each([
    [1, 'same'],
    [2, 'same'],
    [2, 'valid'],
  ] as Array<[number, 'same' | 'valid']>)(
    'gives NaN and infinities where cpu does: stride %i %s',
    async (s, pad) => {
      const xv = rand(2 * 7 * 6 * 2, 95);
      const fv = rand(3 * 3 * 2 * 3, 96);
      fv[0] = Number.POSITIVE_INFINITY;
      fv[20] = Number.NaN;
      fv[31] = Number.NEGATIVE_INFINITY;
      const f = () =>
        tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, tf.tensor4d(fv, [3, 3, 2, 3]), s, pad)))(
          tf.tensor4d(xv, [2, 7, 6, 2]),
        );
      const [c] = await on('cpu', f);
      const [w] = await on('wasm', f);
      const kinds = (v: Float32Array) => Array.from(v, (u) => (Number.isFinite(u) ? 'finite' : String(u)));
      expect(kinds(w!)).toEqual(kinds(c!));
      expect(kinds(c!)).toContain('finite');
      const finite = (v: Float32Array) => v.map((u) => (Number.isFinite(u) ? u : 0));
      expectClose(finite(w!), finite(c!), 1e-5, 'dx');
    },
  );
});

describe('Conv2DBackpropFilter by the patch matrix', () => {
  // Stride-1 filter gradients with many filter rows are a matmul over a patch matrix whose columns follow the
  // batch-axis convolution's order of summation: the two must give the same bytes, so that switching paths
  // never changes what a training run computes.
  it.each(readerConvCases.filter((c) => c.s[0] === 1).map((c) => [label(c), c] as const))(
    'gives the same bytes as the batch-axis convolution: %s',
    async (_l, c) => {
      await tf.setBackend('wasm');
      const x = tf.tensor4d(rand(c.n * c.h * c.w * c.ci, 41), [c.n, c.h, c.w, c.ci]);
      const shape = tf.tidy(
        () => tf.conv2d(x, tf.zeros([c.fh, c.fw, c.ci, c.co]) as tf.Tensor4D, 1, c.pad).shape,
      );
      const dy = tf.tensor4d(
        rand(
          shape.reduce((p, q) => p * q, 1),
          42,
        ),
        shape,
      );
      const grad = (patches: boolean) => {
        tuning.patches = patches;
        try {
          const attrs = {
            strides: [1, 1],
            pad: c.pad,
            dataFormat: 'NHWC',
            filterShape: [c.fh, c.fw, c.ci, c.co],
          };
          const dw = tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
          const bytes = dw.dataSync();
          dw.dispose();
          return bytes;
        } finally {
          tuning.patches = true;
        }
      };
      expect(Buffer.from(grad(true).buffer)).toEqual(Buffer.from(grad(false).buffer));
      tf.dispose([x, dy]);
    },
  );
});

describe('Tile', () => {
  const cases: Array<[number[], number[]]> = [
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ],
    [
      [1, 1, 6],
      [7, 1, 1],
    ],
    [
      [1, 4],
      [5, 1],
    ],
    [
      [2, 3],
      [2, 2],
    ],
    [
      [1, 3, 2],
      [2, 2, 1],
    ],
    [
      [3, 1, 2],
      [1, 1, 3],
    ],
  ];
  it.each(cases)('matches cpu: x%j reps %j', async (shape, reps) => {
    const xv = rand(
      shape.reduce((a, b) => a * b, 1),
      51,
    );
    const f = () => tf.tile(tf.tensor(xv, shape), reps);
    const [c] = await on('cpu', f);
    const [w] = await on('wasm', f);
    expectClose(w, c, 0, 'tile');
  });
});

describe('Sum and Mean (bias and batch-norm gradients)', () => {
  const cases: Array<[number[], number[], boolean]> = [
    [[5, 7, 3, 8], [0, 1, 2], false],
    [[5, 7, 3, 6], [0, 1, 2], false],
    [[4, 3, 2, 4], [0, 1, 2], true],
    [[4096, 12], [0], false],
    [[6, 5, 4], [0], false],
    [[6, 5, 4], [1, 2], false],
    [[6, 5, 4], [2], true],
    [[6, 5, 4], [0, 1, 2], false],
  ];
  it.each(cases)('matches cpu: x%j axes %j keepDims %s', async (shape, axis, keepDims) => {
    const xv = rand(
      shape.reduce((a, b) => a * b, 1),
      41,
    );
    const f = () => [
      tf.sum(tf.tensor(xv, shape), axis, keepDims),
      tf.mean(tf.tensor(xv, shape), axis, keepDims),
    ];
    const [c, cm] = await on('cpu', f);
    const [w, wm] = await on('wasm', f);
    expectClose(w, c, 1e-4, 'sum');
    expectClose(wm, cm, 1e-4, 'mean');
    const shapes = await Promise.all(
      (['cpu', 'wasm'] as const).map(async (b) => {
        await tf.setBackend(b);
        return tf.tidy(() => f().map((t) => t.shape));
      }),
    );
    expect(shapes[1]).toEqual(shapes[0]);
  });
});

describe('Identity (clone) shares the buffer', () => {
  it('keeps the values after the original is disposed and frees the buffer with the last reference', async () => {
    await tf.setBackend('wasm');
    const buffers = () => tf.memory().numDataBuffers;
    const before = buffers();
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(buffers() - before).toBe(1); // one buffer for both (the stock kernel made a second)
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(buffers() - before).toBe(1);
    y.dispose();
    expect(buffers()).toBe(before);
  });

  it('gradients through the tensors a gradient saves (tfjs clones each) match cpu', async () => {
    const xv = rand(2 * 6 * 7 * 3, 61);
    const fv = rand(3 * 3 * 3 * 4, 62);
    const f = () => {
      const x = tf.tensor4d(xv, [2, 6, 7, 3]);
      const k = tf.tensor4d(fv, [3, 3, 3, 4]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))),
      )([x, k]);
      return g;
    };
    const c = await on('cpu', f);
    const w = await on('wasm', f);
    expectClose(w[0]!, c[0]!, 1e-4, 'dx');
    expectClose(w[1]!, c[1]!, 1e-4, 'dfilter');
  });
});
