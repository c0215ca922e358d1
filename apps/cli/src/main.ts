import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerData } from './commands/data.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerExportTriton } from './commands/export-triton.js';
import { registerPredict } from './commands/predict.js';
import { registerRead } from './commands/read.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { reportError } from './output.js';

/** Every subcommand module registers itself on the program; this file only wires them together. */
export function buildProgram(): Command {
  const program = new Command('hcr')
    .description('Handwritten character recognition: data -> train -> eval/export -> serve')
    .showHelpAfterError()
    .exitOverride();
  registerData(program);
  registerExport(program);
  registerExportTriton(program);
  registerServe(program);
  registerPredict(program);
  registerRead(program);
  registerTrain(program);
  registerEval(program);
  registerBench(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    return reportError(e);
  }
}
