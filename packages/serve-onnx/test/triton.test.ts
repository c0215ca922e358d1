import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel, writeTritonRepository } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';

/** The fields of config.pbtxt this test checks, read with a small text-format parser. */
function parseConfig(text: string) {
  const block = (key: string) => new RegExp(`${key} \\[\\s*\\{([\\s\\S]*?)\\}\\s*\\]`).exec(text)![1]!;
  const field = (src: string, key: string) => new RegExp(`${key}: "?([^"\\n]+)"?`).exec(src)?.[1];
  const dims = (src: string) =>
    /dims: \[([^\]]*)\]/
      .exec(src)![1]!
      .split(',')
      .map((d) => Number(d.trim()));
  const input = block('input');
  const output = block('output');
  return {
    name: field(text, 'name'),
    platform: field(text, 'platform'),
    maxBatch: Number(field(text, 'max_batch_size')),
    input: { name: field(input, 'name'), type: field(input, 'data_type'), dims: dims(input) },
    output: { name: field(output, 'name'), type: field(output, 'data_type'), dims: dims(output) },
    dynamicBatching: /dynamic_batching \{/.test(text),
    preferred: /preferred_batch_size: \[([^\]]*)\]/.exec(text)?.[1]?.split(',').map(Number),
    normalisation: /key: "hcr.input_normalisation"\s*value: \{ string_value: ("(?:[^"\\]|\\.)*") \}/.exec(
      text,
    )?.[1],
  };
}

describe('hcr export triton', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-triton-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a repository whose config matches the ONNX signature and runs with those names and dims', async () => {
    const repo = join(dir, 'repo');
    const { dir: modelDir } = await writeTritonRepository({
      model: FIXTURE_MODEL,
      outDir: repo,
      maxBatch: 32,
    });
    const bytes = await readFile(join(modelDir, '1', 'model.onnx'));
    expect(bytes.equals(await readFile(FIXTURE_MODEL))).toBe(true);
    const info = inspectModel(bytes);
    const cfg = parseConfig(await readFile(join(modelDir, 'config.pbtxt'), 'utf8'));
    expect(cfg).toMatchObject({
      name: 'hcr',
      platform: 'onnxruntime_onnx',
      maxBatch: 32,
      input: { name: info.input.name, type: 'TYPE_FP32', dims: info.input.dims.slice(1) },
      output: { name: info.output.name, type: 'TYPE_FP32', dims: info.output.dims.slice(1) },
      dynamicBatching: true,
    });
    expect(Math.max(...cfg.preferred!)).toBe(32);
    expect(JSON.parse(JSON.parse(cfg.normalisation!))).toEqual(info.normalisation);
    const labels = (await readFile(join(modelDir, 'labels.txt'), 'utf8')).trim().split('\n');
    expect(labels).toEqual(info.classNames);
    // What Triton would do: feed [batch, ...dims] under the config's input name, read the output name.
    const session = await ort.InferenceSession.create(bytes);
    const batch = 5;
    const x = new ort.Tensor('float32', new Float32Array(batch * 784), [batch, ...cfg.input.dims]);
    const out = await session.run({ [cfg.input.name!]: x });
    expect(out[cfg.output.name!]!.dims).toEqual([batch, ...cfg.output.dims]);
    await session.release();
  });

  it('refuses to overwrite without force, and leaves no partial directory on failure', async () => {
    const repo = join(dir, 'again');
    await writeTritonRepository({ model: FIXTURE_MODEL, outDir: repo });
    await expect(writeTritonRepository({ model: FIXTURE_MODEL, outDir: repo })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: `${repo} already exists and is not empty. Pass --force to replace it, or choose another -o directory.`,
      cause: { code: 'OUTPUT_EXISTS' }, // @hcr/core's writeDirAtomic refusal, no longer a raw ENOTEMPTY
    });
    expect(await readdir(repo)).toEqual(['hcr']); // the refused repository is left whole, with no temp beside it
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
    // an empty folder (made with mkdir beforehand) holds nothing to lose: written into without force
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await writeTritonRepository({ model: FIXTURE_MODEL, outDir: empty });
    expect((await stat(join(empty, 'hcr', 'config.pbtxt'))).isFile()).toBe(true);
    await writeTritonRepository({ model: FIXTURE_MODEL, outDir: repo, force: true, name: 'digits' });
    expect((await stat(join(repo, 'digits', 'config.pbtxt'))).isFile()).toBe(true);
    const missing = join(dir, 'never');
    await expect(
      writeTritonRepository({ model: join(dir, 'no.onnx'), outDir: missing }),
    ).rejects.toMatchObject({
      code: 'MODEL_MISSING',
    });
    await expect(stat(missing)).rejects.toThrow();
  });
});
