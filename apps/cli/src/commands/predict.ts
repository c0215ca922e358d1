import { join } from 'node:path';
import {
  type ClassKind,
  classKind,
  HcrError,
  isCaseSensitive,
  labelSpace,
  parseClassOption,
  writeFileAtomic,
} from '@hcr/core';
import {
  allowedClasses,
  createRecognizer,
  DEFAULT_MIN_CONFIDENCE,
  encodeGreyPng,
  type Prediction,
} from '@hcr/serve-onnx/recognizer';
import type { Command } from 'commander';
import { csvRow } from '../csv.js';
import { assertOutputFolder, defaultModel, minConfidenceFlag, rangeInt } from '../flags.js';
import {
  debugNamer,
  errorLine,
  expandImageArgs,
  IMAGE_EXTENSIONS,
  imageFileReader,
  pageOf,
  type RowError,
  rowError,
} from '../image-files.js';
import { formatOption, out, outputFormat, printJson } from '../output.js';
import { countProgress } from '../progress.js';
import { DEFAULT_MODEL } from './serve.js';

interface PredictResult {
  file: string;
  prediction?: Prediction;
  /** Case-sensitive models (47, 62 classes): the answer's case. */
  case?: string;
  error?: RowError;
}

/** How the answer's case is shown: `a (lowercase)`, `A (capital)`; `C (either case)` where hcr47 merges it. */
const CASE_WORDS: Record<ClassKind, string | undefined> = {
  lower: 'lowercase',
  upper: 'capital',
  letter: 'either case',
  digit: undefined,
};

/** The case of a predicted class, for models that tell case; undefined for 36-class (case-merged) models. */
function caseReader(space: string | undefined): (classIndex: number) => string | undefined {
  const s = space ? labelSpace(space) : undefined;
  if (!s || !isCaseSensitive(s)) return () => undefined;
  return (i) => CASE_WORDS[classKind(i, s)];
}

/**
 * CSV: file, the best guess and its confidence (0-1), the runners-up, the answer (empty when there is no
 * confident answer) and the verdict, and the error for unreadable files.
 */
function csvHeader(topK: number): string {
  const ranks = Array.from({ length: topK - 1 }, (_, i) => i + 2);
  return csvRow([
    'file',
    'label',
    'confidence',
    ...ranks.flatMap((k) => [`label_${k}`, `confidence_${k}`]),
    'answer',
    'verdict',
    'error',
  ]);
}

function csvRowOf(r: PredictResult, topK: number): string {
  const ranked = Array.from({ length: topK }, (_, i) => r.prediction?.topK[i]);
  return csvRow([
    r.file,
    ...ranked.flatMap((t) => [t?.label, t?.confidence.toFixed(4)]),
    r.prediction?.answer ?? undefined,
    r.prediction?.verdict,
    r.error && errorLine(r.error),
  ]);
}

/** One result as text: the answer (or why there is none) and the runners-up; an unreadable file on stderr. */
function writeText(r: PredictResult): void {
  // An error is a row like any other, on stdout (as hcr read writes it): a script reading the rows sees it.
  if (r.error) {
    process.stdout.write(`${r.file}  error ${errorLine(r.error)}\n`);
    return;
  }
  const p = r.prediction!;
  const rest = p.topK
    .slice(p.answer === null ? 0 : 1)
    .map((t) => `${t.label} ${(t.confidence * 100).toFixed(1)}%`)
    .join(', ');
  const head =
    p.answer === null
      ? `${out.bold(p.verdict === 'not-confident' ? 'no confident answer' : p.verdict)}  ${p.message ?? ''}`
      : `${out.bold(p.answer)}${r.case ? ` (${r.case})` : ''}  ${(p.confidence * 100).toFixed(1)}%`;
  const then = p.answer === null ? 'guesses' : 'then';
  process.stdout.write(`${r.file}  ${head}${rest ? out.dim(`  (${then} ${rest})`) : ''}\n`);
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'recognise characters in image files (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC, PDF pages; photos welcome)',
    )
    .argument(
      '<images...>',
      `image files, one character each (each page of a PDF or TIFF of several), or folders (searched recursively for ${IMAGE_EXTENSIONS.join(' ')})`,
    )
    .option('--model <file>', `ONNX model (env HCR_MODEL; default ${DEFAULT_MODEL})`)
    .option('--top-k <n>', "ranked answers per image (at most the model's classes)", '3')
    .option(
      '--classes <which>',
      'all | digits | letters | alnum | uppercase | lowercase | chars:<set> such as chars:0123456789',
      'all',
    )
    .option(
      '--min-confidence <p>',
      `answer only when the calibrated probability is at least p (0..1); below it: no confident answer`,
      String(DEFAULT_MIN_CONFIDENCE),
    )
    .option('--debug <dir>', 'write the preprocessed 28x28 image the model sees, as <dir>/<name>.28x28.png')
    .addOption(formatOption())
    .option('--json', 'print one JSON document (same as --format json)')
    .action(async (args: string[], opts) => {
      const format = outputFormat(opts);
      parseClassOption(opts.classes); // a misspelt class fails before the model loads
      const minConfidence = minConfidenceFlag(String(opts.minConfidence));
      rangeInt('--top-k', Number.POSITIVE_INFINITY)(String(opts.topK)); // not a count: fails before the model loads
      // the default found from a subfolder of the repository too, before standard input is read
      const model =
        opts.model ?? process.env.HCR_MODEL ?? defaultModel(DEFAULT_MODEL, 'character model', 'HCR_MODEL');
      if (opts.debug) assertOutputFolder(opts.debug, '--debug'); // not a file: before the model loads
      const images = await expandImageArgs(args);
      const rec = await createRecognizer({ model });
      let topK: number;
      try {
        allowedClasses(opts.classes, rec.info.classNames); // a set the model lacks (lowercase on 36 classes)
        topK = rangeInt('--top-k', rec.info.classNames.length)(String(opts.topK)); // at most the model's classes
      } catch (e) {
        await rec.close();
        throw e;
      }
      const caseOf = caseReader(rec.info.labelSpace);
      const results: PredictResult[] = [];
      const debugName = debugNamer();
      // Text and CSV are written as each image is read (a large folder shows its progress); JSON at the end. Rows
      // written to a file or a pipe, or JSON, show nothing on the screen until the end: a bar on stderr does.
      const progress = countProgress(images.length, 'images', {
        rowsOnScreen: format !== 'json' && Boolean(process.stdout.isTTY),
      });
      const emit = (r: PredictResult) => {
        results.push(r);
        progress.add(1);
        if (format === 'csv') process.stdout.write(csvRowOf(r, topK));
        else if (format === 'text') writeText(r);
      };
      if (format === 'csv') process.stdout.write(csvHeader(topK));
      const readFile = imageFileReader(); // a document's pages share one read of its file
      for (const image of images) {
        const file = image.name;
        try {
          const prepared = await rec.prepare(await readFile(image), pageOf(image));
          const probs = await rec.infer([prepared.pixels]);
          const prediction = rec.rank(probs, 0, {
            topK,
            classes: opts.classes,
            minConfidence,
            prepared,
            lineReader: 'hcr read',
          });
          if (opts.debug) {
            const debugFile = join(opts.debug, `${debugName(image)}.28x28.png`);
            await writeFileAtomic(debugFile, await encodeGreyPng(prepared.pixels));
          }
          const letterCase = prediction.classIndex === null ? undefined : caseOf(prediction.classIndex);
          emit({ file, prediction, ...(letterCase ? { case: letterCase } : {}) });
        } catch (e) {
          if (!(e instanceof HcrError) || e.code === 'CLASSES_INVALID') throw e;
          emit({ file, error: rowError(e, 'predict') });
        }
      }
      progress.stop();
      await rec.close();
      if (format === 'json')
        printJson({
          model: rec.info.id,
          ...(rec.info.labelSpace ? { labelSpace: rec.info.labelSpace } : {}),
          results,
        });
      if (results.some((r) => r.error)) process.exitCode = 1;
    });
}
