import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { HcrError, type LabelSpace, labelSpace, labelSpaceChoice, lineAlphabet } from '@hcr/core';
import {
  defaultLinesDir,
  type ImportLinesResult,
  LINE_KINDS,
  type LineKind,
  writeImportedLines,
} from '@hcr/data';
import type { Command } from 'commander';
import { assertOutputFolder, decimalNumber, oneOf, wholeNumber } from '../flags.js';
import { green, log, printJson } from '../output.js';
import { countProgress } from '../progress.js';

/** Where `hcr data lines import <folder>` writes by default: one dataset per folder name. */
export const IMPORTED_LINES_DIR = 'artifacts/data/imported';

/** A share of the lines (`--val`, `--test`) from 0 to 0.5, or an error naming the flag. */
function share(flag: string, v: string): number {
  return decimalNumber(flag, v, {
    min: 0,
    max: 0.5,
    what: 'a share of the lines from 0 to 0.5',
    example: '0.1',
  });
}

/**
 * `hcr data lines import <folder>`: a folder of real labelled lines (labels.tsv and its images, like the dev sets)
 * -> line shards a reader is fine-tuned on (`hcr train --model reader --init latest-reader --data <out>`). Each image
 * is prepared as `hcr read` and `hcr eval --real` prepare it, so the reader learns from what it will be shown.
 */
export function registerLinesImport(lines: Command): void {
  lines
    .command('import <folder>')
    .description(
      'real labelled lines (a folder holding labels.tsv: `images/<file>` TAB `<text>` per line) -> line shards to fine-tune a reader on',
    )
    .option('--out <dir>', `output directory (default ${IMPORTED_LINES_DIR}/<folder name>)`)
    .option(
      '--labels <n>',
      'label the texts in 36 (case merged, the default) | 47 | 62 classes: those of the reader the lines will train',
    )
    .option('--kind <kind>', `the kind of field: ${LINE_KINDS.join(' | ')}`, 'mixed')
    .option('--val <share>', 'share of the lines held out to pick the best epoch', '0.1')
    .option('--test <share>', 'share of the lines held out for the run’s test', '0.1')
    .option(
      '--seed <n>',
      'seed of the split (a line’s split follows its path, so adding lines moves no other)',
      '1',
    )
    .option('--json', 'print the manifest summary as JSON')
    .action(async (folder: string, opts) => {
      if (opts.out !== undefined) assertOutputFolder(opts.out, '--out');
      const space = labelSpace(opts.labels ?? 36);
      const result = await importLinesFolder(folder, {
        out: opts.out,
        space,
        kind: oneOf('--kind', opts.kind, LINE_KINDS),
        valShare: share('--val', opts.val),
        testShare: share('--test', opts.test),
        seed: wholeNumber('--seed', opts.seed, 0, 2 ** 31),
        quiet: Boolean(opts.json),
      });
      const { manifest } = result;
      if (opts.json)
        return printJson({
          dir: result.outDir,
          manifestSha256: result.manifestSha256,
          ...manifest.imported,
          counts: manifest.counts,
        });
      // replaying the synthetic lines beside one's own keeps what the reader read before (README: fine-tuning)
      // (of the same label space: a 62-class import replays the 62-class lines, from a 62-class reader)
      const replay = defaultLinesDir(labelSpaceChoice(space));
      log(`next: hcr train --model reader --init latest-reader --replay ${replay} --data ${result.outDir}`);
      // hcr finetune starts from the pipeline's pair, a 36-class reader
      if (space.id === 'hcr36')
        log(
          `  (or every step at once, from the folder: hcr finetune ${folder}${opts.kind === 'mixed' ? '' : ` --kind ${opts.kind}`})`,
        );
    });
}

/** What `importLinesFolder` is given: the flags of `hcr data lines import`, parsed. */
export interface ImportFolderOptions {
  /** Output directory (default `${IMPORTED_LINES_DIR}/<folder name>`). */
  out?: string;
  /** The label space the texts are labelled in: the reader's. */
  space: LabelSpace;
  kind: LineKind;
  valShare: number;
  testShare: number;
  seed: number;
  /** Progress as plain rows and no summary on stderr (`--json`: the caller prints the result). */
  quiet?: boolean;
}

/**
 * A folder of labelled lines (labels.tsv and its images) -> imported line shards. Each image is prepared as
 * `hcr read` and `hcr eval --real` prepare it, in worker threads; what is left out is counted and named.
 */
export async function importLinesFolder(
  folder: string,
  opts: ImportFolderOptions,
): Promise<ImportLinesResult> {
  const dir = resolve(folder);
  if (!existsSync(join(dir, 'labels.tsv')))
    throw new HcrError('IMPORT_INVALID', `${join(dir, 'labels.tsv')} does not exist.`, {
      hint: 'Pass a folder holding labels.tsv (`images/<file>` TAB `<transcription>` per line) and those images.',
    });
  // loaded here, not with the command list: `hcr data lines info` needs neither the decoders nor tfjs
  const [{ loadDevSet }, { LINE_HEIGHT }, { PreparePool, prepareLineInPool }] = await Promise.all([
    import('@hcr/eval'),
    import('@hcr/model'),
    import('@hcr/serve-onnx/reader'),
  ]);
  const name = basename(dir);
  let progress: ReturnType<typeof countProgress> | undefined;
  // decoding and preprocessing in worker threads, a few images ahead of each (the lines keep the rows' order)
  const threads = Math.max(1, Math.min(4, availableParallelism()));
  const pool = new PreparePool(threads);
  const set = await loadDevSet(dir, name, 'mixed', undefined, {
    prepare: (bytes, limits) => prepareLineInPool(pool, bytes, limits),
    concurrency: 4 * threads,
    onRow: (_done, total) => {
      progress ??= countProgress(total, 'images', { rowsOnScreen: Boolean(opts.quiet) });
      progress.add(1);
    },
  }).finally(() => pool.close());
  progress?.stop();
  const skipped: Record<string, number> = {};
  for (const f of set.failed) skipped[f.code] = (skipped[f.code] ?? 0) + 1;
  // Every row refused (missing or unreadable images): say why, not "import more lines" of 0 read.
  if (set.lines.length === 0 && set.failed.length > 0) {
    const some = set.failed
      .slice(0, 3)
      .map((f) => `${f.id}: ${f.code} (${f.message})`)
      .join('; ');
    throw new HcrError(
      'IMPORT_INVALID',
      `None of the ${set.failed.length} rows of ${join(dir, 'labels.tsv')} has an image that could be read: ${some}${set.failed.length > 3 ? '; ...' : ''}.`,
      {
        hint: 'Put each image where its labels.tsv row says (a path relative to the folder, e.g. images/0001.png), as an image file (PNG, JPEG, ...), then import again.',
      },
    );
  }
  const result = await writeImportedLines(
    set.lines.map((l) => ({ id: l.id, text: l.truth, width: l.width, pixels: l.pixels })),
    {
      outDir: opts.out ?? join(IMPORTED_LINES_DIR, name),
      alphabet: lineAlphabet(opts.space),
      height: LINE_HEIGHT,
      kind: opts.kind,
      valShare: opts.valShare,
      testShare: opts.testShare,
      seed: opts.seed,
      source: {
        name,
        labelsSha256: set.labelsSha256!,
        rows: set.lines.length + set.failed.length,
        skipped,
      },
    },
  );
  if (opts.quiet) return result;
  const { manifest } = result;
  log(`${green('imported')} ${manifest.imported.rows} rows of ${dir} -> ${result.outDir}`);
  for (const split of ['train', 'val', 'test'] as const)
    log(`  ${split.padEnd(5)} ${String(manifest.counts[split].lines).padStart(6)} lines`);
  // the reasons and a few of the lines each: a transcription to fix, an image the preprocessing refuses
  for (const f of set.failed.slice(0, 5)) log(`  left out ${f.id}: ${f.code} (${f.message})`);
  for (const [why, rows] of Object.entries(result.leftOut))
    for (const row of rows.slice(0, 5)) log(`  left out ${row}: ${why}`);
  const total = Object.values(manifest.imported.skipped).reduce((a, b) => a + b, 0);
  if (total)
    log(
      `  ${total} left out: ${Object.entries(manifest.imported.skipped)
        .map(([why, n]) => `${why} ${n}`)
        .join(', ')}`,
    );
  log(`  manifest sha256 ${result.manifestSha256}`);
  return result;
}
