import { basename, join, resolve } from 'node:path';
import { HcrError, labelSpace } from '@hcr/core';
import { LINE_KINDS } from '@hcr/data';
import { MAX_EPOCHS } from '@hcr/train';
import type { Command } from 'commander';
import { exportMembers } from '../finetune/export-pair.js';
import { memberRuns, replayOf, type TrainNumbers, trainMembers } from '../finetune/members.js';
import { formatComparison, readBeforeAndAfter, readingRows } from '../finetune/readings.js';
import { assertOutputFolder, decimalNumber, oneOf, wholeNumber } from '../flags.js';
import { bold, green, log, printJson } from '../output.js';
import {
  rerunWithSingleThreadedGc,
  stopWithFirstProcess,
  wantsSingleThreadedGc,
} from '../single-threaded-gc.js';
import { IMPORTED_LINES_DIR, importLinesFolder } from './data-import.js';

/** The readers `hcr finetune` starts from by default: the pair the pipeline trains (`hcr read` reads them packed). */
export const PIPELINE_READERS = ['reader-pipeline', 'reader-pipeline-bilstm'];

interface FinetuneFlags {
  from?: string;
  name?: string;
  kind: string;
  replay?: string | false;
  replayShare?: string;
  epochs?: string;
  lr?: string;
  workers?: string;
  lines?: string;
  out?: string;
  reports?: string;
  real?: string;
  eval: boolean;
  force?: boolean;
  json?: boolean;
}

/**
 * `hcr finetune <folder>`: the six steps of fine-tuning the reader on one's own labelled lines in one command:
 * import the folder, train each reader of the pair from its weights (replaying the lines it learnt from), export
 * each to ONNX, pack them as one reader, and read the folder's test split (and the dev sets, when present) with
 * the pair before and after. Run again after an interruption, it resumes each run's checkpoint.
 */
export function registerFinetune(program: Command): void {
  program
    .command('finetune <folder>')
    .description(
      'fine-tune the reader on your own labelled lines (a folder holding labels.tsv and its images): import, train each reader from its weights with replay, export, pack, and read before and after',
    )
    .option(
      '--from <runs>',
      `the readers to start from, comma-separated run ids or directories (default ${PIPELINE_READERS.join(',')}: the pipeline's pair)`,
    )
    .option(
      '--name <id>',
      'what to call the result: runs <name>-<context> and the packed reader <out>/<name>.onnx (default: the folder’s name)',
    )
    .option('--kind <kind>', `the kind of field: ${LINE_KINDS.join(' | ')}`, 'mixed')
    .option(
      '--replay <dir>',
      'line dataset trained on beside your lines, so the reader keeps what it read (default: the one the first reader learnt from)',
    )
    .option('--no-replay', 'train on your lines alone (the reader then forgets much of what it read)')
    .option(
      '--replay-share <x>',
      'replayed lines per own training line (default 1; 2 keeps more of what the reader read, for twice the training time)',
    )
    .option('--epochs <n>', "epochs (default: the first reader's recipe, 2-3)")
    .option('--lr <x>', "peak learning rate (default a quarter of each reader's recipe)")
    .option('--workers <n>', 'training worker threads (default: 2, or 1 on one core)')
    .option('--lines <dir>', `where the imported lines are written (default ${IMPORTED_LINES_DIR}/<name>)`)
    .option('--out <dir>', 'runs directory (default artifacts/model)')
    .option('--reports <dir>', 'reports directory (default artifacts/reports)')
    .option(
      '--real <sets>',
      'folders of labelled lines to read before and after instead of the dev sets: names=<dir>,amounts=<dir>',
    )
    .option('--no-eval', 'skip reading before and after')
    .option('--force', 'train again over finished runs of the same name (and re-import)')
    .option('--json', 'print the runs, the packed reader and the figures before and after as JSON')
    .action(async (folder: string, flags: FinetuneFlags) => {
      stopWithFirstProcess();
      const trainLib = await import('@hcr/train');
      const workers = trainLib.resolveTrainConfig({
        model: trainLib.READER_MODEL,
        workers: numberFlags(flags).workers,
      }).workers;
      if (wantsSingleThreadedGc(workers)) {
        log(
          `hcr finetune: ${workers} worker threads fill the cores; restarting node with --single-threaded-gc`,
        );
        process.exitCode = await rerunWithSingleThreadedGc();
        return;
      }
      await finetune(folder, flags);
    });
}

async function finetune(folder: string, flags: FinetuneFlags): Promise<void> {
  const { openInitModel, READER_MODEL } = await import('@hcr/train');
  const out = resolve(flags.out ?? 'artifacts/model');
  if (flags.out !== undefined) assertOutputFolder(flags.out, '--out');
  if (flags.lines !== undefined) assertOutputFolder(flags.lines, '--lines');
  const name = flags.name ?? basename(resolve(folder));
  if (!/^[\w.-]+$/.test(name))
    throw new HcrError('BAD_OPTION', `--name '${name}' has characters other than letters, digits, . _ -.`, {
      hint: 'Pass --name with a plain id, e.g. --name my-fields.',
    });
  const kind = oneOf('--kind', flags.kind, LINE_KINDS);
  const numbers = numberFlags(flags);
  // checked now, not after the training
  const real = flags.real === undefined ? undefined : (await import('@hcr/eval')).parseRealSets(flags.real);

  // 1. the readers to start from: they fix the label space of the import and the lines replayed
  const given = flags.from?.split(',').filter(Boolean) ?? PIPELINE_READERS;
  const bases = await Promise.all(
    given.map((init) =>
      openInitModel({ init, out }).catch((e: unknown) => {
        if (!(e instanceof HcrError) || e.code !== 'INIT_MODEL_MISSING') throw e;
        if (!flags.from)
          throw new HcrError('INIT_MODEL_MISSING', `The pipeline's reader ${init} is not under ${out}.`, {
            hint: 'Train it first (`pnpm turbo run train eval`), or pass --from <reader run>[,<reader run>].',
          });
        throw new HcrError('INIT_MODEL_MISSING', e.problem.replace('--init', '--from'), {
          hint: 'Pass reader runs `hcr train` saved: their directories, or run ids under --out (e.g. reader-pipeline).',
        });
      }),
    ),
  );
  for (const b of bases)
    if (b.metadata.architecture !== READER_MODEL)
      throw new HcrError(
        'BAD_OPTION',
        `--from ${b.dir} is a ${b.metadata.architecture} model, not a line reader.`,
        {
          hint: 'Pass reader runs (hcr train --model reader), e.g. --from reader-pipeline,reader-pipeline-bilstm.',
        },
      );
  const space = labelSpace(bases[0]!.metadata.labelSpace);
  if (bases.some((b) => b.metadata.labelSpace !== space.id))
    throw new HcrError(
      'BAD_OPTION',
      `--from mixes label spaces: ${bases.map((b) => b.metadata.labelSpace).join(', ')}.`,
      {
        hint: 'Pass readers of one label space: they are read as one.',
      },
    );
  const replay = flags.replay === false ? undefined : (flags.replay ?? replayOf(bases[0]!));
  const members = memberRuns(bases, name, out);

  // 2. the folder -> line shards (deterministic: the same folder gives the same bytes, so a resumed run's data holds)
  const imported = await importLinesFolder(folder, {
    out: flags.lines ?? join(IMPORTED_LINES_DIR, name),
    space,
    kind,
    valShare: 0.1,
    testShare: 0.1,
    seed: 1,
    quiet: flags.json,
  });

  // 3. each reader from its weights, one after the other (each fills the cores)
  const stopped = await trainMembers(members, {
    data: imported.outDir,
    manifestSha256: imported.manifestSha256,
    out,
    replay,
    numbers,
    force: flags.force,
  });
  if (stopped) {
    log(`stopped; checkpoint saved in ${stopped}. Run the same \`hcr finetune\` again to continue.`);
    // --json promises an object on stdout: a script must not read an empty one as a finished run
    if (flags.json) printJson({ stopped: true, runDir: stopped });
    process.exitCode = 130;
    return;
  }

  // 4. each run to ONNX (checked against tfjs), then the pair packed as one reader
  const packed = join(out, `${name}.onnx`);
  await exportMembers(members, packed);

  // 5. the folder's test split and the dev sets, read by the pair before and after
  const reports = flags.eval
    ? await readBeforeAndAfter(bases, members, {
        linesDir: imported.outDir,
        real,
        name,
        reportsDir: flags.reports,
      })
    : null;
  // the imported test split is named after its folder; lines of one kind are read under its class too
  const fielded = kind === 'mixed' ? undefined : `${imported.manifest.imported.source}-test`;
  const rows = reports ? readingRows(reports.compare, fielded) : [];
  if (flags.json) {
    printJson({
      dataset: imported.outDir,
      manifestSha256: imported.manifestSha256,
      counts: imported.manifest.counts,
      runs: members.map((m) => ({ from: m.base.dir, runDir: m.runDir })),
      reader: packed,
      replay: replay ?? null,
      readings: rows,
      reports: reports
        ? { before: reports.beforeDir, after: reports.afterDir, comparison: reports.compareDir }
        : null,
    });
    return;
  }
  if (reports) {
    log(
      `\n${bold('read before and after')} (exact / CER; fixed: wrong before and right after; p: sign test of fixed against broken, small means the two read such lines differently)`,
    );
    for (const line of formatComparison(rows)) log(line);
    log(
      `reports: ${reports.beforeDir}, ${reports.afterDir}; line by line: ${join(reports.compareDir, 'index.html')}`,
    );
  }
  log(
    `${green('ready')} ${packed}: \`hcr read <images> --model ${packed}\` or \`hcr serve --reader ${packed}\``,
  );
}

/** --replay-share, --epochs, --lr and --workers parsed (undefined when not given). */
function numberFlags(flags: FinetuneFlags): TrainNumbers {
  const given = <T>(raw: string | undefined, parse: (raw: string) => T) =>
    raw === undefined ? undefined : parse(raw);
  return {
    replayShare: given(flags.replayShare, (v) =>
      decimalNumber('--replay-share', v, { min: 0, max: 100, example: '1' }),
    ),
    epochs: given(flags.epochs, (v) => wholeNumber('--epochs', v, 1, MAX_EPOCHS, 3)),
    lr: given(flags.lr, (v) =>
      decimalNumber('--lr', v, {
        min: 0,
        max: 1,
        above: true,
        below: true,
        what: 'a learning rate between 0 and 1',
        example: '0.0005',
      }),
    ),
    workers: given(flags.workers, (v) => wholeNumber('--workers', v, 1, 64, 2)),
  };
}
