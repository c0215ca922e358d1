import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { calibrateProbabilities, HcrError, pixelLookupTable } from '@hcr/core';
import { CHARACTER_PIXELS as PIXELS, type PreparedCharacter, preparePixels } from '@hcr/image';
import {
  IMAGE_FORMATS_TEXT,
  type PreprocessOptions,
  prepareImage,
  sniffImageFormat,
} from '@hcr/image/decode';
import * as ort from 'onnxruntime-node';
import {
  allowedClasses,
  type ClassFilter,
  type Prediction,
  parseMinConfidence,
  rankClasses,
} from './classes.js';
import { inspectModel, type ModelInfo, readModelFile } from './onnx/model-info.js';
import { openSession, resolveTuning, type SessionTuning } from './onnx/session.js';
import { checkModelOption, checkTuning, lifecycle, notAnInput } from './reader/lifecycle.js';
import { judgeInput } from './verdict.js';
import { InferenceThread } from './workers/inference-thread.js';
import { openPreparePool, type PreparePoolOptions } from './workers/pool.js';

/**
 * One character to recognise: an encoded image (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC or PDF bytes), or 28x28 pixels
 * (Float32Array, number[], or a 784-byte Uint8Array that is not an image file).
 */
export type RecognizerInput =
  | Uint8Array
  | Float32Array
  | readonly number[]
  | { image: Uint8Array }
  | { pixels: ArrayLike<number> };

export type { SessionTuning };

export interface RecognizerOptions extends SessionTuning {
  /** Path to model.onnx, or its bytes. */
  model: string | Uint8Array;
  preprocess?: PreprocessOptions;
  /**
   * Worker threads that decode and preprocess images (default 0: on the calling thread). A server sets
   * it so its main thread keeps handling requests; 28x28 pixel arrays are always prepared in place.
   */
  prepareWorkers?: number;
  /**
   * With prepareWorkers: prepare small PNGs (up to 128x128 pixels: the 28x28s API clients send) on the
   * calling thread instead. Default: when this process has at most 2 cores, where a worker finds no core of
   * its own (onnxruntime and the calling thread take them) and its round trip costs ~20 us, a third of what
   * preparing a 28x28 PNG does; photos still go to the workers, so long decodes never hold the calling thread.
   */
  inlineSmallImages?: boolean;
  /**
   * With prepareWorkers: a file not prepared within `taskTimeoutMs` fails with TIMEOUT and the worker it held
   * is stopped and replaced (PreparePoolOptions). hcr serve gives it its request timeout. Default: no deadline.
   */
  preparePool?: PreparePoolOptions;
  /**
   * Run onnxruntime in a worker thread (default false). Its runs are synchronous on the thread that calls
   * them; a server sets this so its main thread keeps handling requests while a batch runs.
   */
  inferenceThread?: boolean;
}

export interface RecognizeOptions {
  /** How many ranked classes to return per image (default 5). */
  topK?: number;
  /** Restrict answers to these characters (`digits`, `letters`, `chars:<set>`, ...; default all). */
  classes?: ClassFilter;
  /**
   * Answer only when the calibrated probability of the best allowed class is at least this (0..1, default
   * DEFAULT_MIN_CONFIDENCE = 0.5); below it `answer` is null and `verdict` is `not-confident`.
   */
  minConfidence?: number;
  /**
   * What reads a word or a number in the caller's front end, named by the several-characters message (the HTTP
   * service: `POST /v1/read`; the CLI: `hcr read`; default LINE_READER_NAME).
   */
  lineReader?: string;
}

export interface RankOptions extends RecognizeOptions {
  /** The prepared input, so that blank pages, noise and several characters get their own verdict. */
  prepared?: Pick<PreparedCharacter, 'ink' | 'noInk'>;
}

export interface Recognizer {
  readonly info: ModelInfo;
  readonly tuning: Required<SessionTuning>;
  /** Worker threads preparing images (0: the calling thread). */
  readonly prepareWorkers: number;
  /** onnxruntime runs in a worker thread of its own (`inferenceThread`), not on the calling thread. */
  readonly inferenceThread: boolean;
  /** Images sent to those workers and not yet prepared (waiting or in hand); 0 without workers. */
  readonly preparing: number;
  recognize(input: RecognizerInput, opts?: RecognizeOptions): Promise<Prediction>;
  recognize(inputs: readonly RecognizerInput[], opts?: RecognizeOptions): Promise<Prediction[]>;
  /** Preprocessing alone: the canonical 28x28 the model will see. */
  prepare(input: RecognizerInput, opts?: PreprocessOptions): Promise<PreparedCharacter>;
  /**
   * Model alone: canonical 28x28 images -> calibrated probabilities (the model's `hcr.calibration`
   * temperatures; as they are without one), [n x classes], in one onnxruntime run.
   */
  infer(images: readonly Uint8Array[]): Promise<Float32Array>;
  /** Ranks the probabilities of image `i` of an `infer` result and decides on an answer. */
  rank(probs: Float32Array, i: number, opts?: RankOptions): Prediction;
  close(): Promise<void>;
}

/** True for the file signatures of the image formats hcr reads (a 784-byte PNG is an image, not pixels). */
export function looksLikeImageFile(b: Uint8Array): boolean {
  return sniffImageFormat(b) !== undefined;
}

export async function prepareInput(
  input: RecognizerInput,
  opts?: PreprocessOptions,
): Promise<PreparedCharacter> {
  if (input instanceof Float32Array || Array.isArray(input))
    return pixelsOfPage(input as ArrayLike<number>, opts);
  if (input instanceof Uint8Array) {
    if (input.length === PIXELS && !looksLikeImageFile(input)) return pixelsOfPage(input, opts);
    return prepareImage(input, opts);
  }
  if (typeof input !== 'object' || input === null) throw notAnInput(input);
  if ('image' in input) {
    if (!(input.image instanceof Uint8Array)) throw notAnInput(input.image);
    return prepareImage(input.image, opts);
  }
  if ('pixels' in input) return pixelsOfPage(input.pixels, opts);
  throw new HcrError('BAD_INPUT', 'Unrecognised input.', {
    hint: `Pass image bytes (${IMAGE_FORMATS_TEXT}) or 784 pixel values.`,
  });
}

/** topK a whole number >= 1 (more than the classes returns them all): 0 gave 1, NaN a TypeError. */
function checkTopK(topK: number | undefined): void {
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1))
    throw new HcrError('BAD_TOP_K', `topK=${String(topK)} is not a whole number >= 1.`, {
      hint: 'Ask for e.g. topK: 5 (the default) ranked classes.',
    });
}

/** 784 pixel values are one image of one page: page 1 reads them, any other page is BAD_PAGE, as for a PNG. */
function pixelsOfPage(pixels: ArrayLike<number>, opts?: PreprocessOptions): PreparedCharacter {
  const page = opts?.page;
  if (page !== undefined && page !== 1)
    throw new HcrError(
      'BAD_PAGE',
      `Page ${page} is not in the pixels: 784 pixel values are one image of one page.`,
      {
        hint: 'Name a page only for a PDF or a TIFF of several (page 1 of any other image is the image itself).',
      },
    );
  return preparePixels(pixels);
}

export async function createRecognizer(opts: RecognizerOptions): Promise<Recognizer> {
  checkModelOption(opts?.model, 'createRecognizer', 'MODEL_MISSING');
  checkTuning(opts);
  const bytes = typeof opts.model === 'string' ? await readModelFile(opts.model) : opts.model;
  const info = inspectModel(bytes, typeof opts.model === 'string' ? basename(opts.model, '.onnx') : 'model');
  const tuning = resolveTuning(opts);
  const io = { inputName: info.input.name, outputName: info.output.name };
  // onnxruntime in a worker thread, or here; either way a bad model fails now, as MODEL_INVALID.
  const thread = opts.inferenceThread
    ? await InferenceThread.start({ models: [{ bytes, ...io, what: 'model' }], tuning })
    : undefined;
  const session = thread ? undefined : (await openSession(bytes, opts, 'model')).session;
  const lut = pixelLookupTable(info.normalisation);
  const classes = info.classNames.length;
  const fixedBatch = info.dynamicBatch ? 0 : info.input.dims[0]!;

  async function runChunk(images: readonly Uint8Array[], rows: number): Promise<Float32Array> {
    const x = new Float32Array(rows * PIXELS);
    for (let b = 0, o = 0; b < images.length; b++, o += PIXELS) {
      const img = images[b]!;
      for (let k = 0; k < PIXELS; k++) x[o + k] = lut[img[k]!]!;
    }
    const dims = info.input.dims.map((d, i) => (i === 0 ? rows : d));
    const y = thread
      ? (await thread.run(x, dims)).data
      : ((await session!.run({ [io.inputName]: new ort.Tensor('float32', x, dims) }))[io.outputName]!
          .data as Float32Array);
    return y.subarray(0, images.length * classes);
  }

  async function infer(images: readonly Uint8Array[]): Promise<Float32Array> {
    for (const img of images)
      if (img?.length !== PIXELS)
        throw new HcrError('BAD_PIXELS', `infer: an image has ${img?.length} pixels, not ${PIXELS}.`, {
          hint: 'Pass 28x28 images as prepare(input) returns them (their pixels: 784 bytes).',
        });
    if (images.length === 0) return new Float32Array(0);
    if (!fixedBatch) return calibrated(await runChunk(images, images.length));
    // Fixed-batch models: run in chunks of the model's batch size, padding the last one.
    const probs = new Float32Array(images.length * classes);
    for (let s = 0; s < images.length; s += fixedBatch) {
      const chunk = images.slice(s, s + fixedBatch);
      probs.set(await runChunk(chunk, fixedBatch), s * classes);
    }
    return calibrated(probs);
  }

  /** Confidences that mean what they say (core's calibrateProbabilities; argmax and ranking unchanged). */
  const calibrated = (probs: Float32Array) =>
    calibrateProbabilities(probs, info.classNames, info.calibration);

  function rank(probs: Float32Array, i: number, ro: RankOptions = {}): Prediction {
    checkTopK(ro.topK);
    const allowed = allowedClasses(ro.classes, info.classNames);
    const pred = rankClasses(
      probs.subarray(i * classes, (i + 1) * classes),
      info.classNames,
      ro.topK ?? 5,
      allowed,
      parseMinConfidence(ro.minConfidence),
    );
    return judgeInput(pred, ro.prepared, ro.lineReader);
  }

  async function recognize(
    input: RecognizerInput | readonly RecognizerInput[],
    ro: RecognizeOptions = {},
  ): Promise<Prediction | Prediction[]> {
    checkTopK(ro.topK);
    allowedClasses(ro.classes, info.classNames); // a bad filter fails before any work
    parseMinConfidence(ro.minConfidence);
    const single = !isInputList(input);
    const list = single ? [input as RecognizerInput] : (input as readonly RecognizerInput[]);
    const prepared = await Promise.all(list.map((x) => prepare(x)));
    const probs = await infer(prepared.map((p) => p.pixels));
    const preds = prepared.map((p, i) => rank(probs, i, { ...ro, prepared: p }));
    return single ? preds[0]! : preds;
  }

  const release = async () => {
    await thread?.close();
    await session?.release();
  };
  // warm-up: first-run allocations happen before traffic (a model that cannot run is released, not leaked)
  await infer([new Uint8Array(PIXELS)]).catch(async (e) => {
    await release();
    throw e;
  });
  const life = lifecycle('recognizer', 'createRecognizer');
  const pool = await openPreparePool(opts.prepareWorkers, opts.preparePool, release);
  const inlineSmall = opts.inlineSmallImages ?? availableParallelism() <= 2;
  const prepare = (input: RecognizerInput, po?: PreprocessOptions): Promise<PreparedCharacter> => {
    const options = { ...opts.preprocess, ...po };
    const image = pool && imageBytes(input);
    if (image && !(inlineSmall && isSmallPng(image)))
      return pool!.run<PreparedCharacter>({ kind: 'character', bytes: image, options });
    return prepareInput(input, options);
  };

  return {
    info,
    tuning,
    recognize: ((input, ro) => life.run(() => recognize(input, ro))) as Recognizer['recognize'],
    prepareWorkers: pool?.size ?? 0,
    inferenceThread: thread !== undefined,
    get preparing() {
      return pool?.pending ?? 0;
    },
    prepare: (input, po) => life.run(() => prepare(input, po)),
    infer: (images) => life.run(() => infer(images)),
    rank,
    close: () =>
      life.close(async () => {
        await pool?.close();
        await release();
      }),
  };
}

/**
 * A PNG of at most 16,384 pixels by its header: decoded on the HTTP thread rather than sent to a worker (most
 * take decodeImageNow's fast path; one with eXIf, tRNS or iCCP chunks goes to sharp, still small and quick).
 */
function isSmallPng(b: Uint8Array): boolean {
  if (b.length < 24 || sniffImageFormat(b) !== 'png') return false;
  const width = ((b[16]! << 24) | (b[17]! << 16) | (b[18]! << 8) | b[19]!) >>> 0;
  const height = ((b[20]! << 24) | (b[21]! << 16) | (b[22]! << 8) | b[23]!) >>> 0;
  return width * height <= 128 * 128;
}

/** The encoded image of an input (what a worker prepares), or undefined for pixel arrays. */
export function imageBytes(input: RecognizerInput): Uint8Array | undefined {
  if (input instanceof Float32Array || Array.isArray(input)) return undefined;
  if (input instanceof Uint8Array)
    return input.length === PIXELS && !looksLikeImageFile(input) ? undefined : input;
  if (typeof input !== 'object' || input === null) return undefined; // prepareInput says why
  if ('image' in input) return input.image instanceof Uint8Array ? input.image : undefined; // else BAD_INPUT
  return undefined;
}

/** A list of inputs, as opposed to one number[] of pixels. */
function isInputList(input: RecognizerInput | readonly RecognizerInput[]): boolean {
  return Array.isArray(input) && (input.length === 0 || typeof input[0] !== 'number');
}
