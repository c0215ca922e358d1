import { basename } from 'node:path';
import { HcrError, pixelLookupTable, readerDifference } from '@hcr/core';
import type { DecodeOptions } from '@hcr/decode';
import { groupByWidth, packLineBatch, type TextLineBox } from '@hcr/image';
import {
  type LineLimits,
  type PreparedLine,
  type PreparedTextLine,
  prepareLineImage,
  prepareTextLines,
  type TextLinesOptions,
} from '@hcr/image/decode';
import * as ort from 'onnxruntime-node';
import { readModelFile } from '../onnx/model-info.js';
import { openSession, resolveTuning, type SessionTuning } from '../onnx/session.js';
import { InferenceThread, ModelLoadError } from '../workers/inference-thread.js';
import { openPreparePool, type PreparePoolOptions } from '../workers/pool.js';
import { type DecodedLine, decodeLine } from './decode-line.js';
import { checkModelOption, checkTuning, lifecycle, notAnInput } from './lifecycle.js';
import { prepareLineInPool, prepareTextLinesInPool } from './prepare-pool.js';
import { compileLexicons, lazyLexicons, type ReadOptions, ReadOptionsCompiler } from './read-options.js';
import { inspectReader, type ReaderModelInfo, readerFramesFor } from './reader-info.js';
import { judgePage, judgeReading, type ReadVerdict } from './verdict.js';

export interface LineReaderOptions extends SessionTuning {
  /**
   * Path to the reader's model.onnx, or its bytes; or several readers of the same alphabet, line height,
   * stride and normalisation (e.g. trained with other seeds), read as one ensemble (decodeCtcEnsemble).
   */
  model: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Named word lists for `lexicon` (one word per entry), compiled once here. */
  lexicons?: Record<string, readonly string[]>;
  limits?: Partial<LineLimits>;
  /**
   * Worker threads that decode and preprocess images (0 = on the calling thread, the default). A server
   * gives it one or more so the main thread keeps serving while lines are prepared.
   */
  prepareWorkers?: number;
  /**
   * With prepareWorkers: a file not prepared within `taskTimeoutMs` fails with TIMEOUT and the worker it held
   * is stopped and replaced (PreparePoolOptions). hcr serve gives it its request timeout. Default: no deadline.
   */
  preparePool?: PreparePoolOptions;
  /**
   * Run onnxruntime in a worker thread (default false), every file of an ensemble there: its runs are synchronous
   * on the thread that calls them, so a server keeps its main thread for requests while lines are read.
   */
  inferenceThread?: boolean;
}

/** What a read returns for one line: its decoding, where it lay, and with `minConfidence` a verdict. */
export interface LineReading extends DecodedLine {
  /** The box around the writing read, in the pixels of the image as sent; absent for a line given prepared. */
  box?: TextLineBox;
  /**
   * Degrees the writing leaned (positive: falling to the right) and was turned back before reading; 0 when it
   * lay flat. Absent for a line given prepared.
   */
  skew?: number;
  /** With `minConfidence`: `text` when its confidence reaches it, else null (and `message` says why). */
  answer?: string | null;
  /** With `minConfidence`: `accepted` or `not-confident`. */
  verdict?: ReadVerdict;
  message?: string;
}

/** Where a line's writing lay in the image it was read from. */
export type LinePlacement = Pick<PreparedTextLine, 'box' | 'skew'>;

/** What a read of a page returns: each line of writing, top to bottom, and the whole. */
export interface TextReading {
  /** The lines' texts, one per line (joined by `\n`). */
  text: string;
  /** The product of the lines' confidences: how likely every line is read right. */
  confidence: number;
  /** Each line's reading, its box in the image as sent and how far it leaned. */
  lines: (LineReading & LinePlacement)[];
  /** With `minConfidence`: the whole text when `confidence` (every line right) reaches it, else null. */
  answer?: string | null;
  verdict?: ReadVerdict;
  message?: string;
}

/** One line to read: encoded image bytes (any format @hcr/image decodes) or a line already prepared. */
export type LineInput = Uint8Array | { image: Uint8Array } | PreparedLine;

export interface LineReader {
  /** The first reader's description; `id` joins every member's (`a+b+c`) for an ensemble. */
  readonly info: ReaderModelInfo;
  /** Each reader of the ensemble (one for a single reader). */
  readonly members: readonly ReaderModelInfo[];
  readonly tuning: Required<SessionTuning>;
  /** Worker threads preparing lines (0: the calling thread). */
  readonly prepareWorkers: number;
  /** onnxruntime runs in a worker thread of its own (`inferenceThread`), not on the calling thread. */
  readonly inferenceThread: boolean;
  /** Images and pages sent to those workers and not yet prepared (waiting or in hand); 0 without workers. */
  readonly preparing: number;
  /** Names of the loaded lexicons. */
  readonly lexiconNames: string[];
  read(input: LineInput, opts?: ReadOptions): Promise<LineReading>;
  read(inputs: readonly LineInput[], opts?: ReadOptions): Promise<LineReading[]>;
  /**
   * Preprocessing alone: the 32-px high line the model will see (with its placement, from an image). With worker
   * threads, `signal` gives the work up (CANCELLED) when its caller no longer wants it.
   */
  prepare(
    input: Uint8Array | { image: Uint8Array },
    limits?: Partial<LineLimits>,
    signal?: AbortSignal,
  ): Promise<PreparedTextLine>;
  prepare(
    input: LineInput,
    limits?: Partial<LineLimits>,
    signal?: AbortSignal,
  ): Promise<PreparedLine | PreparedTextLine>;
  /**
   * Reads every line of writing in an image of several (a note, an address, a multi-line field), in reading
   * order (@hcr/image's `findTextLines`: top to bottom, columns side by side one after another). An image of
   * one line reads as `read` reads it. `limits` also names the page of a PDF or TIFF of several (`page`).
   */
  readLines(
    image: Uint8Array,
    opts?: ReadOptions,
    limits?: Partial<LineLimits> & TextLinesOptions,
  ): Promise<TextReading>;
  /**
   * Reading alone of a page's lines as `prepareLines` gave them: `readLines` is `prepareLines` then this (so a
   * caller can look at, or keep, the lines the model saw).
   */
  readPreparedLines(lines: readonly PreparedTextLine[], opts?: ReadOptions): Promise<TextReading>;
  /** Preprocessing of a page alone: its lines of writing, top to bottom, each as the model will see it. */
  prepareLines(
    image: Uint8Array,
    limits?: Partial<LineLimits> & TextLinesOptions,
    signal?: AbortSignal,
  ): Promise<PreparedTextLine[]>;
  /** Validates and compiles options (throws HcrError for bad ones); reuse the result for many lines. */
  compile(opts?: ReadOptions): DecodeOptions;
  /**
   * Validates options as `read` does (the same HcrError for bad ones), to refuse a request before its images are
   * read. Unlike `compile` it builds nothing a reader with its own thread does not need here (word lists'
   * automata and models).
   */
  check(opts?: ReadOptions): void;
  /**
   * Model alone: lines -> per line its own frames' probabilities, row-major [frames, symbols], one such
   * block per member of an ensemble.
   */
  infer(lines: readonly PreparedLine[]): Promise<Float32Array[]>;
  /** Decoding alone: one line's probabilities -> text, confidences, alternatives. */
  decode(probs: Float32Array, compiled: DecodeOptions): LineReading;
  /**
   * Decoding of several lines under `opts` (validated here first): the same readings as `decode`, computed in
   * onnxruntime's worker thread when the reader has one (`inferenceThread`), so a server's HTTP thread does not
   * run the beam searches.
   */
  decodeAll(probs: readonly Float32Array[], opts?: ReadOptions): Promise<LineReading[]>;
  close(): Promise<void>;
}

function isPrepared(x: LineInput): x is PreparedLine {
  return !(x instanceof Uint8Array) && 'pixels' in x;
}

export async function createLineReader(opts: LineReaderOptions): Promise<LineReader> {
  checkModelOption(opts?.model, 'createLineReader', 'READER_MISSING', true);
  checkTuning(opts);
  const sources = Array.isArray(opts.model) ? opts.model : [opts.model as string | Uint8Array];
  if (sources.length === 0)
    throw new HcrError('READER_MISSING', 'createLineReader was given an empty list of readers.', {
      hint: 'Pass one model.onnx, or several trained alike to read as an ensemble.',
    });
  const members: ReaderModelInfo[] = [];
  const files: Uint8Array[] = [];
  const sessions: ort.InferenceSession[] = [];
  const tuning = resolveTuning(opts);
  let thread: InferenceThread | undefined;
  /** Of several readers, the error names which one is wrong. */
  const naming = (e: unknown, src: string | Uint8Array | undefined) =>
    e instanceof HcrError && sources.length > 1 && typeof src === 'string' && !e.problem.includes(src)
      ? e.naming(src)
      : e;
  let current: string | Uint8Array | undefined;
  try {
    for (const src of sources) {
      current = src;
      const bytes = typeof src === 'string' ? await readReaderFile(src) : src;
      const member = inspectReader(bytes, typeof src === 'string' ? basename(src, '.onnx') : 'reader');
      if (members.length) checkEnsembleMember(members[0]!, member);
      members.push(member);
      files.push(bytes);
      if (!opts.inferenceThread) sessions.push((await openSession(bytes, opts, 'reader')).session);
    }
  } catch (e) {
    for (const s of sessions) await s.release();
    throw naming(e, current);
  }
  const info =
    members.length === 1
      ? members[0]!
      : {
          ...members[0]!,
          id: members.map((m) => m.id).join('+'),
          readers: members.flatMap((m) => m.readers),
        };
  const release = async () => {
    await thread?.close();
    for (const s of sessions) await s.release();
  };
  let lexicons: ReturnType<typeof compileLexicons>;
  try {
    // with a thread, the thread compiles the lists (as it starts) and decodes: here they are only checked, each
    // compiled on first use by `compile` or `decode` (a big list is seconds and tens of MiB, held once)
    lexicons = (opts.inferenceThread ? lazyLexicons : compileLexicons)(opts.lexicons ?? {}, info.alphabet);
  } catch (e) {
    await release(); // the sessions are open: a bad word list must not leak them
    throw e;
  }
  if (opts.inferenceThread) {
    const models = files.map((bytes, f) => ({
      bytes,
      inputName: members[f]!.input.name,
      outputName: members[f]!.output.name,
      what: 'reader',
    }));
    // the thread decodes too, compiling read options itself from the alphabet and the word lists
    const decoder = { alphabet: info.alphabet, readers: info.readers.length, lexicons: opts.lexicons ?? {} };
    thread = await InferenceThread.start({ models, tuning, decoder }).catch((e) => {
      throw e instanceof ModelLoadError ? naming(e, sources[e.model]) : e;
    });
  }
  const compiler = new ReadOptionsCompiler(info.alphabet, lexicons);
  const lexiconNames = Object.keys(opts.lexicons ?? {});
  const lut = pixelLookupTable(info.normalisation);
  const { height, stride, minWidth } = info.reader;
  const C = info.alphabet.size;
  // Readers in all: a packed ensemble file holds several (its output's axis 1).
  const M = info.readers.length;

  /**
   * One onnxruntime run per file: lines right-padded with background to `width` (a `groupByWidth` run). Each
   * line gets its own frames of every reader, stacked reader after reader.
   */
  async function runGroup(lines: readonly PreparedLine[], width: number): Promise<Float32Array[]> {
    const n = lines.length;
    const x = packLineBatch(lines, width, height, lut);
    const result: Float32Array[] = [];
    let m = 0; // the first reader of this file among all M
    for (const [f, member] of members.entries()) {
      const dims = [n, height, width, 1];
      let y: { data: unknown; dims: readonly number[] };
      if (thread) {
        // the batch moves to the thread: a copy for each file but the last
        y = await thread.run(f < members.length - 1 ? x.slice() : x, dims, f);
      } else {
        const out = await sessions[f]!.run({ [member.input.name]: new ort.Tensor('float32', x, dims) });
        y = out[member.output.name]!;
      }
      const [, R, T] = y.dims as [number, number, number, number];
      const probs = y.data as Float32Array;
      lines.forEach((line, b) => {
        const own = Math.min(T, readerFramesFor(line.width, stride)) * C;
        if (f === 0) result.push(new Float32Array(M * own));
        for (let r = 0; r < R; r++) {
          const at = (b * R + r) * T * C;
          result[b]!.set(probs.subarray(at, at + own), (m + r) * own);
        }
      });
      m += R;
    }
    return result;
  }

  async function infer(lines: readonly PreparedLine[]): Promise<Float32Array[]> {
    for (const l of lines)
      if (l.height !== height || l.width < minWidth || l.pixels?.length !== l.width * l.height)
        throw new HcrError(
          'BAD_INPUT',
          `A prepared line is ${l.width}x${l.height} with ${l.pixels?.length} pixels; the reader takes ${height} rows, width >= ${minWidth}, width x height pixels.`,
          { hint: 'Pass the image bytes, or a line from prepare(image) (preprocessLine of @hcr/image).' },
        );
    const result: Float32Array[] = new Array(lines.length);
    for (const g of groupByWidth(lines.map((l) => l.width))) {
      const probs = await runGroup(
        g.members.map((i) => lines[i]!),
        g.width,
      );
      g.members.forEach((i, k) => {
        result[i] = probs[k]!;
      });
    }
    return result;
  }

  function decode(probs: Float32Array, compiled: DecodeOptions): LineReading {
    return decodeLine(probs, M, info.alphabet, compiled);
  }

  /**
   * Validates `ro` here (bad options fail on the calling thread) and compiles it when decoding is done here: with
   * a thread, which compiles its own, it is only checked (no word list's automaton or model built here).
   */
  const validate = (ro: ReadOptions = {}): DecodeOptions | undefined =>
    thread ? void compiler.check(ro) : compiler.compile(ro);

  /**
   * Every line's decoding under one set of options: in onnxruntime's thread when there is one (the same
   * function, its own compiled options), else here. `ro` is validated first (or by the caller, who passes what
   * `validate` gave).
   */
  async function decodeAll(
    probs: readonly Float32Array[],
    ro: ReadOptions = {},
    compiled = validate(ro),
  ): Promise<LineReading[]> {
    if (thread) return probs.length > 0 ? thread.decode(probs, ro) : [];
    const options = compiled ?? compiler.compile(ro);
    return probs.map((p) => decode(p, options));
  }

  const pool = await openPreparePool(opts.prepareWorkers, opts.preparePool, release);
  const prepare = (
    input: LineInput,
    limits?: Partial<LineLimits>,
    signal?: AbortSignal,
  ): Promise<PreparedLine | PreparedTextLine> => {
    if (typeof input !== 'object' || input === null) return Promise.reject(notAnInput(input));
    if (isPrepared(input)) return Promise.resolve(input);
    const bytes = input instanceof Uint8Array ? input : input.image;
    if (!(bytes instanceof Uint8Array)) return Promise.reject(notAnInput(bytes));
    const lim = { ...opts.limits, ...limits };
    return pool ? prepareLineInPool(pool, bytes, lim, signal) : prepareLineImage(bytes, lim);
  };

  const prepareLines = (
    image: Uint8Array,
    limits?: Partial<LineLimits> & TextLinesOptions,
    signal?: AbortSignal,
  ): Promise<PreparedTextLine[]> => {
    const lim = { ...opts.limits, ...limits };
    return pool ? prepareTextLinesInPool(pool, image, lim, signal) : prepareTextLines(image, lim);
  };

  async function readLines(
    image: Uint8Array,
    ro: ReadOptions = {},
    limits: Partial<LineLimits> & TextLinesOptions = {},
  ): Promise<TextReading> {
    validate(ro); // bad options fail before any work
    return readPreparedLines(await prepareLines(image, limits), ro);
  }

  async function readPreparedLines(
    lines: readonly PreparedTextLine[],
    ro: ReadOptions = {},
  ): Promise<TextReading> {
    const compiled = validate(ro);
    const decoded = await decodeAll(await infer(lines), ro, compiled);
    const joined = joinLines(decoded.map((d, i) => ({ ...d, box: lines[i]!.box, skew: lines[i]!.skew })));
    return judgePage(joined, ro.minConfidence);
  }

  async function read(
    input: LineInput | readonly LineInput[],
    ro: ReadOptions = {},
  ): Promise<LineReading | LineReading[]> {
    const compiled = validate(ro); // bad options fail before any work
    const single = !Array.isArray(input);
    const list = single ? [input as LineInput] : (input as readonly LineInput[]);
    const lines = await Promise.all(list.map((x) => prepare(x)));
    const decoded = await decodeAll(await infer(lines), ro, compiled);
    const out = decoded.map((d, i) => judgeReading({ ...d, ...placement(lines[i]!) }, ro.minConfidence));
    return single ? out[0]! : out;
  }

  await infer([
    {
      width: 128,
      height,
      pixels: new Uint8Array(128 * height),
      source: { format: 'raw', width: 128, height },
    },
  ]).catch(async (e) => {
    await pool?.close(); // warm-up: a reader that cannot run is released, not leaked
    await release();
    throw e;
  });
  const life = lifecycle('line reader', 'createLineReader');

  return {
    info,
    members,
    tuning,
    prepareWorkers: pool?.size ?? 0,
    inferenceThread: thread !== undefined,
    get preparing() {
      return pool?.pending ?? 0;
    },
    lexiconNames,
    read: ((input, ro) => life.run(() => read(input, ro))) as LineReader['read'],
    prepare: ((input, limits, signal) =>
      life.run(() => prepare(input, limits, signal))) as LineReader['prepare'],
    readLines: (image, ro, limits) => life.run(() => readLines(image, ro, limits)),
    readPreparedLines: (lines, ro) => life.run(() => readPreparedLines(lines, ro)),
    prepareLines: (image, limits, signal) => life.run(() => prepareLines(image, limits, signal)),
    compile: (ro) => compiler.compile(ro),
    check: (ro) => {
      validate(ro);
    },
    infer: (lines) => life.run(() => infer(lines)),
    decode,
    decodeAll: (probs, ro) => life.run(() => decodeAll(probs, ro)),
    close: () =>
      life.close(async () => {
        await pool?.close();
        await release();
      }),
  };
}

/** A line's box and skew when it was prepared from an image (undefined for a line given prepared). */
function placement(line: PreparedLine | PreparedTextLine): LinePlacement | undefined {
  return 'box' in line ? { box: line.box, skew: line.skew } : undefined;
}

/** A page's line readings -> its reading: the texts one per line, the confidence that all are right. */
export function joinLines(lines: (LineReading & LinePlacement)[]): TextReading {
  return {
    text: lines.map((l) => l.text).join('\n'),
    confidence: lines.reduce((p, l) => p * l.confidence, 1),
    lines,
  };
}

async function readReaderFile(path: string): Promise<Uint8Array> {
  try {
    return await readModelFile(path);
  } catch (e) {
    throw new HcrError(
      'READER_MISSING',
      `Cannot read the line reader ${path}: ${((e as HcrError).cause as Error)?.message ?? (e as Error).message}.`,
      {
        hint: 'Pass the reader model.onnx (hcr read --model, hcr serve --reader); `pnpm turbo run train eval` trains and exports one to artifacts/model/reader/model.onnx.',
        cause: e,
      },
    );
  }
}

/** An ensemble's readers must read a line alike (readerDifference of @hcr/core). */
function checkEnsembleMember(first: ReaderModelInfo, other: ReaderModelInfo): void {
  const d = readerDifference(first, other);
  if (d)
    throw new HcrError(
      'ENSEMBLE_INVALID',
      `The readers ${first.id} and ${other.id} differ in ${d.what}: ${d.a} vs ${d.b}.`,
      {
        hint: 'An ensemble joins readers trained alike on the same line data (e.g. other seeds of one recipe); read with one of them, or re-export a matching one.',
      },
    );
}
