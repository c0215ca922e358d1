import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { HcrError, type LabelSpaceChoice, labelSpace, labelSpaceChoice } from '@hcr/core';
import { defaultDatasetDir, defaultLinesDir } from '@hcr/data/reader';
import type { EngineName } from '@hcr/engine';
import { MODEL_NAMES, READER_CONTEXTS, type ReaderContext } from '@hcr/model';
import { type AugmentConfig, DEFAULT_AUGMENT } from './augment.js';
import { LOGIT_PRIORS, type LogitPrior } from './logit-adjust.js';

export type ProfileName = 'quick' | 'full';

/** What callers pass: any subset of the config; augmentation options may be given one by one. */
export type TrainConfigInput = Partial<Omit<TrainConfig, 'augment'>> & { augment?: Partial<AugmentConfig> };

/** Everything a training run depends on. Stored in the checkpoint and in metadata.json. */
export interface TrainConfig {
  model: string;
  profile: ProfileName;
  epochs: number;
  /** Global batch size (all workers together). */
  batchSize: number;
  /** Gradient shards per step: the batch is cut into this many equal slices, each a batch-norm batch. */
  gradShards: number;
  /** Peak learning rate of the schedule. */
  lr: number;
  /** Share of the steps spent warming up linearly, then cosine decay to `minLrRatio * lr`. */
  warmup: number;
  minLrRatio: number;
  weightDecay: number;
  labelSmoothing: number;
  /**
   * Logit adjustment tau: the loss sees `logits + tau * log(class prior of the training set)`. 0 trains
   * plain cross-entropy (the model learns the 2:1 digit:letter prior); 1 trains for a uniform prior.
   */
  logitAdjust: number;
  /**
   * The prior logit adjustment removes: 'character' (default) the class's character with case merged, so a
   * case-sensitive model has the 36-class model's digit/letter balance and keeps the data's case frequency;
   * 'class' each class's own (uniform over 62 classes). The same in the 36-class space.
   */
  logitPrior: LogitPrior;
  /**
   * Case-sensitive spaces: an image of c, o, s, ... (the 15 letters EMNIST Balanced merges with their
   * capital) gives this share of its target to the other case (0 = hard labels, 0.5 = one class to the
   * loss). No effect in hcr36 and hcr47, which have no such pairs.
   */
  caseTwinShare: number;
  /** Global gradient-norm clip; 0 disables. */
  clipNorm: number;
  dropout: number;
  seed: number;
  augment: AugmentConfig;
  /** Checkpoint every K optimizer steps (and at each epoch end). */
  checkpointEvery: number;
  engine: EngineName;
  workers: number;
  data: string;
  out: string;
  /** Train on at most this many samples per epoch (0 = all); for tests and smoke runs. */
  limitTrain: number;
  /**
   * Line reader: the first epoch runs its batches from short lines to long ones (SortaGrad, Deep Speech 2),
   * so CTC learns to align on easy lines first; later epochs are shuffled. Character models ignore it.
   */
  curriculum: boolean;
  /** Line reader: how its frames see the rest of the line (`conv` or `bilstm`, see @hcr/model buildReader). */
  context?: ReaderContext;
  /**
   * The label space the run expects (36, 47, 62): the dataset must have been prepared with it, and `data`
   * defaults to its shards (`artifacts/data/shards-62`; for the reader its lines, `artifacts/data/lines-62`).
   * Absent: whatever the dataset holds (36 by default). The model's output width always follows the dataset's
   * label space.
   */
  labels?: LabelSpaceChoice;
  /**
   * Fine-tuning: start from the weights of this saved model (a model directory `hcr train` wrote, or a run id
   * under `out`, e.g. `latest-reader`) instead of a seeded init. It must be the run's model: the same
   * architecture, reader context and classes. Without `lr`, fine-tuning trains at FINE_TUNE_LR_SHARE of the recipe's.
   */
  init?: string;
  /**
   * Line reader, fine-tuning: a line dataset (the synthetic lines the reader learnt from) whose training lines are
   * trained on beside the run's own, `replayShare` of them per own training line, so that the reader keeps reading
   * what it read before. Absent: none.
   */
  replay?: string;
  replayShare: number;
}

/** The most epochs a run may ask for: the full profile trains 15. */
export const MAX_EPOCHS = 1000;

/** A fine-tuned run's default peak learning rate, as a share of the recipe's: the weights already read well. */
export const FINE_TUNE_LR_SHARE = 0.25;

const BASE: Omit<TrainConfig, 'profile' | 'epochs'> = {
  model: 'hcrnet',
  batchSize: 128,
  gradShards: 2,
  lr: 0.003,
  warmup: 0.05,
  minLrRatio: 0.01,
  weightDecay: 0.01,
  labelSmoothing: 0.1,
  logitAdjust: 0,
  logitPrior: 'character',
  caseTwinShare: 0,
  clipNorm: 2,
  dropout: 0.25,
  seed: 1,
  augment: { ...DEFAULT_AUGMENT },
  checkpointEvery: 200,
  engine: 'auto',
  workers: Math.max(1, Math.min(2, availableParallelism())),
  data: 'artifacts/data/shards',
  out: 'artifacts/model',
  limitTrain: 0,
  curriculum: false,
  replayShare: 1,
};

/**
 * Per-architecture training recipes. `seed` trains with the seed's own recipe (Adam 1e-3, batch 64, no
 * augmentation, no label smoothing, no weight decay) so that it stays the baseline it claims to be.
 */
export const MODEL_DEFAULTS: Record<string, TrainConfigInput> = {
  seed: { lr: 0.001, batchSize: 64, labelSmoothing: 0, weightDecay: 0, augment: { enabled: false } },
  // A uniform class prior: digits outnumber letters 2:1 in training, which is not a fact about handwriting.
  hcrnet: { logitAdjust: 1 },
  // The line reader trains with CTC on synthetic line shards; their variety replaces augmentation.
  // Batch 16: twice the optimizer steps of 32 for the same lines and time (a line costs the same either way);
  // 3 quick epochs: amounts (digits) 56.9% -> 60.5%, synthetic 48.2% -> 49.7%, names (letters) 59.4% -> 59.2%.
  reader: {
    batchSize: 16,
    lr: 0.004,
    warmup: 0.03,
    labelSmoothing: 0,
    // No dropout: the quick reader underfits (training exact match 48% against 48% on validation at the end).
    // Two seeds each, dropout 0 against 0.2: validation CER 14.2/13.8% vs 14.7/14.5%, names with letters
    // 70.4/68.9% vs 67.4/68.5%, amounts with digits 61.3/61.6% vs 62.7/62.7%.
    dropout: 0,
    clipNorm: 5,
    checkpointEvery: 100,
    augment: { enabled: false },
    curriculum: true,
    data: 'artifacts/data/lines',
    context: 'conv',
  },
};

/** The line reader: trained by `trainLines` (CTC), not by the character trainer. */
export const READER_MODEL = 'reader';
const TRAINABLE_MODELS = [...MODEL_NAMES, READER_MODEL];

/** Profiles set the budget: quick fits in 12 minutes here, full in 90. */
export const PROFILES: Record<ProfileName, Partial<TrainConfig>> = {
  quick: { epochs: 2 },
  full: { epochs: 15 },
};

/** Per-model profile budgets where they differ (the reader: quick about 15 minutes here). */
export const MODEL_PROFILES: Record<string, Record<ProfileName, Partial<TrainConfig>>> = {
  // quick: 3 epochs over the 24,000 lines of configs/lines.json (11 min here alone, 111 lines/s, with the fused
  // batch-norm kernels; 2 epochs gave 3-5 points less on the synthetic and amounts sets);
  // full: 2 epochs over the 96,000 lines of configs/lines-full.json (~55 min here on its own).
  reader: { quick: { epochs: 3 }, full: { epochs: 2, data: 'artifacts/data/lines-full' } },
};

/**
 * Character-model budgets per label space where they differ from PROFILES (asked for with `labels`,
 * i.e. `hcr train --labels 62`). 62 classes, quick: 3 epochs (2,484 steps), the budget that meets issue 13's
 * targets (2 epochs: 47-way 90.85%, letters-only 93.56%, MNIST digits-only 99.44%; 3 epochs: 91.18%, 94.01%,
 * 99.53%); 3 x 106,017 images are 10 min at the 36-class quick run's 528 images/s (quiet machine).
 */
export const LABEL_SPACE_PROFILES: Partial<
  Record<LabelSpaceChoice, Partial<Record<ProfileName, Partial<TrainConfig>>>>
> = {
  62: { quick: { epochs: 3 } },
};

/**
 * The `hcr train` flag of each option that has one (options without a flag are set in a --config file): the CLI
 * sets the options from these flags, and errors name them.
 */
export const TRAIN_OPTION_FLAGS: Readonly<Partial<Record<keyof TrainConfigInput, string>>> = {
  model: '--model',
  context: '--context',
  profile: '--profile',
  epochs: '--epochs',
  batchSize: '--batch',
  lr: '--lr',
  logitAdjust: '--logit-adjust',
  logitPrior: '--logit-prior',
  caseTwinShare: '--case-twin-share',
  seed: '--seed',
  engine: '--engine',
  workers: '--workers',
  checkpointEvery: '--checkpoint-every',
  limitTrain: '--limit-train',
  labels: '--labels',
  init: '--init',
  replay: '--replay',
  replayShare: '--replay-share',
  data: '--data',
  out: '--out',
};

const flagOf = (field: string): string | undefined => TRAIN_OPTION_FLAGS[field as keyof TrainConfigInput];

function bad(
  field: string,
  value: unknown,
  expected: string,
  hint = flagOf(field)
    ? `Fix ${flagOf(field)} or "${field}" in the --config file.`
    : `Fix "${field}" in the --config file (it has no flag).`,
): never {
  const flag = flagOf(field) ? ` (${flagOf(field)})` : '';
  throw new HcrError(
    'TRAIN_CONFIG',
    `Training option '${field}'${flag} is ${JSON.stringify(value)}; expected ${expected}.`,
    {
      hint,
    },
  );
}

const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: unknown, min: number, max = Number.POSITIVE_INFINITY) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Profile defaults, then the config file, then flags. Unknown keys and bad values are errors. */
export function resolveTrainConfig(input: TrainConfigInput = {}): TrainConfig {
  // An option given as undefined (an absent flag) means the default, not 'undefined'.
  const partial = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as TrainConfigInput;
  const profile = (partial.profile ?? 'quick') as ProfileName;
  if (!(profile in PROFILES)) bad('profile', profile, "'quick' or 'full'");
  const known = new Set([...Object.keys(BASE), 'profile', 'epochs', 'labels', 'context', 'init', 'replay']);
  for (const k of Object.keys(partial))
    if (!known.has(k))
      bad(
        k,
        (partial as Record<string, unknown>)[k],
        `no such option (known: ${[...known].join(', ')})`,
        `Correct or remove "${k}" in the --config file.`,
      );
  const model = typeof partial.model === 'string' ? partial.model : BASE.model;
  const recipe = MODEL_DEFAULTS[model] ?? {};
  // Spreading `false`, `true` or null adds nothing: augmentation would silently stay as the recipe has it.
  const given: unknown = partial.augment;
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
    bad(
      'augment',
      given,
      'an object of augment options, e.g. {"enabled": false}',
      'Write "augment": {"enabled": false} to train without augmentation (or pass --no-augment), or set options one by one.',
    );
  const augment = { ...BASE.augment, ...(recipe.augment ?? {}), ...(partial.augment ?? {}) };
  for (const k of Object.keys(partial.augment ?? {}))
    if (!(k in DEFAULT_AUGMENT))
      bad(
        `augment.${k}`,
        (partial.augment as unknown as Record<string, unknown>)[k],
        `an augment option (known: ${Object.keys(DEFAULT_AUGMENT).join(', ')})`,
      );
  let space: ReturnType<typeof labelSpace> | undefined;
  if (partial.labels !== undefined) {
    try {
      space = labelSpace(partial.labels);
    } catch (e) {
      throw new HcrError('TRAIN_CONFIG', `Training option 'labels' is ${JSON.stringify(partial.labels)}.`, {
        hint: (e as HcrError).hint,
      });
    }
  }
  const labels = space ? labelSpaceChoice(space) : undefined;
  const budget =
    MODEL_PROFILES[model]?.[profile] ??
    (labels !== undefined ? LABEL_SPACE_PROFILES[labels]?.[profile] : undefined) ??
    PROFILES[profile];
  const c = { ...BASE, ...recipe, ...budget, ...partial, profile, augment } as TrainConfig;
  if (partial.init !== undefined && partial.lr === undefined) c.lr *= FINE_TUNE_LR_SHARE;
  if (space) {
    c.labels = labelSpaceChoice(space);
    if (partial.data === undefined)
      c.data = c.model === READER_MODEL ? defaultLinesDir(c.labels) : defaultDatasetDir(space);
  }
  if (!TRAINABLE_MODELS.includes(c.model))
    bad(
      'model',
      c.model,
      `one of ${TRAINABLE_MODELS.join(', ')}`,
      `Use --model ${TRAINABLE_MODELS.join(' or --model ')}.`,
    );
  if (c.model === READER_MODEL) {
    if (!READER_CONTEXTS.includes(c.context as ReaderContext))
      bad('context', c.context, `one of ${READER_CONTEXTS.join(', ')}`);
  } else if (c.context !== undefined)
    bad('context', c.context, 'nothing: only the line reader has a context option', 'Remove "context".');
  // Far past any budget (full: 15): 1e20 epochs trained on, with an ETA of centuries and a warm-up of 5e18 steps.
  if (!isInt(c.epochs, 1) || c.epochs > MAX_EPOCHS) bad('epochs', c.epochs, `an integer in 1..${MAX_EPOCHS}`);
  if (!isInt(c.batchSize, 2)) bad('batchSize', c.batchSize, 'an integer >= 2');
  if (!isInt(c.gradShards, 1) || c.batchSize % c.gradShards !== 0)
    bad('gradShards', c.gradShards, `an integer >= 1 that divides the batch size ${c.batchSize}`);
  if (!isNum(c.lr, 1e-7, 10)) bad('lr', c.lr, 'a number in [1e-7, 10]');
  if (!isNum(c.warmup, 0, 0.5)) bad('warmup', c.warmup, 'a fraction in [0, 0.5]');
  if (!isNum(c.minLrRatio, 0, 1)) bad('minLrRatio', c.minLrRatio, 'a fraction in [0, 1]');
  if (!isNum(c.weightDecay, 0, 1)) bad('weightDecay', c.weightDecay, 'a number in [0, 1]');
  if (!isNum(c.labelSmoothing, 0, 0.5)) bad('labelSmoothing', c.labelSmoothing, 'a number in [0, 0.5]');
  if (typeof c.curriculum !== 'boolean') bad('curriculum', c.curriculum, 'true or false');
  if (!isNum(c.logitAdjust, 0, 2)) bad('logitAdjust', c.logitAdjust, 'a number in [0, 2] (0 disables it)');
  if (!LOGIT_PRIORS.includes(c.logitPrior))
    bad(
      'logitPrior',
      c.logitPrior,
      `one of ${LOGIT_PRIORS.join(', ')}`,
      'Use --logit-prior character or class.',
    );
  if (!isNum(c.caseTwinShare, 0, 0.5))
    bad('caseTwinShare', c.caseTwinShare, 'a share in [0, 0.5] (0: hard labels)');
  if (!isNum(c.clipNorm, 0)) bad('clipNorm', c.clipNorm, 'a number >= 0 (0 disables clipping)');
  if (!isNum(c.dropout, 0, 0.9)) bad('dropout', c.dropout, 'a rate in [0, 0.9]');
  // Seeds are 32-bit (createRng); a larger one would collide with another and repeat epochs' data order.
  if (!isInt(c.seed, 0) || c.seed > 0xffffffff) bad('seed', c.seed, 'an integer in 0..4294967295');
  if (!isInt(c.checkpointEvery, 1)) bad('checkpointEvery', c.checkpointEvery, 'an integer >= 1');
  if (!['auto', 'node', 'wasm', 'cpu'].includes(c.engine)) bad('engine', c.engine, 'auto, node, wasm or cpu');
  if (!isInt(c.workers, 1) || c.workers > 16) bad('workers', c.workers, 'an integer in 1..16');
  if (!isInt(c.limitTrain, 0)) bad('limitTrain', c.limitTrain, 'an integer >= 0');
  if (typeof c.data !== 'string' || !c.data) bad('data', c.data, 'a dataset directory');
  if (typeof c.out !== 'string' || !c.out) bad('out', c.out, 'an output directory');
  if (c.init !== undefined && (typeof c.init !== 'string' || !c.init))
    bad('init', c.init, 'a saved model directory or run id');
  if (c.replay !== undefined && (typeof c.replay !== 'string' || !c.replay || c.model !== READER_MODEL))
    bad('replay', c.replay, 'a line dataset directory, for the line reader');
  if (!isNum(c.replayShare, 0, 100)) bad('replayShare', c.replayShare, 'a number in [0, 100]');
  const a = c.augment;
  if (typeof a.enabled !== 'boolean') bad('augment.enabled', a.enabled, 'true or false');
  for (const k of ['rotate', 'shear', 'translate', 'elastic'] as const)
    if (!isNum(a[k], 0, 45)) bad(`augment.${k}`, a[k], 'a number in [0, 45]');
  for (const k of ['scale', 'strokeProb', 'toneProb', 'blurProb'] as const)
    if (!isNum(a[k], 0, 1)) bad(`augment.${k}`, a[k], 'a number in [0, 1]');
  return c;
}

/** Reads a JSON config file (any subset of TrainConfig). */
export async function loadTrainConfigFile(path: string): Promise<TrainConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HcrError('TRAIN_CONFIG', `Cannot read training config ${path}: ${(e as Error).message}.`, {
      hint: 'Pass an existing JSON file with --config, or omit it for the profile defaults.',
    });
  }
  const hint = 'Fix the JSON (keys as in `hcr train --help`, e.g. {"epochs": 3, "lr": 0.002}).';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HcrError(
      'TRAIN_CONFIG',
      `Training config ${path} is not valid JSON: ${(e as Error).message}.`,
      {
        hint,
      },
    );
  }
  // Said once ("is not a JSON object: not a JSON object" before), with what the file holds instead.
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new HcrError(
      'TRAIN_CONFIG',
      `Training config ${path} is ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}, not a JSON object of options.`,
      { hint },
    );
  return v as TrainConfigInput;
}

/** Learning rate at optimizer step `t` (0-based) of `total`: linear warm-up, then cosine decay. */
export function learningRate(c: TrainConfig, t: number, total: number): number {
  const warm = Math.max(1, Math.round(c.warmup * total));
  if (t < warm) return (c.lr * (t + 1)) / warm;
  const p = Math.min(1, (t - warm) / Math.max(1, total - warm));
  const min = c.lr * c.minLrRatio;
  return min + 0.5 * (c.lr - min) * (1 + Math.cos(Math.PI * p));
}
