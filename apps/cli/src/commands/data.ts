import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '@hcr/core';
import {
  DEFAULT_DATASET_DIR,
  DEFAULT_DOWNLOAD_DATASETS,
  datasetInfo,
  downloadDatasets,
  loadDataConfig,
  openDataset,
  prepareShards,
  progressBarReporter,
  renderPreview,
  verifyDataset,
} from '@hcr/data';
import type { Command } from 'commander';
import { bold, green, log, printJson, red } from '../output.js';

interface CommonOpts {
  dir: string;
  json?: boolean;
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('raw datasets -> verified, deterministic shards (prepare, info, verify, preview, download)');

  data
    .command('prepare')
    .description(
      'read the raw MNIST/EMNIST files, verify their sha256, normalise, and write shards + manifest',
    )
    .option('--data-dir <dir>', 'folder with the raw files (else HCR_DATA_DIR, else ~/.cache/hcr/raw)')
    .option('--config <file>', 'data config JSON (letters, normalise, valFraction, seed, extra, shardSize)')
    .option('--letters <source>', 'auto | emnist-letters | emnist-letters-repack')
    .option('--normalise <mode>', 'canonical | none (none reproduces the seed recipe)')
    .option('--out <dir>', 'output directory', DEFAULT_DATASET_DIR)
    .option(
      '--force',
      'rebuild even when the dataset is up to date (same config and raw files, shards intact)',
    )
    .option('--json', 'print the manifest summary as JSON')
    .action(async (opts) => {
      const config = opts.config ? await loadDataConfig(opts.config) : {};
      if (opts.letters) Object.assign(config, { letters: opts.letters });
      if (opts.normalise) Object.assign(config, { normalise: opts.normalise });
      const t0 = performance.now();
      const result = await prepareShards({
        dataDir: opts.dataDir,
        config,
        outDir: opts.out,
        force: opts.force,
        onProgress: (m) => log(`  ${m}`),
      });
      const seconds = (performance.now() - t0) / 1000;
      const info = await datasetInfo(result.outDir);
      if (opts.json) return printJson({ ...info, seconds });
      const verb = result.upToDate ? 'up to date' : 'prepared';
      log(`${green(verb)} ${result.outDir} in ${seconds.toFixed(1)} s (letters: ${info.letterSource})`);
      printSummary(info);
    });

  data
    .command('info')
    .description('counts per split, source and class of a prepared dataset')
    .option('--dir <dir>', 'prepared dataset directory', DEFAULT_DATASET_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => {
      const info = await datasetInfo(opts.dir);
      if (opts.json) return printJson(info);
      printSummary(info);
    });

  data
    .command('verify')
    .description('re-check every shard against the sha256 in its manifest; exit 1 naming any corrupt shard')
    .option('--dir <dir>', 'prepared dataset directory', DEFAULT_DATASET_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => {
      const result = await verifyDataset(opts.dir);
      if (opts.json) printJson(result);
      else if (result.ok) log(`${green('ok')} ${result.checked} shards match the manifest in ${result.dir}`);
      else {
        for (const b of result.bad) log(`${red('corrupt')} ${b.file}: ${b.problem}`);
        log(
          `${result.bad.length} of ${result.checked} shards are bad. Rebuild with \`hcr data prepare --force\`.`,
        );
      }
      if (!result.ok) process.exitCode = 1;
    });

  data
    .command('preview')
    .description('write a labelled PNG contact sheet (samples of every class)')
    .option('--dir <dir>', 'prepared dataset directory', DEFAULT_DATASET_DIR)
    .option('--split <split>', 'train | val | test | extra', 'train')
    .option('--per-class <n>', 'samples per class', '10')
    .option('--seed <n>', 'sample selection seed', '1')
    .option('-o, --out <file>', 'PNG to write', 'artifacts/data/preview.png')
    .action(async (opts) => {
      const dataset = await openDataset(opts.dir);
      const png = await renderPreview(dataset, {
        split: opts.split,
        perClass: Number(opts.perClass),
        seed: Number(opts.seed),
      });
      const out = resolve(opts.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFileAtomic(out, png);
      log(`${green('wrote')} ${out}`);
    });

  registerDownload(data);
}

function registerDownload(data: Command): void {
  data
    .command('download')
    .description(
      'fetch the official MNIST/EMNIST files (sha256-checked against datasets.lock.json, resumable)',
    )
    .option('--dataset <names...>', 'datasets to fetch (mnist, emnist-letters, emnist-digits)', [
      ...DEFAULT_DOWNLOAD_DATASETS,
    ])
    .option('--data-dir <dir>', 'where to put them (default ~/.cache/hcr/raw, the last place prepare looks)')
    .option('--force', 'download again even if verified files are present')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const progress = progressBarReporter();
      try {
        const result = await downloadDatasets({
          datasets: opts.dataset,
          destDir: opts.dataDir ? resolve(opts.dataDir) : undefined,
          force: opts.force,
          onProgress: opts.json ? undefined : progress.onProgress,
        });
        progress.stop();
        if (opts.json) return printJson(result);
        for (const f of result.files) log(`${green(f.status.padEnd(10))} ${f.path}`);
      } finally {
        progress.stop();
      }
    });
}

function printSummary(info: Awaited<ReturnType<typeof datasetInfo>>): void {
  const line = (name: string, c: { total: number; perSource: Record<string, number | undefined> }) =>
    `  ${name.padEnd(6)} ${String(c.total).padStart(7)}  ${Object.entries(c.perSource)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}`;
  process.stdout.write(
    [
      `${bold('dataset')} ${info.dir}`,
      `  classes ${info.classes} (${info.classNames.join('')}), letters source ${info.letterSource}, normalise ${info.normalise}`,
      line('train', info.counts.train),
      line('val', info.counts.val),
      line('test', info.counts.test),
      line('extra', info.counts.extra),
      `  train+val ${info.trainAndVal}; ${info.shards} shards, ${(info.bytes / 1e6).toFixed(1)} MB; manifest sha256 ${info.manifestSha256}`,
      '',
    ].join('\n'),
  );
}
