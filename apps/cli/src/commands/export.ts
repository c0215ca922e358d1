import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { atomicWriteTarget, HcrError, labelSpace } from '@hcr/core';
import { DEFAULT_DATASET_DIR, defaultDatasetDir, MANIFEST_FILE, openDataset } from '@hcr/data';
import {
  checkPackedEnsemble,
  DEFAULT_OPSET,
  exportModelFile,
  inputShapesOf,
  type LoadedModel,
  MAX_OPSET,
  MIN_OPSET,
  packReaderEnsemble,
  readModelJson,
  resolveModelJson,
  type VerifyResult,
  verifyExport,
  writeOnnx,
} from '@hcr/export-onnx';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { decimalNumber, wholeNumber } from '../flags.js';
import { bold, green, log, printJson, red } from '../output.js';

interface ExportOnnxFlags {
  output?: string;
  opset: string;
  inputLayout: string;
  tolerance: string;
  samples: string;
  images: string;
  data?: string;
  force?: boolean;
  json?: boolean;
}

/** `hcr export onnx <model>`: convert, check against tfjs in onnxruntime, write only when it matches. */
export function registerExport(program: Command): void {
  const exp = program.command('export').description('export a trained model to another runtime format');
  registerExportEnsemble(exp);
  exp
    .command('onnx')
    .description('convert a tfjs model (LayersModel or GraphModel) to ONNX and check it against tfjs')
    .argument('<model>', 'model directory or its model.json')
    .option('-o, --output <file>', 'ONNX file to write (default: <modelDir>/model.onnx)')
    .option('--opset <n>', 'ONNX opset, 13..21', String(DEFAULT_OPSET))
    .option(
      '--input-layout <layout>',
      'input layout of the ONNX model: nhwc (like the source) or nchw',
      'nhwc',
    )
    .option('--tolerance <x>', 'largest accepted max abs diff between ONNX and tfjs', '1e-4')
    .option('--samples <n>', 'random inputs per parity check (1 or more)', '32')
    .option(
      '--images <n>',
      'real test images for the parity check (when the dataset is prepared; 0: none)',
      '512',
    )
    .option(
      '--data <dir>',
      `prepared dataset directory for real test images (default ${DEFAULT_DATASET_DIR}; ${DEFAULT_DATASET_DIR}-62 for a 62-class model)`,
    )
    .option('--force', 'write the ONNX file even when parity fails')
    .option('--json', 'print the export report and parity figures as JSON on stdout')
    .action(async (model: string, flags: ExportOnnxFlags) => {
      const layout = flags.inputLayout;
      if (layout !== 'nhwc' && layout !== 'nchw') {
        throw new HcrError('BAD_OPTION', `--input-layout must be nhwc or nchw, not '${layout}'.`, {
          hint: 'Use --input-layout nchw for runtimes that want channels-first images.',
        });
      }
      const opset = Number(flags.opset);
      if (flags.opset.trim() === '' || !Number.isInteger(opset)) {
        throw new HcrError('BAD_OPTION', `--opset must be an integer, not '${flags.opset}'.`, {
          hint: `Choose an opset from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}).`,
        });
      }
      const tolerance = decimalNumber('--tolerance', flags.tolerance, {
        min: 0,
        max: Number.POSITIVE_INFINITY,
        above: true,
        what: 'a positive number',
        example: '1e-4',
      });
      const samples = wholeNumber('--samples', flags.samples, 1, Number.POSITIVE_INFINITY, 32);
      const images = wholeNumber('--images', flags.images, 0, Number.POSITIVE_INFINITY, 512); // 0: none
      // before converting and checking, not at the write after them (EISDIR)
      if (flags.output) {
        const output = resolve(flags.output);
        assertNotDirectory(output, flags.output);
        await assertNotAnInput(output, flags.output, await modelInputFiles(model));
        await atomicWriteTarget(output); // a device, a FIFO: refused now, not after the parity check
      }
      // tfjs's cpu backend greets its first use with "install our node backend to speed things up": the parity
      // check would not be faster with it, and the banner reads as a problem in the export's output.
      tf.enableProdMode();
      const { bytes, report, loaded } = await exportModelFile(model, {
        opset,
        inputLayout: layout,
      });
      const output = resolve(flags.output ?? join(dirname(loaded.modelJsonPath), 'model.onnx'));
      assertNotDirectory(output, flags.output ?? output);
      const real =
        images === 0
          ? { skipped: 'disabled (--images 0)' }
          : loaded.metadata?.reader
            ? {
                skipped:
                  'a line reader: checked on random lines of several widths (`hcr eval <run> --runtime both` reads every real line with both runtimes)',
              }
            : await realTestImages(flags.data ?? modelDatasetDir(loaded), loaded, images);
      const verify = await verifyExport(loaded, bytes, {
        tolerance,
        samples,
        inputLayout: layout,
        realInputs: 'x' in real ? real : undefined,
      });
      const write = verify.passed || flags.force;
      if (write) await writeOnnx(output, bytes);
      if (flags.json) {
        printJson({
          output: write ? output : null,
          report,
          parity: verify,
          realImages: 'skipped' in real ? real.skipped : real.label,
        });
      } else {
        printHuman(
          model,
          output,
          write ?? false,
          report,
          verify,
          'skipped' in real ? real.skipped : undefined,
        );
      }
      if (!verify.passed) {
        const worst = Math.max(...verify.checks.map((c) => c.maxAbsDiff));
        throw new HcrError(
          'PARITY_FAILED',
          `ONNX output differs from tfjs by up to ${worst.toExponential(2)}, above the tolerance ${tolerance}; ${write ? `written anyway (--force) to ${output}` : 'nothing was written'}.`,
          {
            hint: 'Report the model (this is an exporter bug), or raise --tolerance if the difference is acceptable for your use.',
            exitCode: 2,
          },
        );
      }
    });
}

/** `hcr export ensemble <readers...> -o <file>`: several exported line readers as one ONNX file. */
function registerExportEnsemble(exp: Command): void {
  exp
    .command('ensemble')
    .description(
      'pack line readers of one recipe (e.g. other training seeds) into one ONNX file that reads as their ensemble',
    )
    .argument('<readers...>', 'ONNX readers or run directories (their model.onnx), two or more')
    .requiredOption('-o, --output <file>', 'ONNX file to write')
    .option('--json', 'print the members and the check as JSON on stdout')
    .action(async (readers: string[], flags: { output: string; json?: boolean }) => {
      const names = readers.map((r) => {
        const file = existsSync(r) && statSync(r).isDirectory() ? join(r, 'model.onnx') : r;
        if (!existsSync(file))
          throw new HcrError('MODEL_MISSING', `No ONNX reader at ${file}.`, {
            hint: 'Export each run first (`hcr export onnx <run dir>`), then pass the run directories or their model.onnx.',
          });
        return file;
      });
      // before reading anything: -o must not be a folder, one of the readers or a device (`-o /dev/full`)
      const output = resolve(flags.output);
      assertNotDirectory(output, flags.output);
      await assertNotAnInput(output, flags.output, names);
      await atomicWriteTarget(output);
      const files = await Promise.all(
        names.map(async (file) => ({ bytes: new Uint8Array(await readFile(file)), name: file })),
      );
      const { bytes, members } = packReaderEnsemble(files);
      const check = await checkPackedEnsemble(bytes, files);
      if (check.passed) await writeOnnx(output, bytes);
      if (flags.json) printJson({ output: check.passed ? output : null, members, check });
      else {
        log(`${bold('ensemble')} ${members.length} readers: ${members.map((m) => m.id).join(', ')}`);
        log(
          `  ${check.passed ? green('ok  ') : red('FAIL')} each reader's slice of the packed output against its own file, ` +
            `lines ${check.widths.join('/')} px wide: max abs diff ${check.maxAbsDiff.toExponential(2)}`,
        );
        log(
          check.passed
            ? `${green('wrote')} ${output} (${(bytes.byteLength / 1024).toFixed(0)} KiB)`
            : `${red('not written')} ${output}`,
        );
      }
      if (!check.passed)
        throw new HcrError(
          'PARITY_FAILED',
          `The packed ensemble differs from its readers by up to ${check.maxAbsDiff.toExponential(2)}; nothing was written.`,
          {
            hint: 'Report the readers (this is an exporter bug); read with the separate files meanwhile (--model a.onnx,b.onnx).',
            exitCode: 2,
          },
        );
    });
}

/** `output` (as given: `given`) must not be a directory: -o names the ONNX file to write. */
function assertNotDirectory(output: string, given: string): void {
  if (existsSync(output) && statSync(output).isDirectory())
    throw new HcrError('OUTPUT_IS_DIRECTORY', `${output} is a directory; -o names the ONNX file to write.`, {
      hint: `Pass a file name, e.g. -o ${join(given, 'model.onnx')}.`,
    });
}

/**
 * The files `hcr export onnx <model>` reads: model.json, the weight shards it lists and metadata.json beside it
 * (none when there is no model there: exportModelFile says so).
 */
async function modelInputFiles(model: string): Promise<string[]> {
  const json = await resolveModelJson(model).catch(() => undefined);
  if (!json) return [];
  const dir = dirname(json);
  const groups = await readModelJson(json)
    .then((j) => j.weightsManifest ?? [])
    .catch(() => []);
  return [json, join(dir, 'metadata.json'), ...groups.flatMap((g) => g.paths.map((p) => join(dir, p)))];
}

/**
 * `output` (as given: `given`) must not be one of the files read (`-o` naming an input replaced it): the same file
 * by device and inode, so a link or another spelling of an input's path is caught too.
 */
async function assertNotAnInput(output: string, given: string, inputs: readonly string[]): Promise<void> {
  const out = await stat(output).catch(() => undefined);
  if (!out) return; // a file that does not exist yet is read by nobody
  for (const input of inputs) {
    const s = await stat(input).catch(() => undefined);
    if (s && s.dev === out.dev && s.ino === out.ino)
      throw new HcrError(
        'OUTPUT_IS_INPUT',
        `-o ${given} is ${input}, one of the files this export reads; writing it would replace that input.`,
        { hint: 'Name a file that is not one of the inputs, e.g. a new .onnx file.' },
      );
  }
}

/**
 * Where the model was trained (metadata.json's training config), else its label space's default dataset (a
 * 62-class model's test images are in shards-62). The parity check needs images of the model's shape, not the
 * very dataset it was trained on, so no manifest sha256 is matched here (hcr eval's trainingDatasetDir does).
 */
function modelDatasetDir(loaded: LoadedModel): string {
  const recorded = loaded.metadata?.trainingConfig?.data;
  if (typeof recorded === 'string' && existsSync(join(recorded, MANIFEST_FILE))) return recorded;
  const id = loaded.metadata?.labelSpace;
  return id && id !== 'hcr36' ? defaultDatasetDir(labelSpace(id)) : DEFAULT_DATASET_DIR;
}

/** The first `n` test images of the prepared dataset, normalised as the model's metadata says. */
async function realTestImages(
  dir: string,
  loaded: LoadedModel,
  n: number,
): Promise<{ x: Float32Array; n: number; label: string } | { skipped: string }> {
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    const space = loaded.metadata?.labelSpace;
    const labels = space && space !== 'hcr36' ? ` --labels ${labelSpace(space).classes.length}` : '';
    return { skipped: `no prepared dataset at ${dir} (run \`hcr data prepare${labels}\`, or pass --data)` };
  }
  const shapes = inputShapesOf(loaded);
  const dataset = await openDataset(dir);
  const imageShape = dataset.manifest.imageShape;
  if (shapes.length !== 1 || shapes[0].slice(1).join() !== imageShape.join()) {
    return {
      skipped: `model input ${JSON.stringify(shapes)} does not take the dataset's ${imageShape.join('x')} images`,
    };
  }
  const normalisation = loaded.metadata?.inputNormalisation;
  for await (const batch of dataset.batches('test', { batchSize: n, shuffle: false, normalisation })) {
    return {
      x: batch.x,
      n: batch.size,
      label: `test images (${normalisation ? 'model normalisation' : 'default normalisation'})`,
    };
  }
  return { skipped: 'the test split is empty' };
}

function printHuman(
  model: string,
  output: string,
  written: boolean,
  report: Awaited<ReturnType<typeof exportModelFile>>['report'],
  verify: VerifyResult,
  realSkipped: string | undefined,
): void {
  const kb = (report.byteLength / 1024).toFixed(0);
  log(
    `${bold('export')} ${model} (${report.sourceFormat}) -> ONNX opset ${report.opset}: ${report.nodeCount} nodes, ` +
      `${report.transposeCount} transposes, ${report.parameterCount.toLocaleString('en')} parameters, ${kb} KiB, ` +
      `${report.exportMs.toFixed(0)} ms`,
  );
  log(
    `  inputs ${report.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(' ')} -> outputs ${report.outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(' ')}`,
  );
  if (report.metadataKeys.length) log(`  metadata_props: ${report.metadataKeys.join(', ')}`);
  for (const w of report.warnings) log(`  ${red('warning')} ${w}`);
  for (const c of verify.checks) {
    const mark = c.passed ? green('ok  ') : red('FAIL');
    log(
      `  ${mark} parity on ${c.samples} ${c.inputs} (ORT optimisations ${c.optimization}): max abs diff ${c.maxAbsDiff.toExponential(2)}` +
        ` (tolerance ${verify.tolerance}), argmax agreement ${(100 * c.argmaxAgreement).toFixed(1)}%`,
    );
  }
  if (realSkipped) log(`  real images skipped: ${realSkipped}`);
  log(written ? `${green('wrote')} ${output}` : `${red('not written')} ${output}`);
}
