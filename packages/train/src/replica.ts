import { HcrError, type ModelMetadata } from '@hcr/core';
import { loadModel, logitsModel, saveModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EvalResult, InitMessage, ShardJob, ShardResult, WorkerState } from './protocol.js';
import { CharacterTask } from './tasks/character.js';
import { LineTask } from './tasks/line.js';
import type { ReplicaTask } from './tasks/task.js';

/**
 * One model replica and its AdamW state, living in a worker thread. Every replica starts from the same
 * seeded weights and applies the same averaged gradients, so replicas stay bit-identical without
 * broadcasting weights. The optimizer runs in plain JS on flat Float32Arrays: exact, cheap to checkpoint.
 * What is trained (characters or lines) is the task's business; everything else is shared.
 */
export class Replica {
  private readonly task: ReplicaTask;
  private readonly model: tfl.LayersModel;
  private readonly logits: tfl.LayersModel;
  private readonly trainVars: tf.Variable[];
  private readonly stateVars: tf.Variable[];
  private readonly decayMask: Uint8Array;
  readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(private readonly init: InitMessage) {
    this.task = init.task === 'line' ? new LineTask(init) : new CharacterTask(init);
    this.model = this.task.buildModel();
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

  /** Loss and gradients of one shard (mean over its samples), plus the batch-norm state it produced. */
  computeShard(job: ShardJob, epoch: number, step: number, restoreState: boolean): ShardResult {
    const before = restoreState ? this.readState() : undefined;
    this.seedDropout(step, job.index);
    const grads = new Float32Array(this.params.length);
    let stats = { lossSum: 0, correct: 0, count: 0 };
    tf.tidy(() => {
      const shard = this.task.shard(job, epoch);
      const { value, grads: g } = tf.variableGrads(
        () => shard.loss(this.logits.apply(shard.x, { training: true }) as tf.Tensor),
        this.trainVars,
      );
      stats = shard.stats(value.dataSync()[0] ?? Number.NaN);
      let off = 0;
      for (const v of this.trainVars) {
        grads.set(g[v.name]!.dataSync() as Float32Array, off);
        off += v.size;
      }
    });
    const state = this.readState();
    if (before) this.writeVars(this.stateVars, before);
    return { index: job.index, grads, state, ...stats };
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
    // `set` accepts a shorter array and keeps the rest: weights that do not fit are an error, not a mix.
    const want = { params: this.params.length, state: this.stateCount, m: this.m.length, v: this.v.length };
    for (const k of ['params', 'state', 'm', 'v'] as const)
      if (s[k].length !== want[k])
        throw new HcrError(
          'CHECKPOINT_CORRUPT',
          `Weights to load have ${s[k].length} ${k} values, the model has ${want[k]}.`,
          { hint: 'Load weights saved from this model (the checkpoint of this run), or start a new run.' },
        );
    this.params.set(s.params);
    this.m.set(s.m);
    this.v.set(s.v);
    this.writeVars(this.trainVars, this.params);
    if (s.state.length) this.writeVars(this.stateVars, s.state);
  }

  /**
   * Fine-tuning: the weights of a saved model of this architecture, in place of the seeded init (trainable
   * weights and batch-norm statistics alike). The optimizer state stays zero: a new run starts its own.
   */
  async loadWeights(dir: string): Promise<void> {
    const saved = await loadModel(dir);
    try {
      const ours = this.model.weights;
      const theirs = saved.weights;
      const shape = (w: { shape: (number | null)[] }) => w.shape.join('x');
      const at = ours.findIndex((w, i) => !theirs[i] || shape(w) !== shape(theirs[i]!));
      if (ours.length !== theirs.length || at >= 0)
        throw new HcrError(
          'INIT_MISMATCH',
          `The model in ${dir} has ${theirs.length} weights, this run's ${ours.length}` +
            (at >= 0
              ? `; weight ${at} is ${theirs[at] ? shape(theirs[at]!) : 'missing'} there, ${shape(ours[at]!)} here`
              : '') +
            '.',
          {
            hint: 'Fine-tune a model of the same architecture and options (--context, --labels) as the run.',
          },
        );
      tf.tidy(() => {
        for (const [i, w] of ours.entries()) (w.read() as tf.Variable).assign(theirs[i]!.read());
      });
    } finally {
      saved.dispose();
    }
    let off = 0;
    for (const v of this.trainVars) {
      this.params.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
  }

  evaluate(split: string, start: number, end: number, batchSize: number): EvalResult {
    return this.task.evaluate(this.logits, split, start, end, batchSize);
  }

  async save(dir: string, metadata?: ModelMetadata): Promise<void> {
    await saveModel(this.model, dir, metadata);
  }
}
