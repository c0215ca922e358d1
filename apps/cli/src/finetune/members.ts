import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import type { InitModel, TrainConfig, TrainConfigInput, TrainResult } from '@hcr/train';
import { stopOnInterrupt } from '../interrupt.js';
import { bold, log } from '../output.js';

/** The numbers of `hcr finetune`'s flags that reach training (undefined: the recipe's). */
export interface TrainNumbers {
  replayShare?: number;
  epochs?: number;
  lr?: number;
  workers?: number;
}

/** One reader of the pair: where it starts and the run it becomes. */
export interface Member {
  base: InitModel;
  runId: string;
  runDir: string;
}

/** Run ids `<name>-<context>` (conv, bilstm), numbered when two readers share a context. */
export function memberRuns(bases: InitModel[], name: string, out: string): Member[] {
  const contexts = bases.map((b) => String(b.metadata.trainingConfig.context ?? 'conv'));
  return bases.map((base, i) => {
    const context = contexts[i]!;
    const twins = contexts.filter((c) => c === context).length;
    const nth = contexts.slice(0, i).filter((c) => c === context).length;
    const runId = twins > 1 ? `${name}-${context}-${nth + 1}` : `${name}-${context}`;
    return { base, runId, runDir: join(out, runId) };
  });
}

/** The line dataset a reader learnt from (its training config's data, relative to the working folder as trained). */
export function replayOf(base: InitModel): string {
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
  const { loadMetadata } = await import('@hcr/model');
  const metadata = await loadMetadata(m.runDir);
  const trained = metadata.trainingConfig as Record<string, unknown>;
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

/**
 * Fine-tunes each member from its reader, one after the other: a new run, the unfinished one resumed, or a finished
 * one kept (`runState`). Returns the run directory of one Ctrl-C stopped, else undefined.
 */
export async function trainMembers(
  members: Member[],
  opts: {
    data: string;
    manifestSha256: string;
    out: string;
    replay: string | undefined;
    numbers: TrainNumbers;
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
