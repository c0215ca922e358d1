import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { HcrError, parseClassOption, writeFileAtomic } from '@hcr/core';
import { allowedClasses, createRecognizer, encodeGreyPng, type Prediction } from '@hcr/serve-onnx';
import type { Command } from 'commander';
import { bold, dim, log, printJson } from '../output.js';
import { DEFAULT_MODEL } from './serve.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('recognise characters in image files (PNG, JPEG, WebP; photos welcome)')
    .argument('<images...>', 'image files, one character each')
    .option('--model <file>', `ONNX model (env HCR_MODEL; default ${DEFAULT_MODEL})`)
    .option('--top-k <n>', 'ranked answers per image', '3')
    .option(
      '--classes <which>',
      'all | digits | letters | alnum | uppercase | lowercase | chars:<set> such as chars:0123456789',
      'all',
    )
    .option('--debug <dir>', 'write the preprocessed 28x28 image the model sees, as <dir>/<name>.28x28.png')
    .option('--json', 'print one JSON document')
    .action(async (images: string[], opts) => {
      const topK = Number(opts.topK);
      if (!Number.isInteger(topK) || topK < 1)
        throw new HcrError('BAD_OPTION', `--top-k must be a positive integer, got '${opts.topK}'.`);
      parseClassOption(opts.classes); // a misspelt class fails before the model loads
      const rec = await createRecognizer({ model: opts.model ?? process.env.HCR_MODEL ?? DEFAULT_MODEL });
      try {
        allowedClasses(opts.classes, rec.info.classNames); // a set the model lacks (lowercase on 36 classes)
      } catch (e) {
        await rec.close();
        throw e;
      }
      const results: { file: string; prediction?: Prediction; error?: { code: string; message: string } }[] =
        [];
      for (const file of images) {
        try {
          const bytes = await readFile(file).catch((e: Error) => {
            throw new HcrError('FILE_MISSING', `Cannot read ${file}: ${e.message}.`, {
              hint: 'Check the path.',
            });
          });
          const prepared = await rec.prepare(bytes);
          const probs = await rec.infer([prepared.pixels]);
          const prediction = rec.rank(probs, 0, { topK, classes: opts.classes });
          if (opts.debug) {
            const out = join(opts.debug, `${basename(file, extname(file))}.28x28.png`);
            await writeFileAtomic(out, await encodeGreyPng(prepared.pixels));
          }
          results.push({ file, prediction });
        } catch (e) {
          if (!(e instanceof HcrError) || e.code === 'CLASSES_INVALID') throw e;
          results.push({ file, error: { code: e.code, message: e.message } });
        }
      }
      await rec.close();
      if (opts.json) printJson({ model: rec.info.id, results });
      else
        for (const r of results) {
          if (r.error) {
            log(`${r.file}  error ${r.error.message}`);
            continue;
          }
          const p = r.prediction!;
          const rest = p.topK
            .slice(1)
            .map((t) => `${t.label} ${(t.confidence * 100).toFixed(1)}%`)
            .join(', ');
          process.stdout.write(
            `${r.file}  ${bold(p.label)}  ${(p.confidence * 100).toFixed(1)}%${rest ? dim(`  (then ${rest})`) : ''}\n`,
          );
        }
      if (results.some((r) => r.error)) process.exitCode = 1;
    });
}
