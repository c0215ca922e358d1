import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dispose, f32, stock, type WasmBackend } from './kernels/util.js';

/**
 * A whole LSTM sequence as one op, for training. tfjs-layers runs an LSTM one time step at a time through
 * ~15 taped ops per step (slice, two matmuls, splits, activations), and its backward pass replays them all:
 * on wasm that op overhead, not the arithmetic, is the cost. Here the input projection of every step is one
 * matmul, the recurrence runs in plain loops with one small matmul per step, and the backward pass computes
 * the weight gradients with three large matmuls. Same maths as tfjs-layers' LSTMCell (Keras gate order
 * i, f, c, o; `z = x W + h U + b`), so a model trained this way is an ordinary tfjs LSTM.
 */

/** Recurrent activations the fused op knows (tfjs' default for LSTM is hardSigmoid). */
export type LstmGateActivation = 'hardSigmoid' | 'sigmoid';

export interface LstmSequenceOptions {
  /** Read the sequence from its end (Keras' `goBackwards`); outputs come in reading order, as tfjs' RNN gives them. */
  goBackwards?: boolean;
  /** Activation of the i, f, o gates. Default hardSigmoid (tfjs' LSTM default). */
  gateActivation?: LstmGateActivation;
}

// tfjs' hardSigmoid is clip(0.2 z + 0.5, 0, 1); its gradient passes where the clip does not bind.
const hardSigmoid = (z: number) => Math.min(1, Math.max(0, 0.2 * z + 0.5));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A gate's derivative, written in terms of the gate's output y. */
const gateSlope = (hard: boolean, y: number) => (hard ? (y > 0 && y < 1 ? 0.2 : 0) : y * (1 - y));

/**
 * Products `a [rows, k] . b [k, cols]` for one fixed `b`, one per time step. On wasm the stock XNNPACK
 * BatchMatMul is called with the operands in the wasm heap directly: through tfjs ops each product paid for a
 * tensor, a tidy scope and the engine's bookkeeping, several times the arithmetic of an 8 x 128 x 512 product.
 */
class StepProduct {
  /** The wasm backend and its stock BatchMatMul, looked up once; undefined on other backends. */
  private readonly wasm: { backend: WasmBackend; batchMatMul: ReturnType<typeof stock> } | undefined;
  constructor(
    private readonly b: tf.Tensor2D,
    private readonly rows: number,
  ) {
    const backend = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : undefined;
    this.wasm = backend && { backend, batchMatMul: stock(BatchMatMul, backend) };
  }

  times(a: Float32Array): Float32Array {
    const [k, cols] = this.b.shape;
    if (!this.wasm) return dataOf(() => tf.matMul(tf.tensor2d(a, [this.rows, k]), this.b));
    const { backend, batchMatMul } = this.wasm;
    const left = backend.makeOutput([1, this.rows, k], 'float32');
    f32(backend, left).set(a);
    const out = batchMatMul({
      inputs: { a: left, b: { dataId: this.b.dataId, shape: [1, k, cols], dtype: 'float32' } },
      backend,
      attrs: { transposeA: false, transposeB: false } as never,
    });
    const result = f32(backend, out).slice();
    dispose(backend, left, out);
    return result;
  }
}

/** The values of a tensor computed in a tidy scope (a typed array returned from tf.tidy would be walked element by element). */
function dataOf(fn: () => tf.Tensor): Float32Array {
  let out: Float32Array | undefined;
  tf.tidy(() => {
    out = fn().dataSync() as Float32Array;
  });
  return out!;
}

/**
 * `x [N, T, F]`, `kernel [F, 4H]`, `recurrentKernel [H, 4H]`, `bias [4H]` -> hidden states `[N, T, H]` (zero
 * initial state, tanh cell activation), differentiable with respect to all four.
 */
export function lstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  options: LstmSequenceOptions = {},
): tf.Tensor3D {
  const backwards = options.goBackwards ?? false;
  const gateKind = options.gateActivation ?? 'hardSigmoid';
  const [N, T, F] = x.shape;
  const H = recurrentKernel.shape[0];
  const G = 4 * H;
  if (kernel.shape[0] !== F || kernel.shape[1] !== G || recurrentKernel.shape[1] !== G || bias.shape[0] !== G)
    throw new Error(
      `lstmSequence: shapes do not fit (x [${x.shape}], kernel [${kernel.shape}], recurrent [${recurrentKernel.shape}], bias [${bias.shape}])`,
    );
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w, u, b] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as tf.GradSaveFunc;
    const inOrder = (t: tf.Tensor3D) => (backwards ? tf.reverse(t, 1) : t);
    // Input projections of every step at once: z[n, t] = x[n, t] W + b.
    const zx = dataOf(() => tf.add(tf.matMul(tf.reshape(inOrder(xIn), [N * T, F]), w), b));
    const gates = new Float32Array(N * T * G); // activated i, f, g, o per step
    const cells = new Float32Array(N * T * H);
    const hidden = new Float32Array(N * T * H);
    let h: Float32Array = new Float32Array(N * H);
    const c = new Float32Array(N * H);
    const hard = gateKind === 'hardSigmoid';
    const recurrence = new StepProduct(u, N);
    for (let t = 0; t < T; t++) {
      const hu = t > 0 ? recurrence.times(h) : undefined;
      const next = new Float32Array(N * H);
      for (let n = 0; n < N; n++) {
        const zBase = (n * T + t) * G;
        const uBase = n * G;
        for (let k = 0; k < H; k++) {
          let zi = zx[zBase + k]!;
          let zf = zx[zBase + H + k]!;
          let zg = zx[zBase + 2 * H + k]!;
          let zo = zx[zBase + 3 * H + k]!;
          if (hu) {
            zi += hu[uBase + k]!;
            zf += hu[uBase + H + k]!;
            zg += hu[uBase + 2 * H + k]!;
            zo += hu[uBase + 3 * H + k]!;
          }
          const i = hard ? hardSigmoid(zi) : sigmoid(zi);
          const fg = hard ? hardSigmoid(zf) : sigmoid(zf);
          const g = Math.tanh(zg);
          const o = hard ? hardSigmoid(zo) : sigmoid(zo);
          const at = n * H + k;
          const cNew = fg * c[at]! + i * g;
          const hNew = o * Math.tanh(cNew);
          gates[zBase + k] = i;
          gates[zBase + H + k] = fg;
          gates[zBase + 2 * H + k] = g;
          gates[zBase + 3 * H + k] = o;
          c[at] = cNew;
          cells[(n * T + t) * H + k] = cNew;
          hidden[(n * T + t) * H + k] = hNew;
          next[at] = hNew;
        }
      }
      h = next;
    }
    save([xIn, w, u]);
    // Outputs stay in reading order (tfjs' RNN does the same; Bidirectional reverses its backward layer's).
    const value = tf.tensor3d(hidden, [N, T, H]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, ws, us] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
      const dh = dy.dataSync() as Float32Array;
      const uT = tf.transpose(us) as tf.Tensor2D;
      const backRecurrence = new StepProduct(uT, N);
      const dz = new Float32Array(N * T * G);
      let dhNext: Float32Array = new Float32Array(N * H);
      const dcNext = new Float32Array(N * H);
      for (let t = T - 1; t >= 0; t--) {
        for (let n = 0; n < N; n++) {
          const base = (n * T + t) * G;
          for (let k = 0; k < H; k++) {
            const at = (n * T + t) * H + k;
            const i = gates[base + k]!;
            const fg = gates[base + H + k]!;
            const g = gates[base + 2 * H + k]!;
            const o = gates[base + 3 * H + k]!;
            const tc = Math.tanh(cells[at]!);
            const cPrev = t > 0 ? cells[at - H]! : 0;
            const dhT = dh[at]! + dhNext[n * H + k]!;
            const dc = dcNext[n * H + k]! + dhT * o * (1 - tc * tc);
            dz[base + k] = dc * g * gateSlope(hard, i);
            dz[base + H + k] = dc * cPrev * gateSlope(hard, fg);
            dz[base + 2 * H + k] = dc * i * (1 - g * g);
            dz[base + 3 * H + k] = dhT * tc * gateSlope(hard, o);
            dcNext[n * H + k] = dc * fg;
          }
        }
        if (t > 0) {
          const dzT = new Float32Array(N * G);
          for (let n = 0; n < N; n++) dzT.set(dz.subarray((n * T + t) * G, (n * T + t + 1) * G), n * G);
          dhNext = backRecurrence.times(dzT);
        }
      }
      // h[t-1] for every step (zero before the first): the recurrent kernel's input.
      const hPrev = new Float32Array(N * T * H);
      for (let n = 0; n < N; n++) hPrev.set(hidden.subarray(n * T * H, (n * T + T - 1) * H), (n * T + 1) * H);
      const dzt = tf.tensor2d(dz, [N * T, G]);
      const xsFlat = tf.reshape(backwards ? tf.reverse(xs, 1) : xs, [N * T, F]);
      const dxs = tf.reshape(tf.matMul(dzt, ws, false, true), [N, T, F]) as tf.Tensor3D;
      return [
        backwards ? tf.reverse(dxs, 1) : dxs,
        tf.matMul(xsFlat, dzt, true, false),
        tf.matMul(tf.tensor2d(hPrev, [N * T, H]), dzt, true, false),
        tf.sum(dzt, 0),
      ];
    };
    return { value, gradFunc };
  });
  return f(x, kernel, recurrentKernel, bias) as tf.Tensor3D;
}

/** The parts of tfjs-layers' LSTM (an RNN layer) that the fused path reads. */
interface LstmLayer {
  stateful: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  cell: {
    units: number;
    useBias: boolean;
    dropout: number;
    recurrentDropout: number;
    activation: object;
    recurrentActivation: object;
    kernel: tfl.LayerVariable;
    recurrentKernel: tfl.LayerVariable;
    bias: tfl.LayerVariable | null;
  };
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

const activationName = (a: object) => (a.constructor as { className?: string }).className;

let patched = false;

/**
 * Makes every tfjs-layers LSTM layer (also inside Bidirectional) run `lstmSequence` when called with
 * `training: true` and nothing the fused op does not cover (no mask, initial state, state output, statefulness
 * or dropout; tanh cell activation; hardSigmoid or sigmoid gates). Inference and every other case run the
 * layer's own code. Idempotent.
 */
export function useFusedLstmInTraining(): void {
  if (patched) return;
  patched = true;
  const proto = Object.getPrototypeOf(tfl.layers.lstm({ units: 1 })) as LstmLayer;
  const original = proto.call;
  proto.call = function (this: LstmLayer, inputs, kwargs) {
    const cell = this.cell;
    const gateActivation = activationName(cell.recurrentActivation);
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const covered =
      kwargs?.training === true &&
      kwargs.mask == null &&
      kwargs.initialState == null &&
      !this.stateful &&
      !this.returnState &&
      cell.dropout === 0 &&
      cell.recurrentDropout === 0 &&
      activationName(cell.activation) === 'tanh' &&
      (gateActivation === 'hardSigmoid' || gateActivation === 'sigmoid') &&
      x?.rank === 3;
    if (!covered) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const bias = cell.useBias && cell.bias ? (cell.bias.read() as tf.Tensor1D) : tf.zeros([4 * cell.units]);
      const y = lstmSequence(
        x as tf.Tensor3D,
        cell.kernel.read() as tf.Tensor2D,
        cell.recurrentKernel.read() as tf.Tensor2D,
        bias as tf.Tensor1D,
        { goBackwards: this.goBackwards, gateActivation: gateActivation as LstmGateActivation },
      );
      if (this.returnSequences) return y;
      const T = y.shape[1];
      return tf.squeeze(tf.slice(y, [0, T - 1, 0], [-1, 1, -1]), [1]);
    });
  };
}
