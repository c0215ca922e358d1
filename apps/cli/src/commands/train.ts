import { join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import {
  findResumeRun,
  loadCheckpointProgress,
  loadTrainConfigFile,
  READER_MODEL,
  resolveTrainConfig,
  TRAIN_OPTION_FLAGS,
  type TrainConfig,
  type TrainConfigInput,
  train,
  trainLines,
} from '@hcr/train';
import type { Command } from 'commander';
import { DECIMAL } from '../flags.js';
import { stopOnInterrupt } from '../interrupt.js';
import { log, printJson } from '../output.js';
import {
  rerunWithSingleThreadedGc,
  stopWithFirstProcess,
  wantsSingleThreadedGc,
} from '../single-threaded-gc.js';
import { describeStoppedRun } from './train-stopped.js';

function number(flag: string, integer: boolean) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!DECIMAL.test(raw) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
      throw new HcrError('TRAIN_CONFIG', `${flag} '${raw}' is not ${integer ? 'an integer' : 'a number'}.`, {
        hint: `Pass ${flag} with a ${integer ? 'whole number, e.g. 3' : 'number, e.g. 0.002'}.`,
      });
    return v;
  };
}

/**
 * `hcr train`: trains seed or hcrnet from the character shards, or the line reader (`--model reader`) from
 * the line shards; writes artifacts/model/<run>/.
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train a model (seed | hcrnet on character shards, reader on line shards); checkpoints, resume, metrics, curve',
    )
    .option('--model <name>', 'seed | hcrnet | reader (default hcrnet)')
    .option('--context <kind>', 'reader: conv (residual 1x5 convs; default) | bilstm (a bidirectional LSTM)')
    .option(
      '--profile <name>',
      'quick (<= 12 min here; 2 epochs, 3 with --labels 62) | full (<= 90 min here); default quick',
    )
    .option('--epochs <n>', 'epochs (overrides the profile)', number('--epochs', true))
    .option('--batch <n>', 'global batch size', number('--batch', true))
    .option('--lr <x>', 'peak learning rate', number('--lr', false))
    .option(
      '--logit-adjust <tau>',
      'loss-only logit adjustment by the class prior (0 off, 1 uniform prior)',
      number('--logit-adjust', false),
    )
    .option(
      '--logit-prior <kind>',
      'prior the logit adjustment removes: character (case merged; default) | class (each of the 62 classes)',
    )
    .option(
      '--case-twin-share <x>',
      '62 classes: target share given to the other case for c/C, o/O, s/S, ... (0 hard labels, 0.5 one class)',
      number('--case-twin-share', false),
    )
    .option('--seed <n>', 'seed of init, data order, augmentation, dropout', number('--seed', true))
    .option('--engine <name>', 'auto | wasm | node | cpu')
    .option(
      '--workers <n>',
      'data-parallel worker threads (default: 2, or 1 on one core)',
      number('--workers', true),
    )
    .option(
      '--fixed-workers',
      'keep every worker busy; by default a step uses only the cores other processes leave free (same numbers)',
    )
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps (and at each epoch end)',
      number('--checkpoint-every', true),
    )
    .option(
      '--limit-train <n>',
      'train on N samples, a seeded sample across the training split (smoke runs)',
      number('--limit-train', true),
    )
    .option('--no-augment', 'train without augmentation')
    .option(
      '--labels <n>',
      'label space the dataset must hold: 36 (default) | 47 | 62; the data defaults to artifacts/data/shards-<n> (the reader: artifacts/data/lines-<n>)',
    )
    .option(
      '--data <dir>',
      'prepared dataset directory (default artifacts/data/shards; --labels 62: artifacts/data/shards-62; reader: artifacts/data/lines)',
    )
    .option(
      '--init <model>',
      "fine-tune: start from this saved model (its directory, or a run id under --out such as latest-reader) instead of a seeded init; the peak --lr defaults to a quarter of the recipe's",
    )
    .option(
      '--replay <dir>',
      'reader fine-tuning: also train on the training lines of this line dataset (e.g. artifacts/data/lines), so the reader keeps what it read',
    )
    .option(
      '--replay-share <x>',
      'replayed lines per own training line (default 1)',
      number('--replay-share', false),
    )
    .option('--out <dir>', 'runs directory (default artifacts/model)')
    .option('--run <id>', 'run id (default <model>-<profile>-<yyyymmdd-hhmmss>)')
    .option('--force', 'replace an existing run directory with the same --run id')
    .option('--resume [run]', 'continue a run from its checkpoint (default: the most recent unfinished one)')
    .option('--config <file>', 'JSON file with any training options (flags override it)')
    .option('--json', 'print the final metadata as JSON on stdout')
    .action(async (opts, command: Command) => {
      stopWithFirstProcess();
      const config: TrainConfigInput = opts.config ? await loadTrainConfigFile(opts.config) : {};
      // Each flag given overrides the file (commander keeps --checkpoint-every as checkpointEvery).
      for (const [key, flag] of Object.entries(TRAIN_OPTION_FLAGS)) {
        const option = command.options.find((o) => o.long === flag);
        if (!option) throw new Error(`hcr train has no ${flag} option for '${key}'`);
        const value = opts[option.attributeName()];
        if (value !== undefined) (config as Record<string, unknown>)[key] = value;
      }
      if (opts.augment === false) config.augment = { ...(config.augment ?? {}), enabled: false };
      // A resumed run trains with its checkpoint's options (its workers too, unless --workers is given).
      const stored = await storedRunConfig(config, opts.resume);
      const workers = stored ? (config.workers ?? stored.workers) : plannedWorkers(config);
      if (workers !== undefined && wantsSingleThreadedGc(workers)) {
        log(
          `hcr train: ${workers} worker threads fill the cores; restarting node with --single-threaded-gc (same results, faster)`,
        );
        process.exitCode = await rerunWithSingleThreadedGc();
        return;
      }
      if (opts.resume !== undefined) warnIgnoredOnResume(config);
      const stop = stopOnInterrupt();
      const options = {
        config,
        resume: opts.resume,
        run: opts.run,
        force: opts.force,
        log,
        activeWorkers: opts.fixedWorkers ? ('all' as const) : ('follow-load' as const),
        signal: stop.signal,
      };
      try {
        const readsLines = (config.model ?? stored?.model) === READER_MODEL;
        const result = readsLines ? await trainLines(options) : await train(options);
        if (result.stoppedAt) {
          const stopped = describeStoppedRun(result.stoppedAt, result.runDir, opts.out);
          log(stopped.message);
          // --json promises an object on stdout: a script must not read an empty one as a finished run.
          if (opts.json) printJson(stopped.json);
          process.exitCode = 130;
          return;
        }
        if (opts.json) printJson(result.metadata);
      } finally {
        stop.dispose();
      }
    });
}

/** A resumed run keeps the options it started with: say so when others were asked for, rather than drop them. */
function warnIgnoredOnResume(config: TrainConfigInput): void {
  const ignored = Object.keys(config).filter((k) => !['engine', 'workers', 'out'].includes(k));
  if (ignored.length)
    log(
      `hcr train --resume: ${ignored.join(', ')} ignored: a run continues with the options it started with ` +
        '(only --engine, --workers and --out apply). Train a new run (--run <id>) to change them.',
    );
}

/** The worker threads the training will start, or undefined when the options are invalid (training says why). */
function plannedWorkers(config: TrainConfigInput): number | undefined {
  try {
    return resolveTrainConfig(config).workers;
  } catch {
    return undefined;
  }
}

/** The options a resumed run trains with, from its checkpoint (the most recent run for `--resume` alone). */
async function storedRunConfig(config: TrainConfigInput, resume: unknown): Promise<TrainConfig | undefined> {
  if (resume === undefined || resume === false) return undefined;
  const out = resolve(resolveTrainConfig(config).out);
  const run = typeof resume === 'string' ? resume : await findResumeRun(out);
  return (await loadCheckpointProgress(join(out, run))).config;
}
