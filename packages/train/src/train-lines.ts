import { resolve } from 'node:path';
import {
  createRng,
  DEFAULT_INPUT_NORMALISATION,
  decodeLineLabels,
  HcrError,
  type LineAlphabet,
  type LineReaderInfo,
  type ModelMetadata,
  shuffleInPlace,
} from '@hcr/core';
import { epochOrder, type LineSplit, openLineDataset } from '@hcr/data';
import { LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE } from '@hcr/model';
import type { BestWeights } from './checkpoint.js';
import { learningRate, READER_MODEL, resolveTrainConfig } from './config.js';
import { restoreBest, runLoop } from './loop.js';
import { WorkerPool } from './pool.js';
import { progressReporter } from './progress.js';
import type { SharedLineSplit } from './protocol.js';
import { gitCommit, pointLatest } from './run-dir.js';
import { checkLabelSpace, checkSameData, initialProgress, startRun } from './start.js';
import type { TrainOptions, TrainResult } from './train.js';

/** Copies a line split into SharedArrayBuffers: every worker reads it without a copy of its own. */
function shareLines(data: LineSplit, limit = 0): SharedLineSplit {
  const count = limit > 0 ? Math.min(limit, data.count) : data.count;
  const shared = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(src: T, n: number): T => {
    const Ctor = src.constructor as new (b: SharedArrayBuffer) => T;
    const out = new Ctor(new SharedArrayBuffer(n * src.BYTES_PER_ELEMENT));
    out.set(src.subarray(0, n) as never);
    return out;
  };
  const pixelEnd = count ? data.pixelOffsets[count - 1]! + data.height * data.widths[count - 1]! : 0;
  return {
    count,
    height: data.height,
    widths: shared(data.widths, count),
    pixelOffsets: shared(data.pixelOffsets, count),
    pixels: shared(data.pixels, pixelEnd),
    labelOffsets: shared(data.labelOffsets, count + 1),
    labels: shared(data.labels, data.labelOffsets[count]!),
  };
}

/**
 * Epoch order for lines: a seeded shuffle, then within windows of `window` batches the lines are sorted by
 * width and the batches shuffled again, so a batch pads to a similar width (less wasted compute) while the
 * order of batches stays random. With `curriculum`, epoch 0 instead runs all its batches from narrow to wide
 * (SortaGrad): short lines teach CTC to align before long ones arrive.
 */
export function lineEpochOrder(
  widths: Uint16Array,
  count: number,
  batchSize: number,
  seed: number,
  epoch: number,
  { window = 32, curriculum = false }: { window?: number; curriculum?: boolean } = {},
): Uint32Array {
  const order = epochOrder(count, true, seed, epoch);
  const rng = createRng(seed * 7_000_003 + epoch);
  const sortByWidth = curriculum && epoch === 0;
  const span = batchSize * window;
  const whole: number[][] = [];
  const tail: number[][] = [];
  for (let start = 0; start < count; start += span) {
    const end = Math.min(count, start + span);
    const chunk = Array.from(order.subarray(start, end)).sort((a, b) => widths[a]! - widths[b]! || a - b);
    const batches: number[][] = [];
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
    // Only whole batches move; a ragged tail (the last window's) stays last: the loop drops it.
    const full = batches.filter((b) => b.length === batchSize);
    if (!sortByWidth) shuffleInPlace(full, rng);
    whole.push(...full);
    tail.push(...batches.filter((b) => b.length !== batchSize));
  }
  if (sortByWidth) {
    const meanWidth = (b: number[]) => b.reduce((sum, i) => sum + widths[i]!, 0) / b.length;
    const keys = new Map(whole.map((b) => [b, meanWidth(b)]));
    whole.sort((p, q) => keys.get(p)! - keys.get(q)!); // stable: equal widths keep their order
  }
  order.set([...whole, ...tail].flat());
  return order;
}

/** Levenshtein distance between two label sequences. */
export function editDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Character error rate and exact-match rate of greedy decodings against a split's labels. */
export function lineScores(decoded: number[][], split: SharedLineSplit): { cer: number; exact: number } {
  let edits = 0;
  let chars = 0;
  let exact = 0;
  for (let i = 0; i < decoded.length; i++) {
    const truth = split.labels.subarray(split.labelOffsets[i]!, split.labelOffsets[i + 1]!);
    const d = editDistance(decoded[i]!, truth);
    edits += d;
    chars += truth.length;
    if (d === 0) exact++;
  }
  return { cer: edits / Math.max(1, chars), exact: exact / Math.max(1, decoded.length) };
}

function readerInfo(alphabet: LineAlphabet): LineReaderInfo {
  return {
    alphabetId: alphabet.id,
    symbols: [...alphabet.symbols],
    height: LINE_HEIGHT,
    stride: LINE_STRIDE,
    minWidth: LINE_MIN_WIDTH,
  };
}

/**
 * Trains the line reader with CTC on synthetic line shards (`hcr data lines prepare`), on the same
 * machinery as the character trainer: worker replicas, AdamW + schedule, checkpoints, exact resume,
 * best-epoch weights (by validation exact match), metrics and learning curve. Greedy decoding scores
 * validation and test; eval (@hcr/eval) measures beam search, constraints and real scans.
 */
export async function trainLines(opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let config = resolveTrainConfig({ model: READER_MODEL, ...opts.config });
  if (config.model !== READER_MODEL)
    throw new HcrError(
      'TRAIN_CONFIG',
      `trainLines trains the '${READER_MODEL}' model, not '${config.model}'.`,
      {
        hint: 'Train character models with `hcr train --model hcrnet` and the line reader with `--model reader`.',
      },
    );

  const start = await startRun(config, { ...opts, log });
  const { runId, runDir, resumed } = start;
  config = start.config;
  const commit = gitCommit();

  const dataset = await openLineDataset(config.data);
  checkSameData(start, dataset.dir, dataset.manifestSha256);
  const alphabet = dataset.alphabet;
  checkLabelSpace(config.labels, alphabet.labelSpace, dataset.dir, 'lines');
  const normalisation = DEFAULT_INPUT_NORMALISATION;
  const [trainData, valData, testData] = await Promise.all(
    (['train', 'val', 'test'] as const).map((s) => dataset.loadSplit(s)),
  );
  const splits = {
    train: shareLines(trainData!, config.limitTrain),
    val: shareLines(valData!),
    test: shareLines(testData!),
  };

  const pool = await WorkerPool.start(config.workers, {
    task: 'line',
    model: config.model,
    classes: alphabet.size,
    modelSeed: config.seed,
    dropout: config.dropout,
    context: config.context,
    engine: config.engine,
    splits,
    normalisation,
    augment: config.augment,
    dataSeed: config.seed,
    labelSmoothing: 0,
    logitBias: [],
    weightDecay: config.weightDecay,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  try {
    const engine = pool.info.engine;
    log(
      `engine: ${engine.name} (backend '${engine.backend}'${engine.fastKernels ? ', fast training kernels' : ''}), ` +
        `${pool.size} worker thread(s), model ${config.model} (${pool.info.paramCount} parameters, alphabet ${alphabet.id} of ${alphabet.size}), ` +
        `${splits.train.count} training lines, run ${runId}`,
    );
    const stepsPerEpoch = Math.floor(splits.train.count / config.batchSize);
    if (stepsPerEpoch < 1)
      throw new HcrError(
        'TRAIN_CONFIG',
        `The batch size ${config.batchSize} exceeds the ${splits.train.count} training lines.`,
        { hint: 'Use a smaller --batch or prepare more lines.' },
      );

    const progress = initialProgress(start, dataset.manifestSha256);
    let best: BestWeights | undefined = resumed?.best;
    if (resumed) await pool.setState(resumed.weights);

    const loop = await runLoop({
      pool,
      runId,
      runDir,
      schedule: config,
      learningRate: (t, total) => learningRate(config, t, total),
      stepsPerEpoch,
      order: (epoch) =>
        lineEpochOrder(splits.train.widths, splits.train.count, config.batchSize, config.seed, epoch, {
          curriculum: config.curriculum,
        }),
      progress,
      best,
      validate: async () => {
        const val = await pool.evaluate('val', splits.val.count, 64);
        const s = lineScores(val.decoded, splits.val);
        return { loss: val.lossSum / splits.val.count, score: s.exact, extra: { val_cer: s.cer } };
      },
      reporter: opts.progress ?? progressReporter(),
      log,
      maxSteps: opts.maxSteps,
      unit: 'lines',
    });
    best = loop.best;
    if (loop.stoppedEarly)
      return { runDir, metadata: undefined as unknown as ModelMetadata, stoppedEarly: true };

    await restoreBest(pool, best);
    const tTest = performance.now();
    const test = await pool.evaluate('test', splits.test.count, 64);
    const testScores = lineScores(test.decoded, splits.test);
    const last = progress.history[progress.history.length - 1]!;
    const metrics: Record<string, number> = {
      best_epoch: progress.best?.epoch ?? last.epoch,
      val_exact: progress.best?.valAcc ?? last.val_acc,
      val_loss: progress.best?.valLoss ?? last.val_loss,
      final_val_exact: last.val_acc,
      final_train_loss: last.train_loss,
      test_cer: testScores.cer,
      test_exact: testScores.exact,
      lines_per_s:
        progress.history.reduce((s, h) => s + h.images_per_s * h.seconds, 0) /
        Math.max(1e-9, progress.seconds),
      train_seconds: progress.seconds,
      test_seconds: (performance.now() - tTest) / 1000,
      steps: progress.globalStep,
    };
    const metadata: ModelMetadata = {
      formatVersion: 1,
      id: runId,
      uid: progress.uid,
      modelVersion: progress.modelVersion,
      architecture: config.model,
      labelSpace: alphabet.labelSpace as ModelMetadata['labelSpace'],
      classNames: [...alphabet.symbols],
      // Width is free: -1 marks the symbolic dimension.
      inputShape: [LINE_HEIGHT, -1, 1],
      inputNormalisation: { ...normalisation },
      characterNormalisation: 'none',
      letterSource: 'emnist-letters-repack',
      dataManifestSha256: dataset.manifestSha256,
      commit,
      createdAt: new Date().toISOString(),
      engine: engine.name,
      trainingConfig: { ...config, workers: pool.size } as unknown as Record<string, unknown>,
      metrics,
      task: 'line',
      reader: readerInfo(alphabet),
    };
    await pool.save(runDir, metadata);
    await pointLatest(resolve(config.out), runDir, 'latest-reader');
    const examples = test.decoded
      .slice(0, 3)
      .map((d) => `'${decodeLineLabels(d, alphabet)}'`)
      .join(', ');
    log(
      `test (greedy): CER ${(testScores.cer * 100).toFixed(2)}%, exact ${(testScores.exact * 100).toFixed(2)}% on ${splits.test.count} synthetic lines (e.g. ${examples})`,
    );
    log(`saved ${runDir} (model.json, weights.bin, metadata.json, metrics.jsonl, learning-curve.png)`);
    return { runDir, metadata };
  } finally {
    await pool.close();
  }
}
