import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { printJsonError, reportError } from './output.js';

type Register = (program: Command) => void;

/**
 * The commands, each loaded only when it runs: `hcr --help` and `hcr --version` then start without
 * tfjs, onnxruntime, canvas or fastify. `summary` is the line `hcr --help` shows; each module's own
 * description is what `hcr <command> --help` shows.
 */
const COMMANDS: { name: string; summary: string; load: () => Promise<Register[]> }[] = [
  {
    name: 'data',
    summary:
      'raw datasets -> verified, deterministic shards (prepare, info, verify, preview, download, lines)',
    load: async () => [(await import('./commands/data.js')).registerData],
  },
  {
    name: 'export',
    summary:
      'export a trained model to ONNX (onnx), pack line readers into one ONNX ensemble (ensemble), or write a Triton model repository (triton)',
    load: async () => [
      (await import('./commands/export.js')).registerExport,
      (await import('./commands/export-triton.js')).registerExportTriton,
    ],
  },
  {
    name: 'serve',
    summary: 'HTTP service: POST /v1/predict, POST /v1/read, a drawing page at /, health and metrics',
    load: async () => [(await import('./commands/serve.js')).registerServe],
  },
  {
    name: 'token',
    summary:
      'the API tokens of hcr serve --api-token-file: add a client, rotate its token, remove one, list them',
    load: async () => [(await import('./commands/token.js')).registerToken],
  },
  {
    name: 'predict',
    summary: 'recognise the character in image files or folders (text, JSON or CSV)',
    load: async () => [(await import('./commands/predict.js')).registerPredict],
  },
  {
    name: 'read',
    summary: 'read a handwritten line, word or field from image files',
    load: async () => [(await import('./commands/read.js')).registerRead],
  },
  {
    name: 'train',
    summary: 'train a model (seed | hcrnet on character shards, reader on line shards)',
    load: async () => [(await import('./commands/train.js')).registerTrain],
  },
  {
    name: 'finetune',
    summary:
      'fine-tune the reader on your own labelled lines: import, train the pair from its weights, export, read before and after',
    load: async () => [(await import('./commands/finetune.js')).registerFinetune],
  },
  {
    name: 'calibrate',
    summary: 'fit the confidence calibration of a trained character model (train does it at the end)',
    load: async () => [(await import('./commands/calibrate.js')).registerCalibrate],
  },
  {
    name: 'eval',
    summary: 'evaluate a trained model: eval.json, pictures and an HTML report in artifacts/reports/<run>/',
    load: async () => [(await import('./commands/eval.js')).registerEval],
  },
  {
    name: 'bench',
    summary: 'run a benchmark and print its numbers (`hcr bench` lists them)',
    load: async () => [(await import('./commands/bench.js')).registerBench],
  },
];

/** The @hcr/cli version (src/ and dist/ both sit next to package.json). */
export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** The command `argv` runs (`hcr help <command>` too), or undefined for `hcr`, `hcr --help`, `hcr -v`. */
export function commandIn(argv: readonly string[]): string | undefined {
  const operands = argv.slice(2).filter((a) => !a.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/**
 * The `hcr` program. `load` names the commands whose modules are imported (default: all); the others
 * appear in `hcr --help` by name and summary only.
 */
export async function buildProgram(load?: readonly string[]): Promise<Command> {
  const program = new Command('hcr')
    .description('Handwritten character recognition: data -> train -> eval/export -> serve')
    .version(VERSION, '-v, --version', 'print the hcr version')
    .showHelpAfterError()
    .exitOverride();
  for (const c of COMMANDS) {
    if (load && !load.includes(c.name)) program.command(c.name).summary(c.summary);
    else for (const register of await c.load()) register(program);
    program.commands.at(-1)!.summary(c.summary);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const name = commandIn(argv);
    const program = await buildProgram(name ? [name] : []);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const json =
      argv.includes('--json') ||
      argv.includes('--format=json') ||
      argv.some((a, i) => a === '--format' && argv[i + 1] === 'json');
    if (!(e instanceof CommanderError)) return reportError(e, { json });
    // Commander has written the error (and the usage) to stderr; with --json stdout gets it too, as every error.
    if (json && e.exitCode !== 0 && !NOT_ERRORS.has(e.code)) {
      const name = commandIn(argv);
      printJsonError({
        code: 'USAGE',
        message: e.message.replace(/^error: /, ''),
        hint: `Run hcr ${name ? `${name} ` : ''}--help for the arguments and options it takes.`,
      });
    }
    return e.exitCode;
  }
}

/** Commander's ways of ending that are not errors: help and the version shown. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);
