/**
 * `pnpm bench data [--passes 3] [--batch 128]`: how long `prepare` takes on the real files, and how fast the reader delivers the train split
 * as normalised Float32 batches. Needs HCR_DATA_DIR (or ~/.cache/hcr/raw) with the raw files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, prepareShards } from '../src/index.js';

export async function benchData({ batchSize = 128, passes = 3 } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'hcr-bench-data-'));
  const outDir = join(root, 'shards');
  try {
    let t0 = performance.now();
    const prepared = await prepareShards({ outDir });
    const prepareSeconds = (performance.now() - t0) / 1000;
    const dataset = await openDataset(outDir);
    t0 = performance.now();
    await dataset.loadSplit('train');
    const loadSeconds = (performance.now() - t0) / 1000;
    const rates: number[] = [];
    for (let epoch = 0; epoch < passes; epoch++) {
      t0 = performance.now();
      let n = 0;
      for await (const b of dataset.batches('train', { batchSize, seed: 1, epoch })) n += b.size;
      rates.push(n / ((performance.now() - t0) / 1000));
    }
    const result = {
      prepareSeconds: +prepareSeconds.toFixed(2),
      letterSource: prepared.manifest.letterSource,
      trainImages: prepared.manifest.counts.train.total,
      loadTrainSplitSeconds: +loadSeconds.toFixed(2),
      readImagesPerSecond: Math.round(Math.max(...rates)),
      readImagesPerSecondAllPasses: rates.map(Math.round),
      batchSize,
      load1: +loadavg()[0]!.toFixed(2),
    };
    process.stdout.write(
      `prepare: ${result.prepareSeconds} s (letters: ${result.letterSource})\n` +
        `read train split (${result.trainImages} images, batch ${batchSize}, shuffled, Float32 normalised): ` +
        `${result.readImagesPerSecond.toLocaleString('en')} images/s (best of ${passes}; load ${result.load1})\n`,
    );
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `--passes 1` for a quicker look (prepare is the same either way); `pnpm bench data --help` lists both
  const flag = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  await benchData({ batchSize: flag('--batch', 128), passes: flag('--passes', 3) });
}
