import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HcrError, type ModelMetadata, ONNX_METADATA_KEYS, writeFileAtomic } from '@hcr/core';
import '@tensorflow/tfjs-backend-cpu';
import { describePreprocessing } from '@hcr/image';
import { encodeModel } from '@hcr/onnx-proto';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { type DimNames, LINE_READER_DIM_NAMES } from './dims.js';
import { convertGraphModel } from './graph/convert-graph.js';
import { DEFAULT_OPSET, irVersionFor, MAX_OPSET, MIN_OPSET, OnnxGraphBuilder } from './graph-builder.js';
import { assertTopologySupported, convertLayersModel } from './layers/convert-layers.js';
import { rethrowLoad } from './load-layers.js';
import { checkMetadata } from './metadata.js';
import { fileIOHandler, modelFormat, readModelJson, resolveModelJson } from './model-io.js';
import { lineReaderInfo } from './reader.js';

export const PRODUCER_NAME = '@hcr/export-onnx';
export const PRODUCER_VERSION = '0.1.0';

export interface ExportOptions {
  /** ONNX opset, 13..21 (default 17). */
  opset?: number;
  /** Layout of the ONNX model's image inputs: `nhwc` like the source (default) or `nchw`. */
  inputLayout?: 'nhwc' | 'nchw';
  /** Extra `metadata_props` entries (string values). */
  metadata?: Record<string, string>;
  /** ModelProto.doc_string. */
  docString?: string;
  /** ModelProto.model_version (`exportModelFile`: metadata.json's modelVersion). */
  modelVersion?: number;
  /**
   * Names of unknown input/output dims (LayersModel only; default `batch` and `<name>_dim<k>`).
   * `exportModelFile` uses LINE_READER_DIM_NAMES (`width`, `frames`) for a line reader.
   */
  dimNames?: DimNames;
}

export interface ExportReport {
  sourceFormat: 'layers-model' | 'graph-model';
  opset: number;
  irVersion: number;
  inputLayout: 'nhwc' | 'nchw';
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  nodeCount: number;
  /** Count of each ONNX op type in the graph. */
  opCounts: Record<string, number>;
  transposeCount: number;
  parameterCount: number;
  initializerCount: number;
  byteLength: number;
  exportMs: number;
  metadataKeys: string[];
  /** What the export left out and why (e.g. a metadata.json that does not fit the model). */
  warnings: string[];
}

export interface ExportResult {
  bytes: Uint8Array;
  report: ExportReport;
}

/**
 * The options a caller from JavaScript may get wrong, checked before anything is loaded or converted: `opset: '17'`
 * (a string) or `inputLayout: 'NCHW'` (upper case, which was exported as NHWC) are refused, naming the option.
 */
function checkOptions(opts: ExportOptions): void {
  const opset: unknown = opts.opset ?? DEFAULT_OPSET;
  const range = `an integer from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`;
  if (typeof opset !== 'number') {
    throw new HcrError(
      'BAD_OPSET',
      `opset must be a number, ${range}, not the ${typeof opset} ${JSON.stringify(opset)}.`,
      {
        hint: `Pass a number, e.g. opset: ${Number.isInteger(Number(opset)) ? Number(opset) : DEFAULT_OPSET}.`,
      },
    );
  }
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new HcrError('BAD_OPSET', `Opset ${opset} is not supported.`, { hint: `Choose ${range}.` });
  }
  const layout: unknown = opts.inputLayout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'nchw') {
    const lower = String(layout).toLowerCase();
    throw new HcrError('BAD_OPTION', `inputLayout must be 'nhwc' or 'nchw', not ${JSON.stringify(layout)}.`, {
      hint: `Spell it in lower case${lower === 'nhwc' || lower === 'nchw' ? `: inputLayout: '${lower}'` : ''} ('nchw' for runtimes that want channels-first images).`,
    });
  }
  const version: unknown = opts.modelVersion;
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    throw new HcrError(
      'BAD_OPTION',
      `modelVersion must be a non-negative integer, not ${JSON.stringify(version)}.`,
      {
        hint: 'Pass a number (hcr uses the run start time, e.g. 20261201123456), or leave it out.',
      },
    );
  }
}

function finish(
  g: OnnxGraphBuilder,
  format: ExportReport['sourceFormat'],
  graphName: string,
  opts: ExportOptions,
  started: number,
): ExportResult {
  const metadata = Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value }));
  const irVersion = irVersionFor(g.opset);
  const bytes = encodeModel({
    ir_version: irVersion,
    opset_import: [{ domain: '', version: g.opset }],
    producer_name: PRODUCER_NAME,
    producer_version: PRODUCER_VERSION,
    ...(opts.modelVersion !== undefined && { model_version: opts.modelVersion }),
    doc_string: opts.docString ?? `Exported from a TensorFlow.js ${format} by ${PRODUCER_NAME}.`,
    graph: {
      name: graphName,
      node: g.nodes,
      initializer: g.initializers,
      input: g.inputs,
      output: g.outputs,
    },
    metadata_props: metadata,
  });
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) opCounts[n.op_type] = (opCounts[n.op_type] ?? 0) + 1;
  const shapeOf = (v: (typeof g.inputs)[number]) =>
    v.type.tensor_type.shape.dim.map((d) => ('dim_value' in d ? d.dim_value : d.dim_param));
  return {
    bytes,
    report: {
      sourceFormat: format,
      opset: g.opset,
      irVersion,
      inputLayout: opts.inputLayout ?? 'nhwc',
      inputs: g.inputs.map((v) => ({ name: v.name, shape: shapeOf(v) })),
      outputs: g.outputs.map((v) => ({ name: v.name, shape: shapeOf(v) })),
      nodeCount: g.nodes.length,
      opCounts,
      transposeCount: opCounts.Transpose ?? 0,
      parameterCount: g.paramCount,
      initializerCount: g.initializers.length,
      byteLength: bytes.byteLength,
      exportMs: performance.now() - started,
      metadataKeys: metadata.map((m) => m.key),
      warnings: [],
    },
  };
}

// A LayersModel has its layers; a GraphModel its executor's input and output nodes (both have execute()).
const isLayersModel = (m: unknown) => Array.isArray((m as { layers?: unknown })?.layers);
const isGraphModel = (m: unknown) =>
  !isLayersModel(m) && Array.isArray((m as { outputNodes?: unknown })?.outputNodes);

function wrongModelKind(fn: string, got: string, hint: string): HcrError {
  return new HcrError('WRONG_MODEL_KIND', `${fn} was given ${got}; nothing was exported.`, { hint });
}

/** Convert an in-memory tfjs LayersModel (Sequential or Functional) to ONNX bytes. */
export function exportLayersModel(model: LayersModel, opts: ExportOptions = {}): ExportResult {
  if (!isLayersModel(model)) {
    throw isGraphModel(model)
      ? wrongModelKind(
          'exportLayersModel',
          'a tfjs GraphModel',
          'Use exportGraphModel(model, artifacts) with the ModelArtifacts it was loaded from, or exportModelFile(path) on its model.json.',
        )
      : wrongModelKind(
          'exportLayersModel',
          `${kindOf(model)}, not a tfjs LayersModel`,
          'Pass a model made with tf.sequential / tf.model or loaded with tf.loadLayersModel; a model on disk: exportModelFile(path).',
        );
  }
  checkOptions(opts);
  const started = performance.now();
  const opset = opts.opset ?? DEFAULT_OPSET;
  const g = new OnnxGraphBuilder(opset);
  convertLayersModel(g, model, { inputLayout: opts.inputLayout ?? 'nhwc', dimNames: opts.dimNames });
  return finish(g, 'layers-model', model.name, opts, started);
}

/**
 * Convert a tfjs GraphModel to ONNX bytes. `artifacts` are the ones the model was loaded from (the
 * GraphDef in model.json); the loaded model itself is run once to learn every intermediate shape.
 */
export function exportGraphModel(
  model: GraphModel,
  artifacts: tf.io.ModelArtifacts,
  opts: ExportOptions = {},
): ExportResult {
  if (!isGraphModel(model)) {
    throw isLayersModel(model)
      ? wrongModelKind('exportGraphModel', 'a tfjs LayersModel', 'Use exportLayersModel(model) for it.')
      : wrongModelKind(
          'exportGraphModel',
          `${kindOf(model)}, not a tfjs GraphModel`,
          'Pass a model loaded with tf.loadGraphModel and the ModelArtifacts it was loaded from; a model on disk: exportModelFile(path).',
        );
  }
  if (!Array.isArray((artifacts?.modelTopology as { node?: unknown } | undefined)?.node)) {
    throw wrongModelKind(
      'exportGraphModel',
      'artifacts without a GraphDef (modelTopology.node)',
      'Pass the ModelArtifacts the GraphModel was loaded from, e.g. `await fileIOHandler(path).load()`; or use exportModelFile(path).',
    );
  }
  checkOptions(opts);
  const started = performance.now();
  const opset = opts.opset ?? DEFAULT_OPSET;
  const g = new OnnxGraphBuilder(opset);
  convertGraphModel(g, model, artifacts, { inputLayout: opts.inputLayout ?? 'nhwc' });
  return finish(g, 'graph-model', 'graph_model', opts, started);
}

/** `metadataWarning`: why metadata.json was left out (it is not hcr's, or does not fit the model). */
export type LoadedModel =
  | {
      format: 'layers-model';
      model: LayersModel;
      modelJsonPath: string;
      metadata: ModelMetadata | null;
      metadataWarning?: string;
    }
  | {
      format: 'graph-model';
      model: GraphModel;
      artifacts: tf.io.ModelArtifacts;
      modelJsonPath: string;
      metadata: ModelMetadata | null;
      metadataWarning?: string;
    };

/** Load a tfjs model (LayersModel or GraphModel) from disk, with hcr's metadata.json if present. */
export async function loadTfjsModel(path: string): Promise<LoadedModel> {
  if (/\.onnx$/i.test(path)) {
    throw new HcrError('WRONG_MODEL_KIND', `${path} is an ONNX model already; there is nothing to export.`, {
      hint: 'Use it as it is (onnxruntime; hcr predict, read and serve take it with --model), or pass the tfjs model it came from (its directory or model.json).',
    });
  }
  await readyBackend();
  const modelJsonPath = await resolveModelJson(path);
  const json = await readModelJson(modelJsonPath);
  const metaFile = join(dirname(modelJsonPath), 'metadata.json');
  const rawMetadata = await readMetadata(metaFile);
  const artifacts = await fileIOHandler(modelJsonPath).load!();
  const memory: tf.io.IOHandler = { load: async () => artifacts };
  const meta = (outputs: { shape?: (number | null)[] }[]) =>
    rawMetadata === undefined
      ? { metadata: null }
      : checkMetadata(
          rawMetadata,
          metaFile,
          outputs.map((o) => o.shape),
        );
  if (modelFormat(json) === 'graph') {
    const model = await loadGraphModel(memory).catch((e) => rethrowLoad(modelJsonPath, e));
    return { format: 'graph-model', model, artifacts, modelJsonPath, ...meta(model.outputs) };
  }
  assertTopologySupported(json.modelTopology);
  const model = await loadLayersModel(memory).catch((e) => rethrowLoad(modelJsonPath, e));
  return { format: 'layers-model', model, modelJsonPath, ...meta(model.outputs) };
}

function kindOf(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `a ${typeof x}`;
  return `an object (${x.constructor?.name ?? 'Object'})`;
}

/**
 * Initialise whichever tfjs backend the process registered (the CLI may have registered wasm); fall back
 * to the pure-JS cpu backend, which this package always registers, when that one cannot start.
 */
async function readyBackend(): Promise<void> {
  try {
    await tf.ready();
  } catch {
    await tf.setBackend('cpu');
  }
}

/** The parsed metadata.json, undefined when there is none. */
async function readMetadata(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HcrError('METADATA_INVALID', `${file} is not valid JSON (${(e as Error).message}).`, {
      hint: 'Fix or delete metadata.json next to model.json (it is optional).',
      cause: e,
    });
  }
}

/**
 * hcr's ModelMetadata as ONNX metadata_props (keys from ONNX_METADATA_KEYS in @hcr/core), with the
 * preprocessing the model expects spelled out for other runtimes (`hcr.preprocessing`; `inputLayout` is the
 * exported input's layout).
 */
export function metadataProps(
  meta: Partial<ModelMetadata>,
  inputLayout: 'nhwc' | 'nchw' = 'nhwc',
): Record<string, string> {
  const props: Record<string, string> = {};
  if (meta.classNames) props[ONNX_METADATA_KEYS.classNames] = JSON.stringify(meta.classNames);
  if (meta.inputNormalisation) {
    props[ONNX_METADATA_KEYS.inputNormalisation] = JSON.stringify(meta.inputNormalisation);
    props[ONNX_METADATA_KEYS.preprocessing] = JSON.stringify(
      describePreprocessing({ ...meta, inputNormalisation: meta.inputNormalisation }, inputLayout),
    );
  }
  if (meta.id) props[ONNX_METADATA_KEYS.modelId] = meta.id;
  if (meta.uid) props[ONNX_METADATA_KEYS.modelUid] = meta.uid;
  if (meta.modelVersion !== undefined) props[ONNX_METADATA_KEYS.modelVersion] = String(meta.modelVersion);
  if (meta.labelSpace && meta.task !== 'line') props[ONNX_METADATA_KEYS.labelSpace] = meta.labelSpace;
  if (meta.task === 'line' && meta.reader) props[ONNX_METADATA_KEYS.reader] = JSON.stringify(meta.reader);
  if (meta.calibration) props[ONNX_METADATA_KEYS.calibration] = JSON.stringify(meta.calibration);
  props[ONNX_METADATA_KEYS.metadata] = JSON.stringify(meta);
  return props;
}

/**
 * Load a model from disk and export it; metadata.json next to model.json goes into metadata_props. A line
 * reader (`task: 'line'`) has its `reader` info checked against the model, written as `hcr.reader`, and
 * its free width and frame count named `width` and `frames`.
 */
export async function exportModelFile(
  path: string,
  opts: ExportOptions = {},
): Promise<ExportResult & { loaded: LoadedModel }> {
  checkOptions(opts);
  const loaded = await loadTfjsModel(path);
  const fromFile = loaded.metadata ? metadataProps(loaded.metadata, opts.inputLayout) : {};
  const metadata = { ...fromFile, ...(opts.metadata ?? {}) };
  const full = { modelVersion: loaded.metadata?.modelVersion, ...opts, metadata };
  const metaFile = join(dirname(loaded.modelJsonPath), 'metadata.json');
  if (loaded.format === 'layers-model') {
    const input = loaded.model.inputs[0]?.shape;
    const reader = lineReaderInfo(loaded.metadata, metaFile, input, loaded.model.outputs[0]?.shape);
    const freeWidth = input?.[2] === null && loaded.model.outputs[0]?.shape[2] === null;
    if (reader && freeWidth && !opts.dimNames) full.dimNames = LINE_READER_DIM_NAMES;
  } else {
    const input = loaded.model.inputs[0]?.shape?.map((d, i) => (i === 0 || d < 0 ? null : d));
    lineReaderInfo(loaded.metadata, metaFile, input, undefined);
  }
  const result =
    loaded.format === 'graph-model'
      ? exportGraphModel(loaded.model, loaded.artifacts, full)
      : exportLayersModel(loaded.model, full);
  if (loaded.metadataWarning) result.report.warnings.push(loaded.metadataWarning);
  return { ...result, loaded };
}

/** Write ONNX bytes atomically (temp file + rename): readers never see a half-written model. */
export async function writeOnnx(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}
