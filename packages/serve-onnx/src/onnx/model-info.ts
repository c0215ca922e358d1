import { readFile } from 'node:fs/promises';
import {
  type ConfidenceCalibration,
  checkCalibration,
  HcrError,
  type InputNormalisation,
  LABEL_SPACES,
  type LabelSpaceId,
  ONNX_METADATA_KEYS,
} from '@hcr/core';
import { DataType, decodeModelHeader, metadataRecord, type ValueInfoProto } from '@hcr/onnx-proto';

/** A tensor of the graph's signature; symbolic dimensions (batch) are -1. */
export interface TensorSignature {
  name: string;
  /** ONNX element type (1 = float32). */
  elemType: number;
  dims: number[];
  /** Names of symbolic dimensions, e.g. ['N', '', '', ''] ('' for fixed ones). */
  dimParams: string[];
}

/** What serving needs to know about a model, read from the ONNX file itself. */
export interface ModelInfo {
  /** `hcr.model_id`, else the file name. */
  id: string;
  classNames: string[];
  /**
   * `hcr.label_space` (hcr36, hcr47, hcr62), else the label space whose classes these are; undefined for a
   * class list hcr does not know.
   */
  labelSpace?: LabelSpaceId;
  normalisation: InputNormalisation;
  input: TensorSignature;
  output: TensorSignature;
  /** Pixels per image the input expects (784 for 28x28x1). */
  imageSize: number;
  /** True when the first input dimension is symbolic, so any batch size runs in one call. */
  dynamicBatch: boolean;
  /** Parsed `hcr.metadata` (the full ModelMetadata JSON), when present. */
  metadata?: Record<string, unknown>;
  /**
   * How the training images were normalised (`canonical` or `none`, from hcr.metadata). Serving always
   * ends in the canonical normalisation, which matches models trained on `canonical` data exactly.
   */
  characterNormalisation?: string;
  /** `hcr.calibration`: the temperatures the recogniser applies (absent: temperature 1). */
  calibration?: ConfidenceCalibration;
  /** All metadata_props as given. */
  metadataProps: Record<string, string>;
  opsetVersion: number;
  sizeBytes: number;
}

export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new HcrError('MODEL_MISSING', `Cannot read the ONNX model ${path}: ${(e as Error).message}.`, {
      hint: 'Pass --model <file.onnx> (or set HCR_MODEL); `hcr export onnx` writes one from a trained model.',
      cause: e,
    });
  }
}

/** Reads signature and hcr metadata from ONNX bytes; every missing piece is an error naming the fix. */
export function inspectModel(bytes: Uint8Array, fallbackId = 'model'): ModelInfo {
  // the header only: signature and metadata, not the nodes and weights
  let model: ReturnType<typeof decodeModelHeader>;
  try {
    model = decodeModelHeader(bytes);
  } catch (e) {
    throw new HcrError(
      'MODEL_INVALID',
      `The model file is not a valid ONNX protobuf (${(e as Error).message}).`,
      {
        hint: 'Re-export it with `hcr export onnx`.',
        cause: e,
      },
    );
  }
  const graph = model.graph;
  if (!graph?.input?.length || !graph.output?.length)
    throw new HcrError('MODEL_INVALID', 'The ONNX model has no graph inputs or outputs.', {
      hint: 'Re-export it with `hcr export onnx`.',
    });
  const props = metadataRecord(model);

  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = graph.input.filter((i) => !initNames.has(i.name));
  if (inputs.length !== 1)
    throw new HcrError(
      'MODEL_SIGNATURE',
      `The model has ${inputs.length} inputs; hcr serves models with one.`,
      {
        hint: 'Export a single-input classifier with `hcr export onnx`.',
      },
    );
  const input = signature(inputs[0]!);
  const output = signature(graph.output[0]!);
  if (input.elemType !== DataType.FLOAT || output.elemType !== DataType.FLOAT)
    throw new HcrError('MODEL_SIGNATURE', 'The model input and output must be float32 tensors.', {
      hint: 'Export with `hcr export onnx`, which writes float32 NHWC [N,28,28,1] -> [N,36].',
    });
  const imageSize = input.dims.slice(1).reduce((a, b) => a * b, 1);
  // A line reader exported by hcr: the right file for the other command, not a broken export.
  if (props[ONNX_METADATA_KEYS.reader] !== undefined)
    throw new HcrError(
      'MODEL_SIGNATURE',
      `The model is a line reader (input ${input.name} [${input.dims.join(',')}]: 32-px lines of any width), not a character model.`,
      {
        hint: 'Read lines with it (hcr read --model, hcr serve --reader, POST /v1/read); pass a character model here (the pipeline writes artifacts/model/pipeline/model.onnx).',
      },
    );
  if (input.dims.slice(1).some((d) => d < 1) || imageSize !== 784)
    throw new HcrError(
      'MODEL_SIGNATURE',
      `The model input ${input.name} has shape [${input.dims.join(',')}]; hcr needs 28x28 greyscale images.`,
      { hint: 'Use a model exported by `hcr export onnx` (NHWC [N,28,28,1]).' },
    );

  const classNames = parseJson<string[]>(props, ONNX_METADATA_KEYS.classNames);
  if (!Array.isArray(classNames) || classNames.some((c) => typeof c !== 'string'))
    throw metadataError(ONNX_METADATA_KEYS.classNames, 'a JSON array of class names');
  checkClassNames(classNames);
  const outClasses = output.dims[output.dims.length - 1]!;
  if (outClasses > 0 && outClasses !== classNames.length)
    throw new HcrError(
      'MODEL_SIGNATURE',
      `The model outputs ${outClasses} scores but its metadata names ${classNames.length} classes.`,
      { hint: 'Re-export the model with `hcr export onnx` so metadata and graph agree.' },
    );
  const normalisation = parseJson<InputNormalisation>(props, ONNX_METADATA_KEYS.inputNormalisation);
  if (
    !normalisation ||
    !Number.isFinite(normalisation.mean) ||
    !Number.isFinite(normalisation.std) ||
    normalisation.std === 0
  )
    throw metadataError(ONNX_METADATA_KEYS.inputNormalisation, 'JSON {"mean": number, "std": number}');
  const metadata = props[ONNX_METADATA_KEYS.metadata]
    ? parseJson<Record<string, unknown>>(props, ONNX_METADATA_KEYS.metadata)
    : undefined;
  let calibration: ConfidenceCalibration | undefined;
  try {
    calibration = checkCalibration(parseJson(props, ONNX_METADATA_KEYS.calibration));
  } catch (e) {
    // checkCalibration names the field; said here of the ONNX key it was read from
    if (e instanceof HcrError && e.code === 'CALIBRATION_INVALID')
      throw new HcrError(
        'MODEL_METADATA',
        `The ONNX model's ${ONNX_METADATA_KEYS.calibration} is malformed. ${e.problem}`,
        {
          hint: 'Calibrate the model again with `hcr calibrate <run>` (it rewrites model.onnx too), or export it again with `hcr export onnx`.',
          cause: e,
        },
      );
    if (e instanceof HcrError) throw e;
    throw metadataError(ONNX_METADATA_KEYS.calibration, (e as Error).message);
  }
  const opset = model.opset_import.find((o) => !o.domain || o.domain === 'ai.onnx');
  const labelSpace = modelLabelSpace(props[ONNX_METADATA_KEYS.labelSpace], classNames);
  return {
    id: props[ONNX_METADATA_KEYS.modelId] || fallbackId,
    classNames,
    ...(labelSpace ? { labelSpace } : {}),
    normalisation: { mean: normalisation.mean, std: normalisation.std },
    input,
    output,
    imageSize,
    dynamicBatch: input.dims[0]! < 0,
    metadata,
    characterNormalisation:
      typeof metadata?.characterNormalisation === 'string' ? metadata.characterNormalisation : undefined,
    calibration,
    metadataProps: props,
    opsetVersion: opset?.version ?? 0,
    sizeBytes: bytes.byteLength,
  };
}

/**
 * The signature of a graph input or output; symbolic and unknown dimensions are -1. A value that is not a
 * tensor (a sequence, a map) has elemType 0 and no dims.
 */
export function signature(v: ValueInfoProto): TensorSignature {
  const t = v.type?.tensor_type;
  const dims = t?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    elemType: t?.elem_type ?? 0,
    dims: dims.map((d) => (typeof d.dim_value === 'number' ? d.dim_value : -1)),
    dimParams: dims.map((d) => (typeof d.dim_param === 'string' ? d.dim_param : '')),
  };
}

function parseJson<T>(props: Record<string, string>, key: string): T | undefined {
  const text = props[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw metadataError(key, 'valid JSON');
  }
}

function metadataError(key: string, expected: string): HcrError {
  return new HcrError('MODEL_METADATA', `The ONNX model's metadata_props lack ${key} (${expected}).`, {
    hint: 'Export the model with `hcr export onnx`, which writes class names and input normalisation.',
  });
}

/**
 * Class names are answers: an empty one answers nothing, and one named twice splits its probability between two
 * entries that `classes` filters and top-k lists cannot tell apart. Any other names serve (a model of its own
 * classes, "yes"/"no").
 */
function checkClassNames(classNames: string[]): void {
  const key = ONNX_METADATA_KEYS.classNames;
  const hint = 'Export the model again with `hcr export onnx`, or give every output its own non-empty name.';
  const empty = classNames.findIndex((c) => c.trim() === '');
  if (empty >= 0)
    throw new HcrError(
      'MODEL_METADATA',
      `The ONNX model's ${key} names class ${empty} ${JSON.stringify(classNames[empty])}: no answer.`,
      { hint },
    );
  const seen = new Map<string, number>();
  for (const [i, c] of classNames.entries()) {
    const first = seen.get(c);
    if (first !== undefined)
      throw new HcrError(
        'MODEL_METADATA',
        `The ONNX model's ${key} names classes ${first} and ${i} both ${JSON.stringify(c)}.`,
        { hint },
      );
    seen.set(c, i);
  }
}

/** The label space a model declares, checked against its class names (a disagreement is a broken export). */
function modelLabelSpace(declared: string | undefined, classNames: string[]): LabelSpaceId | undefined {
  const byClasses = LABEL_SPACES.find((s) => s.classes.join('') === classNames.join(''));
  if (declared === undefined) return byClasses?.id;
  const space = LABEL_SPACES.find((s) => s.id === declared);
  if (!space || space.id !== byClasses?.id)
    throw new HcrError(
      'MODEL_METADATA',
      `The model's ${ONNX_METADATA_KEYS.labelSpace} is ${JSON.stringify(declared)} but its ${classNames.length} class names are ${classNames.join('')}.`,
      { hint: 'Re-export the model with `hcr export onnx` so metadata and classes agree.' },
    );
  return space.id;
}
