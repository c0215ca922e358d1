import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { HcrError, labelSpace } from '@hcr/core';
import { LINE_KINDS } from '@hcr/data';
import type { ReaderCompareReport, RealSetSpec } from '@hcr/eval';
import type { InitModel, TrainConfig, TrainConfigInput, TrainResult } from '@hcr/train';
import type { Command } from 'commander';
import { assertOutputFolder, oneOf } from '../flags.js';
import { stopOnInterrupt } from '../interrupt.js';
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

/** One reader of the pair: where it starts and the run it becomes. */
interface Member {
  base: InitModel;
  runId: string;
  runDir: string;
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
    .option('--replay-share <x>', 'replayed lines per own training line (default 1)')
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

/**
 * Fine-tunes each member from its reader, one after the other: a new run, the unfinished one resumed, or a finished
 * one kept (`runState`). Returns the run directory of one Ctrl-C stopped, else undefined.
 */
async function trainMembers(
  members: Member[],
  opts: {
    data: string;
    manifestSha256: string;
    out: string;
    replay: string | undefined;
    numbers: ReturnType<typeof numberFlags>;
    force?: boolean;
  },
): Promise<string | undefined> {
  const { trainLines, READER_MODEL, resolveTrainConfig } = await import('@hcr/train');
  const { numbers, replay } = opts;
  const stop = stopOnInterrupt();
  try {
    for (const m of members) {
      const config: TrainConfigInput = {
        model: READER_MODEL,
        init: m.base.dir,
        context: m.base.metadata.trainingConfig.context as TrainConfigInput['context'],
        data: opts.data,
        out: opts.out,
        ...(replay ? { replay, replayShare: numbers.replayShare ?? 1 } : {}),
        ...(numbers.epochs !== undefined ? { epochs: numbers.epochs } : {}),
        ...(numbers.lr !== undefined ? { lr: numbers.lr } : {}),
        ...(numbers.workers !== undefined ? { workers: numbers.workers } : {}),
      };
      const state = await runState(m, opts.manifestSha256, resolveTrainConfig(config), opts.force);
      if (state === 'finished') {
        log(`${m.runId}: trained already on these lines from ${m.base.dir} (--force trains it again)`);
        continue;
      }
      log(`${bold(m.runId)}: fine-tuning ${m.base.dir}${replay ? `, replaying ${replay}` : ''}`);
      const result: TrainResult = await trainLines({
        config,
        ...(state === 'unfinished' ? { resume: m.runId } : { run: m.runId, force: opts.force }),
        log,
        signal: stop.signal,
      });
      if (result.stoppedAt) return result.runDir;
    }
    return undefined;
  } finally {
    stop.dispose();
  }
}

/** --replay-share, --epochs, --lr and --workers parsed (undefined when not given). */
function numberFlags(flags: FinetuneFlags): {
  replayShare?: number;
  epochs?: number;
  lr?: number;
  workers?: number;
} {
  const parse = (flag: string, raw: string | undefined, ok: (x: number) => boolean, what: string) => {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(x) || !ok(x))
      throw new HcrError('BAD_OPTION', `${flag} must be ${what}, got '${raw}'.`, {
        hint: `Pass e.g. ${flag} 1.`,
      });
    return x;
  };
  return {
    replayShare: parse(
      '--replay-share',
      flags.replayShare,
      (x) => x >= 0 && x <= 100,
      'a number from 0 to 100',
    ),
    epochs: parse(
      '--epochs',
      flags.epochs,
      (x) => Number.isInteger(x) && x >= 1,
      'a whole number of 1 or more',
    ),
    lr: parse('--lr', flags.lr, (x) => x > 0 && x < 1, 'a learning rate between 0 and 1'),
    workers: parse(
      '--workers',
      flags.workers,
      (x) => Number.isInteger(x) && x >= 1 && x <= 64,
      'a whole number from 1 to 64',
    ),
  };
}

/** The line dataset a reader learnt from (its training config's data, relative to the working folder as trained). */
function replayOf(base: InitModel): string {
  const config = base.metadata.trainingConfig as { data?: unknown; replay?: unknown };
  // a fine-tuned reader learnt from its own lines beside its replay: replay that again
  const data = typeof config.replay === 'string' ? config.replay : config.data;
  if (typeof data !== 'string' || !existsSync(join(resolve(data), 'manifest.json')))
    throw new HcrError(
      'REPLAY_MISSING',
      `The lines ${base.dir} learnt from (${String(data)}) are not here.`,
      {
        hint: 'Prepare them (`pnpm turbo run train eval` or `hcr data lines prepare`), pass --replay <line dataset>, or --no-replay.',
      },
    );
  return data;
}

/** Run ids `<name>-<context>` (conv, bilstm), numbered when two readers share a context. */
function memberRuns(bases: InitModel[], name: string, out: string): Member[] {
  const contexts = bases.map((b) => String(b.metadata.trainingConfig.context ?? 'conv'));
  return bases.map((base, i) => {
    const context = contexts[i]!;
    const twins = contexts.filter((c) => c === context).length;
    const nth = contexts.slice(0, i).filter((c) => c === context).length;
    const runId = twins > 1 ? `${name}-${context}-${nth + 1}` : `${name}-${context}`;
    return { base, runId, runDir: join(out, runId) };
  });
}

/** The options a finished run must have trained with to be kept: anything else is another run. */
const KEPT_OPTIONS = ['init', 'epochs', 'lr', 'replay', 'replayShare'] as const;

/**
 * What is under a member's run id: nothing (train it), a checkpoint not finished (resume it: it keeps the options
 * it started with), or a saved model fine-tuned from the same reader on the same lines with the same options (keep
 * it). Anything else is refused, unless --force.
 */
async function runState(
  m: Member,
  manifestSha256: string,
  config: TrainConfig,
  force?: boolean,
): Promise<'new' | 'unfinished' | 'finished'> {
  if (force || !existsSync(m.runDir)) return 'new';
  const metadataFile = join(m.runDir, 'metadata.json');
  if (!existsSync(metadataFile))
    return existsSync(join(m.runDir, 'checkpoint', 'state.json')) ? 'unfinished' : 'new';
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8'));
  const trained = (metadata.trainingConfig ?? {}) as Record<string, unknown>;
  const differs = [
    ...(metadata.dataManifestSha256 === manifestSha256 ? [] : ['the lines']),
    ...KEPT_OPTIONS.filter((k) => trained[k] !== config[k]).map(
      (k) => `${k} ${JSON.stringify(trained[k])}, not ${JSON.stringify(config[k])}`,
    ),
  ];
  if (!differs.length) return 'finished';
  throw new HcrError('RUN_EXISTS', `${m.runDir} holds another run (${differs.join('; ')}).`, {
    hint: 'Pass --force to train it again, or --name another id.',
  });
}

/** Each run exported to `<run>/model.onnx` (written only when it matches tfjs), then packed into `packed`. */
async function exportMembers(members: Member[], packed: string): Promise<void> {
  const { checkPackedEnsemble, DEFAULT_OPSET, exportModelFile, packReaderEnsemble, verifyExport, writeOnnx } =
    await import('@hcr/export-onnx');
  const files: { bytes: Uint8Array; name: string }[] = [];
  for (const m of members) {
    const { bytes, loaded } = await exportModelFile(m.runDir, { opset: DEFAULT_OPSET, inputLayout: 'nhwc' });
    const verify = await verifyExport(loaded, bytes, { tolerance: 1e-4, samples: 8, inputLayout: 'nhwc' });
    const worst = Math.max(...verify.checks.map((c) => c.maxAbsDiff));
    if (!verify.passed)
      throw new HcrError(
        'PARITY_FAILED',
        `${m.runId}'s ONNX export differs from tfjs by up to ${worst.toExponential(2)}.`,
        {
          hint: 'Report the run (this is an exporter bug); `hcr export onnx <run> --force` writes it anyway.',
          exitCode: 2,
        },
      );
    const file = join(m.runDir, 'model.onnx');
    await writeOnnx(file, bytes);
    files.push({ bytes, name: file });
    log(`exported ${file} (max abs diff to tfjs ${worst.toExponential(2)})`);
  }
  if (files.length === 1) {
    await writeOnnx(packed, files[0]!.bytes);
    return;
  }
  const { bytes } = packReaderEnsemble(files);
  const check = await checkPackedEnsemble(bytes, files);
  if (!check.passed)
    throw new HcrError(
      'PARITY_FAILED',
      `The packed pair differs from its readers by up to ${check.maxAbsDiff.toExponential(2)}.`,
      {
        hint: 'Report the runs (this is an exporter bug); read with the separate files meanwhile (--model a.onnx,b.onnx).',
        exitCode: 2,
      },
    );
  await writeOnnx(packed, bytes);
  log(`packed ${members.map((m) => m.runId).join(' + ')} -> ${packed}`);
}

/** The imported test split (and the dev sets, when found) read by the readers started from, then by the new ones. */
async function readBeforeAndAfter(
  bases: InitModel[],
  members: Member[],
  opts: { linesDir: string; real?: RealSetSpec[]; name: string; reportsDir?: string },
): Promise<{ compare: ReaderCompareReport; beforeDir: string; afterDir: string; compareDir: string }> {
  const { compareReaderReports, evaluateReader } = await import('@hcr/eval');
  const read = async (dirs: string[], reportName: string) => {
    // ONNX when every reader has its file (the runtime `hcr read` uses), else tfjs
    const onnx = dirs.every((d) => existsSync(join(d, 'model.onnx')));
    log(`reading with ${dirs.map((d) => basename(d)).join(' + ')} (${onnx ? 'onnxruntime' : 'tfjs'})`);
    return evaluateReader({
      run: dirs[0],
      ensemble: dirs.slice(1),
      runtime: onnx ? 'onnx' : 'tfjs',
      linesDir: opts.linesDir,
      real: opts.real,
      outDir: opts.reportsDir,
      reportName,
      force: true,
      log,
    });
  };
  const before = await read(
    bases.map((b) => b.dir),
    `finetune-${opts.name}-before`,
  );
  const after = await read(
    members.map((m) => m.runDir),
    `finetune-${opts.name}-after`,
  );
  // line by line: which lines the fine-tuning fixed and broke, and whether the split is more than chance
  const { compare, dir } = await compareReaderReports({
    a: before.reportDir,
    b: after.reportDir,
    dir: join(resolve(opts.reportsDir ?? 'artifacts/reports'), `finetune-${opts.name}`),
    force: true,
  });
  return { compare, beforeDir: before.reportDir, afterDir: after.reportDir, compareDir: dir };
}

export interface ReadingRow {
  source: string;
  constraint: string;
  lines: number;
  before: { exact: number; cer: number };
  after: { exact: number; cer: number };
  /** Lines wrong before and right after, the other way, and the sign test's p (null: not paired). */
  fixed: number | null;
  broken: number | null;
  pValue: number | null;
}

/**
 * Each source's headline constraint before and after; for `fielded`, the imported test split when its lines are
 * of one kind (`--kind amount`), its class too (`field`).
 */
export function readingRows(c: ReaderCompareReport, fielded?: string): ReadingRow[] {
  return c.sources.flatMap((s) => {
    const names = [s.headline, ...(s.source === fielded && s.headline !== 'field' ? ['field'] : [])];
    return s.constraints
      .filter((k) => names.includes(k.name))
      .map((k) => ({
        source: s.source,
        constraint: k.name,
        lines: s.lines,
        before: { exact: k.a.exactRate, cer: k.a.cer },
        after: { exact: k.b.exactRate, cer: k.b.cer },
        fixed: k.paired?.fixed ?? null,
        broken: k.paired?.broken ?? null,
        pValue: k.paired?.pValue ?? null,
      }));
  });
}

/** The rows as a table for the terminal. */
export function formatComparison(rows: ReadingRow[]): string[] {
  const pc = (x: number) => `${(100 * x).toFixed(2)}%`;
  const cell = (r: { exact: number; cer: number }) => `${pc(r.exact)} / ${pc(r.cer)}`.padStart(18);
  const p = (x: number | null) => (x === null ? '-' : x < 0.001 ? '< 0.001' : x.toFixed(3));
  const width = Math.max(6, ...rows.map((r) => r.source.length));
  return [
    `${'source'.padEnd(width)} ${'constraint'.padEnd(10)} ${'lines'.padStart(6)} ${'before'.padStart(18)} ${'after'.padStart(18)} ${'fixed'.padStart(6)} ${'broken'.padStart(7)} ${'p'.padStart(8)}`,
    ...rows.map(
      (r) =>
        `${r.source.padEnd(width)} ${r.constraint.padEnd(10)} ${String(r.lines).padStart(6)} ${cell(r.before)} ${cell(r.after)} ${String(r.fixed ?? '-').padStart(6)} ${String(r.broken ?? '-').padStart(7)} ${p(r.pValue).padStart(8)}`,
    ),
  ];
}
