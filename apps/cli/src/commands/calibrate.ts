import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hcr/core';
import { DEFAULT_MODELS_DIR, resolveModelRun } from '@hcr/eval';
import { restampMetadata } from '@hcr/export-onnx';
import { loadMetadata } from '@hcr/model';
import { calibrateRun } from '@hcr/train';
import type { Command } from 'commander';
import { log, printJson } from '../output.js';

/**
 * `hcr calibrate <run>`: fits the confidence calibration of an already trained character model on its
 * validation split (what `hcr train` now does at the end) and stores it in metadata.json and, when the
 * model is exported, in model.onnx's metadata.
 */
export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description(
      'fit the confidence calibration of a trained character model on its validation split, and write it into the model in place (metadata.json, and model.onnx when exported)',
    )
    .argument('[run]', 'run id under --models, or a model directory (default: latest)')
    .option('--models <dir>', 'where run ids are looked up', DEFAULT_MODELS_DIR)
    .option('--data <dir>', 'the prepared dataset the model was trained on (default: its training config)')
    .option('--engine <name>', 'tfjs engine: auto | node | wasm | cpu', 'auto')
    .option('--json', 'print the calibration as JSON on stdout')
    .action(async (runArg: string | undefined, opts) => {
      const run = await resolveModelRun(runArg, opts.models);
      const calibration = await calibrateRun(run.dir, { dataDir: opts.data, engine: opts.engine, log });
      const onnx = join(run.dir, 'model.onnx');
      const bytes = await readFile(onnx).catch(() => undefined);
      if (bytes) {
        await writeFileAtomic(onnx, restampMetadata(bytes, await loadMetadata(run.dir)));
        log(`model.onnx: metadata updated (hcr.calibration)`);
      }
      if (opts.json) printJson(calibration);
    });
}
