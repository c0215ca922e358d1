import { writeTritonRepository } from '@hcr/serve-onnx';
import type { Command } from 'commander';
import { wholeNumber } from '../flags.js';
import { green, log, printJson } from '../output.js';
import { DEFAULT_MODEL } from './serve.js';

/**
 * `hcr export triton`: a Triton/KServe model repository for the ONNX model. Adds a `triton` subcommand
 * to the `export` command when it exists (registered by export.ts), else creates `export`.
 */
export function registerExportTriton(program: Command): void {
  const exp =
    program.commands.find((c) => c.name() === 'export') ??
    program.command('export').description('export a trained model to another runtime format');
  exp
    .command('triton')
    .description(
      'write a Triton Inference Server model repository (model.onnx + config.pbtxt, dynamic batching)',
    )
    .requiredOption('-o, --output <dir>', 'model repository directory to write')
    .option('--model <file>', `ONNX model (env HCR_MODEL; default ${DEFAULT_MODEL})`)
    .option('--name <name>', 'model name in the repository', 'hcr')
    .option('--max-batch <n>', 'max_batch_size and largest dynamic batch', '64')
    .option('--max-queue-delay-us <n>', 'dynamic batching: longest wait to form a batch', '2000')
    .option('--instances <n>', 'CPU model instances', '1')
    .option('--force', 'replace an existing directory')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await writeTritonRepository({
        model: opts.model ?? process.env.HCR_MODEL ?? DEFAULT_MODEL,
        outDir: opts.output,
        name: opts.name,
        maxBatch: wholeNumber('--max-batch', opts.maxBatch, 1, 65536),
        maxQueueDelayMicros: wholeNumber('--max-queue-delay-us', opts.maxQueueDelayUs, 0, 10_000_000),
        instances: wholeNumber('--instances', opts.instances, 1, 256),
        force: opts.force,
      });
      if (opts.json) return printJson(result);
      log(`${green('wrote')} ${result.dir}/{config.pbtxt,labels.txt,1/model.onnx}`);
      process.stdout.write(result.config);
    });
}
