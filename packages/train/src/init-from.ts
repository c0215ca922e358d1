import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HcrError, labelSpace, type ModelMetadata } from '@hcr/core';
import { loadMetadata, METADATA_JSON } from '@hcr/model';
import type { TrainConfig } from './config.js';
import type { ModelDescription } from './session.js';

/** The model a fine-tuned run starts from: its directory and metadata. */
export interface InitModel {
  dir: string;
  metadata: ModelMetadata;
}

/**
 * `init` as a model directory: the path itself when it holds a saved model, else a run id under `out`
 * (`latest-reader`, `reader-pipeline`). A missing model names both places looked in.
 */
export async function openInitModel(config: Pick<TrainConfig, 'init' | 'out'>): Promise<InitModel> {
  const given = config.init!;
  const candidates = [resolve(given), resolve(config.out, given)];
  const dir = candidates.find((d) => existsSync(join(d, METADATA_JSON)));
  if (!dir)
    throw new HcrError(
      'INIT_MODEL_MISSING',
      `--init ${given}: no saved model there (looked for ${METADATA_JSON} in ${[...new Set(candidates)].join(' and ')}).`,
      {
        hint: 'Pass the directory of a model `hcr train` saved (artifacts/model/<run>), or its run id, e.g. --init latest-reader.',
      },
    );
  return { dir, metadata: await loadMetadata(dir) };
}

/** 36, 47 or 62: the `--labels` that selects a label space in the CLI. */
const labelCount = (id: string) => labelSpace(id).classes.length;

/**
 * A fine-tuned run continues the init model: the same architecture (and reader context), the same classes in
 * the same order, the same input. Anything else is an error naming what differs, before a worker starts.
 */
export function checkInitModel(init: InitModel, config: TrainConfig, model: ModelDescription): void {
  const m = init.metadata;
  const differs = (what: string, theirs: unknown, ours: unknown, hint: string): never => {
    throw new HcrError(
      'INIT_MISMATCH',
      `--init ${init.dir} is a model of ${what} ${JSON.stringify(theirs)}; this run trains ${JSON.stringify(ours)}.`,
      { hint },
    );
  };
  if (m.architecture !== config.model)
    differs(
      'architecture',
      m.architecture,
      config.model,
      `Train with --model ${m.architecture}, or start from a ${config.model} model.`,
    );
  const context = m.trainingConfig.context;
  if (config.context !== undefined && (context ?? 'conv') !== config.context)
    differs(
      'reader context',
      context ?? 'conv',
      config.context,
      `Train with --context ${context ?? 'conv'}.`,
    );
  if (m.labelSpace !== model.labelSpace || m.classNames.join('\u0000') !== model.classNames.join('\u0000'))
    differs(
      'classes',
      m.labelSpace,
      model.labelSpace,
      config.model === 'reader'
        ? `Fine-tune on lines labelled in the model’s own label space: \`hcr data lines import --labels ${labelCount(m.labelSpace)}\` (or \`hcr data lines prepare --labels ${labelCount(m.labelSpace)}\`).`
        : `Fine-tune on characters of the model’s own label space: \`hcr data prepare --labels ${labelCount(m.labelSpace)}\`, then --labels ${labelCount(m.labelSpace)} here.`,
    );
  if (m.inputShape.join() !== model.inputShape.join())
    differs('input', m.inputShape, model.inputShape, 'Start from a model that reads the same input.');
}
