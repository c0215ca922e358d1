import { HcrError } from '@hcr/core';
import { DEFAULT_DATASET_DIR } from '@hcr/data';
import type { EngineName } from '@hcr/engine';
import {
  compareReports,
  DEFAULT_MODELS_DIR,
  DEFAULT_REPORTS_DIR,
  evalSummary,
  evaluateRun,
  type RuntimeChoice,
} from '@hcr/eval';
import type { Command } from 'commander';
import { green, log, printJson } from '../output.js';

interface EvalCliOptions {
  runtime: RuntimeChoice;
  engine: EngineName;
  data?: string;
  models: string;
  out: string;
  onnx?: string;
  force?: boolean;
  json?: boolean;
  sample?: string;
  workers?: string;
  compare?: string[];
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained model: eval.json, pictures and index.html in artifacts/reports/<run>/')
    .argument('[run]', 'run id under --models, or a model directory (default: latest)')
    .option('--runtime <runtime>', 'tfjs | onnx | both (both records how far they agree)', 'tfjs')
    .option('--engine <engine>', 'tfjs engine: auto | wasm | cpu | node', 'auto')
    .option('--workers <n>', 'tfjs worker threads, one engine each (default: up to 2); 1 = in-process')
    .option(
      '--data <dir>',
      `prepared dataset (default: ${DEFAULT_DATASET_DIR}, or the dataset under artifacts/data whose manifest the model was trained on)`,
    )
    .option('--models <dir>', 'where run ids are looked up', DEFAULT_MODELS_DIR)
    .option(
      '--out <dir>',
      'reports root (the report goes to <out>/<run id>, copied to <out>/latest)',
      DEFAULT_REPORTS_DIR,
    )
    .option('--onnx <file>', 'ONNX model for --runtime onnx (default <modelDir>/model.onnx)')
    .option('--sample <n>', 'evaluate a seeded random sample of n images per split (quick look)')
    .option('--force', 'replace an existing report of the same run')
    .option('--json', 'print eval.json (or compare.json) on stdout')
    .option('--compare <runs...>', 'compare two existing reports: --compare <runA> <runB>')
    .action(async (run: string | undefined, opts: EvalCliOptions) => {
      if (opts.compare) {
        if (opts.compare.length !== 2 || run !== undefined)
          throw new HcrError('COMPARE_USAGE', '--compare takes exactly two runs and no other run argument.', {
            hint: 'Example: `hcr eval --compare seed-20261127-1105-ab12cd hcrnet-20261127-1205-ef34ab`.',
          });
        const { compare, dir } = await compareReports({
          a: opts.compare[0]!,
          b: opts.compare[1]!,
          outDir: opts.out,
          force: opts.force,
        });
        if (opts.json) return printJson(compare);
        const acc = compare.headline[0]!;
        process.stdout.write(
          `${compare.b.id} vs ${compare.a.id}: overall accuracy ${(acc.b * 100).toFixed(2)}% vs ${(acc.a * 100).toFixed(2)}% (${
            acc.delta >= 0 ? '+' : ''
          }${(acc.delta * 100).toFixed(2)} points); most improved ${compare.mostImproved.join(', ') || 'none'}, most regressed ${
            compare.mostRegressed.join(', ') || 'none'
          }.\nComparison: ${dir}/index.html\n`,
        );
        return;
      }
      let sample: number | undefined;
      if (opts.sample !== undefined) {
        sample = Number(opts.sample);
        if (!Number.isInteger(sample) || sample < 1)
          throw new HcrError('SAMPLE_INVALID', `--sample must be a positive integer, got '${opts.sample}'.`, {
            hint: 'Omit it to evaluate every image.',
          });
      }
      const result = await evaluateRun({
        run,
        modelsDir: opts.models,
        dataDir: opts.data,
        outDir: opts.out,
        runtime: opts.runtime,
        engine: opts.engine,
        workers: opts.workers === undefined ? undefined : Number(opts.workers),
        onnxFile: opts.onnx,
        force: opts.force,
        sample,
        log,
      });
      if (opts.json) return printJson(result.report);
      log(`${green('wrote')} ${result.reportDir} (and ${result.latestDir})`);
      process.stdout.write(`${evalSummary(result.report, result.indexHtml)}\n`);
    });
}
