import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HcrError, isHcrError, writeDirAtomic } from '@hcr/core';
import { DataType } from '@hcr/onnx-proto';
import { inspectModel, type ModelInfo, readModelFile } from './onnx/model-info.js';

export interface TritonOptions {
  /** The ONNX model to serve. */
  model: string;
  /** Model repository directory to write (Triton's --model-repository). */
  outDir: string;
  /** Model name inside the repository (default `hcr`). */
  name?: string;
  /** Triton max_batch_size and largest dynamic batch (default 64). */
  maxBatch?: number;
  /** How long Triton may hold a request to form a batch (default 2000 us, like `hcr serve`'s 2 ms). */
  maxQueueDelayMicros?: number;
  /** CPU model instances (default 1). */
  instances?: number;
  /** Replace an existing repository directory. */
  force?: boolean;
}

const TRITON_TYPES: Record<number, string> = { [DataType.FLOAT]: 'TYPE_FP32' };

/**
 * Triton config.pbtxt for an hcr ONNX model: names, types and dims from the model's own signature,
 * dynamic batching when the batch dimension is symbolic, labels for Triton's classification extension,
 * and the input normalisation as a parameter so clients preprocess as `hcr serve` does.
 */
export function tritonConfig(info: ModelInfo, opts: Omit<TritonOptions, 'model' | 'outDir'> = {}): string {
  const name = opts.name ?? 'hcr';
  const maxBatch = opts.maxBatch ?? 64;
  const dims = (d: number[]) => (info.dynamicBatch ? d.slice(1) : d);
  const type = (t: number) => {
    const tt = TRITON_TYPES[t];
    if (!tt) throw new HcrError('MODEL_SIGNATURE', `ONNX element type ${t} has no Triton mapping here.`);
    return tt;
  };
  const preferred = [8, 16, 32, 64, 128].filter((b) => b < maxBatch).concat(maxBatch);
  const lines = [
    `name: "${name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${info.dynamicBatch ? maxBatch : 0}`,
    'input [',
    '  {',
    `    name: "${info.input.name}"`,
    `    data_type: ${type(info.input.elemType)}`,
    `    dims: [ ${dims(info.input.dims).join(', ')} ]`,
    '  }',
    ']',
    'output [',
    '  {',
    `    name: "${info.output.name}"`,
    `    data_type: ${type(info.output.elemType)}`,
    `    dims: [ ${dims(info.output.dims).join(', ')} ]`,
    '    label_filename: "labels.txt"',
    '  }',
    ']',
  ];
  if (info.dynamicBatch)
    lines.push(
      'dynamic_batching {',
      `  preferred_batch_size: [ ${preferred.join(', ')} ]`,
      `  max_queue_delay_microseconds: ${opts.maxQueueDelayMicros ?? 2000}`,
      '}',
    );
  lines.push(
    'instance_group [',
    '  {',
    `    count: ${opts.instances ?? 1}`,
    '    kind: KIND_CPU',
    '  }',
    ']',
    'parameters {',
    '  key: "hcr.input_normalisation"',
    `  value: { string_value: ${JSON.stringify(JSON.stringify(info.normalisation))} }`,
    '}',
    'parameters {',
    '  key: "hcr.model_id"',
    `  value: { string_value: ${JSON.stringify(info.id)} }`,
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a Triton Inference Server model repository (also what KServe's Triton runtime reads):
 *   <outDir>/<name>/config.pbtxt, <outDir>/<name>/labels.txt, <outDir>/<name>/1/model.onnx
 * The directory appears complete or not at all.
 */
export async function writeTritonRepository(opts: TritonOptions): Promise<{ dir: string; config: string }> {
  const info = inspectModel(await readModelFile(opts.model));
  const name = opts.name ?? 'hcr';
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new HcrError('BAD_OPTION', `Model name '${name}' is not a valid Triton model directory name.`, {
      hint: 'Use letters, digits, _ . or -.',
    });
  const config = tritonConfig(info, opts);
  try {
    await writeDirAtomic(
      opts.outDir,
      async (tmp) => {
        const modelDir = join(tmp, name);
        await mkdir(join(modelDir, '1'), { recursive: true });
        await writeFile(join(modelDir, 'config.pbtxt'), config);
        await writeFile(join(modelDir, 'labels.txt'), `${info.classNames.join('\n')}\n`);
        await copyFile(opts.model, join(modelDir, '1', 'model.onnx'));
      },
      { replace: opts.force ?? false },
    );
  } catch (e) {
    // writeDirAtomic refuses a folder holding something without `replace`: worded here in the command's terms
    if (isHcrError(e) && e.code === 'OUTPUT_EXISTS')
      throw new HcrError('OUTPUT_EXISTS', `${opts.outDir} already exists and is not empty.`, {
        hint: 'Pass --force to replace it, or choose another -o directory.',
        cause: e,
      });
    throw e;
  }
  return { dir: join(opts.outDir, name), config };
}
