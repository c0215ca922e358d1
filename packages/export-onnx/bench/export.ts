/**
 * `pnpm bench export`: (1) how long exporting a ~25M-parameter tfjs model to ONNX takes, (2) inference
 * images/s of hcr's seed CNN in onnxruntime-node vs tfjs on the wasm backend (and the pure-JS cpu backend).
 * Options: --batch N (default 64), --seconds S per runtime (default 3).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { exportLayersModel, exportModelFile, fileIOHandler, randomInputs, writeOnnx } from '../src/index.js';

/** ~25.2M parameters: two convs, then a wide MLP (8192 -> 2048 -> 2048 -> 2048 -> 36). */
export function wideModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 64,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2048, activation: 'relu' }),
      tfl.layers.dense({ units: 2048, activation: 'relu' }),
      tfl.layers.dense({ units: 2048, activation: 'relu' }),
      tfl.layers.dense({ units: 36, activation: 'softmax' }),
    ],
  });
}

async function rate(run: () => Promise<void> | void, batch: number, seconds: number): Promise<number> {
  await run(); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await run();
    n += batch;
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function benchExport({ batch = 64, seconds = 3 } = {}) {
  await tf.setBackend('cpu');
  const big = wideModel();
  const params = big.countParams();
  const exportTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = exportLayersModel(big);
    exportTimes.push((performance.now() - t0) / 1000);
    bytes = r.bytes.byteLength;
  }
  // The CLI path: model.json + shards on disk -> load -> convert -> write.
  const dir = mkdtempSync(join(tmpdir(), 'hcr-bench-export-'));
  let diskSeconds = 0;
  try {
    await big.save(fileIOHandler(dir));
    const t0 = performance.now();
    const r = await exportModelFile(dir);
    await writeOnnx(join(dir, 'model.onnx'), r.bytes);
    diskSeconds = (performance.now() - t0) / 1000;
    r.loaded.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  big.dispose();

  const seed = buildModel('seed', { seed: 1 });
  const onnx = exportLayersModel(seed).bytes;
  const [x] = randomInputs([[null, 28, 28, 1]], batch, 1);
  const xData = x.dataSync() as Float32Array;
  const session = await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', xData, [batch, 28, 28, 1]) };
  const ortRate = await rate(
    async () => {
      await session.run(feeds);
    },
    batch,
    seconds,
  );
  const tfjsRate = async (backend: string) => {
    await tf.setBackend(backend);
    await tf.ready();
    const xb = tf.tensor(xData, [batch, 28, 28, 1]);
    const r = await rate(
      () => {
        const y = seed.predict(xb) as tf.Tensor;
        y.dataSync();
        y.dispose();
      },
      batch,
      seconds,
    );
    xb.dispose();
    return r;
  };
  const wasmRate = await tfjsRate('wasm');
  const cpuRate = await tfjsRate('cpu');
  const result = {
    exportParams: params,
    exportSeconds: +Math.min(...exportTimes).toFixed(2),
    exportSecondsAll: exportTimes.map((t) => +t.toFixed(2)),
    exportFromDiskSeconds: +diskSeconds.toFixed(2),
    onnxMiB: +(bytes / 2 ** 20).toFixed(1),
    inferenceBatch: batch,
    ortImagesPerSecond: Math.round(ortRate),
    tfjsWasmImagesPerSecond: Math.round(wasmRate),
    tfjsCpuImagesPerSecond: Math.round(cpuRate),
    load1: +loadavg()[0].toFixed(2),
  };
  process.stdout.write(
    `export: ${(params / 1e6).toFixed(1)}M-parameter model -> ${result.onnxMiB} MiB ONNX in ${result.exportSeconds} s (best of 3: ${result.exportSecondsAll.join(', ')}); ` +
      `from disk incl. load + write: ${result.exportFromDiskSeconds} s\n` +
      `seed CNN inference, batch ${batch}: onnxruntime-node ${result.ortImagesPerSecond.toLocaleString('en')} images/s, ` +
      `tfjs wasm ${result.tfjsWasmImagesPerSecond.toLocaleString('en')} images/s (${(ortRate / wasmRate).toFixed(1)}x), ` +
      `tfjs cpu ${result.tfjsCpuImagesPerSecond.toLocaleString('en')} images/s (load ${result.load1})\n`,
  );
  return result;
}

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`)
  await benchExport({ batch: flag('batch') ?? 64, seconds: flag('seconds') ?? 3 });
