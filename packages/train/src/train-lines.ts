import { resolve } from 'node:path';
import {
  createRng,
  decodeLineLabels,
  HcrError,
  type LetterSource,
  type LineAlphabet,
  type LineReaderInfo,
  type ModelMetadata,
  shuffleInPlace,
} from '@hcr/core';
import {
  epochOrder,
  isImportedLines,
  type LineDataset,
  type LineSplit,
  openLineDataset,
} from '@hcr/data/reader';
import { LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE } from '@hcr/model';
import { distance } from 'fastest-levenshtein';
import { READER_MODEL, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { openInitModel } from './init-from.js';
import { limitedSample } from './limit.js';
import type { SharedLineSplit } from './protocol.js';
import {
  bestEpochMetrics,
  type OpenedData,
  runTraining,
  type TrainOptions,
  type TrainResult,
} from './session.js';
import { checkLabelSpace } from './start.js';

/** Copies a line split into SharedArrayBuffers: every worker reads it without a copy of its own. */
function shareLines(data: LineSplit, limit = 0, seed = 0): SharedLineSplit {
  if (limit > 0 && limit < data.count)
    return shareLines(packLines([{ split: data, lines: limitedSample(data.count, limit, seed) }]));
  const count = data.count;
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
 * The named lines of each split (all of a split without `lines`), one split's after another, packed as a split of
 * their own: --limit-train's sample, and a run's own lines followed by the replayed ones.
 */
function packLines(picks: readonly { split: LineSplit; lines?: ArrayLike<number> }[]): LineSplit {
  const height = picks[0]!.split.height;
  const chosen = picks.map(({ split, lines }) => {
    if (split.height !== height)
      throw new RangeError(`packLines: lines ${split.height} and ${height} px high`);
    return { split, lines: lines ?? Array.from({ length: split.count }, (_, i) => i) };
  });
  let count = 0;
  let pixelCount = 0;
  let labelCount = 0;
  for (const { split, lines } of chosen)
    for (let k = 0; k < lines.length; k++) {
      const i = lines[k]!;
      count++;
      pixelCount += height * split.widths[i]!;
      labelCount += split.labelOffsets[i + 1]! - split.labelOffsets[i]!;
    }
  const out: LineSplit = {
    count,
    height,
    widths: new Uint16Array(count),
    pixelOffsets: new Float64Array(count),
    pixels: new Uint8Array(pixelCount),
    labelOffsets: new Uint32Array(count + 1),
    labels: new Uint8Array(labelCount),
    kinds: new Uint8Array(count),
    glyphIds: new Int32Array(labelCount),
  };
  let j = 0;
  let px = 0;
  for (const { split, lines } of chosen)
    for (let k = 0; k < lines.length; k++, j++) {
      const i = lines[k]!;
      const size = height * split.widths[i]!;
      const [from, to] = [split.labelOffsets[i]!, split.labelOffsets[i + 1]!];
      const at = out.labelOffsets[j]!;
      out.widths[j] = split.widths[i]!;
      out.kinds[j] = split.kinds[i]!;
      out.pixelOffsets[j] = px;
      out.pixels.set(split.pixels.subarray(split.pixelOffsets[i]!, split.pixelOffsets[i]! + size), px);
      out.labels.set(split.labels.subarray(from, to), at);
      out.glyphIds.set(split.glyphIds.subarray(from, to), at);
      out.labelOffsets[j + 1] = at + to - from;
      px += size;
    }
  return out;
}

/**
 * Fine-tuning's rehearsal: a seeded sample of the `replay` dataset's training lines, `replayShare` of them per
 * training line of the run's own data, trained on beside it so that the reader keeps what it read before.
 */
async function replayLines(
  config: TrainConfig,
  dataset: LineDataset,
  own: number,
): Promise<{ split: LineSplit; lines: Uint32Array }> {
  const replay = await openLineDataset(config.replay);
  if (replay.alphabet.id !== dataset.alphabet.id)
    throw new HcrError(
      'REPLAY_MISMATCH',
      `--replay ${replay.dir} is labelled in ${replay.alphabet.id}; the lines trained on (${dataset.dir}) in ${dataset.alphabet.id}.`,
      { hint: 'Replay lines of the same label space (`--labels` of `hcr data lines prepare`).' },
    );
  const all = await replay.loadSplit('train');
  const n = Math.min(all.count, Math.round(config.replayShare * own));
  return { split: all, lines: limitedSample(all.count, n, config.seed + 1) };
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

/** Levenshtein distance between two label sequences (alphabet indices, so each fits one UTF-16 code unit). */
export function editDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const text = (x: ArrayLike<number>) => String.fromCharCode(...Array.from(x));
  return distance(text(a), text(b));
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

interface LineData extends OpenedData {
  dataset: LineDataset;
  /** Where the letters the model learnt came from: the drawn lines', or for imported lines the init model's. */
  letterSource: LetterSource;
  /** Fine-tuning's rehearsal: how many of the training lines were replayed, and from where. */
  replay?: { dir: string; lines: number };
  splits: { train: SharedLineSplit; val: SharedLineSplit; test: SharedLineSplit };
}

/**
 * Trains the line reader with CTC on synthetic line shards (`hcr data lines prepare`), on the same run
 * machinery as the character trainer (`runTraining`): worker replicas, AdamW + schedule, checkpoints, exact
 * resume, best-epoch weights (by validation exact match), metrics and learning curve. Greedy decoding scores
 * validation and test; eval (@hcr/eval) measures beam search, constraints and real scans.
 */
export async function trainLines(opts: TrainOptions = {}): Promise<TrainResult> {
  const input = { model: READER_MODEL, ...opts.config };
  // fine-tuning a reader keeps its context unless told otherwise (a bilstm model is fine-tuned as one)
  if (input.init !== undefined && input.context === undefined && !opts.resume) {
    const { metadata } = await openInitModel(resolveTrainConfig(input));
    input.context = metadata.trainingConfig.context as TrainConfigInput['context'];
  }
  const config = resolveTrainConfig(input);
  if (config.model !== READER_MODEL)
    throw new HcrError(
      'TRAIN_CONFIG',
      `trainLines trains the '${READER_MODEL}' model, not '${config.model}'.`,
      {
        hint: 'Train character models with `hcr train --model hcrnet` and the line reader with `--model reader`.',
      },
    );
  return runTraining<LineData>(opts, {
    unit: 'lines',
    config,
    async open(config, init) {
      const dataset = await openLineDataset(config.data);
      checkLabelSpace(config.labels, dataset.alphabet.labelSpace, dataset.dir, 'lines');
      const letterSource = dataset.letterSource ?? init?.metadata.letterSource;
      // imported real lines are hundreds or thousands, not the tens of thousands a reader learns to read from
      if (!letterSource)
        throw new HcrError(
          'INIT_REQUIRED',
          `The lines in ${dataset.dir} were imported from labelled images: they fine-tune a reader, they do not train one.`,
          {
            hint: 'Start from a trained reader: add --init latest-reader (or --init <model dir>); --context must be the model’s.',
          },
        );
      const [trainData, valData, testData] = await Promise.all(
        (['train', 'val', 'test'] as const).map((s) => dataset.loadSplit(s)),
      );
      const replayed = config.replay ? await replayLines(config, dataset, trainData!.count) : undefined;
      const train = replayed ? packLines([{ split: trainData! }, replayed]) : trainData!;
      const splits = {
        train: shareLines(train, config.limitTrain, config.seed),
        val: shareLines(valData!),
        test: shareLines(testData!),
      };
      // Validation picks the best epoch: without it a whole run trained to scores of NaN.
      if (splits.val.count === 0)
        throw new HcrError('DATA_EMPTY', `The line dataset in ${dataset.dir} has no validation lines.`, {
          hint: 'Prepare it with validation lines ("counts": {"val": 1000} in the --config of `hcr data lines prepare`), or pass --data with one that has.',
        });
      const { dir, manifestSha256 } = dataset;
      const replay = replayed ? { dir: resolve(config.replay!), lines: replayed.lines.length } : undefined;
      return { dir, manifestSha256, trainCount: splits.train.count, dataset, splits, letterSource, replay };
    },
    task: ({ dataset, splits }, config) => ({
      task: 'line',
      classes: dataset.alphabet.size,
      splits,
      context: config.context,
      labelSmoothing: 0,
      logitBias: [],
    }),
    describe: ({ dataset, splits, replay }) =>
      `alphabet ${dataset.alphabet.id} of ${dataset.alphabet.size}, ${splits.train.count} training lines` +
      (replay ? ` (${replay.lines} replayed from ${replay.dir})` : ''),
    batchHint: 'Use a smaller --batch or prepare more lines.',
    order: ({ splits }, config, epoch) =>
      lineEpochOrder(splits.train.widths, splits.train.count, config.batchSize, config.seed, epoch, {
        curriculum: config.curriculum,
      }),
    async validate(pool, { splits }) {
      const val = await pool.evaluate('val', splits.val.count, 64);
      const s = lineScores(val.decoded, splits.val);
      return { loss: val.lossSum / splits.val.count, score: s.exact, extra: { val_cer: s.cer } };
    },
    async test(pool, { dataset, splits }, progress) {
      const test = await pool.evaluate('test', splits.test.count, 64);
      const scores = lineScores(test.decoded, splits.test);
      const examples = test.decoded
        .slice(0, 3)
        .map((d) => `'${decodeLineLabels(d, dataset.alphabet)}'`)
        .join(', ');
      return {
        metrics: {
          ...bestEpochMetrics(progress, 'exact'),
          test_cer: scores.cer,
          test_exact: scores.exact,
        },
        summary: [
          `test (greedy): CER ${(scores.cer * 100).toFixed(2)}%, exact ${(scores.exact * 100).toFixed(2)}% on ${splits.test.count} ${isImportedLines(dataset.manifest) ? `lines imported from ${dataset.manifest.imported.source}` : 'synthetic lines'} (e.g. ${examples})`,
        ],
      };
    },
    model: ({ dataset, letterSource }) => ({
      labelSpace: dataset.alphabet.labelSpace as ModelMetadata['labelSpace'],
      classNames: [...dataset.alphabet.symbols],
      // Width is free: -1 marks the symbolic dimension.
      inputShape: [LINE_HEIGHT, -1, 1],
      characterNormalisation: 'none',
      letterSource,
      task: 'line',
      reader: readerInfo(dataset.alphabet),
    }),
    latest: 'latest-reader',
  });
}
