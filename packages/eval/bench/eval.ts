/**
 * `pnpm bench eval`: how fast `hcr eval` scores the test split (16,806) plus the generalisation split
 * (57,918), per runtime. By default an untrained `hcrnet` (`model=seed|hcrnet`): speed does not depend on
 * the weights, and the number is then the same whatever was trained last. `run=<id|dir>` benchmarks a
 * trained run instead (its `data=` must be the dataset it was trained on).
 * Prints images/s of the prediction pass and the wall time of the whole report (load, predict, metrics,
 * pictures, html). Run directly: node --conditions=source --import tsx packages/eval/bench/eval.ts [key=value...]
 */
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INPUT_NORMALISATION, LABEL_SPACE_36, type ModelMetadata } from '@hcr/core';
import { DEFAULT_DATASET_DIR, openDataset } from '@hcr/data';
import { type EngineName, initEngine } from '@hcr/engine';
import { exportModelFile, writeOnnx } from '@hcr/export-onnx';
import { buildModel, saveModel } from '@hcr/model';
import { evaluateRun, type RuntimeName, resolveModelRun } from '../src/index.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** A run directory with model.onnx: the trained run (copied if it needs an export), or an untrained one. */
async function prepareRun(work: string, opts: Record<string, string>, dataDir: string): Promise<string> {
  if (opts.run) {
    const run = await resolveModelRun(opts.run);
    if (await exists(join(run.dir, 'model.onnx'))) return run.dir;
    const copy = join(work, run.id);
    await cp(run.dir, copy, { recursive: true });
    await writeOnnx(join(copy, 'model.onnx'), (await exportModelFile(copy)).bytes);
    return copy;
  }
  const arch = opts.model ?? 'hcrnet';
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
  const dir = join(work, `${arch}-untrained`);
  const dataset = await openDataset(dataDir);
  const metadata: ModelMetadata = {
    formatVersion: 1,
    id: `${arch}-untrained`,
    architecture: arch,
    labelSpace: 'hcr36',
    classNames: [...LABEL_SPACE_36.classes],
    inputShape: [28, 28, 1],
    inputNormalisation: { ...DEFAULT_INPUT_NORMALISATION },
    characterNormalisation: dataset.manifest.config.normalise,
    letterSource: dataset.manifest.letterSource,
    dataManifestSha256: dataset.manifestSha256,
    commit: 'bench',
    createdAt: new Date(0).toISOString(),
    engine: 'wasm',
    trainingConfig: { note: 'untrained: benchmark of speed only' },
    metrics: {},
  };
  await saveModel(buildModel(arch, { seed: 1 }), dir, metadata);
  await writeOnnx(join(dir, 'model.onnx'), (await exportModelFile(dir)).bytes);
  return dir;
}

export async function benchEval(opts: Record<string, string> = {}): Promise<void> {
  const dataDir = opts.data ?? DEFAULT_DATASET_DIR;
  const runtimes = (opts.runtimes ?? 'onnx,tfjs').split(',') as RuntimeName[];
  const work = await mkdtemp(join(tmpdir(), 'hcr-bench-eval-'));
  try {
    const runDir = await prepareRun(work, opts, dataDir);
    const run = await resolveModelRun(runDir);
    process.stdout.write(
      `eval benchmark: model ${run.id} (${run.metadata.architecture}), data ${dataDir}; ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other work may be running)\n`,
    );
    for (const runtime of runtimes) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const { report } = await evaluateRun({
        run: runDir,
        dataDir,
        outDir: join(work, `reports-${runtime}`),
        runtime,
        engine: (opts.engine ?? 'auto') as EngineName,
        workers: opts.workers ? Number(opts.workers) : undefined,
      });
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      // CPU seconds of all threads: with other work on the machine, wall time alone says little
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const t = report.timing.runtimes[0]!;
      process.stdout.write(
        `  ${runtime.padEnd(5)} ${`${t.description}${t.workers > 1 ? ` x${t.workers}` : ''}`.padEnd(32)} ${String(t.images).padStart(6)} images  predict ${t.seconds
          .toFixed(1)
          .padStart(
            6,
          )} s  ${String(t.imagesPerSecond).padStart(6)} images/s  whole report ${wall.toFixed(1)} s, ${cpuSeconds.toFixed(1)} cpu-s  (test accuracy ${(
          report.overall.accuracy * 100
        ).toFixed(2)}%)\n`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = Object.fromEntries(process.argv.slice(2).map((kv) => kv.split('=', 2) as [string, string]));
  // an HcrError (a run not found, no dataset) prints with its fix under `hcr bench` (its bench-errors preload);
  // anything else keeps its stack
  await benchEval(opts);
}
