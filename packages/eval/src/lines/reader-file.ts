import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  HcrError,
  type LineReaderInfo,
  type ModelMetadata,
  ONNX_METADATA_KEYS,
  parseReaderOnnxMetadata,
  type ReaderMember,
} from '@hcr/core';
import * as ort from 'onnxruntime-node';
import type { ModelRun } from '../model-files.js';
import { readOnnxMetadataProps } from '../onnx-metadata.js';
import { onnxRuntimeDescription, openOnnxSession } from '../runtimes/onnx.js';
import type { LineRuntime } from './runtimes.js';

/**
 * An exported reader file read the way eval reads a run: one reader (`hcr export onnx`) or several packed into
 * one graph (`hcr export ensemble`), i.e. exactly what `hcr read` and `hcr serve` load. Its `hcr.metadata` (the
 * first reader's ModelMetadata) stands in for metadata.json; onnxruntime is the only runtime it has.
 */
export interface ReaderFile {
  path: string;
  bytes: Uint8Array;
  run: ModelRun;
  /** The readers in the output's axis-1 order (one unless packed). */
  members: ReaderMember[];
}

const FILE_HINT =
  'Pass a reader exported by `hcr export onnx` or packed by `hcr export ensemble` (the pipeline writes artifacts/model/reader/model.onnx), or a reader run directory.';

/** True when `runOrDir` names an ONNX file rather than a run id or directory. */
export function isOnnxPath(runOrDir: string | undefined): runOrDir is string {
  return runOrDir !== undefined && /\.onnx$/i.test(runOrDir);
}

export async function openReaderFile(path: string): Promise<ReaderFile> {
  const abs = resolve(path);
  const isFile = await stat(abs).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new HcrError('READER_FILE_MISSING', `No reader file at ${abs}.`, { hint: FILE_HINT });
  const bytes = new Uint8Array(await readFile(abs));
  let props: Record<string, string>;
  try {
    props = readOnnxMetadataProps(bytes);
  } catch (e) {
    throw new HcrError('MODEL_INVALID', `${abs} is not a valid ONNX file (${(e as Error).message}).`, {
      hint: FILE_HINT,
    });
  }
  const { reader, normalisation, members } = parseReaderOnnxMetadata(props, {
    source: abs,
    hint: props[ONNX_METADATA_KEYS.reader] === undefined ? notAReaderHint(abs) : FILE_HINT,
    fallbackId: basename(abs, '.onnx'),
  });
  const id = props[ONNX_METADATA_KEYS.modelId] || basename(abs, '.onnx');
  // hcr.metadata (what `hcr export onnx` writes) gives the report its training config and metrics; a reader
  // file without it still reads, as it does in `hcr serve`, and reports those as unknown
  const stored = props[ONNX_METADATA_KEYS.metadata];
  let metadata: ModelMetadata;
  try {
    metadata = stored === undefined ? unknownTraining(id, reader) : (JSON.parse(stored) as ModelMetadata);
  } catch {
    throw new HcrError('MODEL_INVALID', `${abs}: ${ONNX_METADATA_KEYS.metadata} is not valid JSON.`, {
      hint: `Re-export it with this hcr (\`hcr export onnx <run dir>\`, then \`hcr export ensemble\` to pack). ${FILE_HINT}`,
    });
  }
  return {
    path: abs,
    bytes,
    members,
    // the file's own reader geometry wins over the copy inside hcr.metadata: it is what the graph reads
    run: {
      id,
      dir: abs,
      metadata: { ...metadata, id, task: 'line', reader, inputNormalisation: normalisation },
    },
  };
}

/** A path as a user types it: relative to the working directory when inside it, else absolute. */
function shownPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/**
 * The fix for an ONNX file without reader metadata (a character model's export, as `hcr export onnx <run>` writes
 * `<run>/model.onnx`): evaluate its run, whose ONNX file eval reads with `--runtime onnx`.
 */
function notAReaderHint(abs: string): string {
  const dir = dirname(abs);
  const onnx = basename(abs) === 'model.onnx' ? '' : ` --onnx ${shownPath(abs)}`;
  const run = existsSync(join(dir, 'metadata.json'))
    ? `\`hcr eval ${shownPath(dir)} --runtime onnx${onnx}\` (its run directory)`
    : `\`hcr eval <the run it was exported from> --runtime onnx --onnx ${shownPath(abs)}\``;
  return `A character model's ONNX file is evaluated through its run: ${run}. A line reader is evaluated from its run directory or its reader file (artifacts/model/reader/model.onnx).`;
}

function unknownTraining(id: string, reader: LineReaderInfo): ModelMetadata {
  return {
    formatVersion: 1,
    id,
    architecture: 'unknown',
    labelSpace: reader.alphabetId.replace(/-line$/, ''),
    classNames: [...reader.symbols],
    inputShape: [reader.height, -1, 1],
    commit: 'unknown',
    createdAt: 'unknown',
    engine: 'unknown',
    trainingConfig: {},
    metrics: {},
  } as unknown as ModelMetadata;
}

/** The file in onnxruntime: its output already holds every reader, [n, members, frames, symbols]. */
export async function onnxFileLineRuntime(file: ReaderFile): Promise<LineRuntime> {
  const session = await openOnnxSession(file.bytes, file.path, { hint: FILE_HINT });
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const height = file.run.metadata.reader!.height;
  const M = file.members.length;
  const out = session.outputMetadata[0];
  const readers = out?.isTensor ? out.shape[1] : undefined;
  if (out?.isTensor && (out.shape.length !== 4 || (typeof readers === 'number' && readers !== M))) {
    await session.release();
    throw new HcrError(
      'MODEL_INVALID',
      `${file.path} outputs [${out.shape.join(', ')}]; a reader file outputs [N, readers, frames, symbols] with ${M} reader(s) on axis 1, as its metadata lists.`,
      { hint: FILE_HINT },
    );
  }
  return {
    runtime: 'onnx',
    description: `${onnxRuntimeDescription()}${M > 1 ? `, ${M} readers in one file` : ''}`,
    members: M,
    async predict(x, n, width) {
      const result = await session.run({ [inputName]: new ort.Tensor('float32', x, [n, height, width, 1]) });
      return result[outputName]!.data as Float32Array;
    },
    async dispose() {
      await session.release();
    },
  };
}
