import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from '../src/report.js';
import { ensureFixture } from './fixtures.js';

/**
 * A damaged copy of a trained model gets an error naming the file, the problem and the fix (as `hcr export onnx`
 * gives), never a raw tfjs/protobuf message or a 0% report; and nothing is written.
 */
let fx: Awaited<ReturnType<typeof ensureFixture>>;
let root: string;

beforeAll(async () => {
  fx = await ensureFixture();
  root = await mkdtemp(join(tmpdir(), 'hcr-eval-damaged-'));
});

/** A copy of the fixture run, damaged by `damage`; returns its directory. */
async function damagedCopy(name: string, damage: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, 'models', name);
  await cp(fx.runDir, dir, { recursive: true });
  await damage(dir);
  return dir;
}

interface ManifestWeight {
  name: string;
  shape: number[];
}

async function weightSpecs(dir: string): Promise<ManifestWeight[]> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  return json.weightsManifest[0].weights;
}

/** Byte offset of a weight in weights.bin (every fixture weight is float32). */
function offsetOf(specs: ManifestWeight[], name: string): number {
  let off = 0;
  for (const s of specs) {
    if (s.name === name) return off;
    off += s.shape.reduce((a, b) => a * b, 1) * 4;
  }
  throw new Error(`no weight ${name}`);
}

async function evalFails(dir: string, runtime: 'tfjs' | 'onnx' = 'tfjs', workers = 1) {
  const outDir = join(root, 'reports', `${runtime}-${workers}`);
  const err = await evaluateRun({
    run: dir,
    dataDir: fx.dataDir,
    outDir,
    runtime,
    engine: 'wasm',
    workers,
    sample: 20,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'evaluateRun must refuse a damaged model').toBeDefined();
  expect(await readdir(outDir).catch(() => [])).toEqual([]);
  return err as { code: string; problem: string; hint: string };
}

describe('hcr eval on a damaged model', () => {
  it('a missing weights.bin names the shard and how to restore it', async () => {
    const dir = await damagedCopy('no-weights', (d) => rm(join(d, 'weights.bin')));
    const e = await evalFails(dir);
    expect(e.code).toBe('WEIGHTS_MISSING');
    expect(e.problem).toContain(join(dir, 'weights.bin'));
    expect(e.hint).toMatch(/weightsManifest/);
  });

  it('a truncated weights.bin names the file and the first weight cut off (through the worker pool too)', async () => {
    const dir = await damagedCopy('truncated', (d) => truncate(join(d, 'weights.bin'), 2000));
    for (const workers of [1, 2]) {
      const e = await evalFails(dir, 'tfjs', workers);
      expect(e.code).toBe('WEIGHTS_SIZE_MISMATCH');
      expect(e.problem).toContain(join(dir, 'weights.bin'));
      // conv1 is 320 bytes, conv2's kernel 4608: the cut falls inside conv2's kernel
      expect(e.problem).toContain("weight 'conv2d_Conv2D2/kernel' [3,3,8,16]");
      expect(e.hint).toMatch(/same save/);
    }
  });

  it('an unknown layer class is named with its layer, not as a Python layer tfjs lacks', async () => {
    const dir = await damagedCopy('fancy', async (d) => {
      const json = JSON.parse(await readFile(join(d, 'model.json'), 'utf8'));
      json.modelTopology.config.layers[2].class_name = 'FancyConv';
      await writeFile(join(d, 'model.json'), JSON.stringify(json));
    });
    const e = await evalFails(dir);
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.problem).toContain("layer 'conv2d_Conv2D2' (FancyConv)");
    expect(e.problem).not.toMatch(/Python/);
  });

  it('a corrupt model.json is invalid JSON, not "train a model first"', async () => {
    const dir = await damagedCopy('bad-json', (d) => writeFile(join(d, 'model.json'), '{"modelTopology": '));
    const e = await evalFails(dir);
    expect(e.code).toBe('MODEL_JSON_INVALID');
    expect(e.problem).toContain(join(dir, 'model.json'));
    expect(e.hint).not.toMatch(/^Train a model first/);
  });

  it('a truncated model.onnx is MODEL_INVALID naming the file and the re-export', async () => {
    const dir = await damagedCopy('onnx-cut', (d) => truncate(join(d, 'model.onnx'), 5000));
    const e = await evalFails(dir, 'onnx');
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.problem).toContain(join(dir, 'model.onnx'));
    expect(e.hint).toContain(`hcr export onnx ${dir}`);
  });

  it('a NaN in weights.bin is refused naming the weight, instead of a 0% report', async () => {
    const dir = await damagedCopy('nan', async (d) => {
      const specs = await weightSpecs(d);
      const bytes = await readFile(join(d, 'weights.bin'));
      bytes.set([0xff, 0xff, 0xff, 0x7f], offsetOf(specs, 'dense_Dense1/kernel') + 40);
      await writeFile(join(d, 'weights.bin'), bytes);
    });
    for (const workers of [1, 2]) {
      const e = await evalFails(dir, 'tfjs', workers);
      expect(e.code).toBe('WEIGHTS_NOT_FINITE');
      expect(e.problem).toContain("Weight 'dense_Dense1/kernel' (layer dense_Dense1)");
      expect(e.problem).toMatch(/damaged, or training diverged/);
      expect(e.hint).toMatch(/re-train/);
    }
  });

  it('finite weights whose outputs overflow to NaN are refused too', async () => {
    const dir = await damagedCopy('overflow', async (d) => {
      const specs = await weightSpecs(d);
      const bytes = await readFile(join(d, 'weights.bin'));
      const at = offsetOf(specs, 'dense_Dense1/kernel');
      const huge = new Float32Array(784 * 36).fill(3e38);
      bytes.set(new Uint8Array(huge.buffer), at);
      await writeFile(join(d, 'weights.bin'), bytes);
    });
    const e = await evalFails(dir);
    expect(e.code).toBe('MODEL_OUTPUT_NOT_FINITE');
    expect(e.problem).toMatch(/outputs NaN or Infinity for \d+ of 40 images/);
    expect(e.problem).toContain(dir);
  });
});
